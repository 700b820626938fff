"""Shape ops: reshape, transpose, broadcasting and its inverse, joining, padding, indexing.

They move values around without changing them, so each backward moves the gradient back.
"""

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis


class SumTo(Function):
    """Sum a broadcast gradient back to ``shape`` (the inverse of ``broadcast_to``)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead or y.shape != self.shape else y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)

    weight_view = True  # a reshaped weight: per-example gradients (B, …) reshaped back

    def per_example_view(self, g):
        return g.reshape((g.shape[0],) + tuple(self.inputs[0].shape))


class Transpose(Function):
    def __init__(self, perm):
        self.perm = perm

    def forward(self, x):
        return x.transpose(self.perm)

    def inverse(self):
        """The permutation that undoes ``perm``."""
        inv = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            inv[p] = i
        return inv

    def backward(self, gy):
        return transpose(gy, self.inverse())

    weight_view = True

    def per_example_view(self, g):
        return g.transpose([0] + [1 + a for a in self.inverse()])


def sum_to(x, shape):
    """Sum ``x`` over the axes along which ``shape`` was broadcast to give ``x.shape``."""
    x = as_tensor(x)
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo(shape)(x)


def broadcast_to(x, shape):
    """Repeat ``x`` along size-1 and new leading axes to reach ``shape`` (a read-only view)."""
    x = as_tensor(x)
    if tuple(x.shape) == tuple(shape):
        return x
    return BroadcastTo(shape)(x)


def reshape(x, shape):
    """Same values, new shape (one dimension may be -1)."""
    x = as_tensor(x)
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return Reshape(shape)(x)


def transpose(x, perm=None):
    """Permute the axes (reverse them when ``perm`` is None), as ``tf.transpose``."""
    x = as_tensor(x)
    perm = tuple(range(x.ndim))[::-1] if perm is None else tuple(int(p) % x.ndim for p in perm)
    return Transpose(perm)(x)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    x = as_tensor(x)
    axis = int(axis) % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim) if axis is not None else None
    if axes is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, expected 1")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, shape)


def zeros_like(x, dtype=None):
    """A tensor of zeros with ``x``'s shape (and dtype)."""
    d = x.data if isinstance(x, Tensor) else x
    return Tensor._wrap(array_module(d).zeros(d.shape, dtype or d.dtype))


def ones_like(x, dtype=None):
    """A tensor of ones with ``x``'s shape (and dtype)."""
    d = x.data if isinstance(x, Tensor) else x
    return Tensor._wrap(array_module(d).ones(d.shape, dtype or d.dtype))


# --- joining, splitting, padding, tiling ----------------------------------------------------------


class Concat(Function):
    """y = [x₁, x₂, …] joined along ``axis``; the gradient is cut back into the same pieces."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        sizes = [x.shape[self.axis] for x in self.inputs]
        return tuple(split(gy, sizes, self.axis))


class Stack(Function):
    """y = [x₁, x₂, …] stacked along a new ``axis``; the gradient is unstacked."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, gy):
        return tuple(unstack(gy, self.axis))


