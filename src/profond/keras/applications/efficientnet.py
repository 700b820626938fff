"""``keras.applications.efficientnet``: ``preprocess_input`` (inputs unchanged: the model rescales
them itself) and ``decode_predictions``; the model builders raise ``NotImplementedError`` (see
``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)

preprocess_input = preprocess_for("efficientnet")

__all__ = ["decode_predictions", "preprocess_input", "EfficientNetB0", "EfficientNetB1",
    "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6",
    "EfficientNetB7"]
