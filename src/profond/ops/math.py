"""More elementwise math: trigonometric and hyperbolic functions, rounding, modulo, log-add-exp,
and the predicates and logical ops (no gradient: their outputs are booleans or integers).

Each differentiable op writes its derivative in the docstring and its backward with profond ops,
so second derivatives work. The step functions (``floor``, ``ceil``, ``round``, ``trunc``) have a
zero derivative almost everywhere: their gradient is zero, as in TF and PyTorch.
"""

import math

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_pair, as_tensor
from profond.ops.elementwise import (
    _unbroadcast,
    divide,
    log,
    log1p,
    sin,
    sqrt,
    square,
    subtract,
    where,
)
from profond.ops.nn import sigmoid


class Tan(Function):
    """y = tan x;  ∂y/∂x = 1 + y²."""

    def forward(self, x):
        return array_module(x).tan(x)

    def backward(self, gy):
        y = self.output()
        return gy * (y * y + 1)


class Sinh(Function):
    """y = sinh x;  ∂y/∂x = cosh x."""

    def forward(self, x):
        return array_module(x).sinh(x)

    def backward(self, gy):
        return gy * cosh(self.inputs[0])


class Cosh(Function):
    """y = cosh x;  ∂y/∂x = sinh x."""

    def forward(self, x):
        return array_module(x).cosh(x)

    def backward(self, gy):
        return gy * sinh(self.inputs[0])


