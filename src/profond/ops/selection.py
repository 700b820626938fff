"""Picking, reordering and scattering entries: ``sort``, ``top_k``, ``take_along_axis``,
``gather_nd``, ``repeat``, ``roll``, ``flip``, segment sums, ``slice_update``, ``scatter``.

Almost all of them are one integer index built on the host, then ``getitem`` (whose backward
scatter-adds the gradient back where each entry came from) or its transpose ``ScatterAdd``: one
differentiable mechanism, so every op here has exact first and second derivatives for free.
"""

import collections

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.indexing import ScatterAdd, getitem
from profond.ops.shape import broadcast_to, pad, reshape

_slice = slice  # the builtin, before ``slice`` below shadows it
TopK = collections.namedtuple("TopKV2", ["values", "indices"])


def _ints(indices, name):
    """``indices`` as an integer array (host or device), with a clear error otherwise."""
    idx = indices.data if isinstance(indices, Tensor) else numpy.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name} expects integer indices. Received: dtype={idx.dtype}")
    return idx


def _axis(x, axis, name):
    if x.ndim == 0:
        raise ValueError(f"{name} expects a tensor of rank >= 1. Received: shape=()")
    return normalize_axis(axis, x.ndim)[0]


def take_along_axis(x, indices, axis=-1):
    """``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis`` (NumPy's rule:
    ``indices`` has x's rank and broadcasts against it on the other axes). ``axis=None`` works
    on the flattened ``x``."""
    x = as_tensor(x)
    idx = _ints(indices, "take_along_axis")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis(x, axis, "take_along_axis")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis expects indices of rank {x.ndim} (the rank of x). "
                         f"Received: indices.shape={idx.shape}")
    xp = array_module(idx)
    index = []
    for a, n in enumerate(x.shape):
        if a == axis:
            index.append(idx)
        else:
            shape = [1] * x.ndim
            shape[a] = n
            index.append(xp.arange(n).reshape(shape))
    return getitem(x, tuple(index))


def take(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None), as
    ``numpy.take``; negative indices count from the end."""
    x = as_tensor(x)
    idx = _ints(indices, "take")
    if axis is None:
        return getitem(reshape(x, (-1,)), idx)
    axis = _axis(x, axis, "take")
    return getitem(x, (_slice(None),) * axis + (idx,))


def gather_nd(params, indices, batch_dims=0):
    """``tf.gather_nd``: the last axis of ``indices`` holds a (partial) index into ``params``;
    ``out[i] = params[indices[i]]``."""
    params = as_tensor(params)
    idx = _ints(indices, "gather_nd")
    if batch_dims:
        raise NotImplementedError(f"gather_nd supports batch_dims=0 only. Received: "
                                  f"batch_dims={batch_dims}")
    if idx.ndim == 0 or idx.shape[-1] > params.ndim:
        raise ValueError(f"gather_nd expects indices whose last axis is at most the rank of params "
                         f"({params.ndim}). Received: indices.shape={idx.shape}")
    return getitem(params, tuple(idx[..., k] for k in range(idx.shape[-1])))


def argsort(x, axis=-1, direction="ASCENDING", stable=True):
    """Indices that sort ``x`` along ``axis`` (int32); ties keep their order."""
    x = as_tensor(x)
    axis = _axis(x, axis, "argsort")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"argsort expects direction 'ASCENDING' or 'DESCENDING'. "
                         f"Received: direction={direction!r}")
    d = x.data
    if direction == "DESCENDING":
        d = -(d.astype("int64") if d.dtype.kind in "ub" else d)
    xp = array_module(d)
    return Tensor._wrap(xp.argsort(d, axis=axis, kind="stable").astype("int32"))


def sort(x, axis=-1, direction="ASCENDING"):
    """``x`` sorted along ``axis``; the gradient goes back to each value's original place."""
    x = as_tensor(x)
    return take_along_axis(x, argsort(x, axis, direction), axis)


def top_k(x, k=1, sorted=True):  # noqa: A002 - the TF name
    """The ``k`` largest entries along the last axis and their indices (int32), as a named
    pair ``(values, indices)``; ties go to the lower index. Values are differentiable.

    >>> import profond as pf
    >>> pf.math.top_k(pf.constant([1.0, 3.0, 2.0]), k=2).values.numpy()
    array([3., 2.], dtype=float32)
    """
    x = as_tensor(x)
    n = x.shape[-1] if x.ndim else 0
    if not 0 <= int(k) <= n:
        raise ValueError(f"top_k expects 0 <= k <= {n} (the size of the last axis). "
                         f"Received: k={k}")
    idx = argsort(x, -1, "DESCENDING").data[..., : int(k)]
    return TopK(take_along_axis(x, idx, -1), Tensor._wrap(idx))


