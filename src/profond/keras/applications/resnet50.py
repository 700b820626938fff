"""``keras.applications.resnet50``: ``preprocess_input`` ("caffe" mode) and ``decode_predictions``;
the model builder raises ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import ResNet50  # noqa: F401 - re-exported

preprocess_input = preprocess_for("resnet50")

__all__ = ["decode_predictions", "preprocess_input", "ResNet50"]
