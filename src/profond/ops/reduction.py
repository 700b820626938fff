"""Reductions: sum, mean, max, min, log-sum-exp, variance over axes (``keepdims`` as TF)."""

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
    """log Σ exp(x), computed as m + log Σ exp(x − m) with m = max x.

    NOTE: subtracting the max keeps exp() from overflowing; m carries no gradient of its own
    (the result does not depend on it), so it is taken outside the graph.
    """
    from profond.ops.elementwise import exp, log

    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    m = x.data.max(axis=axes, keepdims=True)
    m = array_module(m).where(array_module(m).isfinite(m), m, 0)
    out = log(reduce_sum(exp(x - m), axes, keepdims=True)) + m
    if keepdims:
        return out
    return reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


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