class Unstack(Function):
    """(y₁, y₂, …) = the slices of x along ``axis`` (views); the gradient is their stack."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return tuple(array_module(x).moveaxis(x, self.axis, 0))

    def backward(self, *gys):
        return stack(list(gys), self.axis)


class Split(Function):
    """(y₁, y₂, …) = consecutive pieces of x along ``axis``; the gradient is their concat."""

    def __init__(self, sizes, axis):
        self.sizes, self.axis = sizes, axis

    def forward(self, x):
        starts = [sum(self.sizes[:i]) for i in range(1, len(self.sizes))]
        return tuple(array_module(x).split(x, starts, axis=self.axis))

    def backward(self, *gys):
        return concat(list(gys), self.axis)


class Pad(Function):
    """y = x surrounded by ``value`` (TF's CONSTANT mode); the gradient is the inner block."""

    def __init__(self, paddings, value):
        self.paddings, self.value = paddings, value

    def forward(self, x):
        return array_module(x).pad(x, self.paddings, constant_values=self.value)

    def backward(self, gy):
        from profond.ops.indexing import getitem

        n = self.inputs[0].shape
        inner = tuple(slice(b, b + n[i]) for i, (b, _) in enumerate(self.paddings))
        return getitem(gy, inner)


class Tile(Function):
    """y = x repeated ``multiples[i]`` times along axis i;  ∂L/∂x sums the copies."""

    def __init__(self, multiples):
        self.multiples = multiples

    def forward(self, x):
        return array_module(x).tile(x, self.multiples)

    def backward(self, gy):
        from profond.ops.reduction import reduce_sum

        # y viewed as (m₀, n₀, m₁, n₁, …): copy k along axis i sits at index k of axis 2i.
        x = self.inputs[0]
        split_shape = [d for m, n in zip(self.multiples, x.shape) for d in (m, n)]
        copies = tuple(range(0, 2 * x.ndim, 2))
        return reduce_sum(reshape(gy, split_shape), copies)


def concat(values, axis):
    """Join tensors along an existing ``axis`` (TF's ``tf.concat``).

    >>> import profond as pf
    >>> pf.concat([pf.ones((2, 1)), pf.zeros((2, 2))], axis=1).shape
    (2, 3)
    """
    xs = [as_tensor(v) for v in values]
    if not xs:
        raise ValueError("concat expects at least one tensor. Received: values=[]")
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError("concat cannot join scalars (rank 0); use stack instead")
    axis = normalize_axis(axis, ndim)[0]
    shapes = [x.shape for x in xs]
    for s in shapes:
        if len(s) != ndim or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ValueError(
                f"concat expects shapes that match except on axis {axis}. Received: {shapes}"
            )
    return Concat(axis)(*xs)


def stack(values, axis=0):
    """Join tensors of one shape along a new ``axis`` (TF's ``tf.stack``)."""
    xs = [as_tensor(v) for v in values]
    if not xs:
        raise ValueError("stack expects at least one tensor. Received: values=[]")
    shapes = [x.shape for x in xs]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack expects tensors of one shape. Received: {shapes}")
    axis = normalize_axis(axis, xs[0].ndim + 1)[0]
    return Stack(axis)(*xs)


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a list (TF's ``tf.unstack``); one op, so the
    backward is one stack, not one full-size scatter per slice."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    return list(Unstack(axis)(x)) if x.shape[axis] > 1 else [squeeze(x, axis)]


def split(x, num_or_size_splits, axis=0):
    """Cut ``x`` along ``axis`` into equal parts (an int) or parts of the given sizes (a list,
    one of which may be -1), as ``tf.split``. Returns a list of tensors."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    n = x.shape[axis]
    if isinstance(num_or_size_splits, int):
        k = num_or_size_splits
        if k <= 0 or n % k:
            raise ValueError(f"split: cannot cut an axis of size {n} into {k} equal parts")
        sizes = [n // k] * k
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - sum(sizes) - 1
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(
                f"split: sizes {list(num_or_size_splits)} do not add up to the axis size {n}"
            )
    return list(Split(tuple(sizes), axis)(x))


def pad(x, paddings, mode="CONSTANT", constant_values=0):
    """Pad ``x`` with ``paddings[i] = [before, after]`` entries along axis i (``tf.pad``).

    Modes: ``"CONSTANT"`` (fill with ``constant_values``), ``"REFLECT"`` (mirror, edge not
    repeated) and ``"SYMMETRIC"`` (mirror, edge repeated).

    >>> import profond as pf
    >>> pf.pad(pf.constant([1.0, 2.0]), [[1, 2]]).numpy()
    array([0., 1., 2., 0., 0.], dtype=float32)
    """
    x = as_tensor(x)
    pw = tuple((int(b), int(a)) for b, a in (paddings.tolist() if hasattr(paddings, "tolist")
                                             else paddings))
    if len(pw) != x.ndim or any(b < 0 or a < 0 for b, a in pw):
        raise ValueError(
            f"pad expects one non-negative [before, after] pair per axis of a rank-{x.ndim} "
            f"tensor. Received: paddings={[list(p) for p in pw]}"
        )
    mode = mode.upper()
    if mode == "CONSTANT":
        return Pad(pw, constant_values)(x)
    if mode in ("REFLECT", "SYMMETRIC"):
        # Mirroring only moves values: pad the index range of each axis, then gather.
        from profond.ops.indexing import getitem

        xp = array_module(x.data)
        idx = [xp.pad(xp.arange(n), p, mode=mode.lower()) for n, p in zip(x.shape, pw)]
        return getitem(x, xp.ix_(*idx))
    raise ValueError(f"pad mode must be CONSTANT, REFLECT or SYMMETRIC. Received: mode={mode!r}")


def tile(x, multiples):
    """Repeat ``x`` ``multiples[i]`` times along axis i (``tf.tile``)."""
    x = as_tensor(x)
    multiples = tuple(int(m) for m in multiples)
    if len(multiples) != x.ndim or any(m < 0 for m in multiples):
        raise ValueError(
            f"tile expects one non-negative multiple per axis of a rank-{x.ndim} tensor. "
            f"Received: multiples={list(multiples)}"
        )
    return Tile(multiples)(x)
