"""``keras.mixed_precision``: float32 / float64 policies only (see ``profond.mixed_precision``)."""

from profond._names import missing_name
from profond.mixed_precision import (
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]


def __getattr__(name):
    raise missing_name(__name__, name)
