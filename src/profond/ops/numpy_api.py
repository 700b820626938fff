"""The NumPy-named functions of ``keras.ops`` with Keras 3's signatures and conventions, as thin
functions over profond's ops (``keras.ops`` re-exports them).

Where NumPy and TF disagree, Keras follows NumPy and so does this module: ``argmax(x)`` and
``cumsum(x)`` with ``axis=None`` work on the flattened tensor, ``split`` takes cut indices, a
reduction of an integer ``mean`` gives float32. Control flow lives in ``control_flow``, the
statistics (quantiles, NaN-ignoring reductions) in ``statistics``.
"""

import builtins

import numpy

from profond import _validation as check
from profond import backend
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops import contraction, cumulative, elementwise, math, matrix, misc, selection
from profond.ops import reduction as red
from profond.ops import shape as sh
from profond.ops._util import as_pair, as_tensor, normalize_axis
from profond.ops.collective import global_moments
from profond.ops.indexing import getitem
from profond.ops.linalg import matmul
from profond.ops.symbolic import dispatchable

# --- tensors ---------------------------------------------------------------------------------


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a tensor (Python ints become int32 and floats float32, as Keras)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else elementwise.cast(x, dtype)
    t = Tensor(x, dtype=dtype)
    if dtype is None and t.dtype == numpy.int64 and not isinstance(x, (numpy.ndarray,
                                                                       numpy.generic)):
        info = numpy.iinfo(numpy.int32)
        if t.size == 0 or (info.min <= t.data.min() and t.data.max() <= info.max):
            t = Tensor(t.data.astype(numpy.int32))
    return t


def convert_to_numpy(x):
    """``x`` as a NumPy array (copied to the host)."""
    return x.numpy() if isinstance(x, Tensor) else numpy.asarray(x)


def is_tensor(x):
    """True for a profond tensor."""
    return isinstance(x, Tensor)


def shape(x):
    """The static shape, a tuple (``keras.ops.shape``; ``tf.shape`` gives a tensor). A symbolic
    tensor of the functional API gives its shape, None for the batch axis."""
    return tuple(x.shape) if hasattr(x, "shape") else numpy.shape(x)


def dtype(x):
    """The dtype's name as a string ("float32")."""
    d = x.dtype if hasattr(x, "dtype") else as_tensor(x).dtype
    return str(numpy.dtype(d))


def ndim(x):
    """The rank."""
    return len(shape(x))


def size(x):
    """The number of entries, as an int32 scalar tensor."""
    return Tensor._wrap(numpy.asarray(as_tensor(x).size, dtype=numpy.int32))


def stop_gradient(variable):
    """The same values, with no gradient flowing back through them."""
    return Tensor(as_tensor(variable).data)


def copy(x):
    """A new tensor with a copy of ``x``'s values (the gradient flows through)."""
    return as_tensor(x) * 1


def saturate_cast(x, dtype):
    """Cast to ``dtype``, first clipping to its range (no wrap-around for integers)."""
    x = as_tensor(x)
    info = numpy.iinfo(dtype) if numpy.dtype(dtype).kind in "iu" else numpy.finfo(dtype)
    lo = builtins.max(float(info.min), float(numpy.finfo("float64").min))
    return elementwise.cast(elementwise.clip_by_value(x, lo, float(info.max)), dtype)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list (``num``, when given, must match)."""
    parts = sh.unstack(x, axis)
    if num is not None and num != len(parts):
        raise ValueError(f"unstack: expected num={num} slices. Received: {len(parts)}")
    return parts


def get_item(x, key):
    """``x[key]``."""
    return getitem(x, key)


# --- constructors -----------------------------------------------------------------------------


def _floatx(dtype):
    return dtype or backend.floatx()


def ones(shape, dtype=None):
    """A tensor of ones (float32 by default)."""
    return misc.ones(shape, dtype)


def zeros(shape, dtype=None):
    """A tensor of zeros (float32 by default)."""
    return misc.zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (float32 by default)."""
    return misc.fill(shape, fill_value, _floatx(dtype))


def full_like(x, fill_value, dtype=None):
    """A tensor of ``x``'s shape (and dtype) filled with ``fill_value``."""
    x = as_tensor(x)
    return misc.fill(x.shape, fill_value, dtype or x.dtype)


