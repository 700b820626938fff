"""``keras.applications.vgg19``: ``preprocess_input`` ("caffe" mode) and ``decode_predictions``; the
model builder raises ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import VGG19  # noqa: F401 - re-exported

preprocess_input = preprocess_for("vgg19")

__all__ = ["decode_predictions", "preprocess_input", "VGG19"]
