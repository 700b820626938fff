"""Weight initializers: the starting values of a layer's weights, by name as in Keras.

An initializer is called with a shape and returns an array (NumPy, or CuPy on a GPU) of dtype
``floatx()`` (float32) unless told otherwise. Random ones draw from ``profond.random.generator()``,
so ``profond.set_seed(s)`` makes every model reproducible; an initializer given its own ``seed``
returns the same values at every call, as in Keras 3.

The variance-scaling family keeps the variance of activations roughly constant from layer to layer:
Var(W) = scale / n with n = fan_in, fan_out or their mean. For a kernel of shape
(k₁, …, c_in, c_out) the fans are fan_in = k₁⋯kₘ · c_in and fan_out = k₁⋯kₘ · c_out.

>>> import profond as pf
>>> from profond import initializers
>>> initializers.get("zeros")((2, 3))
array([[0., 0., 0.],
       [0., 0., 0.]], dtype=float32)
>>> initializers.compute_fans((3, 3, 16, 32))
(144, 288)
"""

import math

import numpy

from profond import backend
from profond import random as _random
from profond.registry import register_serializable
from profond.registry import serialize as _serialize_object

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans",
    "deserialize", "get", "serialize",
]


def _register(cls):
    # NOTE: registered as "initializers.<Class>" so that names such as Identity or Constant can
    # never collide with a layer of the same name in the saving registry.
    return register_serializable(name=f"initializers.{cls.__name__}")(cls)


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of ``shape``, as Keras computes them.

    Dense kernel (n_in, n_out) → (n_in, n_out); a convolution kernel (k₁, …, kₘ, c_in, c_out)
    → (receptive field · c_in, receptive field · c_out) with receptive field = k₁⋯kₘ.

    >>> compute_fans((784, 10))
    (784, 10)
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _float_dtype(dtype, who):
    dtype = numpy.dtype(dtype or backend.floatx())
    if dtype.kind != "f":
        raise ValueError(f"{who} only makes float values. Received: dtype={dtype}")
    return dtype


def _to_backend(array, dtype):
    """A host NumPy array as an array of the current backend, of ``dtype``."""
    array = numpy.asarray(array).astype(dtype, copy=False)
    xp = backend.default_module()
    return array if xp is numpy else xp.asarray(array)


