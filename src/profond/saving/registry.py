"""The registry of classes a saved file may name.

A model file stores ``{"class_name": "Dense", "config": {...}}``; loading looks the name up here and
calls ``cls.from_config(config)``. Nothing else is ever resolved: no module path from the file, no
import, no pickle, no eval. Users register their own classes with ``@register_serializable()``.
"""

_REGISTRY = {}


def register_serializable(package="profond", name=None):
    """Class decorator: allow ``cls`` to be named in saved files (as ``package>name``, or just the
    class name for profond's own classes)."""

    def decorate(cls):
        key = name or cls.__name__
        if package != "profond":
            key = f"{package}>{key}"
        existing = _REGISTRY.get(key)
        if existing is not None and existing is not cls and package == "profond":
            raise ValueError(f"Two profond classes registered under the name {key!r}")
        _REGISTRY[key] = cls
        cls._registered_name = key
        return cls

    return decorate


def registered_name(obj):
    """The name a saved file uses for ``obj``'s class."""
    cls = obj if isinstance(obj, type) else type(obj)
    key = getattr(cls, "_registered_name", None)
    if key is None or _REGISTRY.get(key) is not cls:
        raise TypeError(
            f"{cls.__name__} is not registered for saving. Decorate it with "
            "@profond.saving.register_serializable()"
        )
    return key


def get_registered(name, custom_objects=None):
    """The class registered under ``name`` (or given in ``custom_objects``); a clear error else."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"Unknown class {name!r} in the file: only registered classes can be loaded "
            "(register yours with @profond.saving.register_serializable() or pass custom_objects)"
        )
    return _REGISTRY[name]


def serialize(obj):
    """``{"class_name": ..., "config": obj.get_config()}`` for a registered object."""
    return {"class_name": registered_name(obj), "config": obj.get_config()}


def deserialize(spec, custom_objects=None):
    """Rebuild an object from ``serialize``'s dict, through the registry only."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"Expected a dict with 'class_name' and 'config'. Received: {spec!r:.200}")
    cls = get_registered(spec["class_name"], custom_objects)
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"The config of {spec['class_name']} must be a dict")
    return cls.from_config(config)


def deserialize_with(config, lookup, get, custom_objects=None):
    """The shared body of ``losses.deserialize``, ``metrics.deserialize``, … : a string goes to the
    module's ``get``; a ``{"class_name", "config"}`` dict names a class found in
    ``custom_objects``, else by the module's ``lookup(name)`` (its own table), else in the
    registry — never anywhere else."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("Expected a dict with 'class_name' and 'config'. "
                         f"Received: {config!r:.200}")
    name = config["class_name"]
    if custom_objects and name in custom_objects:
        cls = custom_objects[name]
    else:
        cls = lookup(name) if isinstance(name, str) else None
        cls = cls or get_registered(name, custom_objects)
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"The config of {name} must be a dict")
    return cls.from_config(dict(inner))
