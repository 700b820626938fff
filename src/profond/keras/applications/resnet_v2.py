"""``keras.applications.resnet_v2``: ``preprocess_input`` ("tf" mode) and ``decode_predictions``;
the model builders raise ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    ResNet50V2,
    ResNet101V2,
    ResNet152V2,
)

preprocess_input = preprocess_for("resnet_v2")

__all__ = ["decode_predictions", "preprocess_input", "ResNet50V2", "ResNet101V2", "ResNet152V2"]
