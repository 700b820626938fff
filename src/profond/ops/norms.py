"""Vector and matrix norms, ``l2_normalize`` and norm clipping.

TF and NumPy read ``ord`` differently when ``axis`` is None: ``tf.norm(x, ord=1)`` is the 1-norm
of the flattened x, while ``numpy.linalg.norm(x, ord=1)`` (and ``keras.ops.norm``) of a matrix is
its matrix 1-norm. ``norm`` follows TF; ``numpy_norm`` follows NumPy; both use the same kernels.
"""

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.elementwise import abs, maximum, pow, sqrt, where
from profond.ops.matrix import SingularValues
from profond.ops.reduction import _keep_shape, reduce_max, reduce_min, reduce_sum
from profond.ops.shape import broadcast_to, reshape, transpose

_EUCLID = (2, 2.0, "euclidean", "fro", None)


class Euclidean(Function):
    """y = √(Σ x²) over ``axes``;  ∂y/∂x = x / y, taken as 0 at the zero vector (a subgradient,
    as PyTorch: training code often starts from zero weights)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = array_module(x)
        return xp.sqrt((x * x).sum(axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        x = self.inputs[0]
        y = self.output()
        if not self.keepdims:
            shape = _keep_shape(x.shape, self.axes)
            gy, y = reshape(gy, shape), reshape(y, shape)
        zero = y.data == 0
        return x * broadcast_to(where(zero, 0, gy / where(zero, 1, y)), x.shape)


def vector_norm(x, ord=2, axis=None, keepdims=False):  # noqa: A002 - the NumPy name
    """(Σ |xᵢ|ᵖ)^{1/p} over ``axis`` (all axes when None); p = inf is max |xᵢ|, −inf min |xᵢ|,
    0 the number of nonzero entries."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    if ord in _EUCLID:
        return Euclidean(axes, keepdims)(x)
    if ord == 1:
        return reduce_sum(abs(x), axes, keepdims)
    if ord in (numpy.inf, "inf"):
        return reduce_max(abs(x), axes, keepdims)
    if ord in (-numpy.inf, "-inf"):
        return reduce_min(abs(x), axes, keepdims)
    if ord == 0:
        count = (x.data != 0).sum(axis=axes, keepdims=keepdims).astype(x.dtype)
        return Tensor._wrap(count)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        return pow(reduce_sum(pow(abs(x), float(ord)), axes, keepdims), 1.0 / ord)
    raise ValueError(f"norm: unsupported vector norm. Expected 'euclidean', a number, inf or "
                     f"-inf. Received: ord={ord!r}")


def matrix_norm(x, ord="fro", axis=(-2, -1), keepdims=False):  # noqa: A002
    """The matrix norm over the two axes in ``axis`` (rows, columns): "fro" (√Σ x²), 1 (max
    column sum of |x|), inf (max row sum), −1 / −inf (the minima), 2 / −2 (largest / smallest
    singular value), "nuc" (sum of singular values)."""
    x = as_tensor(x)
    if len(axis) != 2:
        raise ValueError(f"norm: a matrix norm needs two axes. Received: axis={axis}")
    r, c = (normalize_axis(a, x.ndim)[0] for a in axis)
    if r == c:
        raise ValueError(f"norm: the two axes must differ. Received: axis={axis}")
    if ord in ("fro", "euclidean", None):
        return Euclidean(tuple(sorted((r, c))), keepdims)(x)
    if ord in (1, -1, numpy.inf, -numpy.inf):
        inner, outer = (r, c) if ord in (1, -1) else (c, r)
        s = reduce_sum(abs(x), inner, keepdims=True)
        y = (reduce_max if ord > 0 else reduce_min)(s, outer, keepdims=True)
    elif ord in (2, -2, "nuc"):
        keep = [i for i in range(x.ndim) if i not in (r, c)]
        sv = SingularValues()(transpose(x, keep + [r, c]))
        y = reduce_sum(sv, -1) if ord == "nuc" else \
            (reduce_max if ord == 2 else reduce_min)(sv, -1)
        return reshape(y, _keep_shape(x.shape, (r, c))) if keepdims else y
    else:
        raise ValueError(f"norm: unsupported matrix norm. Expected 'fro', 'nuc', 1, -1, 2, -2, "
                         f"inf or -inf. Received: ord={ord!r}")
    return y if keepdims else reshape(y, tuple(n for i, n in enumerate(x.shape) if i not in (r, c)))


