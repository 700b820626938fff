"""``keras.applications.imagenet_utils``: ImageNet preprocessing and class names."""

from profond.applications import decode_predictions, preprocess_input

__all__ = ["decode_predictions", "preprocess_input"]
