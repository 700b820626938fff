"""Tensors, functions, the backward engine, the tape and anomaly mode."""

from profond.autodiff.anomaly import (
    AnomalyError,
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from profond.autodiff.engine import backward, grad
from profond.autodiff.function import Function
from profond.autodiff.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor, Variable, constant, convert_to_tensor, tensor

__all__ = [
    "AnomalyError", "Function", "GradientTape", "Tensor", "Variable", "backward", "constant",
    "convert_to_tensor", "detect_anomaly", "enable_grad", "grad", "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled", "is_grad_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled",
    "tensor",
]
