"""``keras.applications.nasnet``: ``preprocess_input`` ("tf" mode) and ``decode_predictions``; the
model builders raise ``NotImplementedError`` (see ``profond.applications``)."""

from profond.applications import decode_predictions, preprocess_for
from profond.keras.applications import (  # noqa: F401 - re-exported
    NASNetLarge,
    NASNetMobile,
)

preprocess_input = preprocess_for("nasnet")

__all__ = ["decode_predictions", "preprocess_input", "NASNetLarge", "NASNetMobile"]
