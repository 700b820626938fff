"""Autoencoders: a network trained to give back its input through a narrow middle.

An autoencoder is an encoder z = f(x) to a small code (``latent_dim`` numbers) followed by a
decoder x̂ = g(z), trained on x alone to minimise the reconstruction error
J = 1/n Σᵢ ‖xᵢ − g(f(xᵢ))‖². The code keeps what the data has in common: it is the input of
clustering (``profond.unsupervised.dec``) and its error scores anomalies
(``profond.unsupervised.anomaly``), since a sample unlike the training data is rebuilt badly.

Each builder returns a plain ``Sequential`` model named ``"autoencoder"`` made of two
``Sequential`` models, ``get_layer("encoder")`` and ``get_layer("decoder")``, so the encoder can
be used (and saved) on its own after training:

>>> from profond.unsupervised import dense_autoencoder
>>> ae = dense_autoencoder((784,), latent_dim=10, hidden=(64,))
>>> ae.get_layer("encoder").output_shape, ae.output_shape
((None, 10), (None, 784))

- ``dense_autoencoder``: Dense layers, inputs flattened (DEC's 784-500-500-2000-10 by default);
- ``conv_autoencoder``: strided ``Conv2D`` down, ``Conv2DTranspose`` up, for images;
- ``denoising_autoencoder``: either one with ``GaussianNoise`` in front: it learns to rebuild the
  clean x from a noisy x + ε, ε ~ N(0, σ²), which asks for more robust codes (Vincent et al.
  2008). The noise is only added while training.
- ``lstm_autoencoder``: for sequences (batch, T, features): LSTMs read the sequence into one
  vector, which is repeated T times and decoded by LSTMs back into a sequence.
"""

import math

from profond import _validation as check
from profond.layers import (
    LSTM,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Flatten,
    GaussianNoise,
    Input,
    RepeatVector,
    Reshape,
    TimeDistributed,
)
from profond.models import Sequential

__all__ = ["conv_autoencoder", "dense_autoencoder", "denoising_autoencoder", "lstm_autoencoder"]


def _shape(name, value, where, rank=None):
    shape = check.shape_tuple(name, value, where, allow_none=False)
    if rank is not None and len(shape) != rank:
        raise check.fail(name, value, f"a shape of {rank} dimensions (no batch dimension)", where)
    return shape