def _finite(value, name, who, non_negative=False):
    """``value`` as a float, refused (``ValueError``) when it is NaN, infinite, not a number or,
    with ``non_negative``, below 0: such an initializer would fill a layer with NaN or ±inf."""
    kind = "a finite number >= 0" if non_negative else "a finite number"
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.number)):
        raise ValueError(f"{who}: expected `{name}` to be {kind}. Received: {name}={value!r}")
    value = float(value)
    if not math.isfinite(value) or (non_negative and value < 0):
        raise ValueError(f"{who}: expected `{name}` to be {kind}. Received: {name}={value!r}")
    return value


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns an array; ``get_config`` gives the
    constructor's arguments, ``from_config`` rebuilds the initializer from them."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _RandomInitializer(Initializer):
    """An initializer that draws random numbers: from its own ``seed`` (the same values at
    every call) or, by default, from the framework's generator (``profond.set_seed``)."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, numpy.integer)):
            raise ValueError(f"Expected an integer seed or None. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        if self.seed is None:
            return _random.generator()
        return numpy.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(g, shape, mean, stddev):
    """𝒩(mean, stddev²) redrawn until within two standard deviations (as Keras / TF)."""
    z = g.standard_normal(size=shape)
    bad = numpy.abs(z) > 2
    while bad.any():
        z[bad] = g.standard_normal(size=int(bad.sum()))
        bad = numpy.abs(z) > 2
    return mean + stddev * z


@_register
class Zeros(Initializer):
    """All zeros (the default for biases)."""

    def __call__(self, shape, dtype=None):
        dtype = numpy.dtype(dtype or backend.floatx())
        return backend.default_module().zeros(_shape(shape), dtype=dtype)


@_register
class Ones(Initializer):
    """All ones (the default for BatchNormalization's γ)."""

    def __call__(self, shape, dtype=None):
        dtype = numpy.dtype(dtype or backend.floatx())
        return backend.default_module().ones(_shape(shape), dtype=dtype)


@_register
class Constant(Initializer):
    """Every value equal to ``value``.

    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = _finite(value, "value", "Constant")

    def __call__(self, shape, dtype=None):
        dtype = numpy.dtype(dtype or backend.floatx())
        return backend.default_module().full(_shape(shape), self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


@_register
class RandomNormal(_RandomInitializer):
    """W ~ 𝒩(mean, stddev²)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = _finite(mean, "mean", "RandomNormal")
        self.stddev = _finite(stddev, "stddev", "RandomNormal", non_negative=True)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "RandomNormal")
        return _to_backend(self._generator().normal(self.mean, self.stddev, _shape(shape)), dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@_register
class RandomUniform(_RandomInitializer):
    """W ~ 𝒰[minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = _finite(minval, "minval", "RandomUniform")
        self.maxval = _finite(maxval, "maxval", "RandomUniform")

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "RandomUniform")
        values = self._generator().uniform(self.minval, self.maxval, _shape(shape))
        return _to_backend(values, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@_register
class TruncatedNormal(_RandomInitializer):
    """W ~ 𝒩(mean, stddev²) with values beyond two standard deviations redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = _finite(mean, "mean", "TruncatedNormal")
        self.stddev = _finite(stddev, "stddev", "TruncatedNormal", non_negative=True)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "TruncatedNormal")
        values = _truncated_normal(self._generator(), _shape(shape), self.mean, self.stddev)
        return _to_backend(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@_register
class VarianceScaling(_RandomInitializer):
    """Random weights with Var(W) = scale / n, n = fan_in, fan_out or (fan_in + fan_out)/2.

    - ``"uniform"``: W ~ 𝒰[−limit, limit] with limit = √(3 · scale / n);
    - ``"untruncated_normal"``: W ~ 𝒩(0, scale / n);
    - ``"truncated_normal"``: 𝒩 cut at two standard deviations, its σ divided by 0.8796 (the
      standard deviation of a standard normal truncated to [−2, 2]) so the variance stays scale/n.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if _finite(scale, "scale", type(self).__name__) <= 0:
            raise ValueError(f"Expected a positive scale. Received: scale={scale!r}")
        if mode not in _MODES:
            raise ValueError(f"Expected mode in {_MODES}. Received: mode={mode!r}")
        if distribution == "normal":  # the Keras 2 name of the truncated one
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Expected distribution in {_DISTRIBUTIONS}. "
                             f"Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        g = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = g.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            values = g.normal(0.0, math.sqrt(variance), shape)
        else:
            values = _truncated_normal(g, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)
        return _to_backend(values, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed (scale, mode, distribution); its config is only the seed."""

    _args = (1.0, "fan_in", "uniform")

    def __init__(self, seed=None):
        super().__init__(*self._args, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@_register
class GlorotUniform(_NamedVarianceScaling):
    """Xavier / Glorot uniform: W ~ 𝒰[−l, l] with l = √(6 / (fan_in + fan_out)) (Keras's default
    kernel initializer)."""

    _args = (1.0, "fan_avg", "uniform")


@_register
class GlorotNormal(_NamedVarianceScaling):
    """Xavier / Glorot normal: truncated 𝒩 with Var(W) = 2 / (fan_in + fan_out)."""

    _args = (1.0, "fan_avg", "truncated_normal")


@_register
class HeUniform(_NamedVarianceScaling):
    """He uniform (for ReLU): W ~ 𝒰[−l, l] with l = √(6 / fan_in)."""

    _args = (2.0, "fan_in", "uniform")


@_register
class HeNormal(_NamedVarianceScaling):
    """He normal (for ReLU): truncated 𝒩 with Var(W) = 2 / fan_in."""

    _args = (2.0, "fan_in", "truncated_normal")


@_register
class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform (for SELU): W ~ 𝒰[−l, l] with l = √(3 / fan_in)."""

    _args = (1.0, "fan_in", "uniform")


@_register
class LecunNormal(_NamedVarianceScaling):
    """LeCun normal (for SELU): truncated 𝒩 with Var(W) = 1 / fan_in."""

    _args = (1.0, "fan_in", "truncated_normal")


@_register
class Orthogonal(_RandomInitializer):
    """A random orthogonal matrix (times ``gain``), from the QR decomposition of a Gaussian one;
    a kernel of more than two dimensions is flattened to (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = _finite(gain, "gain", "Orthogonal")

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "Orthogonal")
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal expects a shape of rank >= 2. Received: shape={shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._generator().normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = numpy.linalg.qr(a)
        q *= numpy.sign(numpy.diag(r))  # makes the distribution uniform over orthogonal matrices
        if rows < cols:
            q = q.T
        return _to_backend(self.gain * q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@_register
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only).

    >>> Identity()((2, 2))
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = _finite(gain, "gain", "Identity")

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "Identity")
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity expects a 2-D shape. Received: shape={shape}")
        return self.gain * backend.default_module().eye(*shape, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


# --- get / serialize -----------------------------------------------------------------------------

_CLASSES = {cls.__name__: cls for cls in (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
    Identity)}

_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "orthogonal": Orthogonal, "identity": Identity,
}


def _lookup(name):
    if name in _ALIASES:
        return _ALIASES[name]
    name = name.removeprefix("initializers.")
    if name in _CLASSES:
        return _CLASSES[name]
    raise ValueError(
        f"Unknown initializer: {name!r}. Expected one of: {', '.join(sorted(_ALIASES))} "
        "(or a class name such as 'GlorotUniform')."
    )


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` of an initializer."""
    return _serialize_object(initializer)


def deserialize(config, custom_objects=None):
    """An initializer from ``serialize``'s dict (or a Keras-style one naming the class)."""
    from profond.registry import deserialize_with

    return deserialize_with(config, _lookup, get, custom_objects,
                            kind=(Initializer, "an initializer"))



def get(identifier):
    """An initializer from a name (``"glorot_uniform"``, ``"GlorotUniform"``), a ``serialize``
    dict, a class, or an initializer / callable (returned as is). ``None`` gives ``None``.

    >>> get("he_normal")
    HeNormal(seed=None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
