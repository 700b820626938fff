"""The registry of classes a saved file may name (the bottom floor of the house: every module may
register into it; of profond it imports only ``_text``, to quote a file's names safely).

A model file stores ``{"class_name": "Dense", "config": {...}}``; loading looks the name up here and
calls ``cls.from_config(config)``. Nothing else is ever resolved: no module path from the file, no
import, no pickle, no eval. Users register their own classes with ``@register_serializable()``.
"""

import contextlib
import threading

from profond._text import quote

_REGISTRY = {}
_SCOPES = threading.local()  # a stack of {name: cls} tables opened by custom_object_scope


def _scoped_objects():
    return getattr(_SCOPES, "stack", ())


@contextlib.contextmanager
def custom_object_scope(*tables):
    """Within the ``with`` block, names in ``tables`` (``{"Name": cls}`` dicts) resolve like
    registered classes (Keras's ``custom_object_scope``); the scope is undone on exit."""
    merged = {}
    for table in tables:
        if table:
            if not isinstance(table, dict):
                raise TypeError(f"Expected a dict of custom objects. Received: {type(table)}")
            merged.update(table)
    stack = list(_scoped_objects())
    _SCOPES.stack = (*stack, merged)
    try:
        yield merged
    finally:
        _SCOPES.stack = tuple(stack)


def get_custom_object(name, custom_objects=None):
    """``name`` in ``custom_objects``, then in open scopes (innermost first); else None."""
    bare = name.split(">")[-1]  # "pkg>Scale" is also found as "Scale", as in Keras
    for table in (custom_objects or {}, *reversed(_scoped_objects())):
        for key in (name, bare):
            if key in table:
                return table[key]
    return None


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
    """The name a saved file uses for ``obj``'s class.

    A registered class is saved under its registered name. An unregistered class with a config
    (a user's layer or model) is saved under its bare class name, as Keras does: loading it then
    needs ``custom_objects={"Name": cls}`` (or a ``custom_object_scope``), never an import.
    """
    key = getattr(obj, "_registered_name", None)
    if callable(obj) and not isinstance(obj, type) and key is not None \
            and _REGISTRY.get(key) is obj:
        return key  # a registered function (an activation, a loss): its own registered name
    cls = obj if isinstance(obj, type) else type(obj)
    key = getattr(cls, "_registered_name", None)
    if key is not None and _REGISTRY.get(key) is cls:
        return key
    if not (hasattr(cls, "get_config") and hasattr(cls, "from_config")):
        raise TypeError(f"{cls.__name__} is not registered for saving, and has no get_config/"
                        "from_config. Decorate it with @profond.saving.register_serializable()")
    if cls.__name__ in _REGISTRY:
        raise TypeError(
            f"{cls.__name__} is not registered for saving, and its name is taken by "
            f"{_REGISTRY[cls.__name__].__module__}.{cls.__name__}: register yours under a package "
            "with @profond.saving.register_serializable(package='mine')"
        )
    return cls.__name__


class UnknownClassError(ValueError, TypeError):
    """A name in a file that no registered class or custom object answers to (a ``TypeError``
    as in Keras, and a ``ValueError`` like every other refusal of a file)."""


def get_registered(name, custom_objects=None):
    """The class registered under ``name`` (or given in ``custom_objects``); a clear error else."""
    found = get_custom_object(name, custom_objects) if isinstance(name, str) else None
    if found is not None:
        return found
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownClassError(
            f"Unknown class {quote(name)} in the file: only registered classes can be loaded "
            "(register yours with @profond.saving.register_serializable() or pass custom_objects)"
        )
    return _REGISTRY[name]


def serialize(obj):
    """``{"class_name": ..., "config": obj.get_config()}`` for a registered object."""
    return {"class_name": registered_name(obj), "config": obj.get_config()}


def deserialize(spec, custom_objects=None):
    """Rebuild an object from ``serialize``'s dict, through the registry only."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"Expected a dict with 'class_name' and 'config'. Received: {quote(spec)}")
    cls = get_registered(spec["class_name"], custom_objects)
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"The config of {quote(spec['class_name'])} must be a dict")
    return cls.from_config(config)


def deserialize_with(config, lookup, get, custom_objects=None, kind=None):
    """The shared body of ``losses.deserialize``, ``metrics.deserialize``, … : a string goes to the
    module's ``get``; a ``{"class_name", "config"}`` dict names a class found in
    ``custom_objects``, else by the module's ``lookup(name)`` (its own table), else in the
    registry — never anywhere else.

    ``kind`` (``(base class, "a constraint")``) makes it refuse, before anything is built, a
    class that is not a subclass of that base: a file cannot make a ``Dense`` layer a constraint
    or an ``Adam`` a loss (a ``TypeError`` naming the kind expected and the class received)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("Expected a dict with 'class_name' and 'config'. "
                         f"Received: {quote(config)}")
    name = config["class_name"]
    cls = get_custom_object(name, custom_objects) if isinstance(name, str) else None
    if cls is None:
        cls = lookup(name) if isinstance(name, str) else None
        cls = cls or get_registered(name, custom_objects)
    if kind is not None:
        check_kind(cls, kind, name)
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"The config of {quote(name)} must be a dict")
    obj = cls.from_config(dict(inner))
    if kind is not None and not isinstance(obj, kind[0]):  # a from_config that returns another
        raise TypeError(f"Expected {kind[1]}. Received: {type(obj).__name__} from "
                        f"class_name={quote(name)}")
    return obj


def check_kind(cls, kind, name):
    """Refuse ``cls`` (named ``name`` in a file) unless it subclasses ``kind[0]``."""
    base, label = kind
    if not (isinstance(cls, type) and issubclass(cls, base)):
        what = f"the class {cls.__module__}.{cls.__qualname__}" if isinstance(cls, type) \
            else f"a {type(cls).__name__}"
        raise TypeError(f"Expected {label} (a subclass of {base.__module__}.{base.__qualname__})."
                        f" Received: class_name={quote(name)}, which is {what}")