def in_top_k(targets, predictions, k):
    """True where ``predictions[i, targets[i]]`` is among the ``k`` largest of row i (a tie
    with the k-th value counts as in, as TF)."""
    p = as_tensor(predictions).data
    t = _ints(targets, "in_top_k")
    xp = array_module(p)
    target = xp.take_along_axis(p, t[:, None], axis=1)
    return Tensor._wrap((p > target).sum(axis=1) < int(k))


def repeat(x, repeats, axis=None):
    """Each entry repeated ``repeats`` times along ``axis`` (of the flattened ``x`` when None);
    ``repeats`` is an int or one count per entry, as ``numpy.repeat``."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis(x, axis, "repeat")
    reps = numpy.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if (reps < 0).any():
        raise ValueError(f"repeat expects non-negative repeats. Received: repeats={repeats}")
    idx = numpy.repeat(numpy.arange(x.shape[axis]), reps)
    return getitem(x, (_slice(None),) * axis + (idx,))


def roll(x, shift, axis=None):
    """Entries shifted by ``shift`` along ``axis`` (wrapping around); several axes at once when
    ``shift`` and ``axis`` are sequences; the flattened ``x`` when ``axis`` is None."""
    x = as_tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    shifts = numpy.broadcast_to(numpy.asarray(shift), numpy.shape(axis)).reshape(-1)
    for s, a in zip(shifts, numpy.asarray(axis).reshape(-1)):
        a = _axis(x, int(a), "roll")
        n = x.shape[a]
        idx = (numpy.arange(n) - int(s)) % max(n, 1)
        x = getitem(x, (_slice(None),) * a + (idx,))
    return x


def flip(x, axis=None):
    """``x`` with the order of entries reversed along ``axis`` (all axes when None)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    index = tuple(_slice(None, None, -1) if a in axes else _slice(None) for a in range(x.ndim))
    return getitem(x, index)


def reverse(tensor, axis):
    """TF's ``tf.reverse``: reverse along each axis in ``axis``."""
    return flip(tensor, axis)


def unsorted_segment_sum(data, segment_ids, num_segments):
    """``out[s] = Σ_{i: segment_ids[i] = s} data[i]`` for s in [0, num_segments); ``segment_ids``
    indexes data's leading axes, a negative id drops its row (as TF)."""
    data = as_tensor(data)
    ids = _ints(segment_ids, "unsorted_segment_sum")
    if ids.shape != data.shape[: ids.ndim]:
        raise ValueError(f"segment_ids must have the shape of data's leading axes "
                         f"{data.shape[: ids.ndim]}. Received: segment_ids.shape={ids.shape}")
    n = int(num_segments)
    if ids.size and ids.max() >= n:
        raise ValueError(f"segment ids must be < num_segments={n}. Received: "
                         f"max(segment_ids)={int(ids.max())}")
    keep = ids >= 0
    if not keep.all():
        data, ids = getitem(data, keep), ids[keep]
    return ScatterAdd(ids, (n,) + data.shape[ids.ndim:])(data)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums over segments; ``num_segments`` defaults to max(segment_ids) + 1 (as
    ``tf.math.segment_sum``). ``sorted`` is Keras's hint; unsorted ids work either way."""
    ids = _ints(segment_ids, "segment_sum")
    n = (int(ids.max()) + 1 if ids.size else 0) if num_segments is None else num_segments
    return unsorted_segment_sum(data, ids, n)


def unsorted_segment_mean(data, segment_ids, num_segments):
    """Means over segments (an empty segment gives 0, as TF)."""
    data = as_tensor(data)
    ids = _ints(segment_ids, "unsorted_segment_mean")
    total = unsorted_segment_sum(data, ids, num_segments)
    xp = array_module(data.data)
    ones = xp.ones(ids.shape, dtype=data.dtype)
    count = unsorted_segment_sum(Tensor._wrap(ones), ids, num_segments).data
    count = xp.maximum(count, 1).reshape(count.shape + (1,) * (data.ndim - ids.ndim))
    return total / Tensor._wrap(count)


