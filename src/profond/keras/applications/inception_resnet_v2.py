"""``keras.applications.inception_resnet_v2``: ``preprocess_input`` ("tf" mode) and
``decode_predictions``; the model builder raises ``NotImplementedError`` (see
``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import InceptionResNetV2  # noqa: F401 - re-exported

preprocess_input = preprocess_for("inception_resnet_v2")

__all__ = ["decode_predictions", "preprocess_input", "InceptionResNetV2"]
