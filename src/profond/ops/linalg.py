"""Matrix products: ``matmul`` with batch dimensions and broadcasting (NumPy's ``@`` rules)."""

import numpy

from profond.autodiff.function import Function
from profond.ops._util import as_pair
from profond.ops.shape import expand_dims, squeeze, sum_to, transpose


def _mT(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(x, perm)


class MatMul(Function):
    """Y = A B over the last two axes;  ∂L/∂A = ∂L/∂Y Bᵀ,  ∂L/∂B = Aᵀ ∂L/∂Y (summed over any
    broadcast batch axes)."""

    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(matmul(gy, _mT(b)), a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(matmul(_mT(a), gy), b.shape)
        return ga, gb

    def per_example(self, gy, i):
        """Example n's gradient of a weight matrix B applied to a batch A (B, …, m, k):
        gₙ(B) = Σ Aₙᵀ ∂Lₙ/∂Y over the example's rows (see ``profond.autodiff.per_example``)."""
        a, b = self.inputs
        if i != 1 or b.ndim != 2 or a.ndim < 2:
            return gy[:0]  # not a weight applied to a batch: the engine names the op
        n = gy.shape[0]
        return a.data.reshape(n, -1, a.shape[-1]).transpose(0, 2, 1) @ gy.reshape(
            n, -1, gy.shape[-1])


def matmul(a, b):
    """The matrix product ``a @ b``; 1-D operands are treated as a row / column vector."""
    a, b = as_pair(a, b)
    sa, sb = a.data.shape, b.data.shape
    if len(sa) >= 2 and len(sb) >= 2 and sa[-1] == sb[-2] and \
            (len(sa) == 2 or len(sb) == 2 or sa[:-2] == sb[:-2]):
        return MatMul()(a, b)  # the common case, checked first
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul expects operands of rank >= 1. Received shapes: {a.shape} and {b.shape}"
        )
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else -1]:
        raise ValueError(
            "matmul: inner dimensions differ. Expected a.shape[-1] == b.shape[-2]. "
            f"Received shapes: {a.shape} and {b.shape}"
        )
    if a.ndim == 1:
        return squeeze(matmul(expand_dims(a, 0), b), -2 if b.ndim > 1 else -1)
    if b.ndim == 1:
        return squeeze(matmul(a, expand_dims(b, -1)), -1)
    try:
        numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions do not broadcast. Received shapes: {a.shape} and {b.shape}"
        ) from None
    return MatMul()(a, b)
