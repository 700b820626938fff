"""Random numbers for the whole framework, from one seeded generator (``profond.set_seed``)."""

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor

_rng = numpy.random.default_rng()


def set_seed(seed):
    """Make every random draw of profond (initializers, dropout, shuffling) reproducible."""
    global _rng
    _rng = numpy.random.default_rng(seed)


def generator():
    """The framework's NumPy ``Generator`` (draws happen on the host, then move to the backend)."""
    return _rng


def get_state():
    """The generator's state as a JSON-able dict (saved in checkpoints)."""
    return _rng.bit_generator.state


def set_state(state):
    _rng.bit_generator.state = state


def _out(arr, dtype):
    dtype = numpy.dtype(dtype or backend.floatx())
    xp = backend.default_module()
    arr = arr.astype(dtype, copy=False)
    return Tensor._wrap(xp.asarray(arr) if xp is not numpy else arr)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of 𝒩(mean, stddev²)."""
    g = numpy.random.default_rng(seed) if seed is not None else _rng
    return _out(g.normal(mean, stddev, size=tuple(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of 𝒰[minval, maxval)."""
    g = numpy.random.default_rng(seed) if seed is not None else _rng
    return _out(g.uniform(minval, maxval, size=tuple(shape)), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """𝒩(mean, stddev²) redrawn until within two standard deviations (as TF)."""
    g = numpy.random.default_rng(seed) if seed is not None else _rng
    z = g.standard_normal(size=tuple(shape))
    bad = numpy.abs(z) > 2
    while bad.any():
        z[bad] = g.standard_normal(size=int(bad.sum()))
        bad = numpy.abs(z) > 2
    return _out(mean + stddev * z, dtype)


def shuffle(x, seed=None):
    """A copy of ``x`` with its first axis permuted."""
    g = numpy.random.default_rng(seed) if seed is not None else _rng
    data = x.data if isinstance(x, Tensor) else numpy.asarray(x)
    return Tensor._wrap(data[g.permutation(len(data))])
