"""``keras.layers.serialize`` / ``deserialize``: a layer to its description and back.

The description is ``{"class_name": ..., "config": layer.get_config()}``; ``deserialize`` finds
the class only in ``custom_objects``, an open ``custom_object_scope`` or the registry, as every
loader of profond does (a description never makes profond import a module).

>>> from profond import layers
>>> spec = layers.serialize(layers.Dense(3, activation="relu"))
>>> spec["class_name"], spec["config"]["units"]
('Dense', 3)
>>> type(layers.deserialize(spec)).__name__
'Dense'
"""

from profond import registry
from profond.layers.base import Layer


def serialize(layer):
    """Keras 3's description of ``layer``: ``{"module", "class_name", "config",
    "registered_name"}``, the registered name being None for a built-in layer and ``"pkg>Name"``
    for a user's registered one."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize: expected a Layer. Received: {type(layer).__name__}")
    spec = registry.serialize(layer)
    built_in = type(layer).__module__.startswith("profond.")
    return {"module": "keras.layers" if built_in else type(layer).__module__,
            "class_name": spec["class_name"], "config": spec["config"],
            "registered_name": None if built_in else spec["class_name"]}


def deserialize(config, custom_objects=None):
    """The layer described by ``config`` (``serialize``'s dict); a clear error for a class that
    is neither registered nor given in ``custom_objects``, or that is not a layer."""
    layer = registry.deserialize(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"layers.deserialize: {config['class_name']!r} is not a layer. "
                         f"Received: {type(layer).__name__}")
    return layer
