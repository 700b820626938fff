"""Tensors, functions, the backward engine and the tape."""

from profond.autodiff.engine import backward, grad
from profond.autodiff.function import Function
from profond.autodiff.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor, Variable, constant, convert_to_tensor, tensor

__all__ = [
    "Function", "GradientTape", "Tensor", "Variable", "backward", "constant", "convert_to_tensor",
    "enable_grad", "grad", "is_grad_enabled", "no_grad", "set_grad_enabled", "tensor",
]
