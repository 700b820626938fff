"""Saving and loading: the class registry, model files (``.profond``, and Keras 3's ``.keras``
files, read and written, see ``keras_file``), checkpoints, weights files (safetensors, Keras 3's
``.weights.h5``), JSON architectures and clones, TensorFlow's object checkpoints
(``profond.train``), and the limits on what a file may ask (``set_limits``)."""

from profond.registry import (
    custom_object_scope,
    deserialize,
    get_registered,
    register_serializable,
    registered_name,
    serialize,
)
from profond.saving.checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from profond.saving.limits import get_limits, set_limits
from profond.saving.model_config import (
    clone_model,
    export_unavailable,
    model_from_config,
    model_from_json,
    model_to_json,
)
from profond.saving.model_file import (
    FileFormatError,
    load_model,
    load_weights,
    read_file_info,
    save_model,
    save_weights,
)
from profond.saving.tf_checkpoint import Checkpoint, CheckpointManager, latest_checkpoint
