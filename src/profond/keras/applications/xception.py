"""``keras.applications.xception``: ``preprocess_input`` ("tf" mode) and ``decode_predictions``; the
model builder raises ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import Xception  # noqa: F401 - re-exported

preprocess_input = preprocess_for("xception")

__all__ = ["decode_predictions", "preprocess_input", "Xception"]
