"""``keras.applications.convnext``: ``preprocess_input`` (inputs unchanged: the model rescales them
itself) and ``decode_predictions``; the model builders raise ``NotImplementedError`` (see
``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)

preprocess_input = preprocess_for("convnext")

__all__ = ["decode_predictions", "preprocess_input", "ConvNeXtBase", "ConvNeXtLarge",
    "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge"]
