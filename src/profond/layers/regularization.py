"""Noise and regularization layers: ``SpatialDropout2D``, ``GaussianNoise``,
``GaussianDropout``, ``AlphaDropout``, ``ActivityRegularization``.

The noise layers are active only while training (``training=True``); at inference they are the
identity. With ε ~ N(0, 1) drawn afresh at every call:

    SpatialDropout2D  y[n, :, :, c] = x[n, :, :, c] · keep[n, c] / (1 − rate)   (whole channels)
    GaussianNoise     y = x + σ ε                                   (additive noise)
    GaussianDropout   y = x ⊙ (1 + √(rate / (1 − rate)) ε)          (multiplicative, mean 1)
    AlphaDropout      y = a (x ⊙ keep + α' (1 − keep)) + b          (keeps SELU's mean 0, var 1)

``ActivityRegularization`` adds Ω(y) = (l1 Σ|y| + l2 Σ y²) / batch to the layer's ``losses``.
"""

import math

import numpy

from profond import backend, ops
from profond import random as _random
from profond.autodiff.tensor import Tensor
from profond.layers.base import InputSpec, Layer
from profond.layers.conv import normalize_data_format
from profond.registry import register_serializable


@register_serializable()
class SpatialDropout2D(Layer):
    """Drops whole channels with probability ``rate`` while training (scaled by 1/(1 − rate)).

    >>> import profond as pf
    >>> layer = pf.layers.SpatialDropout2D(0.5)
    >>> layer(pf.ones((1, 2, 2, 3))).shape  # not training: unchanged
    (1, 2, 2, 3)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.data_format = normalize_data_format(data_format)
        self.seed = seed
        self._rng = numpy.random.default_rng(seed) if seed is not None else None
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            noise_shape = (n, inputs.shape[1], 1, 1)
        else:
            noise_shape = (n, 1, 1, inputs.shape[3])
        seed = None if self._rng is None else int(self._rng.integers(2**31))
        return ops.dropout(inputs, self.rate, training=True, noise_shape=noise_shape, seed=seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "data_format": self.data_format, "seed": self.seed})
        return config


def _check_rate(rate, layer, upper_open=True):
    ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and (
        0 <= rate < 1 if upper_open else 0 <= rate <= 1)
    if not ok:
        raise ValueError(f"Invalid value received for argument `rate` of {layer}. Expected a "
                         f"float value in [0, 1{')' if upper_open else ']'}. Received: rate={rate}")
    return float(rate)


class _NoiseLayer(Layer):
    """Shared pieces: a seeded generator (reproducible, yet new noise at every call) and noise
    arrays on the input's device, in its dtype."""

    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = numpy.random.default_rng(seed) if seed is not None else None

    def _generator(self):
        return self._rng if self._rng is not None else _random.generator()

    def _constant(self, array, like):
        xp = backend.array_module(like.data)
        return Tensor._wrap(xp.asarray(array.astype(like.dtype, copy=False)))

    def _normal(self, like, mean=0.0, stddev=1.0):
        noise = self._generator().standard_normal(tuple(like.shape)) * stddev + mean
        return self._constant(noise, like)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_serializable()
class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise while training: y = x + σ ε, ε ~ N(0, 1).

    A cheap data augmentation for real-valued inputs; the identity at inference.

    >>> import profond as pf
    >>> pf.layers.GaussianNoise(0.1)(pf.ones((1, 3))).numpy()  # not training: unchanged
    array([[1., 1., 1.]], dtype=float32)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if (not isinstance(stddev, (int, float)) or isinstance(stddev, bool)
                or not stddev >= 0):
            raise ValueError("Invalid value received for argument `stddev` of GaussianNoise. "
                             f"Expected a non-negative float. Received: stddev={stddev}")
        self.stddev = float(stddev)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + self._normal(inputs, stddev=self.stddev)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


@register_serializable()
class GaussianDropout(_NoiseLayer):
    """Multiplicative Gaussian noise while training: y = x ⊙ m, m ~ N(1, rate / (1 − rate)).

    The noise has mean 1 and the variance of inverted dropout's mask at the same ``rate``
    (Srivastava et al. 2014, §10); the identity at inference.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate, "GaussianDropout")

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * self._normal(inputs, mean=1.0, stddev=stddev)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


# SELU's constants (Klambauer et al. 2017): selu(x) = λ x for x > 0, λ α (eˣ − 1) otherwise.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@register_serializable()
class AlphaDropout(_NoiseLayer):
    """Dropout for self-normalizing (SELU) networks: it keeps the activations' mean and
    variance instead of zeroing them.

    A dropped unit is set to α' = −λα, SELU's negative saturation value, then an affine map
    restores mean 0 and variance 1 for standard-normal inputs (q = 1 − rate, p = rate):

        a = (q (1 + p α'²))^(−½),   b = −a α' p,   y = a (x ⊙ keep + α' (1 − keep)) + b

    ``noise_shape`` shares the keep mask along axes of size 1 (None = the input's size).
    The identity at inference.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate, "AlphaDropout")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else tuple(
            inputs.shape[i] if n is None else n for i, n in enumerate(self.noise_shape))
        keep = self._generator().random(shape) >= self.rate
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        kept = self._constant(keep * a, inputs)
        shift = self._constant((1 - keep) * (a * alpha_p) + b, inputs)
        return inputs * kept + shift

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None
                       else list(self.noise_shape)})
        return config


@register_serializable()
class ActivityRegularization(Layer):
    """The identity, plus a penalty on its output added to ``losses`` at every call:

        Ω(y) = (l1 Σ|y| + l2 Σ y²) / batch_size

    (as Keras, divided by the batch size so the term does not grow with the batch). ``fit`` adds
    it to the cost J(W), pushing the previous layer towards small (l2) or sparse (l1) activations.

    >>> import profond as pf
    >>> layer = pf.layers.ActivityRegularization(l1=0.5)
    >>> _ = layer(pf.constant([[1.0, -2.0], [0.0, 1.0]]))
    >>> float(layer.losses[0])
    1.0
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"ActivityRegularization: expected a non-negative float for "
                                 f"`{name}`. Received: {name}={value}")
        self.l1 = float(l1)
        self.l2 = float(l2)

    def call(self, inputs):
        penalty = ops.reduce_sum(inputs) * 0.0
        if self.l1:
            penalty = penalty + self.l1 * ops.reduce_sum(ops.abs(inputs))
        if self.l2:
            penalty = penalty + self.l2 * ops.reduce_sum(ops.square(inputs))
        batch = inputs.shape[0] if inputs.ndim else 1
        self.add_loss(penalty / float(max(batch, 1)))
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
