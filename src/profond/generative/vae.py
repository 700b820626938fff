"""The variational autoencoder (Kingma & Welling 2014): ``Sampling`` and a ``VAE`` model.

The encoder maps an image x to a Gaussian q(z|x) = N(μ(x), diag σ²(x)) over codes z (it outputs
μ and log σ²); the decoder maps a code z back to an image x̂(z). Training maximises the evidence
lower bound, one number per sample:

    ELBO(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I))  ≤  log p(x)

    −log p(x|z) = Σ_pixels BCE(x, x̂(z))                 (the reconstruction loss)
    KL          = −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j)   (closed form for two Gaussians)

The expectation is estimated with one sample drawn by the **reparameterisation trick**:
z = μ + σ ⊙ ε with ε ~ N(0, I) drawn apart, so z is a differentiable function of μ and σ and the
gradient flows back into the encoder (``Sampling``).
"""

import numpy as np

from profond import backend, ops
from profond import random as _random
from profond.autodiff.mode import no_grad
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.losses import binary_crossentropy, mean_squared_error
from profond.metrics import Mean
from profond.models.model import Model
from profond.registry import deserialize, register_serializable, serialize
from profond.utils.packing import unpack_x_y_sample_weight

RECONSTRUCTIONS = ("binary_crossentropy", "mean_squared_error")


def _check_latent_dim(latent_dim, where):
    if latent_dim is not None and latent_dim < 1:
        raise ValueError(f"{where}: Expected a latent size of at least 1 (the width of z_mean "
                         f"and z_log_var). Received: latent_dim={latent_dim}")