def empty(shape, dtype=None):
    """A new tensor of ``shape`` (zeros: NumPy's uninitialized memory would be a trap)."""
    return misc.zeros(shape, dtype)


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - the NumPy names
    """An N×M matrix with ones on the k-th diagonal."""
    return matrix.eye(N, M, dtype=dtype, k=k)


def identity(n, dtype=None):
    """The n×n identity matrix."""
    return matrix.eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    """Ones at and below the k-th diagonal of an N×M matrix."""
    xp = backend.default_module()
    return Tensor._wrap(xp.tri(int(N), None if M is None else int(M), int(k), dtype=_floatx(dtype)))


def arange(start, stop=None, step=None, dtype=None):
    """[start, stop) by ``step`` (int32 for integers, float32 for floats)."""
    return misc.arange(start, stop, 1 if step is None else step, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from start to stop (``endpoint`` included by default)."""
    out, step = numpy.linspace(numpy.asarray(start), numpy.asarray(stop), int(num),
                               endpoint=endpoint, retstep=True, dtype=_floatx(dtype), axis=axis)
    t = Tensor(out)
    return (t, step) if retstep else t


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """base ** linspace(start, stop, num)."""
    out = numpy.logspace(numpy.asarray(start), numpy.asarray(stop), int(num), endpoint=endpoint,
                         base=base, dtype=_floatx(dtype), axis=axis)
    return Tensor(out)


def array(x, dtype=None):
    """A tensor from ``x`` (as ``convert_to_tensor``)."""
    return convert_to_tensor(x, dtype)


# --- reductions -------------------------------------------------------------------------------


def _as_float(x):
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else elementwise.cast(x, backend.floatx())


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis`` (integers give float32)."""
    return red.reduce_mean(_as_float(x), axis, keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - the NumPy name
    """Σ over ``axis``."""
    return red.reduce_sum(x, axis, keepdims)


def _extreme(reduce, pick, x, axis, keepdims, initial):
    x = as_tensor(x)
    if initial is None:
        return reduce(x, axis, keepdims)
    if x.size == 0:  # nothing to compare: ``initial`` in the reduced shape
        out = numpy.full(red._keep_shape(x.shape, normalize_axis(axis, x.ndim)), initial, x.dtype)
        return Tensor(out if keepdims else out.squeeze(normalize_axis(axis, x.ndim)))
    return pick(reduce(x, axis, keepdims), initial)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - the NumPy name
    """The maximum over ``axis`` (at least ``initial`` when given; an empty x gives it)."""
    return _extreme(red.reduce_max, elementwise.maximum, x, axis, keepdims, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """The minimum over ``axis`` (at most ``initial`` when given; an empty x gives it)."""
    return _extreme(red.reduce_min, elementwise.minimum, x, axis, keepdims, initial)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    """Π over ``axis``."""
    x = as_tensor(x)
    return cumulative.reduce_prod(x if dtype is None else elementwise.cast(x, dtype),
                                  axis, keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance over ``axis``."""
    return red.reduce_variance(_as_float(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    return red.reduce_std(_as_float(x), axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """Logical or over ``axis``."""
    return cumulative.reduce_any(x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """Logical and over ``axis``."""
    return cumulative.reduce_all(x, axis, keepdims)


def ptp(x, axis=None, keepdims=False):
    """max − min over ``axis``."""
    return red.reduce_max(x, axis, keepdims) - red.reduce_min(x, axis, keepdims)


def count_nonzero(x, axis=None):
    """How many entries are nonzero over ``axis`` (int32)."""
    return cumulative.count_nonzero(x, axis, dtype="int32")


def _flat_or(x, axis):
    x = as_tensor(x)
    return (sh.reshape(x, (-1,)), 0) if axis is None else (x, axis)


def argmax(x, axis=None, keepdims=False):
    """Index of the largest entry along ``axis`` (of the flattened x when None), int32."""
    return _arg(misc.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest entry along ``axis`` (of the flattened x when None), int32."""
    return _arg(misc.argmin, x, axis, keepdims)


def _arg(fn, x, axis, keepdims):
    flat, ax = _flat_or(x, axis)
    out = fn(flat, ax, output_type=numpy.int32)
    if keepdims:
        x = as_tensor(x)
        keep = (1,) * x.ndim if axis is None else red._keep_shape(
            x.shape, normalize_axis(axis, x.ndim))
        out = sh.reshape(out, keep)
    return out


def cumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened x when None)."""
    x = as_tensor(x) if dtype is None else elementwise.cast(x, dtype)
    return cumulative.cumsum(*_flat_or(x, axis))


def cumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (of the flattened x when None)."""
    x = as_tensor(x) if dtype is None else elementwise.cast(x, dtype)
    return cumulative.cumprod(*_flat_or(x, axis))


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (of the flattened x when None)."""
    return selection.argsort(*_flat_or(x, axis))


def sort(x, axis=-1):
    """``x`` sorted ascending along ``axis`` (of the flattened x when None)."""
    return selection.sort(*_flat_or(x, axis))


# --- shapes -----------------------------------------------------------------------------------


def concatenate(xs, axis=0):
    """Join tensors along an existing ``axis`` (the flattened tensors when None)."""
    if axis is None:
        return sh.concat([sh.reshape(as_tensor(x), (-1,)) for x in xs], 0)
    return sh.concat(list(xs), axis)


def append(x1, x2, axis=None):
    """``x2`` joined after ``x1`` along ``axis`` (flattened when None)."""
    return concatenate([x1, x2], axis)


def hstack(xs):
    """Join along axis 1 (axis 0 for 1-D tensors)."""
    return sh.concat(list(xs), 0 if as_tensor(xs[0]).ndim == 1 else 1)


def vstack(xs):
    """Join along axis 0, 1-D tensors becoming rows."""
    return sh.concat([sh.reshape(as_tensor(x), (1, -1)) if as_tensor(x).ndim == 1 else x
                         for x in xs], 0)


def stack(x, axis=0):
    """Join tensors of one shape along a new ``axis``."""
    return sh.stack(list(x), axis)


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be −1)."""
    return sh.reshape(x, (newshape,) if isinstance(newshape, int) else tuple(newshape))


def ravel(x):
    """``x`` flattened to 1-D."""
    return sh.reshape(x, (-1,))


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed when None)."""
    return sh.transpose(x, axes)


def expand_dims(x, axis):
    """``x`` with size-1 axes inserted at ``axis`` (an int or a tuple)."""
    x = as_tensor(x)
    if isinstance(axis, int):
        return sh.expand_dims(x, axis)
    axes = normalize_axis(axis, x.ndim + len(axis))
    dims = iter(x.shape)
    return sh.reshape(x, tuple(1 if i in axes else next(dims) for i in range(len(axes) + x.ndim)))


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (those in ``axis`` only, when given)."""
    return sh.squeeze(x, axis)


def moveaxis(x, source, destination):
    """Move the axes ``source`` to the positions ``destination``, keeping the others' order."""
    x = as_tensor(x)
    src = [normalize_axis(int(a), x.ndim)[0] for a in numpy.atleast_1d(source)]
    dst = [normalize_axis(int(a), x.ndim)[0] for a in numpy.atleast_1d(destination)]
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return sh.transpose(x, order)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = as_tensor(x)
    perm = list(range(x.ndim))
    a, b = normalize_axis(axis1, x.ndim)[0], normalize_axis(axis2, x.ndim)[0]
    perm[a], perm[b] = perm[b], perm[a]
    return sh.transpose(x, perm)


def split(x, indices_or_sections, axis=0):
    """NumPy's split: an int cuts into that many equal parts, a list gives the cut indices."""
    x = as_tensor(x)
    n = x.shape[normalize_axis(axis, x.ndim)[0]]
    if isinstance(indices_or_sections, int):
        return sh.split(x, indices_or_sections, axis)
    cuts = [0] + [builtins.min(int(i), n) for i in indices_or_sections] + [n]
    return sh.split(x, [builtins.max(b - a, 0) for a, b in zip(cuts, cuts[1:])], axis)


def array_split(x, indices_or_sections, axis=0):
    """Cut into ``indices_or_sections`` nearly equal parts (the first ones one longer)."""
    x = as_tensor(x)
    n = x.shape[normalize_axis(axis, x.ndim)[0]]
    k = int(indices_or_sections)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    return sh.split(x, sizes, axis)


def tile(x, repeats):
    """``x`` repeated ``repeats[i]`` times along axis i (NumPy's rule for unequal lengths)."""
    x = as_tensor(x)
    reps = [int(repeats)] if numpy.ndim(repeats) == 0 else [int(r) for r in repeats]
    if len(reps) < x.ndim:
        reps = [1] * (x.ndim - len(reps)) + reps
    elif len(reps) > x.ndim:
        x = sh.reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
    return sh.tile(x, reps)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` ([before, after] per axis, or one pair for all axes)."""
    x = as_tensor(x)
    pw = numpy.asarray(pad_width, dtype=int)
    pw = numpy.broadcast_to(pw.reshape(-1, 2) if pw.size == 2 else pw, (x.ndim, 2))
    return sh.pad(x, pw.tolist(), mode.upper(), 0 if constant_values is None
                     else constant_values)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the matrices spanned by ``axis1``, ``axis2`` (as NumPy:
    those axes removed, the diagonal last)."""
    return matrix.diag_part(moveaxis(x, [axis1, axis2], [-2, -1]), offset)


def trace(x, offset=0, axis1=0, axis2=1):
    """Σ of the ``offset`` diagonal over ``axis1``, ``axis2``."""
    return red.reduce_sum(diagonal(x, offset, axis1, axis2), -1)


def diag(x, k=0):
    """NumPy's diag: a 1-D x gives the matrix with x on its k-th diagonal, a 2-D x its diagonal."""
    x = as_tensor(x)
    if x.ndim == 1:
        return matrix.diag(x, k)
    if x.ndim == 2:
        return matrix.diag_part(x, k)
    raise ValueError(f"diag expects a 1-D or 2-D tensor. Received: shape={x.shape}")


def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None)."""
    return selection.flip(x, axis)


def fliplr(x):
    """``x`` reversed along axis 1."""
    return selection.flip(x, 1)


def flipud(x):
    """``x`` reversed along axis 0."""
    return selection.flip(x, 0)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along ``axis``: out[i] = a[i + 1] − a[i], n times."""
    a = as_tensor(a)
    ax = normalize_axis(axis, a.ndim)[0]
    for _ in range(int(n)):
        head = (slice(None),) * ax
        a = getitem(a, head + (slice(1, None),)) - getitem(a, head + (slice(None, -1),))
    return a


# --- elementwise and products -----------------------------------------------------------------


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with one argument, the indices of the nonzero
    entries (a list of int32 tensors, one per axis)."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where expects both x1 and x2, or neither. Received one of them")
    return elementwise.where(condition, x1, x2)


def nonzero(x):
    """Indices of the nonzero entries, one int32 tensor per axis."""
    d = as_tensor(x).data
    return [Tensor._wrap(i.astype(numpy.int32)) for i in array_module(d).nonzero(d)]


def clip(x, x_min, x_max):
    """Entries clipped to [x_min, x_max]."""
    return elementwise.clip_by_value(x, x_min, x_max)


def power(x1, x2):
    """x1 ** x2 elementwise."""
    x1, x2 = as_pair(x1, x2)
    if x2.ndim == 0 and x2.dtype.kind in "iuf" and float(x2.data) == 2:
        return elementwise.square(x1)
    return elementwise.pow(x1, x2)


def true_divide(x1, x2):
    """x1 / x2 elementwise (integers give floats)."""
    x1, x2 = as_pair(x1, x2)
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        x1, x2 = _as_float(x1), _as_float(x2)
    return elementwise.divide(x1, x2)


def divide_no_nan(x1, x2):
    """x1 / x2, with 0 where x2 is 0."""
    x1, x2 = as_pair(x1, x2)
    zero = x2.data == 0
    return elementwise.where(zero, 0, x1 / elementwise.where(zero, 1, x2))


def mod(x1, x2):
    """x1 mod x2 with the sign of x2 (Python's ``%``)."""
    return math.floormod(x1, x2)


def floor_divide(x1, x2):
    """⌊x1 / x2⌋."""
    return math.floordiv(x1, x2)


def equal(x1, x2):
    """x1 == x2 elementwise."""
    return misc.equal(x1, x2)


def not_equal(x1, x2):
    """x1 != x2 elementwise."""
    return misc.not_equal(x1, x2)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when every pair of entries is close (``isclose``)."""
    return Tensor._wrap(numpy.asarray(bool(math.isclose(x1, x2, rtol, atol, equal_nan)
                                           .data.all())))


def dot(x1, x2):
    """NumPy's dot: a product with a scalar, the inner product of vectors, a matrix product,
    or Σ over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = as_pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return contraction.tensordot(x1, x2, ([-1], [-2]))


def inner(x1, x2):
    """Σ over the last axes of x1 and x2 (a product with a scalar)."""
    x1, x2 = as_pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    return contraction.tensordot(x1, x2, ([-1], [-1]))


def vdot(x1, x2):
    """The dot product of the flattened x1 and x2."""
    return red.reduce_sum(ravel(x1) * ravel(x2))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors along the last axes: (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃,
    a₁b₂ − a₂b₁)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross expects vectors of size 3. Received shapes {a.shape}, {b.shape}")
    a0, a1, a2 = (getitem(a, (Ellipsis, i)) for i in range(3))
    b0, b1, b2 = (getitem(b, (Ellipsis, i)) for i in range(3))
    c = sh.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1)
    return moveaxis(c, -1, axisc)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else ``default`` (NumPy's select)."""
    out = as_tensor(default, as_tensor(choicelist[-1]))
    for c, v in zip(reversed(list(condlist)), reversed(list(choicelist))):
        out = elementwise.where(c, v, out)
    return out


def searchsorted(sorted_sequence, values, side="left"):
    """Where each value would be inserted to keep the 1-D ``sorted_sequence`` sorted (int32)."""
    s, v = as_tensor(sorted_sequence).data, as_tensor(values).data
    return Tensor._wrap(array_module(s).searchsorted(s, v, side=side).astype(numpy.int32))


def digitize(x, bins):
    """The index of the bin of each entry (NumPy's digitize, int32)."""
    d, b = as_tensor(x).data, as_tensor(bins).data
    return Tensor._wrap(array_module(d).digitize(d, b).astype(numpy.int32))


# --- nn pieces with Keras's signatures --------------------------------------------------------


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of size ``num_classes`` along a new ``axis``."""
    if sparse:
        raise ValueError("one_hot: sparse tensors are not supported. Received: sparse=True")
    num_classes = check.non_negative_int("num_classes", num_classes, "one_hot")
    return misc.one_hot(x, num_classes, axis=axis, dtype=dtype)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """One vector per row of ``inputs`` with a 1 at every class index it holds."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("multi_hot expects num_classes. Received: num_classes=None")
    hot = one_hot(inputs, num_classes, axis=-1, dtype=dtype)
    out = red.reduce_max(hot, -2) if hot.ndim > 1 else hot
    return moveaxis(out, -1, axis) if axis != -1 else out


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes`` (and, with ``synchronized``, over the processes
    of data-parallel training: ``profond.ops.collective.global_moments``)."""
    x = _as_float(x)
    if synchronized:
        m, v = global_moments(x, axes)
        return (m, v) if keepdims else (sh.squeeze(m, axes), sh.squeeze(v, axes))
    m = red.reduce_mean(x, axes, keepdims=True)
    v = red.reduce_mean(elementwise.square(x - m), axes, keepdims)
    return (m if keepdims else sh.squeeze(m, axes)), v


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x − mean) / √(variance + ε) · scale + offset, the statistics laid along ``axis``."""
    x = as_tensor(x)
    ax = normalize_axis(axis, x.ndim)[0]
    view = tuple(x.shape[ax] if i == ax else 1 for i in range(x.ndim))

    def lay(t):
        t = as_tensor(t, x)
        return sh.reshape(t, view) if t.ndim == 1 else t

    y = (x - lay(mean)) / elementwise.sqrt(lay(variance) + epsilon)
    if scale is not None:
        y = y * lay(scale)
    return y if offset is None else y + lay(offset)


__all__ = sorted(n for n, v in list(globals().items())
                 if callable(v) and not isinstance(v, type) and not n.startswith("_")
                 and getattr(v, "__module__", "") == __name__) + ["amax", "amin"]

# Functional-API models may call these on symbolic tensors: record them there (not the ones that
# read static facts or run Python callables).
EAGER_ONLY = frozenset({"is_tensor", "shape", "dtype", "ndim", "convert_to_numpy", "cond", "switch",
                        "fori_loop", "while_loop", "scan", "map", "vectorized_map",
                        "custom_gradient", "vectorize"})
for _name in set(__all__) - EAGER_ONLY:
    globals()[_name] = dispatchable("numpy_api." + _name, globals()[_name])
amax, amin = max, min
