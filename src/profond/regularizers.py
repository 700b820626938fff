"""Weight penalties added to the cost: J(W) = 1/n Σ L(f(xᵢ, W), yᵢ) + Ω(W).

    L1(l1)      Ω(W) = l1 · Σ |w|        (pushes weights to exactly 0: sparse models)
    L2(l2)      Ω(W) = l2 · Σ w²         (weight decay: small, spread-out weights)
    L1L2(l1, l2)  both

A layer takes them as ``kernel_regularizer=`` / ``bias_regularizer=`` (an object, a name such as
``"l2"`` or a ``serialize`` dict); ``layer.losses`` then holds Ω(W), which ``Model.fit`` adds to the
loss. As in Keras, ``l1``, ``l2`` and ``l1_l2`` are the same classes under lower-case names.

>>> import numpy as np
>>> import profond as pf
>>> reg = pf.regularizers.L2(0.1)
>>> float(reg(pf.constant(np.array([1.0, 2.0], dtype="float32"))))
0.5
"""

from profond import ops
from profond.registry import register_serializable


def _check(value, name):
    value = float(value)
    if value < 0 or value != value:
        raise ValueError(f"Expected a non-negative float for {name}. Received: {name}={value}")
    return value


class Regularizer:
    """Base class: ``__call__(weight) -> scalar Tensor``, ``get_config``/``from_config``."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register_serializable()
class L1(Regularizer):
    """Ω(W) = l1 · Σ |w|."""

    def __init__(self, l1=0.01):
        self.l1 = _check(l1, "l1")

    def __call__(self, x):
        return self.l1 * ops.reduce_sum(ops.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@register_serializable()
class L2(Regularizer):
    """Ω(W) = l2 · Σ w² (no ½, as Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = _check(l2, "l2")

    def __call__(self, x):
        return self.l2 * ops.reduce_sum(ops.square(x))

    def get_config(self):
        return {"l2": self.l2}


@register_serializable()
class L1L2(Regularizer):
    """Ω(W) = l1 · Σ |w| + l2 · Σ w²."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check(l1, "l1")
        self.l2 = _check(l2, "l2")

    def __call__(self, x):
        out = 0.0
        if self.l1:
            out = out + self.l1 * ops.reduce_sum(ops.abs(x))
        if self.l2:
            out = out + self.l2 * ops.reduce_sum(ops.square(x))
        if isinstance(out, float):  # both zero: still a tensor, for a uniform type
            out = ops.reduce_sum(x) * 0.0
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


# Keras's lower-case names are the classes themselves.
l1 = L1
l2 = L2
l1_l2 = L1L2

_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2}


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` of a regularizer (``None`` stays ``None``)."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config, custom_objects=None):
    """A regularizer from ``serialize``'s dict (only the classes above, or ``custom_objects``)."""
    from profond.registry import deserialize_with

    def lookup(name):
        if name not in _CLASSES:
            raise ValueError(f"Unknown regularizer: {name!r}. Expected one of: "
                             f"{', '.join(_CLASSES)}")
        return _CLASSES[name]

    return deserialize_with(config, lookup, get, custom_objects,
                            kind=(Regularizer, "a regularizer"))



def get(identifier):
    """A regularizer from a name (``"l2"`` → ``L2(0.01)``), a dict, or an object / callable.

    >>> get("l1_l2")
    L1L2(l1=0.0, l2=0.0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _CLASSES:
            raise ValueError(f"Unknown regularizer: {identifier!r}. Expected one of: "
                             f"{', '.join(_CLASSES)}. Received: {identifier!r}")
        return _CLASSES[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier. Received: {identifier!r}")
