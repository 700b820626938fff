"""Checkpoints: everything needed to resume training exactly where it stopped.

A checkpoint is the same zip as a model file (see ``model_file.py``) with one more member,
``training_state.json``: the number of epochs done and the state of profond's random generator
(which draws dropout masks and shuffles batches). With the optimizer's state (moments, iteration
count) also saved, an interrupted ``fit`` resumed from its last checkpoint ends with exactly the
weights an uninterrupted one would have:

>>> import profond as tf                                            # doctest: +SKIP
>>> model.fit(x, y, epochs=2)                                       # doctest: +SKIP
>>> tf.saving.save_checkpoint(model, "run.ckpt", epoch=2)           # doctest: +SKIP
>>> # ... crash; later, build and compile the same model again, then:
>>> epoch = tf.saving.restore_checkpoint(model, "run.ckpt")         # doctest: +SKIP
>>> model.fit(x, y, epochs=4, initial_epoch=epoch)                  # doctest: +SKIP
"""

import os
import re

from profond import random
from profond.saving.model_file import (
    CONFIG,
    METADATA,
    OPTIMIZER,
    TRAINING_STATE,
    WEIGHTS,
    FileFormatError,
    _json_bytes,
    _metadata,
    _optimizer_variables,
    _tensors_bytes,
    _write_archive,
    assign_variables,
    check_metadata,
    load_tensors,
    model_config,
    parse_json,
    read_archive,
    restore_optimizer,
)

_INTEGER = re.compile(r"-?[0-9]{1,64}")


def save_checkpoint(model, filepath, epoch=None, include_config=False):
    """Save ``model``'s weights, its optimizer's state, ``epoch`` and the random state.

    Args:
        model: the model being trained.
        filepath: where to write (atomically: a temporary file, then ``os.replace``).
        epoch: how many epochs are done, i.e. the ``initial_epoch`` to resume ``fit`` from.
        include_config: also store the architecture, so that ``load_model`` can open the file.
    """
    members = {
        METADATA: _json_bytes(_metadata("checkpoint")),
        WEIGHTS: _tensors_bytes(model.weights),
        TRAINING_STATE: _json_bytes({
            "epoch": None if epoch is None else int(epoch),
            "rng_state": _encode(random.get_state()),
        }),
    }
    if include_config:
        members[CONFIG] = _json_bytes(model_config(model))
    optimizer_variables = _optimizer_variables(model)
    if optimizer_variables:
        members[OPTIMIZER] = _tensors_bytes(optimizer_variables)
    _write_archive(os.fspath(filepath), members)


def restore_checkpoint(model, filepath):
    """Load a checkpoint into the built (and compiled) ``model``; return its epoch (or None).

    Restores the weights, the optimizer's state (when the model is compiled) and profond's random
    state. Everything in the file is checked before the model is touched. A ``.profond`` model file
    works too: its weights and optimizer state are loaded and ``None`` is returned.
    """
    members = read_archive(filepath, required=(METADATA, WEIGHTS))
    check_metadata(members)
    weights = load_tensors(members[WEIGHTS], WEIGHTS)
    optimizer_state = load_tensors(members[OPTIMIZER], OPTIMIZER) if OPTIMIZER in members else None
    epoch, rng_state = None, None
    if TRAINING_STATE in members:
        epoch, rng_state = _read_training_state(members[TRAINING_STATE])

    assign_variables(model.weights, weights, "weights")
    if optimizer_state is not None:
        restore_optimizer(model, optimizer_state)
    if rng_state is not None:
        try:
            random.set_state(rng_state)
        except (ValueError, TypeError, KeyError) as e:
            raise FileFormatError(f"The checkpoint's random state is invalid: {e}") from None
    return epoch


load_checkpoint = restore_checkpoint


def _read_training_state(data):
    state = parse_json(data, TRAINING_STATE)
    epoch = state.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0):
        raise FileFormatError(
            f"Expected the checkpoint's epoch to be an int >= 0. Received: {epoch!r}"
        )
    rng_state = state.get("rng_state")
    return epoch, None if rng_state is None else _decode(rng_state)


def _encode(state):
    """The generator's state as JSON. PCG64 holds 128-bit integers, which many JSON readers round
    to 64-bit floats: every integer is written as a decimal string instead."""
    if isinstance(state, dict):
        return {str(k): _encode(v) for k, v in state.items()}
    if isinstance(state, str):
        return state  # the bit generator's name, e.g. "PCG64"
    if hasattr(state, "tolist") and not isinstance(state, int):
        state = state.tolist()  # NumPy integers and arrays
    if isinstance(state, list):
        return [_encode(v) for v in state]
    if isinstance(state, int):
        return str(state)
    raise TypeError(f"Expected integers in the random state. Received: {state!r:.80}")


def _decode(state, key=None):
    """Inverse of ``_encode``: digit strings back to ints (only the generator's name stays)."""
    if isinstance(state, dict):
        return {k: _decode(v, k) for k, v in state.items()}
    if isinstance(state, list):
        return [_decode(v) for v in state]
    if isinstance(state, str) and key == "bit_generator":
        return state
    if isinstance(state, str) and _INTEGER.fullmatch(state):
        return int(state)
    raise FileFormatError(f"Unexpected value in the checkpoint's random state: {state!r:.80}")
