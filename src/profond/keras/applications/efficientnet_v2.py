"""``keras.applications.efficientnet_v2``: ``preprocess_input`` (inputs unchanged: the model
rescales them itself) and ``decode_predictions``; the model builders raise ``NotImplementedError``
(see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)

preprocess_input = preprocess_for("efficientnet_v2")

__all__ = ["decode_predictions", "preprocess_input", "EfficientNetV2B0", "EfficientNetV2B1",
    "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S"]
