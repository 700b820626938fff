"""``keras.applications.mobilenet_v3``: ``preprocess_input`` (inputs unchanged: the model rescales
them itself) and ``decode_predictions``; the model builders raise ``NotImplementedError`` (see
``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    MobileNetV3Large,
    MobileNetV3Small,
)

preprocess_input = preprocess_for("mobilenet_v3")

__all__ = ["decode_predictions", "preprocess_input", "MobileNetV3Large", "MobileNetV3Small"]
