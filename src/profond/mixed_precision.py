"""Keras's dtype policies (``keras.mixed_precision``), for the policies profond can honour.

A policy names the dtype a layer computes in and the dtype of its weights. Keras's
``"mixed_float16"`` / ``"mixed_bfloat16"`` compute in half precision to use GPU tensor cores;
profond computes in float32 or float64 only (its ops and gradient checks are written for
those), so those policies are refused with an error rather than silently run in float32.

- ``Policy("float32")`` (the default) and ``Policy("float64")`` are accepted;
- ``set_global_policy("float64")`` sets profond's default float (``profond.config.set_floatx``),
  so new layers and their weights are float64; ``global_policy()`` reads it back.

>>> from profond import mixed_precision
>>> mixed_precision.global_policy()
<DTypePolicy "float32">
"""

import numpy

from profond._names import missing_name
from profond.backend import floatx, set_floatx

_SUPPORTED = ("float32", "float64")


class DTypePolicy:
    """A dtype policy: ``name``, ``compute_dtype`` and ``variable_dtype`` (equal here)."""

    def __init__(self, name=None):
        name = floatx().name if name is None else name
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            try:
                name = numpy.dtype(name).name
            except TypeError:
                raise TypeError(f"DTypePolicy expects a policy name such as 'float32'. "
                                f"Received: name={name!r}") from None
        if name not in _SUPPORTED:
            why = (" profond computes in float32 or float64 only: mixed precision (float16 / "
                   "bfloat16 compute) is not implemented." if "16" in name else "")
            raise ValueError(f"Unsupported dtype policy. Expected one of {list(_SUPPORTED)}."
                             f"{why} Received: name={name!r}")
        self.name = name

    @property
    def compute_dtype(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.name

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy


def set_global_policy(policy):
    """Make ``policy`` ("float32" or "float64", or a ``DTypePolicy``) the default of new layers."""
    set_floatx(DTypePolicy(policy).name)


def global_policy():
    """The policy new layers use: the one matching ``profond.config.floatx()``."""
    return DTypePolicy(floatx().name)


set_dtype_policy = set_global_policy
dtype_policy = global_policy


def __getattr__(name):
    raise missing_name(__name__, name)
