"""Small helpers shared by the op families: argument conversion and un-broadcasting."""

import numbers

from profond.autodiff.tensor import Tensor
from profond.backend import array_module


def as_tensor(x, like=None):
    """``x`` as a Tensor. A Python scalar takes ``like``'s dtype when it fits (never upcasts)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, numbers.Number) and not isinstance(x, complex):
        dt = like.data.dtype
        if dt.kind == "f" or (dt.kind in "iu" and isinstance(x, numbers.Integral)):
            return Tensor._wrap(array_module(like.data).asarray(x, dtype=dt))
    return Tensor(x)


def as_pair(a, b):
    """Two operands as tensors; a Python scalar takes its partner's dtype."""
    if isinstance(a, Tensor):
        return a, (b if isinstance(b, Tensor) else as_tensor(b, a))
    if isinstance(b, Tensor):
        return as_tensor(a, b), b
    return as_tensor(a), as_tensor(b)


def normalize_axis(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))
