"""Optimizers: ``SGD``, ``Adagrad``, ``RMSprop``, ``Adadelta``, ``Adam``, ``AdamW`` and
learning-rate ``schedules`` (Keras 3's update rules, defaults and names).

    opt = profond.optimizers.get("adam")            # or Adam(learning_rate=1e-3)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""

from profond import registry as _registry
from profond._text import quote, unknown_name
from profond.optimizers import schedules
from profond.optimizers.adadelta import Adadelta
from profond.optimizers.adagrad import Adagrad
from profond.optimizers.adam import Adam, AdamW
from profond.optimizers.base import Optimizer
from profond.optimizers.rmsprop import RMSProp, RMSprop
from profond.optimizers.sgd import SGD

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSProp", "RMSprop",
    "deserialize", "get", "schedules", "serialize",
]

_BUILTINS = {cls.__name__.lower(): cls for cls in (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW)}


def _is_registered_optimizer(name):
    try:
        cls = _registry.get_registered(name)
    except ValueError:
        return False
    return isinstance(cls, type) and issubclass(cls, Optimizer)


def serialize(optimizer):
    """``{"class_name": "Adam", "config": {...}}``: the optimizer's class and settings."""
    return _registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from ``serialize``'s dict; built-in names are case-insensitive."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Expected a dict with 'class_name' and 'config'. Received: {config!r:.200}"
        )
    name = config["class_name"]
    cls = None
    if not (custom_objects and name in custom_objects) and isinstance(name, str):
        cls = _BUILTINS.get(name.lower())
    if cls is None:
        cls = _registry.get_registered(name, custom_objects)
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise ValueError("Expected an optimizer class (a subclass of profond.optimizers."
                         f"Optimizer). Received: class_name={quote(name)}")
    settings = config.get("config", {})
    if not isinstance(settings, dict):
        raise ValueError(f"Expected the config of optimizer {quote(name)} to be a dict. "
                         f"Received: {quote(settings)}")
    return cls.from_config(settings)  # its constructor checks each setting's type and range


def get(identifier):
    """An optimizer from a name (``"adam"``, ``"SGD"``, ``"rmsprop"``), a ``serialize`` dict,
    or an ``Optimizer`` (returned as is). Names give the Keras defaults.

    >>> get("adam").learning_rate
    0.001
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() not in _BUILTINS and not _is_registered_optimizer(identifier):
            raise ValueError(unknown_name("optimizer", identifier, _BUILTINS)
                             .removesuffix(".") + " (or an Optimizer instance).")
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError("Could not interpret optimizer identifier: expected a name ('adam'), a "
                     "serialize dict or an Optimizer. Received: a "
                     f"{type(identifier).__name__} object ({quote(identifier)})")
