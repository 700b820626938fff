"""Checkpoints: everything needed to resume training exactly where it stopped.

A checkpoint is the same zip as a model file (see ``model_file.py``) with one more member,
``training_state.json``: the number of epochs done and the state of profond's random generator
(which draws dropout masks and shuffles batches). With the optimizer's state (moments, iteration
count) also saved, an interrupted ``fit`` resumed from its last end-of-epoch checkpoint ends with
exactly the weights an uninterrupted one would have:

>>> import profond as tf                                            # doctest: +SKIP
>>> model.fit(x, y, epochs=2)                                       # doctest: +SKIP
>>> tf.saving.save_checkpoint(model, "run.ckpt", epoch=2)           # doctest: +SKIP
>>> # ... crash; later, build and compile the same model again, then:
>>> epoch = tf.saving.restore_checkpoint(model, "run.ckpt")         # doctest: +SKIP
>>> model.fit(x, y, epochs=4, initial_epoch=epoch)                  # doctest: +SKIP

Only a checkpoint taken at the end of an epoch resumes exactly. A mid-epoch one (``save_freq=N``
batches in ``ModelCheckpoint`` or ``BackupAndRestore``) holds no position in the data: resuming
restarts that epoch from the saved weights, with a new shuffle, so the batches already seen in it
are trained on again and the result differs from an uninterrupted run.

``restore_checkpoint`` is all or nothing: a file it refuses changes nothing.
"""

import copy
import math
import os
import re
import warnings

from profond import random
from profond._text import printable, quote
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
    model_config,
    open_archive,
    parse_json,
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
    state. All or nothing: everything in the file is checked first — the weights against the
    model, the optimizer state against the optimizer (against a scratch copy built on the model's
    variables when the optimizer is not built yet), its step count and learning rate for range,
    the random state on a scratch generator — and only then is anything assigned, so a refused
    checkpoint leaves the model, its optimizer and the random stream as they were. A
    ``.profond`` model file works too: its weights and optimizer state are loaded and ``None``
    is returned.
    """
    variables = list(model.weights)
    optimizer = getattr(model, "optimizer", None)
    epoch, rng_state, slots, needs_build = None, None, None, False
    with open_archive(filepath, required=(METADATA, WEIGHTS)) as archive:
        check_metadata({METADATA: archive.read(METADATA)})
        if TRAINING_STATE in archive:
            epoch, rng_state = _read_training_state(archive.read(TRAINING_STATE))
        weights = archive.tensors(WEIGHTS, check=lambda entries: assign_variables(
            variables, _by_name(entries), "weights", check_only=True))
        if OPTIMIZER in archive and optimizer is None:
            warnings.warn("The file holds optimizer state but the model is not compiled: "
                          "state skipped.", stacklevel=2)
        elif OPTIMIZER in archive:
            targets = []

            def check_optimizer(entries):
                targets.append(_optimizer_targets(model, optimizer, len(entries)))
                assign_variables(targets[0].variables, _by_name(entries), "optimizer variables",
                                 check_only=True)

            slots = archive.tensors(OPTIMIZER, check=check_optimizer)
            check_optimizer_state(targets[0], slots)
            needs_build = targets[0] is not optimizer
    # Everything is checked: from here on nothing is refused.
    assign_variables(variables, weights, "weights")
    if slots is not None:
        if needs_build:
            optimizer.build(model.trainable_variables)
        assign_variables(optimizer.variables, slots, "optimizer variables")
    if rng_state is not None:
        random.set_state(rng_state)
    return epoch


def _by_name(entries):
    return {e.name: e for e in entries}


def _optimizer_targets(model, optimizer, count):
    """The optimizer whose variables the file's ``count`` state arrays must fit: ``optimizer``
    itself when it is built (or the count already fits), else a scratch copy built on the
    model's trainable variables, so that checking builds nothing in the real one."""
    if getattr(optimizer, "built", True) or len(optimizer.variables) == count:
        return optimizer
    scratch = copy.deepcopy(optimizer)
    scratch.build(model.trainable_variables)
    return scratch


def check_optimizer_state(optimizer, slots):
    """Refuse optimizer state (``{"0000:path": array}``, shapes already checked against
    ``optimizer.variables``) whose step count is below 0 or whose learning rate is not a finite
    number >= 0: a ``FileFormatError`` (``load_model`` checks it too, see ``restore_optimizer``)."""
    ordered = [array for _, array in sorted(slots.items(), key=lambda kv: _key_index(kv[0]))]
    for variable, array in zip(optimizer.variables, ordered):
        if variable is optimizer.iterations and int(array) < 0:
            raise FileFormatError(f"Expected the optimizer's iteration count to be >= 0. "
                                  f"Received: iterations={int(array)}")
        if variable is getattr(optimizer, "_lr_variable", None):
            value = float(array)
            if not (math.isfinite(value) and value >= 0):
                raise FileFormatError("Expected the optimizer's learning rate to be a finite "
                                      f"number >= 0. Received: learning_rate={value!r}")


def _key_index(key):
    return int(key.split(":", 1)[0])


load_checkpoint = restore_checkpoint


def _read_training_state(data):
    state = parse_json(data, TRAINING_STATE)
    epoch = state.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0):
        raise FileFormatError(
            f"Expected the checkpoint's epoch to be an int >= 0. Received: {quote(epoch)}"
        )
    rng_state = state.get("rng_state")
    if rng_state is None:
        return epoch, None
    rng_state = _decode(rng_state)
    _check_rng_state(rng_state)
    return epoch, rng_state


def _check_rng_state(state):
    """Refuse a random state that profond's generator would not take: it is set on a scratch
    bit generator of the same kind, never on the real one."""
    scratch = type(random.generator().bit_generator)()
    try:
        scratch.state = state
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise FileFormatError(f"The checkpoint's random state is invalid: {type(e).__name__}: "
                              f"{printable(str(e), 200)}") from None


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
