"""Weight constraints: a projection applied to a weight after every optimizer step.

Gradient descent takes W ← W − η ∂J/∂W; a constraint then maps the result back into an allowed
set, W ← P(W). Each column (the weights arriving at one unit, ``axis=0`` for a Dense kernel)
is treated separately:

    MaxNorm(c)             ‖w‖ ≤ c                      (Srivastava et al.'s dropout companion)
    NonNeg()               w ≥ 0                        (negative entries set to 0)
    UnitNorm()             ‖w‖ = 1
    MinMaxNorm(a, b, r)    ‖w‖ moved a fraction r of the way into [a, b]

A layer takes them as ``kernel_constraint=`` / ``bias_constraint=`` (an object, a name such as
``"max_norm"`` or a ``serialize`` dict); the optimizer applies ``variable.constraint`` after each
update (``profond.optimizers.Optimizer.apply_gradients``).

>>> import numpy as np
>>> import profond as pf
>>> w = pf.constant(np.array([[3.0, 0.3], [4.0, 0.4]], dtype="float32"))
>>> pf.constraints.MaxNorm(1.0)(w).numpy().round(3)  # column norms 5 and 0.5
array([[0.6, 0.3],
       [0.8, 0.4]], dtype=float32)
"""

from profond import ops
from profond.autodiff.tensor import Tensor
from profond.registry import register_serializable

# NOTE: the norm in a denominator gets this epsilon, so an all-zero column stays zero (no 0/0).
_EPSILON = 1e-7


def _as_tensor(w):
    return w if isinstance(w, Tensor) else Tensor(w)


def _column_norms(w, axis):
    """‖w‖ along ``axis`` (kept as a size-1 dimension so it broadcasts back over w)."""
    return ops.sqrt(ops.reduce_sum(ops.square(w), axis=axis, keepdims=True))


def _axis(axis):
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    return int(axis)


class Constraint:
    """Base class: ``__call__(w) -> projected w``; ``get_config`` / ``from_config``.

    A subclass overrides ``__call__``; the base returns ``w`` unchanged.
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _non_negative(value, cls, name):
    value = float(value)
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"{cls}: expected `{name}` to be a non-negative number. "
                         f"Received: {name}={value}")
    return value


@register_serializable()
class MaxNorm(Constraint):
    """Caps the norm of each column: w ← w · min(‖w‖, c) / (ε + ‖w‖).

    Args:
        max_value: c, the largest norm allowed (default 2).
        axis: the axis (or axes) the norm runs over; 0 for a Dense kernel (input_dim, units),
            [0, 1, 2] for a Conv2D kernel (h, w, in, out).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _non_negative(max_value, "MaxNorm", "max_value")
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        norms = _column_norms(w, self.axis)
        desired = ops.clip_by_value(norms, 0.0, self.max_value)
        return w * (desired / (norms + _EPSILON))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register_serializable()
class NonNeg(Constraint):
    """Sets negative weights to zero: w ← w · [w ≥ 0]."""

    def __call__(self, w):
        w = _as_tensor(w)
        return w * ops.cast(w.data >= 0, w.dtype)


@register_serializable()
class UnitNorm(Constraint):
    """Scales each column to norm one: w ← w / (ε + ‖w‖)."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        return w / (_column_norms(w, self.axis) + _EPSILON)

    def get_config(self):
        return {"axis": self.axis}


@register_serializable()
class MinMaxNorm(Constraint):
    """Moves each column's norm into [a, b] at rate r:

        n = ‖w‖,  n* = r · clip(n, a, b) + (1 − r) · n,  w ← w · n* / (ε + n)

    r = 1 is a strict projection; a smaller r only moves the norm part of the way each step.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _non_negative(min_value, "MinMaxNorm", "min_value")
        self.max_value = _non_negative(max_value, "MinMaxNorm", "max_value")
        if self.max_value < self.min_value:
            raise ValueError("MinMaxNorm: expected min_value <= max_value. Received: "
                             f"min_value={self.min_value}, max_value={self.max_value}")
        self.rate = float(rate)
        if not 0 <= self.rate <= 1:
            raise ValueError(f"MinMaxNorm: expected `rate` in [0, 1]. Received: rate={rate}")
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        norms = _column_norms(w, self.axis)
        clipped = ops.clip_by_value(norms, self.min_value, self.max_value)
        desired = clipped * self.rate + norms * (1.0 - self.rate)
        return w * (desired / (norms + _EPSILON))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Keras's lower-case names are the classes themselves.
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = {"Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg,
            "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm,
            "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def serialize(constraint):
    """``{"class_name": ..., "config": ...}`` of a constraint (``None`` stays ``None``).

    >>> serialize(MaxNorm(3))
    {'class_name': 'MaxNorm', 'config': {'max_value': 3.0, 'axis': 0}}
    """
    if constraint is None:
        return None
    from profond.registry import serialize as registry_serialize

    return registry_serialize(constraint)


def deserialize(config, custom_objects=None):
    """A constraint from ``serialize``'s dict (the classes above, registered ones, or
    ``custom_objects``)."""
    from profond.registry import deserialize_with

    return deserialize_with(config, _CLASSES.get, get, custom_objects,
                            kind=(Constraint, "a constraint"))


def get(identifier):
    """A constraint from a name (``"max_norm"`` → ``MaxNorm()``), a dict, or an object / callable.

    >>> get("non_neg")
    NonNeg()
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _CLASSES:
            raise ValueError(f"Unknown constraint: {identifier!r}. Expected one of: "
                             f"{', '.join(_CLASSES)}. Received: {identifier!r}")
        return _CLASSES[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier. Received: {identifier!r}")


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
           "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm"]
