"""``keras.saving``: save and load whole models, and the registry of custom classes that configs
resolve through (re-exports of ``profond.models``, ``profond.saving`` and
``profond.utils.serialization``; ``keras.utils`` offers the same registry helpers).

    @keras.saving.register_keras_serializable()
    class MyCell(keras.layers.Layer): ...
"""

from profond.models import load_model
from profond.saving import load_weights, save_model, save_weights
from profond.utils.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_registered_name",
    "get_registered_object", "load_model", "load_weights", "register_keras_serializable",
    "save_model", "save_weights", "serialize_keras_object",
]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
