"""``keras.backend``: session helpers, numeric settings and dtype names.

``backend()`` answers ``"profond"`` (see ``profond.config.keras_backend``). ``int_shape`` and the
samplers ``random_normal``, ``random_uniform`` and ``truncated_normal`` are the Keras 2 helpers
many older programs still call (``tf.keras.backend`` keeps them; Keras 3 dropped them): they are
``profond.random``'s ``normal``, ``uniform`` and ``truncated_normal``.
"""

import gc

from profond._names import missing_name
from profond.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from profond.config import keras_backend as backend
from profond.dtypes import is_float_dtype, is_int_dtype, standardize_dtype
from profond.layers import KerasTensor
from profond.layers import clear_session as _clear_names
from profond.random import normal as random_normal
from profond.random import truncated_normal
from profond.random import uniform as random_uniform

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "image_data_format", "int_shape",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "random_normal", "random_uniform",
    "set_epsilon", "set_floatx", "set_image_data_format", "standardize_dtype", "truncated_normal",
]


def clear_session(free_memory=True):
    """Start afresh: automatic layer names count from ``dense`` again; with ``free_memory``,
    unreachable models are collected now."""
    _clear_names()
    if free_memory:
        gc.collect()


def is_keras_tensor(x):
    """True for the symbolic tensors of the functional API (``keras.Input(...)`` and what layers
    return when called on them), False for real tensors and arrays."""
    return isinstance(x, KerasTensor)


def int_shape(x):
    """The shape of a tensor, array or symbolic tensor as a tuple (``None`` for unknown sizes)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError(f"int_shape expects a tensor or an array. Received: {x!r}")
    return tuple(shape)


def __getattr__(name):
    raise missing_name(__name__, name)