@register_serializable()
class Sampling(Layer):
    """z = μ + exp(½ log σ²) ⊙ ε, ε ~ N(0, I): a differentiable sample of N(μ, diag σ²).

    Called on ``[z_mean, z_log_var]`` (two tensors of shape (batch, latent_dim)). While training
    (and when ``training`` is not given) it draws a fresh ε at each call; with
    ``training=False`` (``predict``, ``evaluate``) it returns μ, the most likely code, so that
    inference is deterministic. ``seed`` makes the draws reproducible.

    >>> import profond as pf
    >>> z = Sampling(seed=0)([pf.zeros((2, 3)), pf.zeros((2, 3))])
    >>> z.shape
    (2, 3)
    >>> Sampling()([pf.ones((1, 2)), pf.zeros((1, 2))], training=False).numpy()
    array([[1., 1.]], dtype=float32)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError("Sampling: Expected `seed` to be an integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def build(self, input_shape):
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2
                or not all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError("Sampling: Expected two inputs [z_mean, z_log_var]. "
                             f"Received: input_shape={input_shape}")
        mean_shape, log_var_shape = (tuple(s) for s in input_shape)
        if mean_shape[1:] != log_var_shape[1:]:
            raise ValueError("Sampling: Expected z_mean and z_log_var of the same shape. "
                             f"Received: z_mean {mean_shape}, z_log_var {log_var_shape}")
        _check_latent_dim(mean_shape[-1], "Sampling")
        super().build(input_shape)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if training is False:
            return z_mean
        rng = self._rng if self._rng is not None else _random.generator()
        eps = rng.standard_normal(tuple(z_mean.shape)).astype(z_mean.dtype)
        eps = Tensor._wrap(backend.array_module(z_mean.data).asarray(eps))
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


def kl_divergence(z_mean, z_log_var):
    """KL(N(μ, diag σ²) ‖ N(0, I)) = −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j), one value per row."""
    terms = 1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
    return -0.5 * ops.reduce_sum(terms, axis=-1)


def reconstruction_loss(x, x_hat, kind="binary_crossentropy"):
    """−log p(x|z) up to a constant, summed over the pixels: one value per sample.

    ``binary_crossentropy``: pixels in [0, 1] read as Bernoulli probabilities (the decoder ends
    with a sigmoid); ``mean_squared_error``: a Gaussian of unit variance, ½ Σ (x − x̂)²."""
    if kind not in RECONSTRUCTIONS:
        raise ValueError(f"reconstruction_loss: Expected `kind` in {RECONSTRUCTIONS}. "
                         f"Received: kind={kind!r}")
    n = x.shape[0]
    x, x_hat = ops.reshape(x, (n, -1)), ops.reshape(x_hat, (n, -1))
    d = x.shape[1]
    if kind == "binary_crossentropy":
        return binary_crossentropy(x, x_hat) * float(d)
    return mean_squared_error(x, x_hat) * (0.5 * d)


@register_serializable()
class VAE(Model):
    """A variational autoencoder trained by ``fit`` on images alone (no labels).

    ``encoder``: a model mapping x to ``[z_mean, z_log_var]`` (a third output ``z``, as in the
    Keras guide's encoder, is ignored: the VAE samples z itself); ``decoder``: a model mapping z to
    x̂, of x's shape. ``beta`` weighs the KL term (β-VAE, Higgins et al. 2017; 1 is the ELBO).
    It is saved and loaded like any model (``vae.save(path)``, then ``load_model`` in a program
    that has imported ``profond.generative``, which registers ``VAE`` and ``Sampling``).

    ``train_step`` / ``test_step`` report ``loss`` (−ELBO, batch mean), ``reconstruction_loss`` and
    ``kl_loss``; ``vae(x)`` is the reconstruction decoder(μ(x)); ``elbo(x)`` the per-sample ELBO.

    >>> import profond as pf
    >>> L = pf.layers
    >>> x = L.Input((4,))
    >>> encoder = pf.keras.Model(x, [L.Dense(2)(x), L.Dense(2)(x)])
    >>> decoder = pf.keras.Sequential([L.Input((2,)), L.Dense(4, activation="sigmoid")])
    >>> vae = VAE(encoder, decoder)
    >>> vae.compile(optimizer="adam")
    >>> history = vae.fit(pf.ones((8, 4)) * 0.5, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['kl_loss', 'loss', 'reconstruction_loss']
    >>> vae.elbo(pf.ones((3, 4)) * 0.5).shape
    (3,)
    """

    def __init__(self, encoder, decoder, beta=1.0, reconstruction="binary_crossentropy",
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"VAE: Expected `reconstruction` in {RECONSTRUCTIONS}. "
                             f"Received: reconstruction={reconstruction!r}")
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not beta >= 0:
            raise ValueError(f"VAE: Expected `beta` ≥ 0. Received: beta={beta!r}")
        self.encoder, self.decoder = encoder, decoder
        self.beta, self.reconstruction = float(beta), reconstruction
        self.sampling = Sampling(seed=seed)
        self._check_shapes()
        self.total_loss_tracker = Mean(name="loss")
        self.reconstruction_loss_tracker = Mean(name="reconstruction_loss")
        self.kl_loss_tracker = Mean(name="kl_loss")

    def _check_shapes(self):
        """With functional encoder and decoder, the latent sizes are known now: check them."""
        try:
            enc_out = self.encoder.output_shape
            dec_in = self.decoder.input_shape
        except (AttributeError, ValueError):
            return
        if not isinstance(enc_out, list) or len(enc_out) not in (2, 3):
            raise ValueError("VAE: Expected an encoder with outputs [z_mean, z_log_var]. "
                             f"Received: encoder outputs of shapes {enc_out}")
        latent_dim = enc_out[0][-1]
        _check_latent_dim(latent_dim, "VAE")
        if tuple(dec_in[1:]) != (latent_dim,):
            raise ValueError(f"VAE: Expected a decoder taking codes of shape (None, {latent_dim}) "
                             f"(the encoder's z_mean). Received: decoder input {tuple(dec_in)}")

    def get_config(self):
        return {"name": self.name, "encoder": serialize(self.encoder),
                "decoder": serialize(self.decoder), "beta": self.beta,
                "reconstruction": self.reconstruction, "seed": self.sampling.seed}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        encoder = deserialize(config.pop("encoder"), custom_objects)
        decoder = deserialize(config.pop("decoder"), custom_objects)
        return cls(encoder, decoder, **config)

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def encode(self, x, training=None):
        """(z_mean, z_log_var) of a batch."""
        out = self.encoder(x, training=training)
        return out[0], out[1]

    def call(self, inputs, training=None):
        z_mean, z_log_var = self.encode(inputs, training=training)
        return self.decoder(self.sampling([z_mean, z_log_var], training=training),
                            training=training)

    def _loss_terms(self, x, training):
        """Per-sample reconstruction loss and KL, with z sampled (reparameterised)."""
        z_mean, z_log_var = self.encode(x, training=training)
        z = self.sampling([z_mean, z_log_var], training=True)
        x_hat = self.decoder(z, training=training)
        return (reconstruction_loss(x, x_hat, self.reconstruction),
                kl_divergence(z_mean, z_log_var))

    def _update_trackers(self, rec, kl, loss):
        n = rec.shape[0]
        self.total_loss_tracker.update_state(loss.data, sample_weight=n)
        self.reconstruction_loss_tracker.update_state(ops.reduce_mean(rec).data, sample_weight=n)
        self.kl_loss_tracker.update_state(ops.reduce_mean(kl).data, sample_weight=n)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        x = self._convert(x)
        with GradientTape() as tape:
            rec, kl = self._loss_terms(x, training=True)
            loss = ops.reduce_mean(rec + self.beta * kl)
            for term in self.losses:
                loss = loss + term
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update_trackers(rec, kl, loss)

    def test_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        rec, kl = self._loss_terms(self._convert(x), training=False)
        return self._update_trackers(rec, kl, ops.reduce_mean(rec + self.beta * kl))

    def elbo(self, x, samples=1, batch_size=256):
        """The ELBO of each row of ``x`` (a NumPy array (n,)), E_q estimated with ``samples``
        draws of z: −(reconstruction loss + KL) (β is not applied: this is the bound itself)."""
        if not isinstance(samples, int) or samples < 1:
            raise ValueError(f"VAE.elbo: Expected `samples` ≥ 1. Received: samples={samples!r}")
        x = np.asarray(x.numpy() if isinstance(x, Tensor) else x)
        out = []
        with no_grad():
            for start in range(0, len(x), batch_size):
                batch = self._convert(x[start:start + batch_size])
                total = 0.0
                for _ in range(samples):
                    rec, kl = self._loss_terms(batch, training=False)
                    total = total + (rec + kl).numpy().astype(np.float64)
                out.append(-total / samples)
        return np.concatenate(out)
