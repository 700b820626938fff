"""``keras.applications.inception_v3``: ``preprocess_input`` ("tf" mode) and ``decode_predictions``;
the model builder raises ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import InceptionV3  # noqa: F401 - re-exported

preprocess_input = preprocess_for("inception_v3")

__all__ = ["decode_predictions", "preprocess_input", "InceptionV3"]
