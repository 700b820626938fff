"""Attach operators (``+ - * / ** @ []``, comparisons) and methods (``.sum()``…) to ``Tensor``."""

from profond.autodiff.tensor import Tensor
from profond.ops import elementwise as ew
from profond.ops import linalg, reduction, shape
from profond.ops._util import as_tensor


def _pow(a, b):
    if isinstance(b, (int, float)) and not isinstance(b, bool) and b == 2:
        return ew.square(a)
    return ew.pow(a, b)


def _compare(op):
    def method(self, other):
        if other is None:
            return NotImplemented
        other = as_tensor(other, self)
        return Tensor._wrap(op(self.data, other.data))

    return method


def _getitem(self, index):
    from profond.ops.indexing import getitem

    return getitem(self, index)


Tensor.__add__ = ew.add
Tensor.__radd__ = lambda self, other: ew.add(other, self)
Tensor.__sub__ = ew.subtract
Tensor.__rsub__ = lambda self, other: ew.subtract(other, self)
Tensor.__mul__ = ew.multiply
Tensor.__rmul__ = lambda self, other: ew.multiply(other, self)
Tensor.__truediv__ = ew.divide
Tensor.__rtruediv__ = lambda self, other: ew.divide(other, self)
Tensor.__neg__ = ew.negative
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = ew.abs
Tensor.__pow__ = _pow
Tensor.__rpow__ = lambda self, other: ew.pow(other, self)
Tensor.__matmul__ = linalg.matmul
Tensor.__rmatmul__ = lambda self, other: linalg.matmul(other, self)
Tensor.__getitem__ = _getitem
Tensor.__lt__ = _compare(lambda a, b: a < b)
Tensor.__le__ = _compare(lambda a, b: a <= b)
Tensor.__gt__ = _compare(lambda a, b: a > b)
Tensor.__ge__ = _compare(lambda a, b: a >= b)
Tensor.__eq__ = _compare(lambda a, b: a == b)
Tensor.__ne__ = _compare(lambda a, b: a != b)

Tensor.sum = lambda self, axis=None, keepdims=False: reduction.reduce_sum(self, axis, keepdims)
Tensor.mean = lambda self, axis=None, keepdims=False: reduction.reduce_mean(self, axis, keepdims)
Tensor.max = lambda self, axis=None, keepdims=False: reduction.reduce_max(self, axis, keepdims)
Tensor.min = lambda self, axis=None, keepdims=False: reduction.reduce_min(self, axis, keepdims)
Tensor.reshape = lambda self, *s: shape.reshape(self, s[0] if len(s) == 1 else s)
Tensor.transpose = lambda self, *p: shape.transpose(self, (p[0] if len(p) == 1 else p) or None)
Tensor.T = property(lambda self: shape.transpose(self))
Tensor.exp = ew.exp
Tensor.log = ew.log
Tensor.sqrt = ew.sqrt
Tensor.abs = ew.abs
Tensor.astype = ew.cast
