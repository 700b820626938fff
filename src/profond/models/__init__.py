"""Models: ``Model`` (subclassing and functional API), ``Sequential``, ``load_model``."""

from profond.models.model import Functional, Model
from profond.models.sequential import Sequential


def load_model(filepath, custom_objects=None, **kwargs):
    """Load a model saved with ``model.save(filepath)`` (see ``profond.saving.load_model``)."""
    from profond.saving import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, **kwargs)


__all__ = ["Functional", "Model", "Sequential", "load_model"]
