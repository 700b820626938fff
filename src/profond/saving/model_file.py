"""Model files: one zip holding a model's architecture, its weights and a few facts about it.

A ``.profond`` file is a zip with these members:

- ``config.json``: ``{"class_name", "config", "compile_config", "build_config"}``. Class names are
  looked up in the registry (``profond.saving.register_serializable``), never imported.
- ``metadata.json``: file format version, profond and NumPy versions, date.
- ``model.weights.safetensors``: ``model.weights`` in order, keys ``"0000:dense/kernel"``, ...
- ``optimizer.safetensors`` (optional): ``model.optimizer.variables``, so training goes on where it
  stopped.
- ``training_state.json`` (checkpoints only, see ``checkpoint.py``): epoch and random state.

Loading a file from anyone is safe: the member names must be exactly the expected ones, sizes are
checked against limits before anything is read (see ``limits.py``: ``profond.saving.set_limits``
raises them), JSON and safetensors headers are validated, the model is rebuilt from its config
without allocating its weights (placeholders, checked against the file's header, then bound to
the file's arrays), and nothing in the file can name code to run (no pickle, no eval, no import
by name). Anything malformed raises ``FileFormatError`` (a ``ValueError``) with a message saying
what is wrong.

>>> import profond as tf                                            # doctest: +SKIP
>>> model.save("mlp.profond")                                       # doctest: +SKIP
>>> same = tf.saving.load_model("mlp.profond")                      # doctest: +SKIP
"""

import contextlib
import datetime
import importlib
import json
import math
import os
import re
import warnings
import zipfile
import zlib

import numpy

from profond import backend, registry
from profond._text import printable, quote
from profond.layers import deferred
from profond.saving import limits
from profond.saving.limits import FileFormatError, MiB, limit

FORMAT_VERSION = 1

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.safetensors"
OPTIMIZER = "optimizer.safetensors"
TRAINING_STATE = "training_state.json"

# The most bytes each member may hold once uncompressed, checked BEFORE reading it; None: the
# ``max_bytes`` limit (``profond.saving.set_limits``).
MEMBER_LIMITS = {
    CONFIG: 16 * MiB,
    METADATA: 1 * MiB,
    TRAINING_STATE: 1 * MiB,
    WEIGHTS: None,
    OPTIMIZER: None,
}
# A model rebuilt from a file may create a few weights that are not saved (a layer built twice):
# this many values beyond those the file holds are tolerated (as placeholders, not allocated).
_SPARE_PARAMETERS = 2**20

