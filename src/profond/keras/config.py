"""``keras.config``: the global numeric settings and the dtype policy."""

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
from profond.mixed_precision import dtype_policy, set_dtype_policy

__all__ = [
    "backend", "dtype_policy", "epsilon", "floatx", "image_data_format", "set_dtype_policy",
    "set_epsilon", "set_floatx", "set_image_data_format",
]


def __getattr__(name):
    raise missing_name(__name__, name)
