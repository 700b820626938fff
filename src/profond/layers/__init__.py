"""Keras-style layers: ``Layer`` (the base class), ``Input``, ``Dense``, ``Activation``,
``Flatten``, ``Reshape``, ``Dropout``."""

from profond.layers.base import (
    Input,
    InputLayer,
    InputSpec,
    KerasTensor,
    Layer,
    clear_session,
)
from profond.layers.core import Activation, Dense, Dropout, Flatten, Reshape

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec",
    "KerasTensor", "Layer", "Reshape", "clear_session",
]
