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
checked against limits before anything is read, JSON and safetensors headers are validated, and
nothing in the file can name code to run (no pickle, no eval, no import by name). Anything
malformed raises ``FileFormatError`` (a ``ValueError``) with a message saying what is wrong.

>>> import profond as tf                                            # doctest: +SKIP
>>> model.save("mlp.profond")                                       # doctest: +SKIP
>>> same = tf.saving.load_model("mlp.profond")                      # doctest: +SKIP
"""

import contextlib
import datetime
import importlib
import json
import os
import re
import tempfile
import warnings
import zipfile
import zlib

import numpy

from profond import registry

FORMAT_VERSION = 1

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.safetensors"
OPTIMIZER = "optimizer.safetensors"
TRAINING_STATE = "training_state.json"

MiB = 2**20
GiB = 2**30

# The most bytes each member may hold once uncompressed; checked BEFORE reading it.
MEMBER_LIMITS = {
    CONFIG: 16 * MiB,
    METADATA: 1 * MiB,
    TRAINING_STATE: 1 * MiB,
    WEIGHTS: 16 * GiB,
    OPTIMIZER: 32 * GiB,
}
MAX_TOTAL_BYTES = 48 * GiB
MAX_SAFETENSORS_HEADER = 64 * MiB
# Weights are stored uncompressed and JSON compresses ~10x: a far higher ratio is a "zip bomb".
MAX_COMPRESSION_RATIO = 200

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


class FileFormatError(ValueError):
    """A file that is not a valid profond file: damaged, truncated, too large or malformed."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save ``model`` (architecture, weights, compile arguments, optimizer state) to one file.

    Args:
        model: a built ``Sequential`` or functional ``Model`` (or any registered model class).
        filepath: where to write, by convention ending in ``.profond``.
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
        filepath: a ``.profond`` file (a checkpoint holding the architecture works too).
        custom_objects: ``{"ClassName": cls}`` for your own layers or losses, if they were not
            registered with ``@profond.saving.register_serializable()``.
        compile: also compile the model as it was (optimizer, loss, metrics) and restore the
            optimizer's state, so ``fit`` continues where it stopped.
        safe_mode: always on: profond files cannot hold code. Accepted for Keras compatibility.

    Raises:
        FileFormatError: the file is damaged, too large, or not a profond model file.
        ValueError: the file names a class that is not registered, or weights do not fit.
    """
    del safe_mode  # nothing in a profond file is ever executed
    _refuse_hdf5(filepath)
    members = read_archive(filepath, required=(METADATA, WEIGHTS))
    check_metadata(members)
    if CONFIG not in members:
        raise FileFormatError(
            f"{filepath} holds weights but not the model's architecture (a weights-only "
            "checkpoint). Build the model in code, then use profond.saving.restore_checkpoint."
        )
    spec = parse_json(members[CONFIG], CONFIG)
    weights = load_tensors(members[WEIGHTS], WEIGHTS)
    model = model_from_config(spec, custom_objects)
    assign_variables(model.weights, weights, "weights")
    if compile and spec.get("compile_config"):
        _compile_from_config(model, spec["compile_config"], custom_objects)
        if OPTIMIZER in members:
            restore_optimizer(model, load_tensors(members[OPTIMIZER], OPTIMIZER))
    return model


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _refuse_hdf5(filepath):
    """A clear answer to ``load_model("model.h5")``: an HDF5 file is not a profond model."""
    with contextlib.suppress(OSError), open(filepath, "rb") as f:
        if f.read(8) == _HDF5_SIGNATURE:
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
    weights of a ``.profond`` file, into the already built ``model``.

    A shape, dtype or count that does not match raises a ``ValueError`` naming the first
    mismatching variable, and nothing is changed. With ``skip_mismatch=True`` the mismatching
    variables keep their values (with a warning) and the others are loaded.
    """
    if kwargs:
        raise TypeError(f"load_weights got unexpected keyword arguments: {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if _weights_format(filepath, "load_weights") == "h5":
        from profond.saving.weights_h5 import load_weights_h5

        return load_weights_h5(model, filepath, skip_mismatch=skip_mismatch)
    if zipfile.is_zipfile(filepath):
        members = read_archive(filepath, required=(METADATA, WEIGHTS))
        check_metadata(members)
        data = members[WEIGHTS]
    else:
        data = _read_bounded_file(filepath, MEMBER_LIMITS[WEIGHTS])
    tensors = load_tensors(data, os.path.basename(filepath))
    assign_variables(model.weights, tensors, "weights", skip_mismatch=skip_mismatch)


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
    members = read_archive(filepath, required=(METADATA, WEIGHTS))
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
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as e:
        raise FileFormatError(
            f"Could not rebuild the model from config.json: {type(e).__name__}: {e}"
        ) from None
    return model


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
        raise FileFormatError(f"Expected compile_config to be a dict. Received: {compile_config!r}")
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


def _safetensors_header(data, name):
    """The JSON header of a safetensors blob, after checking its announced length."""
    if len(data) < 8:
        raise FileFormatError(f"{name} is truncated: {len(data)} bytes, not even a header.")
    length = int.from_bytes(data[:8], "little")
    if length > MAX_SAFETENSORS_HEADER or 8 + length > len(data):
        raise FileFormatError(
            f"{name} announces a header of {length} bytes, but holds {len(data) - 8} bytes "
            f"(and at most {MAX_SAFETENSORS_HEADER} are allowed): the file is damaged."
        )
    return parse_json(data[8 : 8 + length], f"{name} (header)")


def load_tensors(data, name):
    """``{key: array}`` from safetensors bytes, with a clear error when they are malformed."""
    _safetensors_header(data, name)
    safetensors = _safetensors()
    try:
        return safetensors.numpy.load(data)
    except (safetensors.SafetensorError, KeyError, ValueError, TypeError) as e:
        raise FileFormatError(f"{name} is not a valid safetensors file: {e}") from None


def _tensor_listing(data, name):
    header = _safetensors_header(data, name)
    rows = [(k, v.get("dtype"), v.get("shape")) for k, v in header.items() if k != "__metadata__"]
    return sorted(rows, key=lambda row: _key_index(row[0], name))


def _key_index(key, name):
    match = re.match(r"(\d{1,9}):", key)
    if match is None:
        raise FileFormatError(
            f"Expected keys like '0000:dense/kernel' in {name}. Received: {key!r}"
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
            problems.append((i, f"the model's variable '{_variable_name(variable)}' (#{i}, "
                                f"shape {tuple(variable.shape)}) has no value in the file"))
            continue
        key, array = ordered[i]
        if tuple(array.shape) != tuple(variable.shape):
            problems.append((i, f"Weight mismatch for variable '{_variable_name(variable)}': "
                                f"expected shape {tuple(variable.shape)}, the file's '{key}' "
                                f"has shape {tuple(array.shape)}."))
        elif numpy.dtype(array.dtype) != numpy.dtype(variable.dtype):
            problems.append((i, f"Weight mismatch for variable '{_variable_name(variable)}': "
                                f"expected dtype {numpy.dtype(variable.dtype)}, the file's "
                                f"'{key}' has dtype {array.dtype}."))
    extra = len(ordered) - len(variables)
    if extra > 0 and not problems:
        problems.append((len(variables), f"the file's '{ordered[len(variables)][0]}' (#"
                                         f"{len(variables)}) has no variable in the model"))
    if problems and not skip_mismatch:
        count = (f" The file holds {len(ordered)} {what} and the model has {len(variables)}: "
                 "it was saved from a different architecture." if extra else "")
        raise ValueError(problems[0][1] + count + " Nothing was loaded.")
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
            f"Received: format={metadata.get('format')!r}, format_version={version!r}"
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
    """Parse one JSON member, which must hold an object; a ``FileFormatError`` otherwise."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FileFormatError(f"{name} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise FileFormatError(
            f"Expected {name} to hold a JSON object. Received: {type(value).__name__}"
        )
    return value


def read_archive(filepath, required=()):
    """``{member name: bytes}`` of a profond zip, checked before anything is decompressed:

    - the member names are among the known ones (so no path tricks), each at most once;
    - each member's size is within ``MEMBER_LIMITS``, the total within ``MAX_TOTAL_BYTES``;
    - no member decompresses more than ``MAX_COMPRESSION_RATIO`` times its stored size;
    - no encryption, only the stored and deflate methods.
    """
    filepath = os.fspath(filepath)
    try:
        with zipfile.ZipFile(filepath) as zf:
            infos = zf.infolist()
            _check_directory(filepath, infos, required)
            return {info.filename: _read_member(zf, info) for info in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as e:
        raise FileFormatError(
            f"{filepath} is not a valid profond file (not a zip, or damaged/truncated): {e}"
        ) from None


def _check_directory(filepath, infos, required):
    names = [info.filename for info in infos]
    unknown = [n for n in names if n not in MEMBER_LIMITS]
    if unknown:
        raise FileFormatError(
            f"{filepath} is not a profond file: unexpected member(s) {unknown[:5]!r:.300}. "
            f"Expected only {sorted(MEMBER_LIMITS)}."
        )
    if len(set(names)) != len(names):
        raise FileFormatError(f"{filepath} holds the same member twice: {sorted(names)}")
    missing = [n for n in required if n not in names]
    if missing:
        raise FileFormatError(f"{filepath} is not a complete profond file: {missing} missing.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileFormatError(f"{filepath}: member {info.filename} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileFormatError(
                f"{filepath}: member {info.filename} uses an unsupported compression method."
            )
        limit = MEMBER_LIMITS[info.filename]
        if info.file_size > limit:
            raise FileFormatError(
                f"{filepath}: member {info.filename} is {info.file_size} bytes, more than the "
                f"{limit} allowed."
            )
        if info.file_size > MiB and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise FileFormatError(
                f"{filepath}: member {info.filename} would expand {info.compress_size} bytes "
                f"into {info.file_size} (a 'zip bomb'?): refused."
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise FileFormatError(f"{filepath} would expand to {total} bytes: refused.")


def _read_member(zf, info):
    with zf.open(info) as f:
        data = f.read(info.file_size + 1)  # never more than the size checked above
    if len(data) != info.file_size:
        raise FileFormatError(
            f"Member {info.filename} holds {len(data)} bytes, not the {info.file_size} announced."
        )
    return data


def _read_bounded_file(filepath, limit):
    size = os.path.getsize(filepath)
    if size > limit:
        raise FileFormatError(f"{filepath} is {size} bytes, more than the {limit} allowed.")
    with open(filepath, "rb") as f:
        return f.read(limit + 1)


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
    place with ``os.replace`` (atomic): readers see the old file or the new one, never half."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".profond", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
