"""``tf.data.experimental``: the pipeline constants and ``cardinality`` under their TF 2 paths.

>>> import profond as tf
>>> ds = tf.data.Dataset.range(10).batch(4)
>>> int(tf.data.experimental.cardinality(ds))
3
>>> int(tf.data.experimental.cardinality(ds.repeat()))  # INFINITE_CARDINALITY
-1
"""

import numpy

from profond._names import missing_name
from profond.autodiff.tensor import Tensor
from profond.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]


def cardinality(dataset):
    """The number of elements of ``dataset`` as an int64 scalar tensor: a count,
    ``INFINITE_CARDINALITY`` (-1) or ``UNKNOWN_CARDINALITY`` (-2)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"cardinality expects a profond.data.Dataset. Received: {dataset!r}")
    return Tensor(numpy.int64(dataset.cardinality()))


def __getattr__(name):
    raise missing_name(__name__, name)
