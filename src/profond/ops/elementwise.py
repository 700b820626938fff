"""Elementwise arithmetic and math: forward on arrays, backward with profond ops.

Binary ops broadcast like NumPy; their backward sums the gradient back to each input's shape
(``sum_to``): if x was broadcast along an axis, every copy contributed, so ∂L/∂x adds them up.
"""

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_pair, as_tensor
from profond.ops.shape import sum_to


def _unbroadcast(g, x):
    return g if g.shape == x.shape else sum_to(g, x.shape)


def _per_example_sum(g, x):
    from profond.autodiff.per_example import sum_to_example

    return sum_to_example(g, x.shape)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return _unbroadcast(gy, a), _unbroadcast(gy, b)

    def per_example(self, gy, i):
        """Example n's gradient of a weight added to the batch (a bias): ∂Lₙ/∂y, summed over
        the axes the weight was broadcast along (see ``profond.autodiff.per_example``)."""
        return _per_example_sum(gy, self.inputs[i])


class Subtract(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        gb = _unbroadcast(-gy, b) if self.needs_input_grad[1] else None
        return _unbroadcast(gy, a), gb

    def per_example(self, gy, i):
        return _per_example_sum(gy if i == 0 else -gy, self.inputs[i])


class Multiply(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy * b, a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(gy * a, b) if self.needs_input_grad[1] else None
        return ga, gb

    def per_example(self, gy, i):
        """Example n's gradient of a weight scaling the batch (layer-norm γ): ∂Lₙ/∂y ⊙ x,
        summed over the axes the weight was broadcast along."""
        return _per_example_sum(gy * self.inputs[1 - i].data, self.inputs[i])


class Divide(Function):
    """y = a / b;  ∂y/∂a = 1/b,  ∂y/∂b = −a/b²."""

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy / b, a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(-gy * a / (b * b), b) if self.needs_input_grad[1] else None
        return ga, gb


class Negative(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Power(Function):
    """y = aᵇ;  ∂y/∂a = b·aᵇ⁻¹,  ∂y/∂b = aᵇ·ln a (a > 0)."""

    def forward(self, a, b):
        return array_module(a).power(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _unbroadcast(gy * b * a ** (b - 1), a)
        if self.needs_input_grad[1]:
            y = self.output()
            # NOTE: ln 0 = −∞ but y = 0 there (b > 0): the product is taken as 0, as PyTorch does.
            # For a < 0, ln a is undefined and the gradient is NaN, as in PyTorch.
            safe = where(a.data == 0, as_tensor(1, a), a)
            gb = _unbroadcast(gy * y * log(safe), b)
        return ga, gb


class Exp(Function):
    """y = eˣ;  ∂y/∂x = y."""

    def forward(self, x):
        return array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    """y = ln x;  ∂y/∂x = 1/x."""

    def forward(self, x):
        return array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Log1p(Function):
    """y = ln(1 + x), accurate for small x;  ∂y/∂x = 1/(1 + x)."""

    def forward(self, x):
        return array_module(x).log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1)


class Sqrt(Function):
    """y = √x;  ∂y/∂x = 1/(2y)."""

    def forward(self, x):
        return array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (self.output() * 2)


class Square(Function):
    """y = x²;  ∂y/∂x = 2x."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * 2


class Abs(Function):
    """y = |x|;  ∂y/∂x = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x):
        return array_module(x).abs(x)

    def backward(self, gy):
        return gy * sign(self.inputs[0])


class Sign(Function):
    """y = sign(x); its derivative is 0 almost everywhere."""

    def forward(self, x):
        return array_module(x).sign(x)

    def backward(self, gy):
        return gy * 0


class Sin(Function):
    """y = sin x;  ∂y/∂x = cos x."""

    def forward(self, x):
        return array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    """y = cos x;  ∂y/∂x = −sin x."""

    def forward(self, x):
        return array_module(x).cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Maximum(Function):
    """y = max(a, b) elementwise; on a tie the whole gradient goes to ``a``."""

    def forward(self, a, b):
        return array_module(a).maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        mask = cast(a.data >= b.data, gy.dtype)
        ga = _unbroadcast(gy * mask, a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(gy * (1 - mask), b) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Function):
    """y = min(a, b) elementwise; on a tie the whole gradient goes to ``a``."""

    def forward(self, a, b):
        return array_module(a).minimum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        mask = cast(a.data <= b.data, gy.dtype)
        ga = _unbroadcast(gy * mask, a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(gy * (1 - mask), b) if self.needs_input_grad[1] else None
        return ga, gb


class Where(Function):
    """y = a where cond else b (``cond`` is a boolean array, not differentiated)."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return array_module(a).where(self.cond, a, b)

    def backward(self, gy):
        a, b = self.inputs
        zero = gy * 0
        ga = _unbroadcast(where(self.cond, gy, zero), a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(where(self.cond, zero, gy), b) if self.needs_input_grad[1] else None
        return ga, gb


class Clip(Function):
    """y = min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return array_module(x).clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = (x >= self.lo) & (x <= self.hi)
        return gy * cast(inside, gy.dtype)


class Cast(Function):
    """Change the dtype; the gradient is cast back to the input's dtype."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype, copy=False)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)

    weight_view = True  # a cast weight (mixed precision): per-example gradients cast back

    def per_example_view(self, g):
        return g.astype(self.inputs[0].dtype, copy=False)


# --- the functions users call --------------------------------------------------------------------


def add(a, b):
    """a + b, broadcasting."""
    return Add()(*as_pair(a, b))


def subtract(a, b):
    """a − b, broadcasting."""
    return Subtract()(*as_pair(a, b))


def multiply(a, b):
    """a · b elementwise, broadcasting."""
    return Multiply()(*as_pair(a, b))


def divide(a, b):
    """a / b elementwise, broadcasting."""
    return Divide()(*as_pair(a, b))


def negative(x):
    """−x."""
    return Negative()(as_tensor(x))


def pow(a, b):  # noqa: A001 - the TF name
    """aᵇ elementwise; ``x ** 2`` goes through ``square`` (exact and fast)."""
    a, b = as_pair(a, b)
    return Power()(a, b)


def exp(x):
    """eˣ."""
    return Exp()(as_tensor(x))


def log(x):
    """Natural logarithm."""
    return Log()(as_tensor(x))


def log1p(x):
    """ln(1 + x), accurate near 0."""
    return Log1p()(as_tensor(x))


def sqrt(x):
    """√x."""
    return Sqrt()(as_tensor(x))


def square(x):
    """x²."""
    return Square()(as_tensor(x))


def abs(x):  # noqa: A001 - the TF name
    """|x|."""
    return Abs()(as_tensor(x))


def sign(x):
    """−1, 0 or 1."""
    return Sign()(as_tensor(x))


def sin(x):
    """Sine (radians)."""
    return Sin()(as_tensor(x))


def cos(x):
    """Cosine (radians)."""
    return Cos()(as_tensor(x))


def maximum(a, b):
    """Elementwise max; ties send the gradient to ``a``."""
    return Maximum()(*as_pair(a, b))


def minimum(a, b):
    """Elementwise min; ties send the gradient to ``a``."""
    return Minimum()(*as_pair(a, b))


def where(condition, x, y):
    """Pick ``x`` where ``condition`` is true, else ``y`` (broadcasting)."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    x, y = as_pair(x, y)
    xp = array_module(x.data, y.data)
    return Where(xp.asarray(cond, dtype=bool))(x, y)


def clip_by_value(x, clip_value_min, clip_value_max):
    """Clip values to [min, max] (bounds may be tensors that broadcast against ``x``); the
    gradient flows where min ≤ x ≤ max, bounds included (as TF and PyTorch)."""
    x = as_tensor(x)
    lo, hi = (as_tensor(v, x).data.astype(x.dtype, copy=False)
              for v in (clip_value_min, clip_value_max))
    try:
        fits = numpy.broadcast_shapes(x.shape, lo.shape, hi.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"clip_by_value: the bounds must broadcast to the shape of x {x.shape}. "
            f"Received shapes: {lo.shape} and {hi.shape}"
        )
    return Clip(lo, hi)(x)


def cast(x, dtype):
    """Convert to ``dtype`` (differentiable between float dtypes)."""
    x = as_tensor(x)
    if x.dtype == dtype:
        return x
    return Cast(dtype)(x)