def segment_mean(data, segment_ids, num_segments=None):
    """Means over segments; ``num_segments`` defaults to max(segment_ids) + 1."""
    ids = _ints(segment_ids, "segment_mean")
    n = (int(ids.max()) + 1 if ids.size else 0) if num_segments is None else num_segments
    return unsorted_segment_mean(data, ids, n)


class SegmentExtreme(Function):
    """y[s] = max (or min) of the rows of segment s; the gradient of y[s] goes to the rows that
    reach it, split equally between ties (as TF). An empty segment holds the dtype's lowest
    (highest) value and passes no gradient."""

    def __init__(self, ids, num_segments, mode):
        self.ids, self.n, self.mode = ids, num_segments, mode

    def forward(self, x):
        xp = array_module(x)
        info = numpy.finfo(x.dtype) if x.dtype.kind == "f" else numpy.iinfo(x.dtype)
        out = xp.full((self.n,) + x.shape[self.ids.ndim:],
                      info.min if self.mode == "max" else info.max, dtype=x.dtype)
        (xp.maximum if self.mode == "max" else xp.minimum).at(out, self.ids, x)
        return out

    def backward(self, gy):
        x = self.inputs[0].data
        xp = array_module(x)
        hit = (x == self.output().data[self.ids]).astype(x.dtype)
        ties = xp.zeros((self.n,) + x.shape[self.ids.ndim:], x.dtype)
        xp.add.at(ties, self.ids, hit)
        return getitem(gy, self.ids) * Tensor._wrap(hit / ties[self.ids])


def _segment_extreme(mode, data, segment_ids, num_segments):
    data = as_tensor(data)
    ids = _ints(segment_ids, f"segment_{mode}")
    n = (int(ids.max()) + 1 if ids.size else 0) if num_segments is None else int(num_segments)
    if ids.shape != data.shape[: ids.ndim] or (ids.size and ids.max() >= n):
        raise ValueError(f"segment_{mode}: segment_ids must have the shape of data's leading axes "
                         f"{data.shape[: ids.ndim]} and values < {n}. Received: "
                         f"segment_ids.shape={ids.shape}")
    keep = ids >= 0
    if not keep.all():
        data, ids = getitem(data, keep), ids[keep]
    return SegmentExtreme(ids, n, mode)(data)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """The maximum of each segment (an empty one holds the dtype's lowest value, as TF)."""
    return _segment_extreme("max", data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """The minimum of each segment (an empty one holds the dtype's highest value, as TF)."""
    return _segment_extreme("min", data, segment_ids, num_segments)


def unsorted_segment_max(data, segment_ids, num_segments):
    """``segment_max`` with ``num_segments`` given (a negative id drops its row)."""
    return _segment_extreme("max", data, segment_ids, num_segments)


def unsorted_segment_min(data, segment_ids, num_segments):
    """``segment_min`` with ``num_segments`` given (a negative id drops its row)."""
    return _segment_extreme("min", data, segment_ids, num_segments)


def bincount(x, weights=None, minlength=0):
    """How often each value 0, 1, … occurs in the 1-D non-negative ``x`` (int32), or the sum of
    ``weights`` per value; at least ``minlength`` bins. Not differentiable."""
    idx = _ints(x, "bincount").reshape(-1)
    if idx.size and idx.min() < 0:
        raise ValueError(f"bincount expects non-negative values. Received: min={int(idx.min())}")
    xp = array_module(idx)
    if weights is None:
        return Tensor._wrap(xp.bincount(idx, minlength=int(minlength or 0)).astype("int32"))
    w = as_tensor(weights).data.reshape(-1)
    return Tensor._wrap(xp.bincount(idx, weights=w, minlength=int(minlength or 0)).astype(w.dtype))


def slice(inputs, start_indices, shape):  # noqa: A001 - the Keras / TF name
    """``inputs[start : start + size]`` on every axis (a size of −1 means "to the end")."""
    x = as_tensor(inputs)
    starts, sizes = [int(s) for s in start_indices], [int(n) for n in shape]
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"slice expects {x.ndim} start indices and sizes (the rank of inputs). "
                         f"Received: start_indices={tuple(starts)}, shape={tuple(sizes)}")
    return getitem(x, tuple(_slice(s, None if n == -1 else s + n) for s, n in zip(starts, sizes)))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``:
    y = x · (1 − m) + pad(updates), m the block's indicator; differentiable in both."""
    x = as_tensor(inputs)
    u = as_tensor(updates, x)
    starts = [int(s) for s in start_indices]
    if len(starts) != x.ndim or u.ndim != x.ndim or any(
            s < 0 or s + n > m for s, n, m in zip(starts, u.shape, x.shape)):
        raise ValueError(f"slice_update expects updates of rank {x.ndim} that fit in inputs "
                         f"{x.shape} at start_indices. Received: start_indices={tuple(starts)}, "
                         f"updates.shape={u.shape}")
    paddings = [(s, m - s - n) for s, n, m in zip(starts, u.shape, x.shape)]
    xp = array_module(x.data)
    keep = xp.ones(x.shape, x.dtype)
    keep[tuple(_slice(s, s + n) for s, n in zip(starts, u.shape))] = 0
    return x * Tensor._wrap(keep) + pad(u, paddings)


