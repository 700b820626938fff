"""Helpers with no gradient: constructors, comparisons, ``argmax``, ``one_hot``.

Each returns a plain Tensor (no graph): an integer index, a boolean or a freshly made array has
no useful derivative.
"""

import numpy

from profond import _validation as check
from profond import backend
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_pair, as_tensor, normalize_axis


def _dims(shape):
    shape = shape.data.tolist() if isinstance(shape, Tensor) else shape
    return (int(shape),) if numpy.ndim(shape) == 0 else tuple(int(n) for n in shape)


def _new(array):
    return Tensor._wrap(array)


def zeros(shape, dtype=None):
    """A tensor of zeros (float32 unless ``dtype`` says otherwise), as ``tf.zeros``."""
    return _new(backend.default_module().zeros(_dims(shape), dtype or backend.floatx()))


def ones(shape, dtype=None):
    """A tensor of ones (float32 unless ``dtype`` says otherwise), as ``tf.ones``."""
    return _new(backend.default_module().ones(_dims(shape), dtype or backend.floatx()))


def fill(dims, value, dtype=None):
    """A tensor of shape ``dims`` filled with ``value`` (dtype from ``value``: float32, int32)."""
    if dtype is None:
        if isinstance(value, bool):
            dtype = numpy.bool_
        elif isinstance(value, int):
            dtype = numpy.int32
        elif isinstance(value, float):
            dtype = backend.floatx()
        else:
            dtype = as_tensor(value).dtype
    value = value.data if isinstance(value, Tensor) else value
    return _new(backend.default_module().full(_dims(dims), value, dtype=dtype))


def arange(start, limit=None, delta=1, dtype=None):
    """[start, start + delta, …) up to ``limit`` excluded, as ``tf.range``; ``arange(n)`` is
    0…n−1. Integers give int32, floats give float32 (unless ``dtype``)."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, limit, delta))
        dtype = backend.floatx() if is_float else numpy.int32
    return _new(backend.default_module().arange(start, limit, delta, dtype=dtype))


range = arange  # noqa: A001 - the TF name


def linspace(start, stop, num):
    """``num`` evenly spaced values from ``start`` to ``stop`` included (float32)."""
    return _new(backend.default_module().linspace(start, stop, int(num), dtype=backend.floatx()))


def shape(x):
    """The shape of ``x`` as an int32 tensor, as ``tf.shape`` (``x.shape`` gives a tuple)."""
    x = as_tensor(x)
    return _new(array_module(x.data).asarray(x.shape, dtype=numpy.int32))


def equal(x, y):
    """x == y elementwise (broadcasting), a boolean tensor."""
    x, y = as_pair(x, y)
    return _new(x.data == y.data)


def not_equal(x, y):
    """x != y elementwise (broadcasting), a boolean tensor."""
    x, y = as_pair(x, y)
    return _new(x.data != y.data)


def _arg(x, axis, output_type, find):
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("argmax / argmin expect a tensor of rank >= 1. Received: shape=()")
    axis = normalize_axis(0 if axis is None else axis, x.ndim)[0]
    return _new(find(x.data, axis=axis).astype(output_type))


def argmax(x, axis=None, output_type=numpy.int64):
    """Index of the largest value along ``axis`` (the first one on a tie), as ``tf.argmax``:
    ``axis=None`` means axis 0.

    >>> import profond as pf
    >>> pf.argmax(pf.constant([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]]), axis=1).numpy()
    array([1, 0])
    """
    return _arg(x, axis, output_type, lambda a, axis: a.argmax(axis=axis))


def argmin(x, axis=None, output_type=numpy.int64):
    """Index of the smallest value along ``axis`` (the first one on a tie); ``axis=None`` is 0."""
    return _arg(x, axis, output_type, lambda a, axis: a.argmin(axis=axis))


def one_hot(indices, depth, on_value=1, off_value=0, axis=-1, dtype=None):
    """``on_value`` at each index along a new axis of size ``depth``, ``off_value`` elsewhere, as
    ``tf.one_hot``. An index outside [0, depth) (−1, say) gives a row of ``off_value``.

    >>> import profond as pf
    >>> pf.one_hot([0, 2, -1], depth=3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)

    A NumPy float array of labels (``y_train.astype("float32")``, as in the Keras guides) is
    truncated to integers the way TF converts it; float tensors and lists are refused, as in TF.
    """
    if isinstance(indices, numpy.ndarray) and indices.dtype.kind == "f":
        indices = indices.astype(numpy.int64)  # NOTE: truncation toward zero, like TF's cast
    idx = indices.data if isinstance(indices, Tensor) else numpy.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot expects integer indices. Received: dtype={idx.dtype}")
    depth = check.non_negative_int("depth", depth, "one_hot")
    axis = check.integer("axis", axis, "one_hot", -1)
    if axis > idx.ndim:
        raise check.fail("axis", axis, f"-1 or an integer in [0, {idx.ndim}] (the new axis of a "
                         f"rank-{idx.ndim} input)", "one_hot")
    xp = array_module(idx)
    dtype = dtype or backend.floatx()
    hot = idx[..., None] == xp.arange(depth)  # out-of-range indices match nothing
    out = xp.where(hot, xp.asarray(on_value, dtype), xp.asarray(off_value, dtype))
    axis = axis % (idx.ndim + 1)
    return _new(xp.moveaxis(out, -1, axis))

