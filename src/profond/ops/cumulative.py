"""Running sums and products (``cumsum``, ``cumprod`` with TF's ``exclusive`` and ``reverse``),
the product reduction, and the boolean reductions ``reduce_any`` / ``reduce_all``.

Two primitives do the work, both inclusive and running forward along one axis; the exclusive and
reverse variants are built from them with ``flip`` and a shift, which are differentiable too.
"""

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.elementwise import exp, log, where
from profond.ops.indexing import getitem
from profond.ops.reduction import reduce_max
from profond.ops.shape import concat, ones_like, reshape, transpose, zeros_like


def _flip(x, axis):
    return getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


class CumSum(Function):
    """yᵢ = Σ_{j≤i} xⱼ along ``axis``;  ∂L/∂xⱼ = Σ_{i≥j} ∂L/∂yᵢ, a running sum from the end."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        return _flip(CumSum(self.axis)(_flip(gy, self.axis)), self.axis)


class CumProd(Function):
    """yᵢ = Π_{j≤i} xⱼ along ``axis``;  ∂L/∂xⱼ = Σ_{i≥j} ∂L/∂yᵢ · Π_{k≤i, k≠j} xₖ.

    Where xⱼ ≠ 0 that is (Σ_{i≥j} ∂L/∂yᵢ yᵢ) / xⱼ. At the first zero z of a row the division is
    not possible: there the sum is taken with x_z replaced by 1 (its own factor left out); after
    it every product contains x_z = 0, so those terms vanish and the division formula gives 0.
    NOTE: second derivatives are exact where x has no zeros (the zero branches are constants).
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return array_module(x).cumprod(x, axis=self.axis)

    def backward(self, gy):
        x, ax = self.inputs[0], self.axis
        y = self.output()
        d = x.data
        xp = array_module(d)
        zero = d == 0

        def rev_cumsum(t):
            return _flip(CumSum(ax)(_flip(t, ax)), ax)

        safe = where(zero, 1, x)
        gx = where(zero, 0, rev_cumsum(gy * y) / safe)
        if zero.any():
            first = zero & (xp.cumsum(zero, axis=ax) == 1)
            without = CumProd(ax)(where(first, 1, x))
            gx = gx + where(first, rev_cumsum(gy * without), 0)
        return gx


def _shift(y, x, axis, fill):
    """``y`` moved one step along ``axis``: [fill, y₀, …, y_{n−2}] (for an exclusive scan)."""
    n = x.shape[axis]
    head = getitem(fill, (slice(None),) * axis + (slice(0, 1),))
    body = getitem(y, (slice(None),) * axis + (slice(0, n - 1),))
    return concat([head, body], axis)


def _scan(cls, fill, x, axis, exclusive, reverse):
    x = as_tensor(x)
    if x.ndim == 0:
        name = cls.__name__.lower()
        raise ValueError(f"{name} expects a tensor of rank >= 1. Received: shape=()")
    axis = normalize_axis(axis, x.ndim)[0]
    if reverse:
        x = _flip(x, axis)
    y = cls(axis)(x)
    if exclusive:
        y = _shift(y, x, axis, fill(x))
    return _flip(y, axis) if reverse else y


def cumsum(x, axis=0, exclusive=False, reverse=False):
    """Running sum along ``axis``, as ``tf.math.cumsum``: with ``exclusive`` each entry leaves
    itself out (starts at 0), with ``reverse`` the sum runs from the end.

    >>> import profond as pf
    >>> pf.cumsum(pf.constant([1.0, 2.0, 3.0]), exclusive=True, reverse=True).numpy()
    array([5., 3., 0.], dtype=float32)
    """
    return _scan(CumSum, zeros_like, x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False):
    """Running product along ``axis``, as ``tf.math.cumprod`` (``exclusive`` starts at 1).
    The gradient is exact with zeros in ``x`` too."""
    return _scan(CumProd, ones_like, x, axis, exclusive, reverse)


def _to_last(x, axes):
    """``x`` with ``axes`` moved to the end and merged into one axis."""
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = transpose(x, keep + list(axes))
    return reshape(moved, tuple(x.shape[i] for i in keep) + (-1,))


def reduce_prod(x, axis=None, keepdims=False):
    """Π over ``axis`` (all axes when None); the gradient is exact with zeros (via ``cumprod``)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    if not axes:
        return x
    flat = _to_last(x, axes)
    if flat.shape[-1] == 0:
        y = Tensor._wrap(array_module(x.data).ones(flat.shape[:-1], x.dtype))  # empty product
    else:
        y = getitem(CumProd(flat.ndim - 1)(flat), (Ellipsis, -1))
    if keepdims:
        y = reshape(y, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return y


def _bool_reduce(name, x, axis, keepdims):
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    f = getattr(array_module(x.data), name)
    return Tensor._wrap(f(x.data.astype(bool, copy=False), axis=axes, keepdims=keepdims))


def reduce_any(x, axis=None, keepdims=False):
    """Logical or over ``axis`` (nonzero counts as true)."""
    return _bool_reduce("any", x, axis, keepdims)


def reduce_all(x, axis=None, keepdims=False):
    """Logical and over ``axis`` (nonzero counts as true)."""
    return _bool_reduce("all", x, axis, keepdims)


def count_nonzero(x, axis=None, keepdims=False, dtype="int64"):
    """How many entries are nonzero over ``axis`` (int64, as ``tf.math.count_nonzero``)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    return Tensor._wrap((x.data != 0).sum(axis=axes, keepdims=keepdims).astype(dtype))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False):
    """yᵢ = log Σ_{j≤i} e^{xⱼ} along ``axis`` (``exclusive`` / ``reverse`` as ``cumsum``).

    NOTE: computed as m + log cumsum(e^{x − m}) with m the maximum along the axis, so nothing
    overflows; an entry far below m early in the scan may underflow to −∞ (as in a plain sum).
    """
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    m = Tensor._wrap(reduce_max(x, axis, keepdims=True).data)  # a constant shift
    with numpy.errstate(divide="ignore"):
        return log(cumsum(exp(x - m), axis, exclusive, reverse)) + m
