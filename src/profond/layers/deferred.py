"""Rebuilding a model from a file without allocating what the file asks for.

A 3 KB ``config.json`` can ask for ``Dense(1e9)``: built as usual, the model would initialise
terabytes of weights before the loader sees that the file holds 4 arrays of 8 numbers. So while a
loader rebuilds a model inside ``deferred_weights(...)``:

- ``Layer.add_weight`` creates no values: each weight gets a *placeholder*, a zero-stride view of
  one zero (``placeholder``), whatever its shape, and counts its parameters against a budget (the
  number of values the file holds), refusing the layer that goes over it by name;
- shape inference (a layer run on zeros, ``Layer._run_on_zeros``) refuses inputs larger than
  ``max_activation_bytes`` (``check_activation``).

The loader then compares the placeholders' shapes with the file's header and binds the file's
arrays to the variables: the model's memory is the file's, allocated once.
"""

import contextlib
import math
import threading

import numpy

_state = threading.local()


class _Budget:
    def __init__(self, max_parameters, max_activation_bytes, source):
        self.max_parameters = max_parameters
        self.max_activation_bytes = max_activation_bytes
        self.source = source
        self.parameters = 0


@contextlib.contextmanager
def deferred_weights(max_parameters, max_activation_bytes, source="the file"):
    """Within this block (in this thread), ``add_weight`` makes placeholders (see the module),
    at most ``max_parameters`` values in all (``source`` says where that bound comes from)."""
    previous = getattr(_state, "budget", None)
    _state.budget = _Budget(max_parameters, max_activation_bytes, source)
    try:
        yield _state.budget
    finally:
        _state.budget = previous


def placeholder(layer, shape, dtype):
    """A placeholder for a weight of ``shape`` and ``dtype`` while a model is rebuilt from a file
    (``None`` otherwise: the layer initialises its weight as usual)."""
    budget = getattr(_state, "budget", None)
    if budget is None:
        return None
    if any(d < 0 for d in shape):
        raise ValueError(f"Layer '{layer.name}' asks for a weight of negative shape {shape}.")
    budget.parameters += math.prod(shape)
    if budget.parameters > budget.max_parameters:
        raise ValueError(
            f"Layer '{layer.name}' asks for a weight of shape {shape}: the model would need "
            f"at least {budget.parameters} values, more than the {budget.max_parameters} "
            f"allowed by {budget.source}.")
    # NOTE: writeable and of stride 0, so that Variable keeps the view instead of copying it (it
    # copies read-only and non-C-ordered arrays); all writes land on the single zero, and the
    # loader replaces the view before the model is used.
    return numpy.lib.stride_tricks.as_strided(numpy.zeros(1, dtype), shape, (0,) * len(shape))


def check_activation(layer, shape, dtype):
    """Refuse a zero tensor larger than the budget's ``max_activation_bytes`` during a rebuild."""
    budget = getattr(_state, "budget", None)
    if budget is None:
        return
    nbytes = math.prod(shape) * numpy.dtype(dtype).itemsize
    if nbytes > budget.max_activation_bytes:
        raise ValueError(
            f"Layer '{layer.name}' would be called on an input of shape {shape} ({nbytes} "
            f"bytes) to infer its output shape, more than the {budget.max_activation_bytes} "
            "allowed while loading (see profond.saving.set_limits(max_activation_bytes=...)).")