def norm(tensor, ord="euclidean", axis=None, keepdims=False):  # noqa: A002 - the TF name
    """TF's ``tf.norm``: a vector norm over ``axis`` (the flattened tensor when None), or a
    matrix norm when ``axis`` is a pair of axes.

    >>> import profond as pf
    >>> float(pf.norm(pf.constant([3.0, 4.0])))
    5.0
    """
    keepdims = bool(keepdims)
    if axis is not None and numpy.ndim(axis) == 1 and len(axis) == 2:
        return matrix_norm(tensor, ord, tuple(axis), keepdims)
    return vector_norm(tensor, ord, axis, keepdims)


def numpy_norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - the NumPy name
    """NumPy's ``linalg.norm`` (and ``keras.ops.norm``): with ``axis`` None, a matrix norm for a
    2-D ``x`` when ``ord`` is given, else the 2-norm of the flattened ``x``."""
    x = as_tensor(x)
    if axis is None and ord is not None and x.ndim == 2:
        return matrix_norm(x, ord, (0, 1), keepdims)
    if axis is None and ord is not None and x.ndim != 1:
        raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D tensor, or an axis. "
                         f"Received: shape={x.shape}")
    return norm(x, 2 if ord is None else ord, axis, keepdims)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False):
    """√(Σ x²) over ``axis``, as ``tf.math.reduce_euclidean_norm``."""
    return vector_norm(input_tensor, 2, axis, keepdims)


def l2_normalize(x, axis=None, epsilon=1e-12):
    """x / √max(Σ x², ε) over ``axis`` (all axes when None), as ``tf.math.l2_normalize``: a zero
    vector stays zero."""
    x = as_tensor(x)
    sq = reduce_sum(x * x, axis, keepdims=True)
    return x / sqrt(maximum(sq, epsilon))


def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(‖x‖_order, ε) along ``axis`` (``keras.ops.normalize``; ε = 1e-7 by default)."""
    x = as_tensor(x)
    n = vector_norm(x, order, axis, keepdims=True)
    return x / maximum(n, 1e-7 if epsilon is None else epsilon)


def clip_by_norm(t, clip_norm, axes=None):
    """t · clip_norm / max(‖t‖₂, clip_norm) over ``axes``: rescaled only when its norm is larger."""
    t = as_tensor(t)
    n = Euclidean(normalize_axis(axes, t.ndim), True)(t)
    return t * clip_norm / maximum(n, clip_norm)


def global_norm(t_list):
    """√(Σₜ ‖t‖²) over a list of tensors (None entries are skipped)."""
    parts = [reduce_sum(as_tensor(t) * as_tensor(t)) for t in t_list if t is not None]
    if not parts:
        return Tensor(0.0)
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None):
    """Scale every tensor by clip_norm / max(global_norm, clip_norm); returns (list, norm)."""
    g = global_norm(t_list) if use_norm is None else as_tensor(use_norm)
    scale = clip_norm / maximum(g, clip_norm)
    return [None if t is None else as_tensor(t) * scale for t in t_list], g


def normalize_tf(tensor, ord="euclidean", axis=None):  # noqa: A002 - the TF name
    """TF's ``tf.linalg.normalize``: (tensor / ‖tensor‖, ‖tensor‖), the norm kept as size-1 axes."""
    n = norm(tensor, ord, axis, keepdims=True)
    return as_tensor(tensor) / n, n
