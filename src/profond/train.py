"""``tf.train``: TensorFlow's object checkpoints over profond's safe files (re-exports
``profond.saving.tf_checkpoint``)."""

from profond.saving.tf_checkpoint import (
    Checkpoint,
    CheckpointLoadStatus,
    CheckpointManager,
    latest_checkpoint,
)

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "latest_checkpoint"]
