"""Shape ops: reshape, transpose, broadcasting and its inverse, joining, padding, indexing.

They move values around without changing them, so each backward moves the gradient back.
"""

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis


class SumTo(Function):
    """Sum a broadcast gradient back to ``shape`` (the inverse of ``broadcast_to``)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead or y.shape != self.shape else y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    def __init__(self, perm):
        self.perm = perm

    def forward(self, x):
        return x.transpose(self.perm)

    def backward(self, gy):
        inv = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            inv[p] = i
        return transpose(gy, inv)


def sum_to(x, shape):
    """Sum ``x`` over the axes along which ``shape`` was broadcast to give ``x.shape``."""
    x = as_tensor(x)
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo(shape)(x)


def broadcast_to(x, shape):
    """Repeat ``x`` along size-1 and new leading axes to reach ``shape`` (a read-only view)."""
    x = as_tensor(x)
    if tuple(x.shape) == tuple(shape):
        return x
    return BroadcastTo(shape)(x)


def reshape(x, shape):
    """Same values, new shape (one dimension may be -1)."""
    x = as_tensor(x)
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return Reshape(shape)(x)


def transpose(x, perm=None):
    """Permute the axes (reverse them when ``perm`` is None), as ``tf.transpose``."""
    x = as_tensor(x)
    perm = tuple(range(x.ndim))[::-1] if perm is None else tuple(int(p) % x.ndim for p in perm)
    return Transpose(perm)(x)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    x = as_tensor(x)
    axis = int(axis) % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim) if axis is not None else None
    if axes is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, expected 1")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, shape)


def zeros_like(x, dtype=None):
    """A tensor of zeros with ``x``'s shape (and dtype)."""
    d = x.data if isinstance(x, Tensor) else x
    return Tensor._wrap(array_module(d).zeros(d.shape, dtype or d.dtype))


def ones_like(x, dtype=None):
    """A tensor of ones with ``x``'s shape (and dtype)."""
    d = x.data if isinstance(x, Tensor) else x
    return Tensor._wrap(array_module(d).ones(d.shape, dtype or d.dtype))
