"""More of NumPy under Keras's names: splitting and stacking helpers, ``kron``, ``rot90``,
``unique``, ``trapezoid``, ``correlate``, bitwise and integer functions, window functions, and
the small elementwise ones (``hypot``, ``cbrt``, ``fmod``, ``fmax`` …). Thin functions over
profond's ops, differentiable where the math is.
"""

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops import elementwise, math, matrix, selection
from profond.ops import reduction as red
from profond.ops import shape as sh
from profond.ops._util import as_pair, as_tensor, normalize_axis
from profond.ops.indexing import getitem
from profond.ops.linalg import matmul
from profond.ops.nn import erf
from profond.ops.norms import vector_norm
from profond.ops.numpy_api import _as_float, _floatx, diff, ravel, split, swapaxes
from profond.ops.symbolic import dispatchable


def empty_like(x, dtype=None):
    """A new tensor like ``x`` (zeros)."""
    return sh.zeros_like(as_tensor(x), dtype)


def diagflat(x, k=0):
    """The matrix with the flattened ``x`` on its k-th diagonal."""
    return matrix.diag(ravel(x), k)


def dstack(xs):
    """Join along axis 2 (1-D and 2-D tensors become (1, n, 1) and (m, n, 1))."""
    parts = []
    for x in xs:
        x = as_tensor(x)
        parts.append(sh.reshape(x, (1, -1, 1)) if x.ndim == 1 else
                     sh.reshape(x, x.shape + (1,)) if x.ndim == 2 else x)
    return sh.concat(parts, 2)


def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for 1-D tensors)."""
    return split(x, indices_or_sections, 0 if as_tensor(x).ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return split(x, indices_or_sections, 2)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by k · 90° in the plane of ``axes`` (from the first toward the second)."""
    x = as_tensor(array)
    a, b = (normalize_axis(int(i), x.ndim)[0] for i in axes)
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return selection.flip(x, (a, b))
    x = swapaxes(x, a, b)
    return selection.flip(x, a if k == 1 else b)


