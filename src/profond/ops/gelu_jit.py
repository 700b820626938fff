"""Compiled GELU (numba, optional): y = x Φ(x) and its slope in one pass.

    Φ(x) = ½ (1 + erf(x / √2)),   y = x Φ(x),   ∂y/∂x = Φ(x) + x φ(x),   φ(x) = e^{−x²/2} / √(2π)

The forward writes the slope too, so the backward is one product ∂L/∂x = ∂L/∂y ⊙ slope.
float64 uses ``math.erf``. float32 uses Abramowitz & Stegun's formula 7.1.26 (|error| < 1.5·10⁻⁷,
below float32's resolution of Φ near 1): with z = |x|/√2 and t = 1/(1 + p z),

    erfc(z) ≈ (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵) e^{−z²}

whose e^{−z²} = e^{−x²/2} is also φ's, so each value costs one exponential; the loop vectorizes,
where SciPy's float32 erf is about ten times slower. ``ops/nn.py`` uses these kernels when numba is
installed and ``PROFOND_JIT`` is not ``0``, and its NumPy/SciPy form otherwise.
"""

import math

import numba
import numpy as np

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Abramowitz & Stegun 7.1.26
_P, _A1, _A2, _A3, _A4, _A5 = (0.3275911, 0.254829592, -0.284496736, 1.421413741, -1.453152027,
                               1.061405429)


def forward32(x, y, slope):
    """x, y, slope: 1-D float32 arrays. Writes x Φ(x) into y and Φ(x) + x φ(x) into slope.
    The exponential is NumPy's (vectorized), the rest one compiled loop that vectorizes too."""
    np.multiply(x, x, out=slope)
    slope *= np.float32(-0.5)
    np.exp(slope, out=slope)  # e^{−x²/2}, read then overwritten by the loop
    _finish32(x, y, slope)


# NOTE: error_model="numpy" drops numba's division-by-zero test (1 + p|v| ≥ 1 anyway), the
# branch that kept LLVM from vectorizing the loop (6x slower); copysign instead of an `if`.
@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _finish32(x, y, slope):
    p, a1, a2, a3, a4, a5 = (np.float32(_P * _SQRT_HALF), np.float32(_A1), np.float32(_A2),
                             np.float32(_A3), np.float32(_A4), np.float32(_A5))
    half, one = np.float32(0.5), np.float32(1.0)
    density = np.float32(_INV_SQRT_2PI)
    for i in range(x.size):
        v, e = x[i], slope[i]
        t = one / (one + p * abs(v))
        tail = half * (t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))) * e  # ½ erfc(|v|/√2)
        cdf = half + math.copysign(half - tail, v)  # 1 − tail for v ≥ 0, tail below
        y[i] = v * cdf
        slope[i] = cdf + v * density * e


@numba.njit(cache=True, nogil=True)
def forward64(x, y, slope):
    """The same for float64 arrays, with ``math.erf``."""
    for i in range(x.size):
        v = x[i]
        cdf = 0.5 * (1.0 + math.erf(v * _SQRT_HALF))
        y[i] = v * cdf
        slope[i] = cdf + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v)
