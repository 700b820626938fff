"""Keras's names for the registry of saveable classes (``profond.registry``).

A saved config names its class (``{"class_name": "MyLayer", "config": {...}}``); loading finds
the class only in the registry or in custom objects the user passes — never by importing a module
named in the file. ``register_keras_serializable`` adds a user's class, ``custom_object_scope``
makes extra names visible for a ``with`` block.

>>> @register_keras_serializable(package="demo")
... class Scale:
...     def __init__(self, factor=2.0):
...         self.factor = factor
...     def get_config(self):
...         return {"factor": self.factor}
...     @classmethod
...     def from_config(cls, config):
...         return cls(**config)
>>> get_registered_name(Scale)
'demo>Scale'
>>> deserialize_keras_object(serialize_keras_object(Scale(3.0))).factor
3.0
"""

from profond import registry


def register_keras_serializable(package="Custom", name=None):
    """Class (or function) decorator: saved files may name it, as ``"<package>>name"``."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: expected `package` to be a string without "
                         f"'>'. Received: package={package!r}")
    return registry.register_serializable(package=package, name=name)


def get_registered_name(obj):
    """The name under which ``obj`` (a class, a function or an instance) is registered; its own
    name if it is not registered."""
    try:
        return registry.registered_name(obj)
    except TypeError:
        target = obj if isinstance(obj, type) or callable(obj) and hasattr(obj, "__name__") \
            else type(obj)
        return target.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (or given in ``custom_objects``, an open
    ``custom_object_scope`` or ``module_objects``) under ``name``; None if there is none."""
    found = registry.get_custom_object(name, custom_objects)
    if found is not None:
        return found
    if module_objects and name in module_objects:
        return module_objects[name]
    try:
        return registry.get_registered(name)
    except ValueError:
        return None


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):`` makes the names resolvable while
    loading, inside the block only (Keras's ``custom_object_scope``, the same class)."""

    def __init__(self, custom_objects):
        if not isinstance(custom_objects, dict):
            raise TypeError(f"CustomObjectScope: expected a dict of custom objects. "
                            f"Received: {type(custom_objects).__name__}")
        self.custom_objects = custom_objects
        self._context = None

    def __enter__(self):
        self._context = registry.custom_object_scope(self.custom_objects)
        return self._context.__enter__()

    def __exit__(self, *exc_info):
        context, self._context = self._context, None
        return context.__exit__(*exc_info)


custom_object_scope = CustomObjectScope


def serialize_keras_object(obj):
    """A JSON-ready description of ``obj``: ``{"class_name", "config", "registered_name"}`` for
    a registered object, plain values (None, numbers, strings, lists, dicts) unchanged."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    spec = registry.serialize(obj)
    spec["registered_name"] = spec["class_name"]
    return spec


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild an object from ``serialize_keras_object``'s description, resolving its class
    through custom objects and the registry only (``safe_mode`` is always on in profond)."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize_keras_object: expected a dict with 'class_name' and "
                         f"'config'. Received: {config!r:.200}")
    name = config.get("registered_name") or config["class_name"]
    cls = get_registered_object(name, custom_objects) or registry.get_registered(
        config["class_name"], custom_objects)
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"deserialize_keras_object: the config of {name} must be a dict.")
    return cls.from_config(dict(inner))


__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
]
