"""``keras.applications.resnet``: ``preprocess_input`` ("caffe" mode) and ``decode_predictions``;
the model builders raise ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    ResNet50,
    ResNet101,
    ResNet152,
)

preprocess_input = preprocess_for("resnet")

__all__ = ["decode_predictions", "preprocess_input", "ResNet50", "ResNet101", "ResNet152"]