def scatter(indices, values, shape):
    """A tensor of ``shape``, zero except at ``indices`` (one index per row of the last axis),
    where ``values`` are added (repeated indices add up, as ``tf.scatter_nd``)."""
    idx = _ints(indices, "scatter")
    values = as_tensor(values)
    shape = tuple(int(n) for n in shape)
    if idx.ndim == 0 or idx.shape[-1] > len(shape):
        raise ValueError(f"scatter expects indices whose last axis is at most {len(shape)} (the "
                         f"rank of shape). Received: indices.shape={idx.shape}")
    index = tuple(idx[..., k] for k in range(idx.shape[-1]))
    return ScatterAdd(index, shape)(values)


def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries at ``indices`` replaced by ``updates`` (as
    ``tf.tensor_scatter_nd_update``); differentiable in both."""
    x = as_tensor(inputs)
    idx = _ints(indices, "scatter_update")
    xp = array_module(x.data)
    keep = xp.ones(x.shape, x.dtype)
    keep[tuple(idx[..., k] for k in range(idx.shape[-1]))] = 0
    return x * Tensor._wrap(keep) + scatter(idx, as_tensor(updates, x), x.shape)


def meshgrid(*tensors, indexing="xy"):
    """Coordinate grids from 1-D tensors, as ``numpy.meshgrid``: with ``indexing="xy"`` the first
    two output axes are swapped (Cartesian), with ``"ij"`` they follow the inputs (matrix)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid expects indexing 'xy' or 'ij'. Received: indexing={indexing!r}")
    xs = [reshape(as_tensor(t), (-1,)) for t in tensors]
    sizes = [t.shape[0] for t in xs]
    order = list(range(len(xs)))
    if indexing == "xy" and len(xs) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(xs):
        view = [1] * len(xs)
        view[order.index(i)] = sizes[i]
        out.append(broadcast_to(reshape(t, tuple(view)), shape))
    return out


def boolean_mask(tensor, mask, axis=None):
    """The entries (or slices) of ``tensor`` where the boolean ``mask`` is true, flattened into
    one axis at ``axis`` (0 by default), as ``tf.boolean_mask``; differentiable."""
    x = as_tensor(tensor)
    m = mask.data if isinstance(mask, Tensor) else numpy.asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"boolean_mask expects a boolean mask. Received: dtype={m.dtype}")
    axis = 0 if axis is None else normalize_axis(axis, x.ndim)[0]
    if m.shape != x.shape[axis: axis + m.ndim]:
        raise ValueError(f"boolean_mask: the mask's shape {m.shape} must match the tensor's "
                         f"axes from {axis}. Received: tensor.shape={x.shape}")
    return getitem(x, (_slice(None),) * axis + (m,))


Unique = collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx="int32"):
    """The distinct values of the 1-D ``x`` in order of first appearance, and for each entry
    the position of its value among them (as ``tf.unique``)."""
    d = as_tensor(x).data
    if d.ndim != 1:
        raise ValueError(f"unique expects a 1-D tensor. Received: shape={d.shape}")
    xp = array_module(d)
    values, first, inverse = xp.unique(d, return_index=True, return_inverse=True)
    order = xp.argsort(first)  # sorted values → order of first appearance
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size)
    return Unique(Tensor._wrap(values[order]), Tensor._wrap(rank[inverse].astype(out_idx)))


