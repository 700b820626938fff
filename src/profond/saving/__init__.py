"""Saving and loading: the class registry, model files (``.profond``) and checkpoints."""

from profond.registry import (
    custom_object_scope,
    deserialize,
    get_registered,
    register_serializable,
    registered_name,
    serialize,
)
from profond.saving.checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from profond.saving.model_file import (
    FileFormatError,
    load_model,
    load_weights,
    read_file_info,
    save_model,
    save_weights,
)
