"""Special functions: ``lgamma``, ``digamma``, ``polygamma``, ``erfinv``, ``erfcinv``.

Values come from SciPy when it is installed (CuPy's on a GPU); without it, from the short
methods written here (recurrence + asymptotic series, Newton's method), accurate to ~1e-12.
Their derivatives are each other: lgamma′ = ψ = digamma, ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾, and
erfinv′(x) = (√π / 2) · e^{erfinv(x)²}.
"""

import math

import numpy

from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.elementwise import exp, square
from profond.ops.nn import _erf_array

# B₂ₖ, the Bernoulli numbers of the asymptotic series (k = 1 … 7)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _scipy(name):
    try:
        import scipy.special
    except ImportError:
        return None
    return getattr(scipy.special, name)


def _special(x, name):
    """SciPy's (or CuPy's) special function ``name``, or None when neither is at hand."""
    xp = array_module(x)
    if xp is not numpy:
        import cupyx.scipy.special

        return getattr(cupyx.scipy.special, name)
    return _scipy(name)


def _polygamma_series(n, x):
    """ψ⁽ⁿ⁾(x) for x > 0: shift x up past 10 with the recurrence
    ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)ⁿ n! / xⁿ⁺¹, then the asymptotic series in 1/x."""
    x = numpy.array(x, dtype=numpy.float64)
    acc = numpy.zeros_like(x)
    sign = -1.0 if n % 2 == 0 else 1.0  # (−1)^{n+1}
    while (x < 10).any():
        small = x < 10
        if n == 0:
            acc[small] -= 1 / x[small]
        else:
            acc[small] += sign * math.factorial(n) / x[small] ** (n + 1)
        x = numpy.where(small, x + 1, x)
    if n == 0:
        s = numpy.log(x) - 0.5 / x
        for k, b in enumerate(_BERNOULLI, start=1):
            s -= b / (2 * k * x ** (2 * k))
        return acc + s
    s = math.factorial(n - 1) / x ** n + math.factorial(n) / (2 * x ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        s += b * math.factorial(2 * k + n - 1) / (math.factorial(2 * k) * x ** (2 * k + n))
    return acc + sign * s


def _polygamma_array(n, x):
    f = _special(x, "polygamma")
    if f is not None:
        return numpy.asarray(f(n, x)).astype(x.dtype, copy=False) if n else \
            _special(x, "digamma")(x).astype(x.dtype, copy=False)
    if (x <= 0).any():
        raise ValueError("digamma / polygamma without SciPy need x > 0 (install scipy)")
    return _polygamma_series(n, x).astype(x.dtype)


class LGamma(Function):
    """y = ln |Γ(x)|;  ∂y/∂x = ψ(x) (digamma)."""

    def forward(self, x):
        f = _special(x, "gammaln")
        if f is not None:
            return f(x).astype(x.dtype, copy=False)
        return numpy.asarray(numpy.frompyfunc(math.lgamma, 1, 1)(x), dtype=x.dtype)

    def backward(self, gy):
        return gy * polygamma(0, self.inputs[0])


class Polygamma(Function):
    """y = ψ⁽ⁿ⁾(x), the n-th derivative of digamma;  ∂y/∂x = ψ⁽ⁿ⁺¹⁾(x)."""

    def __init__(self, n):
        self.n = n

    def forward(self, x):
        return _polygamma_array(self.n, x)

    def backward(self, gy):
        return gy * Polygamma(self.n + 1)(self.inputs[0])


class ErfInv(Function):
    """y = erf⁻¹(x) on (−1, 1);  ∂y/∂x = (√π / 2) e^{y²}."""

    def forward(self, x):
        f = _special(x, "erfinv")
        if f is not None:
            return f(x).astype(x.dtype, copy=False)
        y = numpy.zeros_like(x, dtype=numpy.float64)
        inside = numpy.abs(x) < 1
        target = numpy.where(inside, x, 0.0)
        for _ in range(60):  # Newton on erf(y) = x; converges from 0 for |x| < 1
            step = (_erf_array(y) - target) / (2 / math.sqrt(math.pi) * numpy.exp(-y * y))
            y = y - numpy.clip(step, -1, 1)
        y = numpy.where(numpy.abs(x) == 1, numpy.sign(x) * numpy.inf, y)
        return numpy.where(numpy.abs(x) > 1, numpy.nan, y).astype(x.dtype)

    def backward(self, gy):
        return gy * exp(square(self.output())) * (math.sqrt(math.pi) / 2)


def lgamma(x):
    """ln |Γ(x)|, as ``tf.math.lgamma``."""
    return LGamma()(as_tensor(x))


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (n = 0 is digamma)."""
    n = int(n.numpy()) if hasattr(n, "numpy") else int(n)
    if n < 0:
        raise ValueError(f"polygamma expects n >= 0. Received: n={n}")
    return Polygamma(n)(as_tensor(x))


def digamma(x):
    """ψ(x) = Γ′(x)/Γ(x), as ``tf.math.digamma``."""
    return polygamma(0, x)


def erfinv(x):
    """The inverse error function on (−1, 1) (±∞ at ±1)."""
    return ErfInv()(as_tensor(x))


def erfcinv(x):
    """The inverse complementary error function: erfinv(1 − x)."""
    return erfinv(1 - as_tensor(x))