def searchsorted_tf(sorted_sequence, values, side="left", out_type="int32"):
    """Insertion points of ``values`` into each row of ``sorted_sequence`` (the last axis),
    keeping it sorted, as ``tf.searchsorted`` (rows are batched; a 1-D sequence is one row)."""
    s, v = as_tensor(sorted_sequence).data, as_tensor(values).data
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted expects side 'left' or 'right'. Received: side={side!r}")
    xp = array_module(s)
    if s.ndim == 1:
        return Tensor._wrap(xp.searchsorted(s, v, side=side).astype(out_type))
    rows = [xp.searchsorted(a, b, side=side) for a, b in zip(s.reshape(-1, s.shape[-1]),
                                                              v.reshape(-1, v.shape[-1]))]
    return Tensor._wrap(xp.stack(rows).reshape(v.shape).astype(out_type))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype="int32"):
    """C[i, j] = how many examples (or their total weight) have label i and prediction j, as
    ``tf.math.confusion_matrix`` (integer labels and predictions; ``num_classes`` defaults to
    the largest of them + 1)."""
    t, p = _ints(labels, "confusion_matrix").reshape(-1), _ints(predictions,
                                                                 "confusion_matrix").reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix expects as many predictions as labels. Received: "
                         f"{t.size} labels and {p.size} predictions")
    n = int(max(t.max(initial=-1), p.max(initial=-1))) + 1 if num_classes is None \
        else int(num_classes)
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n):
        raise ValueError(f"confusion_matrix expects labels and predictions in [0, {n}). "
                         f"Received: values up to {int(max(t.max(), p.max()))}")
    if weights is None:
        w = Tensor._wrap(array_module(t).ones(t.shape, dtype=dtype))
    else:
        w = as_tensor(weights)
        w = Tensor._wrap(w.data.reshape(-1).astype(dtype)) if w.dtype != dtype else \
            reshape(w, (-1,))
    return ScatterAdd((t, p), (n, n))(w)


def invert_permutation(x):
    """The inverse permutation: out[x[i]] = i."""
    idx = _ints(x, "invert_permutation")
    xp = array_module(idx)
    if idx.ndim != 1 or not xp.array_equal(xp.sort(idx), xp.arange(idx.size)):
        raise ValueError(f"invert_permutation expects a permutation of 0…n−1. Received: {idx}")
    out = xp.empty_like(idx)
    out[idx] = xp.arange(idx.size, dtype=idx.dtype)
    return Tensor._wrap(out)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments):
    """Segment sums divided by √(segment size) (an empty segment gives 0), as TF."""
    data = as_tensor(data)
    ids = _ints(segment_ids, "unsorted_segment_sqrt_n")
    xp = array_module(data.data)
    ones = Tensor._wrap(xp.ones(ids.shape, dtype=data.dtype))
    count = unsorted_segment_sum(ones, ids, num_segments).data
    scale = 1 / xp.sqrt(xp.maximum(count, 1)).reshape(count.shape + (1,) * (data.ndim - ids.ndim))
    return unsorted_segment_sum(data, ids, num_segments) * Tensor._wrap(scale)


def approx_max_k(operand, k, reduction_dimension=-1, **kwargs):
    """(values, indices) of the k largest entries along ``reduction_dimension`` (exact here)."""
    x = as_tensor(operand)
    ax = _axis(x, reduction_dimension, "approx_max_k")
    idx = argsort(x, ax, "DESCENDING").data[(_slice(None),) * ax + (_slice(0, int(k)),)]
    return take_along_axis(x, idx, ax), Tensor._wrap(idx)


def approx_min_k(operand, k, reduction_dimension=-1, **kwargs):
    """(values, indices) of the k smallest entries along ``reduction_dimension`` (exact here)."""
    x = as_tensor(operand)
    ax = _axis(x, reduction_dimension, "approx_min_k")
    idx = argsort(x, ax).data[(_slice(None),) * ax + (_slice(0, int(k)),)]
    return take_along_axis(x, idx, ax), Tensor._wrap(idx)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of the last axis: out[..., i, j] = x[..., i · stride + j] (``keras.ops``)."""
    x = as_tensor(x)
    length, stride = int(sequence_length), int(sequence_stride)
    n = x.shape[-1]
    if length < 1 or stride < 1 or length > n:
        raise ValueError(f"extract_sequences expects 1 <= sequence_length <= {n} and a positive "
                         f"stride. Received: sequence_length={sequence_length}, "
                         f"sequence_stride={sequence_stride}")
    count = 1 + (n - length) // stride
    idx = numpy.arange(count)[:, None] * stride + numpy.arange(length)[None, :]
    return getitem(x, (Ellipsis, idx))
