"""Statistics with NumPy's names and Keras's signatures: quantiles, the median, weighted
averages, correlation, histograms, and the reductions that ignore NaNs. Quantiles are
differentiable through the sorted values.
"""

import numpy

from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops import elementwise, matrix, selection
from profond.ops import reduction as red
from profond.ops import shape as sh
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.indexing import getitem
from profond.ops.linalg import matmul
from profond.ops.numpy_api import _as_float, argmax, argmin, cumprod, cumsum, mean, prod
from profond.ops.symbolic import dispatchable


def average(x, axis=None, weights=None):
    """Σ wᵢ xᵢ / Σ wᵢ over ``axis`` (the mean without weights); 1-D weights run along ``axis``."""
    x = _as_float(x)
    if weights is None:
        return mean(x, axis)
    w = as_tensor(weights, x)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        view = [1] * x.ndim
        view[normalize_axis(axis, x.ndim)[0]] = w.shape[0]
        w = sh.reshape(w, tuple(view))
    return red.reduce_sum(x * w, axis) / red.reduce_sum(sh.broadcast_to(w, x.shape), axis)


_QUANTILE_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(x, q, axis, method, keepdims, skip_nan):
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"quantile expects method in {_QUANTILE_METHODS}. "
                         f"Received: method={method!r}")
    x = _as_float(x)
    qs = numpy.asarray(q.numpy() if isinstance(q, Tensor) else q, dtype=float)
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"quantile expects q in [0, 1]. Received: q={q}")
    axes = normalize_axis(axis, x.ndim)
    keep = [i for i in range(x.ndim) if i not in axes]
    flat = sh.reshape(sh.transpose(x, keep + list(axes)), tuple(x.shape[i] for i in keep) + (-1,))
    s = selection.sort(flat, -1)  # NaNs sort last
    xp = array_module(flat.data)
    n = (~xp.isnan(flat.data)).sum(-1) if skip_nan else xp.full(flat.shape[:-1], flat.shape[-1])
    outs = []
    for qi in qs.reshape(-1):
        pos = qi * xp.maximum(n - 1, 0)
        lo, hi = xp.floor(pos).astype(int), xp.ceil(pos).astype(int)
        v_lo = getitem(selection.take_along_axis(s, lo[..., None], -1), (Ellipsis, 0))
        v_hi = getitem(selection.take_along_axis(s, hi[..., None], -1), (Ellipsis, 0))
        frac = {"linear": pos - lo, "lower": 0.0 * pos, "higher": (hi > lo) * 1.0,
                "midpoint": (hi > lo) * 0.5, "nearest": (xp.rint(pos) > lo) * 1.0}[method]
        frac = Tensor._wrap(xp.asarray(frac, dtype=flat.dtype))
        out = elementwise.where(frac.data == 0, v_lo, v_lo + (v_hi - v_lo) * frac)
        outs.append(elementwise.where(n == 0, numpy.nan, out) if skip_nan else out)
    out = sh.stack(outs, 0) if qs.ndim else outs[0]
    if keepdims:
        kept = red._keep_shape(x.shape, axes)
        out = sh.reshape(out, ((len(outs),) if qs.ndim else ()) + kept)
    return out


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantile(s) over ``axis`` (flattened when None), q in [0, 1], with NumPy's
    ``method``; differentiable (through the sorted values). A 1-D q adds a leading axis."""
    return _quantile(x, q, axis, method, keepdims, skip_nan=False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` of the entries that are not NaN (NaN where there are none)."""
    return _quantile(x, q, axis, method, keepdims, skip_nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` of the entries that are not NaN."""
    return nanquantile(x, numpy.asarray(q, dtype=float) / 100, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """The median of the entries that are not NaN."""
    return nanquantile(x, 0.5, axis, "linear", keepdims)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th percentile(s), q in [0, 100]."""
    return quantile(x, numpy.asarray(q, dtype=float) / 100, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for an even count)."""
    return quantile(x, 0.5, axis, "linear", keepdims)


def _nan_zeroed(x, fill):
    x = _as_float(x)
    nan = array_module(x.data).isnan(x.data)
    return elementwise.where(nan, fill, x), nan


def nansum(x, axis=None, keepdims=False):
    """Σ over ``axis``, NaNs counted as 0."""
    return red.reduce_sum(_nan_zeroed(x, 0)[0], axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean over ``axis`` of the entries that are not NaN."""
    y, nan = _nan_zeroed(x, 0)
    count = (~nan).sum(axis=normalize_axis(axis, y.ndim), keepdims=keepdims)
    return red.reduce_sum(y, axis, keepdims) / Tensor._wrap(count.astype(y.dtype))


def nanmax(x, axis=None, keepdims=False):
    """The maximum over ``axis``, ignoring NaNs."""
    return red.reduce_max(_nan_zeroed(x, -numpy.inf)[0], axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    """The minimum over ``axis``, ignoring NaNs."""
    return red.reduce_min(_nan_zeroed(x, numpy.inf)[0], axis, keepdims)


def histogram(x, bins=10, range=None):  # noqa: A002 - the NumPy name
    """(counts, bin edges) of the flattened ``x``, as ``numpy.histogram``."""
    d = as_tensor(x).numpy().reshape(-1)
    counts, edges = numpy.histogram(d, bins=bins, range=range)
    return Tensor(counts.astype(numpy.int32)), Tensor(edges.astype(d.dtype))


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    x = _as_float(x)
    c = x - red.reduce_mean(x, -1, keepdims=True)
    cov = matmul(c, sh.transpose(c))
    d = elementwise.sqrt(matrix.diag_part(cov))
    return cov / (sh.reshape(d, (-1, 1)) * sh.reshape(d, (1, -1)))


def nancumsum(x, axis=None, dtype=None):
    """Running sum, NaNs counted as 0."""
    return cumsum(_nan_zeroed(x, 0)[0], axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running product, NaNs counted as 1."""
    return cumprod(_nan_zeroed(x, 1)[0], axis, dtype)


def nanprod(x, axis=None, keepdims=False):
    """Π over ``axis``, NaNs counted as 1."""
    return prod(_nan_zeroed(x, 1)[0], axis, keepdims)


def nanvar(x, axis=None, keepdims=False):
    """The variance of the entries that are not NaN."""
    y, nan = _nan_zeroed(x, 0)
    m = nanmean(x, axis, keepdims=True)
    d = elementwise.where(nan, 0, y - m)
    count = (~nan).sum(axis=normalize_axis(axis, y.ndim), keepdims=keepdims)
    return red.reduce_sum(d * d, axis, keepdims) / Tensor._wrap(count.astype(y.dtype))


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation of the entries that are not NaN."""
    return elementwise.sqrt(nanvar(x, axis, keepdims))


def nanargmax(x, axis=None, keepdims=False):
    """``argmax`` ignoring NaNs."""
    return argmax(_nan_zeroed(x, -numpy.inf)[0], axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """``argmin`` ignoring NaNs."""
    return argmin(_nan_zeroed(x, numpy.inf)[0], axis, keepdims)



__all__ = ["average", "corrcoef", "histogram", "median", "nanargmax", "nanargmin", "nancumprod",
           "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod",
           "nanquantile", "nanstd", "nansum", "nanvar", "percentile", "quantile"]

for _name in __all__:  # functional-API models may call these on symbolic tensors
    globals()[_name] = dispatchable("numpy_api." + _name, globals()[_name])