class Arcsin(Function):
    """y = arcsin x;  ∂y/∂x = 1/√(1 − x²)."""

    def forward(self, x):
        return array_module(x).arcsin(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(1 - x * x)


class Arccos(Function):
    """y = arccos x;  ∂y/∂x = −1/√(1 − x²)."""

    def forward(self, x):
        return array_module(x).arccos(x)

    def backward(self, gy):
        x = self.inputs[0]
        return -gy / sqrt(1 - x * x)


class Arctan(Function):
    """y = arctan x;  ∂y/∂x = 1/(1 + x²)."""

    def forward(self, x):
        return array_module(x).arctan(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (x * x + 1)


class Arcsinh(Function):
    """y = arsinh x;  ∂y/∂x = 1/√(x² + 1)."""

    def forward(self, x):
        return array_module(x).arcsinh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(x * x + 1)


class Arccosh(Function):
    """y = arcosh x (x ≥ 1);  ∂y/∂x = 1/√(x² − 1)."""

    def forward(self, x):
        return array_module(x).arccosh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(x * x - 1)


class Arctanh(Function):
    """y = artanh x (|x| < 1);  ∂y/∂x = 1/(1 − x²)."""

    def forward(self, x):
        return array_module(x).arctanh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (1 - x * x)


class Expm1(Function):
    """y = eˣ − 1, accurate near 0;  ∂y/∂x = eˣ = y + 1."""

    def forward(self, x):
        return array_module(x).expm1(x)

    def backward(self, gy):
        return gy * (self.output() + 1)


class Arctan2(Function):
    """θ = atan2(a, b), the angle of the point (b, a);  ∂θ/∂a = b/(a² + b²),
    ∂θ/∂b = −a/(a² + b²)."""

    def forward(self, a, b):
        return array_module(a).arctan2(a, b)

    def backward(self, gy):
        a, b = self.inputs
        r2 = a * a + b * b
        ga = _unbroadcast(gy * b / r2, a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(-gy * a / r2, b) if self.needs_input_grad[1] else None
        return ga, gb


class LogAddExp(Function):
    """y = log(eᵃ + eᵇ);  ∂y/∂a = σ(a − b),  ∂y/∂b = σ(b − a).

    NOTE: forward is NumPy's ``logaddexp`` (max(a, b) + log1p(e^−|a−b|)), which never overflows.
    """

    def forward(self, a, b):
        return array_module(a).logaddexp(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy * sigmoid(a - b), a) if self.needs_input_grad[0] else None
        gb = _unbroadcast(gy * sigmoid(b - a), b) if self.needs_input_grad[1] else None
        return ga, gb


class Step(Function):
    """A piecewise-constant function (floor, ceil, round, trunc): its derivative is 0."""

    def __init__(self, name):
        self.name = name

    def forward(self, x):
        return getattr(array_module(x), self.name)(x)

    def backward(self, gy):
        return gy * 0


class FloorMod(Function):
    """r = a − ⌊a/b⌋ b (the sign of b, as Python's ``%``);  ∂r/∂a = 1,  ∂r/∂b = −⌊a/b⌋."""

    def forward(self, a, b):
        return array_module(a).mod(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy, a) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            q = Tensor._wrap(array_module(a.data).floor_divide(a.data, b.data))
            gb = _unbroadcast(-gy * q, b)
        return ga, gb


# --- differentiable functions --------------------------------------------------------------------


def tan(x):
    """Tangent (radians)."""
    return Tan()(as_tensor(x))


def sinh(x):
    """Hyperbolic sine."""
    return Sinh()(as_tensor(x))


def cosh(x):
    """Hyperbolic cosine."""
    return Cosh()(as_tensor(x))


def asin(x):
    """arcsin x, in [−π/2, π/2]."""
    return Arcsin()(as_tensor(x))


def acos(x):
    """arccos x, in [0, π]."""
    return Arccos()(as_tensor(x))


def atan(x):
    """arctan x, in (−π/2, π/2)."""
    return Arctan()(as_tensor(x))


def asinh(x):
    """Inverse hyperbolic sine."""
    return Arcsinh()(as_tensor(x))


def acosh(x):
    """Inverse hyperbolic cosine (x ≥ 1)."""
    return Arccosh()(as_tensor(x))


def atanh(x):
    """Inverse hyperbolic tangent (|x| < 1)."""
    return Arctanh()(as_tensor(x))


def atan2(y, x):
    """The angle of the point (x, y), in (−π, π] (TF's argument order: y first)."""
    return Arctan2()(*as_pair(y, x))


def expm1(x):
    """eˣ − 1, accurate near 0."""
    return Expm1()(as_tensor(x))


def log2(x):
    """Base-2 logarithm: ln x / ln 2."""
    return log(x) * (1 / math.log(2))


def log10(x):
    """Base-10 logarithm: ln x / ln 10."""
    return log(x) * (1 / math.log(10))


def exp2(x):
    """2ˣ = e^{x ln 2}."""
    from profond.ops.elementwise import exp

    return exp(as_tensor(x) * math.log(2))


def logaddexp(a, b):
    """log(eᵃ + eᵇ) elementwise, without overflow."""
    return LogAddExp()(*as_pair(a, b))


def rsqrt(x):
    """1/√x."""
    return 1 / sqrt(x)


def reciprocal(x):
    """1/x."""
    return divide(1, as_tensor(x))


def squared_difference(x, y):
    """(x − y)², as ``tf.math.squared_difference``."""
    return square(subtract(x, y))


def sinc(x):
    """The normalized sinc, sin(πx)/(πx), with sinc(0) = 1."""
    x = as_tensor(x)
    zero = x.data == 0
    px = where(zero, 1, x) * math.pi
    return where(zero, 1, sin(px) / px)


def floor(x):
    """⌊x⌋ (gradient 0)."""
    return _step("floor", x)


def ceil(x):
    """⌈x⌉ (gradient 0)."""
    return _step("ceil", x)


def trunc(x):
    """x rounded toward 0 (gradient 0)."""
    return _step("trunc", x)


def round(x, decimals=0):  # noqa: A001 - the TF / NumPy name
    """x rounded to the nearest integer, halves to even (as TF and NumPy: round(2.5) = 2);
    with ``decimals``, to that many decimal places. Gradient 0."""
    if decimals:
        scale = 10.0 ** int(decimals)
        return _step("rint", as_tensor(x) * scale) / scale
    return _step("rint", x)


def _step(name, x):
    x = as_tensor(x)
    if x.dtype.kind in "iub":
        return x
    return Step(name)(x)


def floormod(x, y):
    """x mod y with the sign of y (Python's ``%``): floormod(−3, 2) = 1."""
    return FloorMod()(*as_pair(x, y))


def floordiv(x, y):
    """⌊x / y⌋ elementwise (no gradient, as TF)."""
    x, y = as_pair(x, y)
    return Tensor._wrap(array_module(x.data).floor_divide(x.data, y.data))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +∞ → ``posinf``, −∞ → ``neginf`` (the dtype's largest / lowest finite
    values by default); the gradient flows only through the finite entries."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        return x
    info = numpy.finfo(x.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    d = x.data
    xp = array_module(d)
    fill = xp.where(xp.isnan(d), nan, xp.where(d > 0, posinf, neginf)).astype(x.dtype)
    return where(xp.isfinite(d), x, Tensor._wrap(fill))


# --- predicates and logical ops (no gradient) ----------------------------------------------------


def _bool(array):
    return Tensor._wrap(array)


def is_nan(x):
    """True where x is NaN."""
    x = as_tensor(x)
    return _bool(array_module(x.data).isnan(x.data))


def is_inf(x):
    """True where x is ±∞."""
    x = as_tensor(x)
    return _bool(array_module(x.data).isinf(x.data))


def is_finite(x):
    """True where x is neither NaN nor ±∞."""
    x = as_tensor(x)
    return _bool(array_module(x.data).isfinite(x.data))


def _compare(op):
    def compare(x, y):
        x, y = as_pair(x, y)
        return _bool(op(x.data, y.data))

    return compare


greater = _compare(lambda a, b: a > b)
greater.__doc__ = "x > y elementwise (broadcasting), a boolean tensor."
greater_equal = _compare(lambda a, b: a >= b)
greater_equal.__doc__ = "x ≥ y elementwise (broadcasting), a boolean tensor."
less = _compare(lambda a, b: a < b)
less.__doc__ = "x < y elementwise (broadcasting), a boolean tensor."
less_equal = _compare(lambda a, b: a <= b)
less_equal.__doc__ = "x ≤ y elementwise (broadcasting), a boolean tensor."


def _logical(x):
    x = as_tensor(x)
    return x.data if x.dtype == bool else x.data.astype(bool)


def logical_and(x, y):
    """x ∧ y elementwise."""
    return _bool(_logical(x) & _logical(y))


def logical_or(x, y):
    """x ∨ y elementwise."""
    return _bool(_logical(x) | _logical(y))


def logical_xor(x, y):
    """x ⊕ y elementwise."""
    return _bool(_logical(x) ^ _logical(y))


def logical_not(x):
    """¬x elementwise."""
    return _bool(~_logical(x))


def isclose(x, y, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x − y| ≤ atol + rtol·|y| elementwise, as NumPy."""
    x, y = as_pair(x, y)
    xp = array_module(x.data, y.data)
    return _bool(xp.isclose(x.data, y.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def log_sigmoid(x):
    """log σ(x) = −log(1 + e⁻ˣ) = −logaddexp(0, −x), stable for any x."""
    x = as_tensor(x)
    return -logaddexp(0, -x)


def truediv(x, y):
    """x / y, as ``tf.truediv``: integers are divided as floats (8- and 16-bit ones as float32,
    wider ones as float64)."""
    x, y = as_pair(x, y)
    if x.dtype.kind in "iu" and y.dtype.kind in "iu":
        wide = max(x.dtype.itemsize, y.dtype.itemsize) > 2
        x = Tensor._wrap(x.data.astype("float64" if wide else "float32"))
        y = Tensor._wrap(y.data.astype(x.dtype))
    return divide(x, y)


def xlogy(x, y):
    """x · log y, and 0 where x = 0 (even for y = 0)."""
    x, y = as_pair(x, y)
    zero = x.data == 0
    return where(zero, 0, x * log(where(zero, 1, y)))


def xdivy(x, y):
    """x / y, and 0 where x = 0."""
    x, y = as_pair(x, y)
    zero = x.data == 0
    return where(zero, 0, x / where(zero, 1, y))


def multiply_no_nan(x, y):
    """x · y, and 0 where y = 0 (even when x is NaN or ∞)."""
    x, y = as_pair(x, y)
    zero = y.data == 0
    return where(zero, 0, where(zero, 0, x) * y)


def reciprocal_no_nan(x):
    """1/x, and 0 where x = 0."""
    x = as_tensor(x)
    zero = x.data == 0
    return where(zero, 0, 1 / where(zero, 1, x))


def add_n(inputs):
    """The elementwise sum of a list of tensors of one shape, as ``tf.add_n``."""
    inputs = [as_tensor(t) for t in inputs]
    if not inputs or len({t.shape for t in inputs}) > 1:
        raise ValueError(f"add_n expects a non-empty list of tensors of one shape. Received "
                         f"shapes: {[t.shape for t in inputs]}")
    total = inputs[0]
    for t in inputs[1:]:
        total = total + t
    return total


def polyval(coeffs, x):
    """c₀ xⁿ⁻¹ + c₁ xⁿ⁻² + … + cₙ₋₁ by Horner's rule (``coeffs`` a list of tensors or numbers)."""
    x = as_tensor(x)
    out = as_tensor(coeffs[0], x) * 1
    for c in coeffs[1:]:
        out = out * x + c
    return out


def zero_fraction(value):
    """The fraction of entries equal to 0, a float32 scalar."""
    d = as_tensor(value).data
    return Tensor._wrap(array_module(d).asarray((d == 0).mean(), dtype="float32"))


def is_non_decreasing(x):
    """True when the flattened x never decreases."""
    d = as_tensor(x).data.reshape(-1)
    return Tensor._wrap(array_module(d).asarray(bool((d[1:] >= d[:-1]).all())))


def is_strictly_increasing(x):
    """True when the flattened x always increases."""
    d = as_tensor(x).data.reshape(-1)
    return Tensor._wrap(array_module(d).asarray(bool((d[1:] > d[:-1]).all())))


def xlog1py(x, y):
    """x · log(1 + y), and 0 where x = 0."""
    x, y = as_pair(x, y)
    zero = x.data == 0
    return where(zero, 0, x * log1p(where(zero, 0, y)))