def _sizes(name, value, where, allow_empty=True):
    if check.is_integer(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not (value or allow_empty) or not all(
            check.is_integer(v) and v > 0 for v in value):
        raise check.fail(name, value, "a tuple of positive integers", where)
    return tuple(int(v) for v in value)


def _assemble(input_shape, encoder_layers, decoder_layers, latent_shape, noise=None):
    encoder = Sequential([Input(input_shape)] + encoder_layers, name="encoder")
    decoder = Sequential([Input(latent_shape)] + decoder_layers, name="decoder")
    front = [GaussianNoise(noise, name="noise")] if noise else []
    return Sequential([Input(input_shape)] + front + [encoder, decoder], name="autoencoder")


def dense_autoencoder(input_shape, latent_dim=10, hidden=(500, 500, 2000), activation="relu",
                      output_activation=None, noise_stddev=None):
    """A Dense autoencoder: input → ``hidden`` → ``latent_dim`` (linear) → reversed ``hidden`` →
    input shape. The code layer is linear, as in DEC (Xie et al. 2016), so k-means sees
    unsquashed distances; ``output_activation="sigmoid"`` suits inputs in [0, 1].

    >>> dense_autoencoder((28, 28), latent_dim=2, hidden=(32,)).output_shape
    (None, 28, 28)
    """
    where = "dense_autoencoder"
    input_shape = _shape("input_shape", input_shape, where)
    latent_dim = check.positive_int("latent_dim", latent_dim, where)
    hidden = _sizes("hidden", hidden, where)
    size = math.prod(input_shape)
    encoder = ([Flatten()] + [Dense(h, activation=activation) for h in hidden]
               + [Dense(latent_dim, name="code")])
    decoder = [Dense(h, activation=activation) for h in reversed(hidden)]
    decoder += [Dense(size, activation=output_activation), Reshape(input_shape)]
    return _assemble(input_shape, encoder, decoder, (latent_dim,), noise_stddev)


def conv_autoencoder(input_shape=(28, 28, 1), latent_dim=10, filters=(32, 64), kernel_size=3,
                     activation="relu", output_activation=None, noise_stddev=None):
    """A convolutional autoencoder for images (height, width, channels).

    Encoder: one ``Conv2D(f, kernel_size, strides=2, padding="same")`` per entry of ``filters``
    (each halves the height and width), ``Flatten``, ``Dense(latent_dim)``. Decoder: ``Dense``
    back to the last feature map, ``Conv2DTranspose`` layers doubling the size in reverse order,
    and a last ``Conv2D`` to the input's channels. Height and width must be divisible by
    2^len(filters) so that the decoder lands on the input's size.

    >>> conv_autoencoder((28, 28, 1), latent_dim=10, filters=(8, 16)).output_shape
    (None, 28, 28, 1)
    """
    where = "conv_autoencoder"
    input_shape = _shape("input_shape", input_shape, where, rank=3)
    latent_dim = check.positive_int("latent_dim", latent_dim, where)
    filters = _sizes("filters", filters, where, allow_empty=False)
    kernel_size = check.positive_int("kernel_size", kernel_size, where)
    height, width, channels = input_shape
    step = 2 ** len(filters)
    if height % step or width % step:
        raise ValueError(
            f"`{where}`: expected a height and width divisible by 2**len(filters)={step} "
            f"(each strided convolution halves them). Received: input_shape={input_shape}, "
            f"filters={filters}")
    small = (height // step, width // step, filters[-1])
    encoder = [Conv2D(f, kernel_size, strides=2, padding="same", activation=activation)
               for f in filters]
    encoder += [Flatten(), Dense(latent_dim, name="code")]
    decoder = [Dense(math.prod(small), activation=activation), Reshape(small)]
    decoder += [Conv2DTranspose(f, kernel_size, strides=2, padding="same", activation=activation)
                for f in reversed(filters)]
    decoder += [Conv2D(channels, kernel_size, padding="same", activation=output_activation)]
    return _assemble(input_shape, encoder, decoder, (latent_dim,), noise_stddev)


def denoising_autoencoder(input_shape, noise_stddev=0.2, kind="dense", **kwargs):
    """A denoising autoencoder: ``GaussianNoise(noise_stddev)`` in front of a ``kind``
    (``"dense"`` or ``"conv"``) autoencoder built with ``kwargs``. Train it with
    ``fit(x, x)``: it sees x + ε and is asked for x. At inference the noise is off.

    >>> denoising_autoencoder((16,), noise_stddev=0.1, hidden=(8,)).layers[0].name
    'noise'
    """
    where = "denoising_autoencoder"
    noise_stddev = check.positive_float("noise_stddev", noise_stddev, where)
    builders = {"dense": dense_autoencoder, "conv": conv_autoencoder}
    if kind not in builders:
        raise check.fail("kind", kind, 'one of "dense", "conv"', where)
    return builders[kind](input_shape, noise_stddev=noise_stddev, **kwargs)


def lstm_autoencoder(timesteps, features, units=(32, 16)):
    """An LSTM autoencoder for sequences of shape (timesteps, features).

    Encoder: LSTMs of ``units`` (all but the last return sequences); the last one's final state
    is the code h_T. Decoder: ``RepeatVector(timesteps)`` copies h_T to every step, LSTMs of the
    reversed ``units`` return sequences, and a ``TimeDistributed(Dense(features))`` gives x̂_t.

    >>> lstm_autoencoder(30, 5, units=(8, 4)).output_shape
    (None, 30, 5)
    """
    where = "lstm_autoencoder"
    timesteps = check.positive_int("timesteps", timesteps, where)
    features = check.positive_int("features", features, where)
    units = _sizes("units", units, where, allow_empty=False)
    encoder = [LSTM(u, return_sequences=k < len(units) - 1) for k, u in enumerate(units)]
    decoder = [RepeatVector(timesteps)]
    decoder += [LSTM(u, return_sequences=True) for u in reversed(units)]
    decoder += [TimeDistributed(Dense(features))]
    return _assemble((timesteps, features), encoder, decoder, (units[-1],))