# Modules whose classes (layers, models, optimizers, losses, metrics) register themselves when
# imported. A fixed list: nothing read from a file is ever imported.
_BUILTIN_MODULES = (
    "profond.layers",
    "profond.models",
    "profond.optimizers",
    "profond.losses",
    "profond.metrics",
)
_COMPILE_ARGUMENTS = ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save ``model`` (architecture, weights, compile arguments, optimizer state) to one file.

    Args:
        model: a built ``Sequential`` or functional ``Model`` (or any registered model class).
        filepath: where to write, by convention ending in ``.profond``; a name ending in
            ``.keras`` writes Keras 3's format instead (``keras_file.py``), which Keras loads.
        overwrite: when False, refuse to replace an existing file.
        include_optimizer: also store the optimizer's state (moments, iteration count).

    The file is written to a temporary file first, then moved into place (``os.replace``): a crash
    never leaves a half-written model behind.
    """
    filepath = os.fspath(filepath)
    if filepath.lower().endswith((".h5", ".hdf5")):
        raise ValueError(
            "save_model: profond does not write Keras 2's legacy HDF5 model files. Save the "
            "model with model.save('model.profond'), or only its weights with "
            f"model.save_weights('model.weights.h5'). Received: filepath={filepath!r}"
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists. Pass overwrite=True to replace it.")
    if filepath.lower().endswith(".keras"):  # Keras 3's own format, which Keras loads
        from profond.saving.keras_file import save_keras_model

        return save_keras_model(model, filepath, include_optimizer)
    members = {
        CONFIG: _json_bytes(model_config(model)),
        METADATA: _json_bytes(_metadata("model")),
        WEIGHTS: _tensors_bytes(model.weights),
    }
    if include_optimizer:
        optimizer_variables = _optimizer_variables(model)
        if optimizer_variables:
            members[OPTIMIZER] = _tensors_bytes(optimizer_variables)
    _write_archive(filepath, members)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by ``save_model``: same architecture, same weights, same predictions.

    Args:
        filepath: a ``.profond`` file (a checkpoint holding the architecture works too), or
            a Keras 3 ``.keras`` file (told apart by its members, not its name: profond files
            once saved under a ``.keras`` name still load).
        custom_objects: ``{"ClassName": cls}`` for your own layers or losses, if they were not
            registered with ``@profond.saving.register_serializable()``.
        compile: also compile the model as it was (optimizer, loss, metrics) and restore the
            optimizer's state, so ``fit`` continues where it stopped.
        safe_mode: always on: profond files cannot hold code. Accepted for Keras compatibility.

    The file is checked before the model is made: its members' sizes, its weights' header (the
    model is rebuilt with placeholders, compared with it, then given the file's arrays), all
    within the limits of ``profond.saving.set_limits``.

    Raises:
        FileFormatError: the file is damaged, too large, or not a profond model file.
        ValueError: the file names a class that is not registered, or weights do not fit.
    """
    del safe_mode  # nothing in a profond file is ever executed
    _refuse_hdf5(filepath)
    from profond.saving import keras_file  # (it imports this module)

    if keras_file.is_keras_archive(filepath):  # known by its members, whatever its name
        return keras_file.load_keras_model(filepath, custom_objects, compile)
    with open_archive(filepath, required=(METADATA, WEIGHTS)) as archive:
        check_metadata({METADATA: archive.read(METADATA)})
        if CONFIG not in archive:
            raise FileFormatError(
                f"{filepath} holds weights but not the model's architecture (a weights-only "
                "checkpoint). Build the model in code, then use "
                "profond.saving.restore_checkpoint."
            )
        spec = parse_json(archive.read(CONFIG), CONFIG)
        built = []

        def build_and_check(entries):
            # The model is made with placeholders (no weight allocated), then compared with the
            # header: all before a byte of the tensors is read.
            values = sum(math.prod(e.shape) for e in entries)
            with deferred.deferred_weights(values + _SPARE_PARAMETERS,
                                           limit("max_activation_bytes"),
                                           f"the file (its weights hold {values} values)"):
                model = model_from_config(spec, custom_objects)
            assign_variables(model.weights, {e.name: e for e in entries}, "weights",
                             check_only=True)
            built.append(model)

        weights = archive.tensors(WEIGHTS, check=build_and_check)
        model = built[0]
        bind_variables(model.weights, weights)
        if compile and spec.get("compile_config"):
            _compile_from_config(model, spec["compile_config"], custom_objects)
            if OPTIMIZER in archive:
                restore_optimizer(model, archive.tensors(
                    OPTIMIZER, check=lambda entries: _check_optimizer(model, entries)))
    return model


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _refuse_hdf5(filepath):
    """A clear answer to ``load_model("model.h5")``: an HDF5 file is not a profond model."""
    with contextlib.suppress(OSError):
        f, _ = limits.open_regular(filepath, "model file")
        with f:
            signature = f.read(8)
        if signature == _HDF5_SIGNATURE:
            raise FileFormatError(
                f"{os.fspath(filepath)} is an HDF5 file, not a profond model file: profond does "
                "not load Keras 2's legacy whole-model .h5 files. Build the model in code and "
                "load a Keras 3 weights file with model.load_weights('….weights.h5')."
            )


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Save only ``model.weights`` (Keras's ``model.save_weights``).

    ``*.weights.h5`` writes Keras 3's HDF5 layout (needs h5py, see ``weights_h5.py``); any other
    name writes one safetensors file (``*.weights.safetensors`` by convention). ``max_shard_size``
    is accepted for Keras compatibility: profond always writes one file.
    """
    filepath = os.fspath(filepath)
    kind = _weights_format(filepath, "save_weights")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists. Pass overwrite=True to replace it.")
    if kind == "h5":
        from profond.saving.weights_h5 import save_weights_h5

        return save_weights_h5(model, filepath)
    data = _tensors_bytes(model.weights)
    _atomic_write(filepath, lambda f: f.write(data))


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights`` (safetensors or a Keras 3 ``.weights.h5``), or the
    weights of a ``.profond`` or Keras 3 ``.keras`` model file, into the already built ``model``.

    A shape, dtype or count that does not match raises a ``FileFormatError`` (a ``ValueError``)
    naming the first mismatching variable, and nothing is changed: the file's header is checked
    against the model before its tensors are read. With ``skip_mismatch=True`` the mismatching
    variables keep their values (with a warning) and the others are loaded.
    """
    if kwargs:
        raise TypeError(f"load_weights got unexpected keyword arguments: {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    from profond.saving import keras_file  # (it imports this module)

    if keras_file.is_keras_archive(filepath):  # a whole Keras 3 model: its weights, as Keras
        return keras_file.load_keras_weights(model, filepath, skip_mismatch)
    if _weights_format(filepath, "load_weights") == "h5":
        from profond.saving.weights_h5 import load_weights_h5

        return load_weights_h5(model, filepath, skip_mismatch=skip_mismatch)
    variables = list(model.weights)

    def check(entries):  # before the tensors' bytes are read
        assign_variables(variables, {e.name: e for e in entries}, "weights",
                         skip_mismatch=skip_mismatch, check_only=True)

    f, size = limits.open_regular(filepath, "weights file")
    with f:
        is_zip = f.read(4) == b"PK\x03\x04"
        if not is_zip:
            f.seek(0)
            tensors = limits.read_safetensors(f, size, os.path.basename(filepath), check)
    if is_zip:
        with open_archive(filepath, required=(METADATA, WEIGHTS)) as archive:
            check_metadata({METADATA: archive.read(METADATA)})
            tensors = archive.tensors(WEIGHTS, check=check)
    assign_variables(variables, tensors, "weights", skip_mismatch=skip_mismatch)


def _weights_format(filepath, what):
    """``"h5"`` for Keras 3's HDF5 weights, ``"safetensors"`` otherwise; refuses a ``.keras``
    name, and an HDF5 name other than ``.weights.h5`` for saving (as Keras does)."""
    name = filepath.lower()
    if name.endswith(".keras"):
        raise ValueError(f"{what}: a .keras file holds a whole model, not just weights: use "
                         "model.save / load_model for it, or a '.weights.h5' or "
                         f"'.weights.safetensors' file here. Received: filepath={filepath!r}")
    if name.endswith((".h5", ".hdf5")):
        if what == "save_weights" and not name.endswith(".weights.h5"):
            raise ValueError(f"{what}: the filename must end in `.weights.h5` (or be a "
                             f"safetensors file). Received: filepath={filepath!r}")
        return "h5"
    return "safetensors"


def read_file_info(filepath):
    """What a profond file holds, without building the model (used by ``profond info``).

    Returns a dict with ``metadata``, ``config`` (or None), ``training_state`` (or None) and
    ``weights``/``optimizer``: lists of ``(name, dtype, shape)`` read from the safetensors headers.
    """
    members = read_archive(filepath, required=(METADATA, WEIGHTS), headers_only=(WEIGHTS,
                                                                                OPTIMIZER))
    info = {
        "metadata": check_metadata(members),
        "config": parse_json(members[CONFIG], CONFIG) if CONFIG in members else None,
        "training_state": None,
        "weights": _tensor_listing(members[WEIGHTS], WEIGHTS),
        "optimizer": _tensor_listing(members[OPTIMIZER], OPTIMIZER)
        if OPTIMIZER in members
        else [],
    }
    if TRAINING_STATE in members:
        info["training_state"] = parse_json(members[TRAINING_STATE], TRAINING_STATE)
    return info


# --------------------------------------------------------------------------------------------
# Config: model ⇄ JSON through the registry
# --------------------------------------------------------------------------------------------
def model_config(model):
    """``{"class_name", "config", "compile_config", "build_config"}`` for a registered model."""
    spec = registry.serialize(model)  # TypeError with advice when the class is not registered
    spec["compile_config"] = _compile_config(model)
    spec["build_config"] = _build_config(model)
    return spec


def model_from_config(spec, custom_objects=None):
    """Rebuild (and build) a model from ``model_config``'s dict, naming classes only through the
    registry. Any failure becomes a ``FileFormatError`` that says what went wrong."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise FileFormatError(
            f'Expected config.json to hold {{"class_name": ..., "config": ...}}. '
            f"Received: {str(spec)[:200]}"
        )
    _import_builtin_classes()
    try:
        with _custom_objects_scope(custom_objects):
            model = registry.deserialize(
                {"class_name": spec["class_name"], "config": spec.get("config", {})},
                custom_objects,
            )
            build_config = spec.get("build_config")
            if build_config and not getattr(model, "built", True):
                _build_from_config(model, build_config)
    except registry.UnknownClassError:
        raise  # names the class and how to provide it, as is
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
            MemoryError, OverflowError) as e:
        layer = _innermost_layer(e.__traceback__)
        where = "" if layer is None else \
            f" (at layer {quote(getattr(layer, 'name', type(layer).__name__))})"
        raise FileFormatError(
            f"Could not rebuild the model from config.json{where}: {type(e).__name__}: "
            f"{printable(e, 2000)}"
        ) from None
    return model


def _innermost_layer(traceback):
    """The deepest layer whose method was running where an error was raised (or None)."""
    from profond.layers.base import Layer

    layer = None
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("self")
        if isinstance(candidate, Layer):
            layer = candidate
        traceback = traceback.tb_next
    return layer


def _build_config(model):
    """How to build the model again when its config alone does not (Keras's ``build_config``)."""
    if hasattr(model, "get_build_config"):
        try:
            return _to_json_value(model.get_build_config())
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            return None
    return None


def _build_from_config(model, build_config):
    if not isinstance(build_config, dict):
        raise TypeError(f"Expected build_config to be a dict. Received: {build_config!r:.100}")
    if hasattr(model, "build_from_config"):
        model.build_from_config(build_config)
    elif build_config.get("input_shape") is not None:
        model.build(tuple(build_config["input_shape"]))


def _compile_config(model):
    """The arguments ``compile`` was called with, as JSON (None when not compiled).

    The optimizer is stored with its current config; losses and metrics as names or registered
    objects. Something that cannot be written (a lambda as loss) drops the whole compile config
    with a warning, as Keras does: the model then loads uncompiled.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    # ``compile`` keeps its arguments as given ("accuracy", a Loss object, ...); the optimizer is
    # saved as it is now (its learning rate may have changed since).
    arguments = dict(getattr(model, "_compile_args", None) or {"loss": model.loss})
    arguments["optimizer"] = optimizer
    try:
        return {
            k: _serialize_value(v)
            for k, v in arguments.items()
            if k in _COMPILE_ARGUMENTS and v is not None
        }
    except TypeError as e:
        warnings.warn(
            f"The model's compile arguments could not be saved ({e}); it will load uncompiled.",
            stacklevel=3,
        )
        return None


def _compile_from_config(model, compile_config, custom_objects):
    if not isinstance(compile_config, dict):
        raise FileFormatError("Expected compile_config to be a dict. "
                              f"Received: {quote(compile_config)}")
    try:
        with _custom_objects_scope(custom_objects):
            arguments = {
                k: _deserialize_value(v, custom_objects)
                for k, v in compile_config.items()
                if k in _COMPILE_ARGUMENTS
            }
            model.compile(**arguments)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise FileFormatError(
            f"Could not compile the loaded model ({type(e).__name__}: {e}). Pass "
            "custom_objects for your own losses/metrics, or load_model(..., compile=False)."
        ) from None


def _serialize_value(value):
    """Compile arguments to JSON: plain values stay, registered objects become their
    ``{"class_name", "config"}``, functions their name (resolved again by ``losses.get``...)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _serialize_value(v) for k, v in value.items()}
    if getattr(type(value), "_registered_name", None) is not None and hasattr(value, "get_config"):
        spec = registry.serialize(value)
        return {"class_name": spec["class_name"], "config": _to_json_value(spec["config"])}
    name = getattr(value, "__name__", None)
    if callable(value) and name and name != "<lambda>":
        return name
    raise TypeError(f"cannot save {value!r:.80} (register its class or use a name)")


def _deserialize_value(value, custom_objects):
    if isinstance(value, dict) and "class_name" in value:
        return registry.deserialize(value, custom_objects)
    if isinstance(value, dict):
        return {k: _deserialize_value(v, custom_objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_value(v, custom_objects) for v in value]
    if isinstance(value, str) and custom_objects and value in custom_objects:
        return custom_objects[value]
    return value


def _to_json_value(value):
    """Configs may hold tuples and NumPy scalars: make them plain JSON values."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value):
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, numpy.ndarray) and value.size <= 1024:
        return value.tolist()
    if isinstance(value, numpy.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, numpy.generic):
        return numpy.dtype(value).name
    raise TypeError(f"Expected a JSON value in the config. Received: {value!r:.80}")


def _import_builtin_classes():
    """Import profond's own layers, models, ... so that their classes are registered."""
    for name in _BUILTIN_MODULES:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(name)


def _custom_objects_scope(custom_objects):
    """Make ``custom_objects`` visible to nested ``deserialize`` calls (layers inside a model)."""
    return registry.custom_object_scope(custom_objects)


# --------------------------------------------------------------------------------------------
# Weights: variables ⇄ safetensors
# --------------------------------------------------------------------------------------------
def _variable_name(variable):
    return getattr(variable, "path", None) or getattr(variable, "name", None) or "variable"


def _tensors_bytes(variables):
    """safetensors bytes for ``variables``, keyed ``"0000:<path>"`` to keep their order.

    Arrays are made C-contiguous first: safetensors' NumPy API writes a non-contiguous array's
    memory as is, which would scramble a transposed weight.
    """
    arrays = {f"{i:04d}:{_variable_name(v)}": _host_array(v) for i, v in enumerate(variables)}
    return _safetensors().numpy.save(arrays)


def _safetensors():
    """The ``safetensors`` package, imported on first use (only saving needs it)."""
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "Saving weights needs the safetensors package: pip install 'profond[saving]'"
        ) from None
    return safetensors


def _host_array(variable):
    """A C-contiguous NumPy copy-or-view of the variable (0-d stays 0-d, which
    ``ascontiguousarray`` alone would turn into shape (1,))."""
    array = variable.numpy() if hasattr(variable, "numpy") else numpy.asarray(variable)
    return array if array.flags.c_contiguous else numpy.ascontiguousarray(array)


def load_tensors(data, name):
    """``{key: array}`` from safetensors bytes, with a clear error when they are malformed."""
    return limits.tensors_from_bytes(data, name)


_DTYPE_CODES = {numpy.dtype(v): k for k, v in limits.DTYPES.items()}


def _tensor_listing(data, name):
    entries = getattr(data, "entries", None)  # read_archive(headers_only=...) parsed them
    if entries is None:
        entries = limits.safetensors_entries(data, name)
    rows = [(e.name, _DTYPE_CODES[e.dtype], list(e.shape)) for e in entries]
    return sorted(rows, key=lambda row: _key_index(row[0], name))


def _key_index(key, name):
    match = re.match(r"(\d{1,9}):", key)
    if match is None:
        raise FileFormatError(
            f"Expected keys like '0000:dense/kernel' in {name}. Received: {quote(key)}"
        )
    return int(match.group(1))


def assign_variables(variables, tensors, what, skip_mismatch=False, check_only=False):
    """Write ``tensors`` (``{"0000:path": array}``) into ``variables`` in order.

    Everything is checked before anything is written, so a mismatch leaves the model unchanged:
    the error names the first mismatching variable, the expected and the received value. With
    ``skip_mismatch``, mismatching (or missing) variables are left as they are, with a warning.
    ``check_only`` raises what would be raised, and writes nothing.
    """
    variables = list(variables)
    ordered = sorted(tensors.items(), key=lambda item: _key_index(item[0], what))
    if [_key_index(k, what) for k, _ in ordered] != list(range(len(ordered))):
        raise FileFormatError(f"The {what} in the file are not numbered 0..{len(ordered) - 1}.")
    problems = []  # (index, message), in order
    for i, variable in enumerate(variables):
        if i >= len(ordered):
            problems.append((i, f"the model's variable {quote(_variable_name(variable))} (#{i}, "
                                f"shape {tuple(variable.shape)}) has no value in the file"))
            continue
        key, array = ordered[i]
        if tuple(array.shape) != tuple(variable.shape):
            problems.append((i, f"Weight mismatch for variable {quote(_variable_name(variable))}: "
                                f"expected shape {tuple(variable.shape)}, the file's {quote(key)} "
                                f"has shape {tuple(array.shape)}."))
        elif numpy.dtype(array.dtype) != numpy.dtype(variable.dtype):
            problems.append((i, f"Weight mismatch for variable {quote(_variable_name(variable))}: "
                                f"expected dtype {numpy.dtype(variable.dtype)}, the file's "
                                f"{quote(key)} has dtype {array.dtype}."))
    extra = len(ordered) - len(variables)
    if extra > 0 and not problems:
        problems.append((len(variables), f"the file's {quote(ordered[len(variables)][0])} (#"
                                         f"{len(variables)}) has no variable in the model."))
    if problems and not skip_mismatch:
        count = (f" The file holds {len(ordered)} {what} and the model has {len(variables)}: "
                 "it was saved from a different architecture." if extra else "")
        raise FileFormatError(problems[0][1] + count + " Nothing was loaded.")
    if check_only:
        return
    if problems:
        skipped = [m for _, m in problems]
        warnings.warn(f"{len(skipped)} {what} were not loaded: " + "; ".join(skipped[:5]),
                      stacklevel=3)
    bad = {i for i, _ in problems}
    for i, (variable, (_, array)) in enumerate(zip(variables, ordered)):
        if i not in bad:
            variable.assign(array)


def bind_variables(variables, tensors):
    """Make the arrays of ``tensors`` (checked by ``assign_variables(..., check_only=True)``)
    the values of a freshly rebuilt model's ``variables``, in order, without copying them."""
    xp = backend.default_module()
    ordered = sorted(tensors.items(), key=lambda item: _key_index(item[0], "weights"))
    for variable, (_, array) in zip(variables, ordered):
        variable.data = xp.asarray(array)


def _check_optimizer(model, entries):
    """Refuse optimizer state whose count does not fit the model before reading it."""
    count = len(_optimizer_variables(model)) or len(model.trainable_variables)
    if len(entries) > 4 * count + 16:  # every optimizer keeps a few slots per variable
        raise FileFormatError(f"The file holds {len(entries)} optimizer variables for a model "
                              f"with {len(model.trainable_variables)} trainable variables: "
                              "refused.")


def _optimizer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    return list(getattr(optimizer, "variables", None) or [])


def restore_optimizer(model, tensors):
    """Load optimizer state saved from ``model.optimizer.variables`` (building it first)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        warnings.warn(
            "The file holds optimizer state but the model is not compiled: state skipped.",
            stacklevel=3,
        )
        return
    if len(_optimizer_variables(model)) != len(tensors) and not getattr(optimizer, "built", True):
        optimizer.build(model.trainable_variables)
    assign_variables(optimizer.variables, tensors, "optimizer variables", check_only=True)
    from profond.saving.checkpoint import check_optimizer_state  # (it imports this module)

    check_optimizer_state(optimizer, tensors)  # step count >= 0, finite learning rate
    assign_variables(optimizer.variables, tensors, "optimizer variables")


# --------------------------------------------------------------------------------------------
# The zip container
# --------------------------------------------------------------------------------------------
def _metadata(kind):
    import profond

    return {
        "format": "profond",
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "profond_version": profond.__version__,
        "numpy_version": numpy.__version__,
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def check_metadata(members):
    """The parsed ``metadata.json``; an error when it is missing or from a newer format."""
    metadata = parse_json(members[METADATA], METADATA)
    version = metadata.get("format_version")
    if metadata.get("format") != "profond" or not isinstance(version, int) or version < 1:
        raise FileFormatError(
            "metadata.json does not describe a profond file. "
            f"Received: format={quote(metadata.get('format'))}, format_version={quote(version)}"
        )
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"The file uses format version {version}, but this profond reads up to version "
            f"{FORMAT_VERSION}: upgrade profond to load it."
        )
    return metadata


def _json_bytes(value):
    return json.dumps(value, indent=2, default=_json_default).encode("utf-8")


def parse_json(data, name):
    """Parse one JSON member, which must hold an object; a ``FileFormatError`` otherwise.
    Strict: a key given twice, ``NaN`` or ``Infinity`` are refused (see ``limits.loads_json``)."""
    value = limits.loads_json(data, name)
    if not isinstance(value, dict):
        raise FileFormatError(
            f"Expected {name} to hold a JSON object. Received: {type(value).__name__}"
        )
    return value


class _Archive:
    """An open profond zip whose directory was checked; members are read on demand, bounded."""

    def __init__(self, filepath, zf):
        self.filepath, self._zip = filepath, zf
        self._infos = {info.filename: info for info in zf.infolist()}

    def __contains__(self, name):
        return name in self._infos

    def read(self, name):
        """The bytes of a member (JSON), at most its checked size."""
        return _read_member(self._zip, self._infos[name])

    def tensors(self, name, check=None):
        """``{key: array}`` of a safetensors member: its header is validated and ``check``ed
        before its data is read (see ``limits.read_safetensors``)."""
        info = self._infos[name]
        with self._zip.open(info) as f:
            tensors = limits.read_safetensors(f, info.file_size, name, check)
            if f.read(1):  # also makes zipfile check the CRC
                raise FileFormatError(f"Member {name} holds more bytes than announced.")
        return tensors


@contextlib.contextmanager
def open_archive(filepath, required=(), members=None, kind="profond"):
    """An ``_Archive`` for a profond zip (or, with ``members`` and ``kind``, another zip of
    that shape: a Keras 3 ``.keras`` file), checked before anything is decompressed:

    - a regular file (not a device or FIFO, even through a symlink);
    - the member names are among the known ones (so no path tricks), each at most once;
    - each member's size is within ``MEMBER_LIMITS`` (``max_bytes`` for tensors), and within
      what the file can hold: a stored member is as large as its stored bytes, a compressed one
      at most ``max_compression_ratio`` times them (no "zip bomb");
    - no encryption, only the stored and deflate methods.
    """
    filepath = os.fspath(filepath)
    f, size = limits.open_regular(filepath, f"{kind} file")
    try:
        with f, zipfile.ZipFile(f) as zf:
            _check_directory(filepath, zf.infolist(), required, size, members, kind)
            yield _Archive(filepath, zf)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            NotImplementedError) as e:
        raise FileFormatError(
            f"{filepath} is not a valid {kind} file (not a zip, or damaged/truncated): {e}"
        ) from None


def read_archive(filepath, required=(), headers_only=()):
    """``{member name: bytearray}`` of a profond zip (see ``open_archive`` for the checks).

    The members in ``headers_only`` hold only their safetensors header (enough for listing
    them, never their data)."""
    with open_archive(filepath, required) as archive:
        members = {}
        for name in archive._infos:
            if name in headers_only:
                members[name] = _read_safetensors_head(archive, name)
            else:
                members[name] = archive.read(name)
        return members


def _read_safetensors_head(archive, name):
    """A safetensors member's first bytes, up to the end of its header (checked): what
    ``_tensor_listing`` needs, without reading the tensors."""
    info = archive._infos[name]
    with archive._zip.open(info) as f:
        prefix = f.read(8)
        length = limits.header_length(prefix, name, info.file_size)
        header = limits.read_exact(f, length, name)
    entries = limits.parse_header(header, name, info.file_size - 8 - length)
    return _HeaderOnly(prefix + bytes(header), entries)


class _HeaderOnly(bytes):
    """A safetensors member's header bytes, with its checked entries (for ``_tensor_listing``)."""

    def __new__(cls, data, entries):
        self = super().__new__(cls, data)
        self.entries = entries
        return self


def _check_directory(filepath, infos, required, archive_size=None, members=None,
                     kind="profond"):
    members = MEMBER_LIMITS if members is None else members
    names = [info.filename for info in infos]
    unknown = [n for n in names if n not in members]
    if unknown:
        raise FileFormatError(
            f"{filepath} is not a {kind} file: unexpected member(s) {unknown[:5]!r:.300}. "
            f"Expected only {sorted(members)}."
        )
    if len(set(names)) != len(names):
        raise FileFormatError(f"{filepath} holds the same member twice: {sorted(names)}")
    missing = [n for n in required if n not in names]
    if missing:
        raise FileFormatError(f"{filepath} is not a complete {kind} file: {missing} missing.")
    ratio = limit("max_compression_ratio")
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileFormatError(f"{filepath}: member {info.filename} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileFormatError(
                f"{filepath}: member {info.filename} uses an unsupported compression method."
            )
        most = members[info.filename] or limit("max_bytes")
        if info.file_size > most:
            raise FileFormatError(
                f"{filepath}: member {info.filename} is {info.file_size} bytes, more than the "
                f"{most} allowed (see profond.saving.set_limits)."
            )
        if archive_size is not None and info.header_offset + info.compress_size > archive_size:
            raise FileFormatError(
                f"{filepath} is not a valid {kind} file (damaged/truncated): member "
                f"{info.filename} announces {info.compress_size} stored bytes, more than the "
                f"file holds."
            )
        stored = info.compress_type == zipfile.ZIP_STORED
        if (stored and info.file_size != info.compress_size) or (
                info.file_size > MiB and info.file_size > ratio * info.compress_size):
            raise FileFormatError(
                f"{filepath}: member {info.filename} would expand {info.compress_size} bytes "
                f"into {info.file_size} (a 'zip bomb'?): refused."
            )


def _read_member(zf, info):
    """Exactly the member's checked size (a ``bytearray``), in chunks; a longer member is an
    error."""
    with zf.open(info) as f:
        data = limits.read_exact(f, info.file_size, f"Member {info.filename}")
        if f.read(1):  # also makes zipfile check the CRC
            raise FileFormatError(f"Member {info.filename} holds more bytes than the "
                                  f"{info.file_size} announced.")
    return data


def _read_bounded_file(filepath, most):
    """The bytes of a small regular file, at most ``most``."""
    return limits.read_small_file(filepath, most)


def _write_archive(filepath, members):
    """Write ``{name: bytes}`` as a zip, atomically. JSON is deflated, tensors stored as is."""

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            for name, data in members.items():
                method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                zf.writestr(name, data, compress_type=method)

    _atomic_write(filepath, write)


def _atomic_write(filepath, write):
    """Call ``write(binary_file)`` on a temporary file next to ``filepath``, then move it into
    place with ``os.replace`` (atomic): readers see the old file or the new one, never half.

    The temporary file has one name per target, ``.<name>.tmp``, so a save killed midway leaves
    at most one of them, which the next save of that target removes. It is created with the
    process's umask (as ``open`` would), and an error (a read-only directory) names the target.
    Two processes saving the same target at the same moment are not supported (one would remove
    the other's temporary file).
    """
    filepath = os.fspath(filepath)
    directory, name = os.path.split(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, _temporary_name(name))
    try:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)  # left by a save that was killed
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise type(e)(e.errno, f"Cannot save {filepath}: {e.strerror or e}", filepath) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # the rename itself survives a crash
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _temporary_name(name):
    """``.<name>.tmp``; a name too long for that is cut and told apart by its checksum."""
    if len(name.encode("utf-8", "surrogateescape")) <= 200:
        return f".{name}.tmp"
    return f".{name[:100]}-{zlib.crc32(name.encode('utf-8', 'surrogateescape')):08x}.tmp"