def kron(x1, x2):
    """The Kronecker product: every entry of x1 times a copy of x2."""
    a, b = as_pair(x1, x2)
    n = max(a.ndim, b.ndim)
    a = sh.reshape(a, (1,) * (n - a.ndim) + a.shape)
    b = sh.reshape(b, (1,) * (n - b.ndim) + b.shape)
    spread = tuple(d for i in range(n) for d in (a.shape[i], 1))
    tiles = tuple(d for i in range(n) for d in (1, b.shape[i]))
    out = sh.reshape(a, spread) * sh.reshape(b, tiles)
    return sh.reshape(out, tuple(a.shape[i] * b.shape[i] for i in range(n)))


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """The sorted distinct values (NumPy's unique, on the flattened x), optionally with the
    first indices, the inverse indices and the counts. Not differentiable."""
    if size is not None or axis is not None:
        raise NotImplementedError("unique: size= and axis= are not supported in profond")
    d = as_tensor(x).data
    res = array_module(d).unique(d.reshape(-1), return_index=return_index,
                                 return_inverse=return_inverse, return_counts=return_counts)
    if not isinstance(res, tuple):
        return Tensor._wrap(res)
    return tuple(Tensor._wrap(r) for r in res)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values from start to stop evenly spaced on a log scale."""
    return Tensor(numpy.geomspace(start, stop, int(num), endpoint=endpoint,
                                  dtype=_floatx(dtype), axis=axis))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """∫ y by the trapezoidal rule along ``axis`` (samples at ``x``, or spaced by ``dx``)."""
    y = _as_float(y)
    ax = normalize_axis(axis, y.ndim)[0]
    head = (slice(None),) * ax
    mid = (getitem(y, head + (slice(1, None),)) + getitem(y, head + (slice(None, -1),))) * 0.5
    if x is None:
        return red.reduce_sum(mid, ax) * dx
    return red.reduce_sum(mid * diff(as_tensor(x, y), 1, -1 if as_tensor(x).ndim == 1 else ax),
                          ax)


def argpartition(x, kth, axis=-1):
    """Indices that put the kth entry in its sorted place, smaller ones before it (int32)."""
    d = as_tensor(x).data
    return Tensor._wrap(array_module(d).argpartition(d, kth, axis=axis).astype(numpy.int32))


def isin(x1, x2, assume_unique=False, invert=False):
    """True where an entry of x1 is among the entries of x2."""
    a, b = as_tensor(x1).data, as_tensor(x2).data
    return Tensor._wrap(array_module(a).isin(a, b, assume_unique=assume_unique, invert=invert))


def real(x):
    """The real part (profond's tensors are real: ``x`` itself)."""
    return as_tensor(x)


def imag(x):
    """The imaginary part (zeros for real tensors)."""
    return sh.zeros_like(as_tensor(x))


def conj(x):
    """The complex conjugate (``x`` itself for real tensors)."""
    return as_tensor(x)


def fmod(x1, x2):
    """C's remainder x1 − trunc(x1/x2)·x2: the sign of x1 (``mod`` takes the sign of x2)."""
    x1, x2 = as_pair(x1, x2)
    q = Tensor._wrap(array_module(x1.data).trunc(x1.data / x2.data))
    return x1 - q * x2


def hypot(x1, x2):
    """√(x1² + x2²)."""
    x1, x2 = as_pair(x1, x2)
    return elementwise.sqrt(x1 * x1 + x2 * x2)


def deg2rad(x):
    """Degrees to radians."""
    return _as_float(x) * (numpy.pi / 180)


def rad2deg(x):
    """Radians to degrees."""
    return _as_float(x) * (180 / numpy.pi)


def cbrt(x):
    """The real cube root, sign(x) |x|^{1/3}."""
    x = _as_float(x)
    return elementwise.sign(x) * elementwise.pow(elementwise.abs(x), 1.0 / 3.0)


def logaddexp2(x1, x2):
    """log₂(2^x1 + 2^x2)."""
    ln2 = numpy.log(2)
    return math.logaddexp(_as_float(x1) * ln2, _as_float(x2) * ln2) * (1 / ln2)


def heaviside(x1, x2):
    """0 where x1 < 0, x2 where x1 = 0, 1 where x1 > 0."""
    a, b = as_pair(x1, x2)
    xp = array_module(a.data)
    return Tensor._wrap(xp.heaviside(a.data, b.data))


def signbit(x):
    """True where the sign bit is set (negative numbers and −0)."""
    d = as_tensor(x).data
    return Tensor._wrap(array_module(d).signbit(d))


def isposinf(x):
    """True where x is +∞."""
    d = as_tensor(x).data
    return Tensor._wrap(array_module(d).isposinf(d))


def isneginf(x):
    """True where x is −∞."""
    d = as_tensor(x).data
    return Tensor._wrap(array_module(d).isneginf(d))


def erfc(x):
    """1 − erf(x)."""
    return 1 - erf(_as_float(x))


def _int_op(name):
    def op(x1, x2):
        a, b = as_pair(x1, x2)
        return Tensor._wrap(getattr(array_module(a.data), name)(a.data, b.data))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"NumPy's ``{name}`` on integer tensors (no gradient)."
    return op


bitwise_and = _int_op("bitwise_and")
bitwise_or = _int_op("bitwise_or")
bitwise_xor = _int_op("bitwise_xor")
left_shift = _int_op("left_shift")
right_shift = _int_op("right_shift")
gcd = _int_op("gcd")
lcm = _int_op("lcm")
nextafter = _int_op("nextafter")


def bitwise_invert(x):
    """~x on integer tensors."""
    d = as_tensor(x).data
    return Tensor._wrap(~d)


def ldexp(x1, x2):
    """x1 · 2^x2."""
    x1 = _as_float(x1)
    return x1 * Tensor._wrap(numpy.exp2(as_tensor(x2).data).astype(x1.dtype))


def isreal(x):
    """True everywhere for profond's real tensors."""
    return Tensor._wrap(array_module(as_tensor(x).data).ones(as_tensor(x).shape, bool))


def _window(name):
    def window(x):
        return Tensor(getattr(numpy, name)(int(x)).astype(backend.floatx()))

    window.__name__ = window.__qualname__ = name
    window.__doc__ = f"The {name} window of ``x`` points (float32)."
    return window


bartlett, blackman, hamming, hanning = (_window(n) for n in ("bartlett", "blackman", "hamming",
                                                              "hanning"))


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape ``beta`` (float32)."""
    return Tensor(numpy.kaiser(int(x), beta).astype(backend.floatx()))


def i0(x):
    """The modified Bessel function of the first kind, order 0 (no gradient)."""
    x = _as_float(x)
    return Tensor(numpy.i0(x.numpy()).astype(x.dtype))


def vander(x, N=None, increasing=False):  # noqa: N803 - the NumPy name
    """The Vandermonde matrix: columns x^(N−1), …, x, 1 (reversed if ``increasing``)."""
    x = _as_float(x)
    n = x.shape[0] if N is None else int(N)
    powers = numpy.arange(n) if increasing else numpy.arange(n - 1, -1, -1)
    return elementwise.pow(sh.reshape(x, (-1, 1)), Tensor(powers.astype(x.dtype)))


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in an array of ``shape`` (a tuple of int32 tensors)."""
    d = as_tensor(indices).data
    return tuple(Tensor._wrap(c.astype(numpy.int32))
                 for c in array_module(d).unravel_index(d, tuple(int(n) for n in shape)))


def cdist(x1, x2, p=2):
    """Pairwise p-norm distances between the rows of x1 (…, m, d) and x2 (…, n, d)."""
    a, b = as_pair(x1, x2)
    return vector_norm(sh.expand_dims(a, -2) - sh.expand_dims(b, -3), p, -1)


def fmax(x1, x2):
    """The elementwise maximum, ignoring a NaN when the other entry is a number."""
    a, b = as_pair(_as_float(x1), _as_float(x2))
    xp = array_module(a.data)
    return elementwise.where(xp.isnan(a.data), b, elementwise.where(
        xp.isnan(b.data), a, elementwise.maximum(a, b)))


def fmin(x1, x2):
    """The elementwise minimum, ignoring a NaN when the other entry is a number."""
    a, b = as_pair(_as_float(x1), _as_float(x2))
    xp = array_module(a.data)
    return elementwise.where(xp.isnan(a.data), b, elementwise.where(
        xp.isnan(b.data), a, elementwise.minimum(a, b)))


def angle(x):
    """The argument of each (real) entry: π for negative numbers, 0 otherwise."""
    x = _as_float(x)
    return Tensor._wrap(array_module(x.data).angle(x.data).astype(x.dtype))


def correlate(x1, x2, mode="valid"):
    """The cross-correlation of 1-D tensors, out[k] = Σₙ x1[n + k] x2[n], as
    ``numpy.correlate`` (``mode`` "valid", "same" or "full"); differentiable."""
    a, v = as_pair(_as_float(x1), _as_float(x2))
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate expects 1-D tensors. Received shapes {a.shape}, {v.shape}")
    swap = v.shape[0] > a.shape[0]
    if swap:  # NumPy's rule: correlate(a, v) = reverse(correlate(v, a))
        a, v = v, a
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate expects mode 'valid', 'same' or 'full'. Received: {mode!r}")
    m = v.shape[0]
    left = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    right = {"valid": 0, "same": m - 1 - m // 2, "full": m - 1}[mode]
    padded = sh.pad(a, [(left, right)])
    out = matmul(selection.extract_sequences(padded, m, 1), v)
    return selection.flip(out) if swap else out


__all__ = sorted(n for n, v in list(globals().items())
                 if callable(v) and not isinstance(v, type) and not n.startswith("_")
                 and getattr(v, "__module__", "") == __name__)

for _name in __all__:  # functional-API models may call these on symbolic tensors
    globals()[_name] = dispatchable("numpy_api." + _name, globals()[_name])
