"""Indexing (basic slices and fancy integer / boolean indices) and ``gather``.

The backward of ``y = x[index]`` is a scatter-add: each element of ∂L/∂y is added to the place it
came from. An element picked twice (fancy indexing with repeats) receives both contributions,
which is why it adds (``np.add.at``) instead of assigning.
"""

import numpy

from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.backend import jit as _jit
from profond.ops._util import as_tensor


def _plain_index(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return numpy.asarray(index)
    return index


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    basic = (int, numpy.integer, slice, type(None), type(Ellipsis))
    return all(isinstance(p, basic) for p in parts)


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x = self.inputs[0]
        return ScatterAdd(self.index, x.shape)(gy)

    @property
    def weight_view(self):
        """A slice of a weight (basic index) is a view of it; a gather by ids is not."""
        return _is_basic(self.index)

    def per_example_view(self, g):
        out = array_module(g).zeros((g.shape[0],) + tuple(self.inputs[0].shape), g.dtype)
        out[(slice(None),) + (self.index if isinstance(self.index, tuple) else (self.index,))] = g
        return out

    def per_example(self, gy, i):
        """Example n's gradient of an embedding table W gathered at ids[n] (W[ids], ids of
        shape (B, …)): ∂Lₙ/∂y scattered back to the rows ids[n], repeats added."""
        ids = self.index[0] if isinstance(self.index, tuple) and len(self.index) == 1 \
            else self.index
        x, xp = self.inputs[0], array_module(gy)
        if isinstance(ids, tuple) or ids.ndim == 0 or ids.shape[0] != gy.shape[0]:
            return gy[:0]  # not a gather by example: the engine names the op
        out = xp.zeros((gy.shape[0],) + tuple(x.shape), gy.dtype)
        rows = xp.broadcast_to(xp.arange(gy.shape[0]).reshape((-1,) + (1,) * (ids.ndim - 1)),
                               ids.shape)
        xp.add.at(out, (rows, ids), gy)
        return out


def _import_scatter_kernels():
    from profond.ops import scatter_jit

    return scatter_jit


def _add_rows(out, index, gy):
    """out[ids] += gy by the compiled row loop, for ids an integer array picking rows of out (an
    embedding's lookup) whose values are all in range; False (nothing done) otherwise."""
    ids = index[0] if isinstance(index, tuple) and len(index) == 1 else index
    if not (isinstance(ids, numpy.ndarray) and ids.dtype.kind in "iu" and ids.size and
            out.ndim >= 1 and gy.shape == ids.shape + out.shape[1:]):
        return False
    kernels = _jit.kernels(_import_scatter_kernels, out, gy)
    if kernels is None:
        return False
    n, low = out.shape[0], ids.min()
    if low < -n or ids.max() >= n:
        return False  # np.add.at then raises NumPy's IndexError
    ids = ids.reshape(-1) if low >= 0 else numpy.where(ids < 0, ids + n, ids).reshape(-1)
    kernels.add_rows(out.reshape(n, -1), ids.astype(numpy.intp, copy=False),
                     numpy.ascontiguousarray(gy).reshape(ids.size, -1))
    return True


class ScatterAdd(Function):
    """y = zeros(shape); y[index] += x  (the transpose of ``x[index]``)."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = array_module(gy)
        out = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            out[self.index] = gy  # a basic index never repeats an element
        elif not _add_rows(out, self.index, gy):
            xp.add.at(out, self.index, gy)
        return out

    def backward(self, gg):
        return getitem(gg, self.index)


def getitem(x, index):
    """``x[index]`` with NumPy semantics; differentiable with respect to ``x``."""
    x = as_tensor(x)
    index = _plain_index(index)
    return GetItem(index)(x)


def gather(params, indices, axis=0):
    """TF's ``tf.gather``: pick slices of ``params`` along ``axis`` at ``indices``."""
    params = as_tensor(params)
    idx = indices.data if isinstance(indices, Tensor) else numpy.asarray(indices)
    axis = int(axis) % params.ndim
    return getitem(params, (slice(None),) * axis + (idx,))
