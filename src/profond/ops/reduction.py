"""Reductions: sum, mean, max, min, log-sum-exp, variance over axes (``keepdims`` as TF)."""

import numpy

from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.shape import broadcast_to, reshape


def _keep_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (to broadcast a gradient back)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ x over ``axes``;  ∂y/∂x = 1, so the gradient is broadcast back."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        if not self.keepdims:
            gy = reshape(gy, _keep_shape(x.shape, self.axes))
        return broadcast_to(gy, x.shape)


class Max(Function):
    """y = max x over ``axes``; the gradient goes to one maximal element (the first), as
    PyTorch's ``max(dim)`` does: ties are common after ReLU, and splitting them is not a
    derivative either."""

    def __init__(self, axes, keepdims, mode="max"):
        self.axes, self.keepdims, self.mode = axes, keepdims, mode

    def forward(self, x):
        xp = array_module(x)
        f = xp.max if self.mode == "max" else xp.min
        return f(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        xp = array_module(x.data)
        # Move the reduced axes to the end and flatten them, take the argmax there.
        keep = [i for i in range(x.ndim) if i not in self.axes]
        moved = x.data.transpose(keep + list(self.axes))
        flat = moved.reshape(moved.shape[: len(keep)] + (-1,))
        arg = flat.argmax(-1) if self.mode == "max" else flat.argmin(-1)
        mask = xp.zeros(flat.shape, dtype=gy.dtype)
        xp.put_along_axis(mask, arg[..., None], 1, axis=-1)
        mask = mask.reshape(moved.shape)
        inv = [0] * x.ndim
        for i, p in enumerate(keep + list(self.axes)):
            inv[p] = i
        mask = mask.transpose(inv)
        if not self.keepdims:
            gy = reshape(gy, _keep_shape(x.shape, self.axes))
        return broadcast_to(gy, x.shape) * mask


class LogSumExp(Function):
    """y = log Σ exp(x) over ``axes``;  ∂y/∂x = exp(x − y), the softmax of x.

    NOTE: computed as m + log Σ exp(x − m) with m = max x, so exp() never overflows. A slice
    that is all −∞ (fully masked) gives y = −∞ and a zero gradient (PyTorch gives NaN).
    """

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = array_module(x)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        with numpy.errstate(divide="ignore"):  # log 0 = −∞ is the right answer there
            y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        return y if self.keepdims else y.squeeze(self.axes)

    def backward(self, gy):
        from profond.ops.elementwise import exp, where

        x = self.inputs[0]
        y = self.output()
        if not self.keepdims:
            shape = _keep_shape(x.shape, self.axes)
            gy, y = reshape(gy, shape), reshape(y, shape)
        y = where(y.data == -float("inf"), 0, y)  # exp(x − 0) = 0 in an all −∞ slice
        return gy * exp(x - y)


def reduce_sum(x, axis=None, keepdims=False):
    """Σ over ``axis`` (all axes when None)."""
    x = as_tensor(x)
    return Sum(normalize_axis(axis, x.ndim), keepdims)(x)


def reduce_mean(x, axis=None, keepdims=False):
    """Mean over ``axis``: (1/n) Σ x."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    n = 1
    for a in axes:
        n *= x.shape[a]
    return Sum(axes, keepdims)(x) * (1.0 / n if n else float("nan"))


def reduce_max(x, axis=None, keepdims=False):
    """Max over ``axis``; gradient to one maximal element."""
    x = as_tensor(x)
    return Max(normalize_axis(axis, x.ndim), keepdims, "max")(x)


def reduce_min(x, axis=None, keepdims=False):
    """Min over ``axis``; gradient to one minimal element."""
    x = as_tensor(x)
    return Max(normalize_axis(axis, x.ndim), keepdims, "min")(x)


def reduce_logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``;  ∂y/∂x = exp(x − y) = softmax(x)."""
    x = as_tensor(x)
    return LogSumExp(normalize_axis(axis, x.ndim), keepdims)(x)


def reduce_variance(x, axis=None, keepdims=False):
    """Population variance (1/n) Σ (x − mean)²."""
    x = as_tensor(x)
    mu = reduce_mean(x, axis, keepdims=True)
    d = x - mu
    return reduce_mean(d * d, axis, keepdims)


def reduce_std(x, axis=None, keepdims=False):
    """Population standard deviation √var."""
    from profond.ops.elementwise import sqrt

    return sqrt(reduce_variance(x, axis, keepdims))


logsumexp = reduce_logsumexp
var = reduce_variance
