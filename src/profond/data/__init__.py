"""``profond.data``: input pipelines in the style of ``tf.data`` (see ``Dataset``)."""

from profond.data import experimental  # tf.data.experimental
from profond.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    TensorSpec,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "TensorSpec"]
