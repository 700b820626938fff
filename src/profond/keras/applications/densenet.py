"""``keras.applications.densenet``: ``preprocess_input`` ("torch" mode) and ``decode_predictions``;
the model builders raise ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    DenseNet121,
    DenseNet169,
    DenseNet201,
)

preprocess_input = preprocess_for("densenet")

__all__ = ["decode_predictions", "preprocess_input", "DenseNet121", "DenseNet169", "DenseNet201"]
