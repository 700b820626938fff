"""Saving and loading: the class registry (and, with the training stack, model files)."""

from profond.saving.registry import (
    deserialize,
    get_registered,
    register_serializable,
    registered_name,
    serialize,
)
