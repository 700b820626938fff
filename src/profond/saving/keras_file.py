"""Keras 3 model files (``.keras``): the zip that ``keras.Model.save("m.keras")`` writes.

A ``.keras`` file is a zip with three members:

- ``config.json``: the model as Keras 3 serializes objects. Each object (model, layer,
  initializer, optimizer, loss ...) is ``{"module", "class_name", "config", "registered_name"}``,
  a layer may add its ``build_config``, the model its ``compile_config`` (optimizer, loss,
  metrics). A functional model lists its layers with their ``inbound_nodes``, whose arguments
  refer to tensors as ``{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
  "keras_history": [layer name, call index, output index]}}``.
- ``metadata.json``: ``{"keras_version", "date_saved"}``.
- ``model.weights.h5``: the weights (and the optimizer's state under ``optimizer/vars``) in the
  HDF5 layout of Keras 3's ``.weights.h5`` files (see ``weights_h5.py``).

profond's configs already use Keras's class names and arguments, so reading is a translation:
each Keras object becomes profond's ``{"class_name", "config"}`` and the model is rebuilt by
profond's own loader (``model_file.model_from_config``). Writing is the reverse.

Loading a file from anyone stays safe. The ``module`` a file names is never imported: a class
of Keras's modules must be one profond has (its registry), any other class must be registered
with profond or given in ``custom_objects``. A ``Lambda`` layer's code is never read (the
function must come from ``custom_objects``, see ``layers/lambda_layer.py``). The zip is checked
as profond's own files are (``model_file.open_archive``: member names, sizes, compression
ratio), the model is rebuilt with placeholders whose parameter count is bounded by the values
the weights file holds, and only numeric datasets that fit the model are read, each stored whole
inside the file (no external storage, no HDF5 compression that could expand 4 KB into gigabytes).

The optimizer's state travels too: Keras keeps ``[iterations, learning_rate, slots...]`` as
profond does, but makes some optimizers' first two slots variable by variable (Adam's
``m₀, v₀, m₁, v₁, …``, see ``_keras_order``). A state that does not fit is skipped with a warning.

``model.save(path)`` writes this format when ``path`` ends in ``.keras``; ``load_model`` and
``load_weights`` recognise it by its members, so profond files saved under a ``.keras`` name by
earlier versions of profond still load.

Keras-only arguments that profond's classes lack are dropped when they hold their neutral value
(``quantization_config=None``, ``renorm=False`` ...); any other value is refused by name.

>>> model.save("mlp.keras")                         # Keras 3's format   # doctest: +SKIP
>>> same = profond.keras.models.load_model("mlp.keras")                  # doctest: +SKIP
"""

import contextlib
import datetime
import inspect
import io
import warnings
import zipfile

import numpy

from profond import backend, registry
from profond._text import quote
from profond.layers import deferred
from profond.saving import model_file
from profond.saving.limits import FileFormatError, MiB, limit
from profond.saving.weights_h5 import _datasets, _h5py, _match, variable_paths

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MEMBER_LIMITS = {CONFIG: 16 * MiB, METADATA: 1 * MiB, WEIGHTS: None}
# The Keras release whose file layout profond writes (Keras reads its own files of any 3.x).
KERAS_VERSION = "3.10.0"
_OPTIMIZER_GROUP = "optimizer/vars"

# Keras arguments profond's classes do not take: dropped when they hold one of these values
# (``ANY``: meaningless once the others are dropped), refused otherwise.
_ANY = object()
_KERAS_ONLY = {
    "quantization_config": (None,), "lora_rank": (None,), "lora_alpha": (None,),
    "sparse": (False,), "ragged": (False,), "optional": (False,),
    "renorm": (False,), "renorm_clipping": (None,), "renorm_momentum": _ANY,
    "activity_regularizer": (None,), "input_axes": (None,), "output_axes": (None,),
    "loss_scale_factor": (None,), "gradient_accumulation_steps": (None,),
    "autocast": (True,), "use_cudnn": ("auto",),
}
# Optimizers whose first two slots Keras creates together, one variable after the other
# (``[m₀, v₀, m₁, v₁, …]``); profond makes each slot for all variables in turn.
_INTERLEAVED_SLOTS = {"Adam": 2, "AdamW": 2, "Adadelta": 2}
# Where Keras 3 keeps each kind of object, and the prefix profond's registry gives some kinds.
_KINDS = (("initializers", "initializers."), ("regularizers", ""), ("constraints", ""),
          ("optimizers", ""), ("losses", "losses."), ("metrics", "metrics."))
# Where a config names a function instead of an object (profond's marker, Keras's two): the
# function is never stored, a ``Lambda`` finds it in ``custom_objects`` (``lambda_layer.py``).
_CODE_MARKERS = ("__python_code__", "__lambda__", "function")
# Keras's markers in a functional call's arguments, to profond's (``op_layer.encode_argument``).
_SPECIAL = ("__keras_tensor__", "__tuple__", "__slice__", "__ellipsis__", "__numpy__",
            "__tensor__", "__bytes__")


# --------------------------------------------------------------------------------------------
# Public API (reached through profond.saving.save_model / load_model)
# --------------------------------------------------------------------------------------------
def save_keras_model(model, filepath, include_optimizer=True):
    """Write ``model`` as a Keras 3 ``.keras`` file (atomically): Keras's config, metadata,
    and the weights (with the optimizer's state when ``include_optimizer``) in HDF5."""
    spec = to_keras_config(model)
    members = {
        CONFIG: model_file._json_bytes(spec),
        METADATA: model_file._json_bytes(_metadata()),
        WEIGHTS: _weights_bytes(model, include_optimizer),
    }
    model_file._write_archive(filepath, members)


def is_keras_archive(filepath):
    """Whether ``filepath`` is a zip holding a Keras 3 model (``model.weights.h5``); only the
    zip's directory is read. Older profond files named ``.keras`` answer False."""
    try:
        f, _ = model_file.limits.open_regular(filepath, "model file")
        with f, zipfile.ZipFile(f) as zf:
            return WEIGHTS in zf.namelist()
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return False


def load_keras_model(filepath, custom_objects=None, compile=True):
    """A profond model from a Keras 3 ``.keras`` file (see the module): same architecture, same
    weights; compiled as it was (optimizer state included) when ``compile``.

    Raises:
        FileFormatError: the file is damaged, too large, or names what profond does not have
            (the message names the class or argument).
    """
    with _open_keras_file(filepath, with_config=True) as (config, stored, optimizer_state):
        try:
            spec = from_keras_config(config, custom_objects)
        except RecursionError:
            raise FileFormatError(f"{filepath}: config.json is nested too deeply.") from None
        # The model is made with placeholders, at most as many values as the file holds.
        values = sum(d.size for group in stored.values() for d in group.values())
        with deferred.deferred_weights(values + model_file._SPARE_PARAMETERS,
                                       limit("max_activation_bytes"),
                                       f"the file (its weights hold {values} values)"):
            model = model_file.model_from_config(spec, custom_objects)
        plan, problems = _match(variable_paths(model), stored)
        if problems:
            raise FileFormatError(f"{filepath}: the weights do not fit the model: "
                                  f"{problems[0]} ({len(problems)} problem(s) in all)")
        _bind(plan)
        if compile and spec.get("compile_config"):
            model_file._compile_from_config(model, spec["compile_config"], custom_objects)
            if optimizer_state:
                _restore_optimizer(model, optimizer_state)
    return model


def load_keras_weights(model, filepath, skip_mismatch=False):
    """Only the weights of a ``.keras`` file, into the built ``model`` (Keras's
    ``model.load_weights("m.keras")``): checked as ``weights_h5.load_weights_h5`` checks a
    ``.weights.h5`` file; nothing changes when they do not fit, unless ``skip_mismatch``."""
    with _open_keras_file(filepath, with_config=False) as (_, stored, _):
        plan, problems = _match(variable_paths(model), stored)
        if problems and not skip_mismatch:
            raise FileFormatError(f"load_weights: {problems[0]} ({len(problems)} problem(s) "
                                  "in all; nothing was loaded. Pass skip_mismatch=True to "
                                  "load the rest.)")
        values = [(variable, dataset[()]) for variable, dataset in plan]
    if problems:
        warnings.warn(f"load_weights skipped {len(problems)} item(s): " + " ".join(problems[:5]),
                      stacklevel=3)
    for variable, value in values:
        variable.assign(value.astype(numpy.dtype(variable.dtype), copy=False))


def read_keras_info(filepath):
    """What a checked ``.keras`` file holds, nothing built: ``{"metadata", "weights":
    [(path, dtype, shape)], "optimizer": number of arrays}`` (for ``profond info``)."""
    with _open_keras_file(filepath, with_config=False) as (_, stored, optimizer_state):
        metadata = model_file.parse_json(_read_member(filepath, METADATA), METADATA)
        weights = [(f"{group}/{key}", str(d.dtype), tuple(d.shape))
                   for group, items in stored.items() for key, d in items.items()]
        return {"metadata": metadata, "weights": weights, "optimizer": len(optimizer_state)}


def _read_member(filepath, name):
    with model_file.open_archive(filepath, required=(name,), members=MEMBER_LIMITS,
                                 kind="Keras 3 model") as archive:
        return archive.read(name)


@contextlib.contextmanager
def _open_keras_file(filepath, with_config):
    """``(config, weights, optimizer state)`` of a checked ``.keras`` file: its parsed
    ``config.json`` (None unless ``with_config``), ``{"layers/dense/vars": {"0": dataset}}`` and
    the optimizer's ``{"0": dataset}``, datasets not read yet (the HDF5 file stays open)."""
    h5py = _h5py()
    required = (CONFIG, METADATA, WEIGHTS) if with_config else (METADATA, WEIGHTS)
    with model_file.open_archive(filepath, required=required, members=MEMBER_LIMITS,
                                 kind="Keras 3 model") as archive:
        _check_metadata(model_file.parse_json(archive.read(METADATA), METADATA))
        config = model_file.parse_json(archive.read(CONFIG), CONFIG) if with_config else None
        data = io.BytesIO(archive.read(WEIGHTS))
    try:
        with h5py.File(data, "r") as h5:
            stored = _datasets(h5, f"{filepath}: {WEIGHTS}")  # numeric, inside the file
            optimizer_state = stored.pop(_OPTIMIZER_GROUP, {})
            yield config, stored, optimizer_state
    except OSError as e:
        raise FileFormatError(f"{filepath}: {WEIGHTS} is not a readable HDF5 file: {e}") from None


# --------------------------------------------------------------------------------------------
# Reading: Keras's objects → profond's specs
# --------------------------------------------------------------------------------------------
def _check_metadata(metadata):
    version = metadata.get("keras_version")
    if not isinstance(version, str) or not version.startswith("3."):
        raise FileFormatError(
            "metadata.json does not describe a Keras 3 model file (profond reads the .keras "
            f"files of Keras 3). Received: keras_version={quote(version)}")


def from_keras_config(spec, custom_objects=None):
    """profond's ``{"class_name", "config", "build_config", "compile_config"}`` for the model
    described by a Keras ``config.json`` (``spec``); nothing is built or imported yet."""
    model_file._import_builtin_classes()
    out = _object(spec, custom_objects, "config.json")
    if not isinstance(out, dict):
        raise FileFormatError(f"Expected config.json to describe a model. Received: "
                              f"{quote(spec)}")
    compile_config = spec.get("compile_config")
    if isinstance(compile_config, dict) and compile_config:
        out["compile_config"] = {k: _value(v, custom_objects, f"compile_config.{k}")
                                 for k, v in compile_config.items()
                                 if k in model_file._COMPILE_ARGUMENTS and v is not None}
    out["build_config"] = spec.get("build_config")
    return out


def _is_object(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _value(value, custom_objects, where):
    """A config value: objects translated, lists and plain dicts walked, the rest as is."""
    if _is_object(value):
        return _object(value, custom_objects, where)
    if isinstance(value, list):
        return [_value(v, custom_objects, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _value(v, custom_objects, f"{where}.{k}") for k, v in value.items()}
    return value


def _object(obj, custom_objects, where):
    """One Keras object as profond's ``{"class_name", "config"}`` (a dtype policy as its name)."""
    if not _is_object(obj):
        raise FileFormatError(f"{where}: expected a Keras object {{'module', 'class_name', "
                              f"'config'}}. Received: {quote(obj)}")
    class_name, config = obj["class_name"], obj["config"]
    if class_name in _CODE_MARKERS:
        # A Lambda's code ("__lambda__" carries bytecode) or a function's name: kept as is for
        # profond's Lambda, which looks it up in custom_objects and never reads code.
        return {"class_name": class_name, "config": config}
    module = obj.get("module")
    if class_name in ("DTypePolicy", "FloatDTypePolicy") and isinstance(module, str) \
            and module.startswith("keras") and isinstance(config, dict):  # (older 3.x: Float…)
        name = config.get("name")
        if not isinstance(name, str):
            raise FileFormatError(f"{where}: a DTypePolicy without a name: {quote(config)}")
        return name
    name, cls = _resolve(module, class_name, obj.get("registered_name"), custom_objects, where)
    if not isinstance(config, dict):
        raise FileFormatError(f"{where}: the config of {quote(class_name)} must be an object.")
    here = f"{where} ({class_name} {quote(config.get('name', ''))})"
    config = _drop_keras_only(cls, config, here)
    if class_name == "Functional" or "input_layers" in config:
        config = _functional_config(config, custom_objects, here)
    else:
        config = {k: _value(v, custom_objects, f"{here}.{k}") for k, v in config.items()}
    out = {"class_name": name, "config": config}
    for key in ("name", "build_config"):
        if key in obj:
            out[key] = obj[key]
    return out


def _resolve(module, class_name, registered_name, custom_objects, where):
    """``(profond's name, class)`` for a Keras object; never an import.

    A class of Keras's modules must be one of profond's (registered under the same name);
    any other module's class must be registered with profond or given in ``custom_objects``.
    """
    if not isinstance(class_name, str) or not (module is None or isinstance(module, str)):
        raise FileFormatError(f"{where}: invalid class_name or module: "
                              f"{quote(class_name)}, {quote(module)}")
    keras_module = module is not None and (module == "keras" or module.startswith("keras."))
    if not keras_module:
        name = registered_name if isinstance(registered_name, str) else class_name
        found = registry.get_custom_object(name, custom_objects)
        if found is None and (">" in name or module is None):  # a class registered by a user
            found = _registered(name, custom_objects)
        if found is None:
            raise registry.UnknownClassError(
                f"{where}: the class {quote(name)} of module {quote(module)} is not one of "
                "Keras's: profond never imports a module named by a file. Register the class "
                "with @profond.saving.register_serializable() or pass custom_objects="
                f"{{{name!r}: cls}}.")
        return name, found
    parts = module.split(".")
    prefix = next((p for kind, p in _KINDS if kind in parts), "")
    for name in (prefix + class_name, class_name):
        found = _registered(name, custom_objects)
        if found is not None:
            return name, found
    raise registry.UnknownClassError(
        f"{where}: Keras's class {quote(class_name)} (module {quote(module)}) has no "
        "counterpart in profond, so this file cannot be loaded. Pass custom_objects="
        f"{{{class_name!r}: cls}} to supply one.")


def _registered(name, custom_objects=None):
    """The class ``name`` answers to (in ``custom_objects``, open scopes, the registry), or
    None."""
    try:
        return registry.get_registered(name, custom_objects)
    except registry.UnknownClassError:
        return None


def _accepted_arguments(cls):
    """The keyword arguments ``cls(**config)`` takes (None: any)."""
    from profond.layers.base import Layer

    names = set()
    for klass in getattr(cls, "__mro__", (cls,)):
        init = vars(klass).get("__init__")
        if klass is object:  # the **kwargs of every base so far end here: nothing more
            return names
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in parameters if p.kind != p.VAR_KEYWORD)
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            return names
        if klass is Layer:  # what Layer takes through **kwargs
            return names | {"activity_regularizer", "input_shape", "input_dim",
                            "batch_input_shape", "batch_shape", "autocast"}
    return None


def _drop_keras_only(cls, config, where):
    accepted = _accepted_arguments(cls)
    if accepted is None:
        return config
    out = {}
    for key, value in config.items():
        if key in accepted or key not in _KERAS_ONLY:
            out[key] = value
        elif _KERAS_ONLY[key] is not _ANY and value not in _KERAS_ONLY[key]:
            raise FileFormatError(f"{where}: profond does not support Keras's argument "
                                  f"{key}={quote(value)} (only {_KERAS_ONLY[key][0]!r}).")
    return out


def _functional_config(config, custom_objects, where):
    """A functional model's config: each layer with its calls, tensors as profond refers to
    them (``{"__keras_tensor__": [layer, call, output]}``)."""
    out = {k: v for k, v in config.items() if k not in ("layers", "input_layers",
                                                         "output_layers")}
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise FileFormatError(f"{where}: expected a list of layers. Received: {quote(layers)}")
    out["layers"] = []
    for i, spec in enumerate(layers):
        layer = _object(spec, custom_objects, f"{where}.layers[{i}]")
        nodes = spec.get("inbound_nodes", [])
        if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
            raise FileFormatError(f"{where}.layers[{i}]: expected inbound_nodes to be a list "
                                  f"of {{'args', 'kwargs'}}. Received: {quote(nodes)}")
        layer["inbound_nodes"] = [{"args": _argument(n.get("args", []), where),
                                   "kwargs": _argument(n.get("kwargs", {}), where)}
                                  for n in nodes]
        out["layers"].append(layer)
    for key in ("input_layers", "output_layers"):
        out[key] = _references(config.get(key), f"{where}.{key}")
    return out


def _is_reference(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))


def _references(value, where):
    """Keras's ``input_layers``/``output_layers``: one ``[name, call, output]``, a list or a
    dict of them."""
    if _is_reference(value):
        return {"__keras_tensor__": value}
    if isinstance(value, list):
        return [_references(v, where) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _references(v, where) for k, v in value.items()}}
    raise FileFormatError(f"{where}: expected [layer name, call index, output index]. "
                          f"Received: {quote(value)}")


def _argument(value, where):
    """A call argument in Keras's encoding → profond's (``op_layer.decode_argument``)."""
    if isinstance(value, list):
        return [_argument(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    if not (_is_object(value) and value["class_name"] in _SPECIAL):
        return {"__dict__": {k: _argument(v, where) for k, v in value.items()}}
    kind, config = value["class_name"], value["config"]
    config = config if isinstance(config, dict) else {}
    if kind == "__keras_tensor__":
        history = config.get("keras_history")
        if not _is_reference(history):
            raise FileFormatError(f"{where}: a tensor without a valid keras_history: "
                                  f"{quote(history)}")
        return {"__keras_tensor__": history}
    if kind == "__tuple__":
        return {"__tuple__": _argument(config.get("value", []), where)}
    if kind == "__slice__":
        return {"__slice__": [config.get("start"), config.get("stop"), config.get("step")]}
    if kind == "__ellipsis__":
        return {"__ellipsis__": True}
    if kind in ("__numpy__", "__tensor__"):
        return {"__array__": config.get("value"), "dtype": config.get("dtype")}
    raise FileFormatError(f"{where}: profond does not take a {kind} argument in a call.")


def _bind(plan):
    """The file's arrays become the rebuilt model's variables (placeholders until now)."""
    xp = backend.default_module()
    for variable, dataset in plan:
        array = dataset[()].astype(numpy.dtype(variable.dtype), copy=False)
        variable.data = xp.asarray(array)


def _optimizer_variables(optimizer):
    """The optimizer's state variables: ``iteration`` and ``learning_rate``, then (once it is
    built) its slots."""
    return [] if optimizer is None else list(getattr(optimizer, "variables", None) or [])


def _keras_order(optimizer, count):
    """The indices of profond's optimizer variables in the order Keras keeps them, for
    ``count`` trainable variables (None when the counts do not fit). Both keep ``iteration``,
    ``learning_rate``, then (``use_ema``) the variables' averages, then the slots."""
    variables = _optimizer_variables(optimizer)
    head = 1 + (getattr(optimizer, "_lr_variable", None) is not None)
    if len(variables) == head:  # not built yet
        return list(range(head))
    if getattr(optimizer, "use_ema", False):
        head += count
    slots = len(variables) - head
    if slots < 0 or count == 0 or slots % count:
        return None
    together = min(_INTERLEAVED_SLOTS.get(type(optimizer).__name__, 1), slots // count)
    order = list(range(head))
    order += [head + s * count + i for i in range(count) for s in range(together)]
    return order + list(range(head + together * count, len(variables)))


def _restore_optimizer(model, stored):
    """Keras's ``optimizer/vars`` into the compiled model's optimizer; a warning (and nothing
    changed) when they do not fit, as Keras does. A file saved before any training step holds
    only ``iterations`` and ``learning_rate``: the optimizer then stays unbuilt, as in Keras."""
    optimizer = model.optimizer
    if len(stored) != len(_optimizer_variables(optimizer)) and \
            not getattr(optimizer, "built", False):
        optimizer.build(model.trainable_variables)
    variables = _optimizer_variables(optimizer)
    order = _keras_order(optimizer, len(model.trainable_variables))
    keys = sorted(stored, key=int)
    problem = None
    if order is None or len(keys) != len(variables) or keys != [str(i) for i in
                                                                  range(len(keys))]:
        problem = (f"the file holds {len(keys)} optimizer variables, the model's "
                   f"{type(optimizer).__name__} has {len(variables)}")
    else:
        pairs = [(variables[j], stored[str(i)]) for i, j in enumerate(order)]
        bad = [(v, d) for v, d in pairs if tuple(d.shape) != tuple(v.shape)]
        if bad:
            problem = (f"the optimizer variable {quote(bad[0][0].path)} has shape "
                       f"{tuple(bad[0][0].shape)}, the file's {tuple(bad[0][1].shape)}")
    if problem:
        warnings.warn(f"The optimizer's state was not loaded: {problem}.", stacklevel=3)
        return
    values = [(v, d[()]) for v, d in pairs]
    if any(v.dtype.kind == "f" and not numpy.all(numpy.isfinite(v)) for _, v in values):
        raise FileFormatError("The file's optimizer state holds NaN or infinite values.")
    if values and values[0][1].ndim == 0 and values[0][1] < 0:
        raise FileFormatError(f"The file's optimizer iteration count is negative: "
                              f"{values[0][1]}.")
    for variable, value in values:
        variable.assign(value.astype(numpy.dtype(variable.dtype), copy=False))


# --------------------------------------------------------------------------------------------
# Writing: profond's specs → Keras's objects
# --------------------------------------------------------------------------------------------
def _metadata():
    import profond

    now = datetime.datetime.now(datetime.timezone.utc)
    return {"keras_version": KERAS_VERSION, "date_saved": now.strftime("%Y-%m-%d@%H:%M:%S"),
            "profond_version": profond.__version__}


def to_keras_config(model):
    """Keras 3's ``config.json`` for ``model`` (a dict)."""
    spec = model_file.model_config(model)
    shapes = _tensor_shapes(model)
    out = _keras_object(spec, shapes)
    out["build_config"] = spec.get("build_config")
    compile_config = spec.get("compile_config")
    if compile_config:
        out["compile_config"] = {k: _keras_value(compile_config.get(k), shapes)
                                 for k in model_file._COMPILE_ARGUMENTS}
    return out


def _keras_module(cls, name):
    """Where Keras 3 keeps the class profond registered as ``name``."""
    from profond.layers.base import Layer
    from profond.models.model import Model

    if ">" in name:  # a user's class: Keras finds it by registered_name
        return None
    if isinstance(cls, type) and issubclass(cls, Model):
        return "keras.src.models.functional" if name == "Functional" else "keras"
    if isinstance(cls, type) and issubclass(cls, Layer):
        return "keras.layers"
    for kind, prefix in _KINDS:
        if prefix and name.startswith(prefix):
            return f"keras.{kind}"
    module = getattr(cls, "__module__", "") or ""
    kind = next((k for k, _ in _KINDS if k in module.split(".")), None)
    if kind == "optimizers" and ".schedules" in module:
        return "keras.optimizers.schedules"
    return f"keras.{kind}" if kind else None


def _keras_object(spec, shapes):
    """profond's ``{"class_name", "config"}`` as Keras's object."""
    name = spec["class_name"]
    if name in _CODE_MARKERS:
        return {"class_name": name, "config": spec["config"]}
    cls = _registered(name)
    module = _keras_module(cls, name)
    class_name = name.split(".", 1)[1] if module and "." in name and ">" not in name else name
    config = dict(spec["config"])
    if "input_layers" in config:
        config = _keras_functional(config, shapes)
    else:
        config = {k: _keras_value(v, shapes) for k, v in config.items()}
    from profond.layers.base import InputLayer, Layer

    if isinstance(cls, type) and issubclass(cls, Layer) and not issubclass(cls, InputLayer) \
            and isinstance(config.get("dtype"), str):
        config["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                           "config": {"name": config["dtype"]}, "registered_name": None}
    out = {"module": module, "class_name": class_name, "config": config,
           "registered_name": "Functional" if name == "Functional" else
           (None if module else name)}
    for key in ("build_config", "name"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out


def _keras_value(value, shapes):
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return _keras_object(value, shapes)
    if isinstance(value, list):
        return [_keras_value(v, shapes) for v in value]
    if isinstance(value, dict):
        return {k: _keras_value(v, shapes) for k, v in value.items()}
    return value


def _keras_functional(config, shapes):
    out = {k: _keras_value(v, shapes) for k, v in config.items()
           if k not in ("layers", "input_layers", "output_layers", "losses")}
    if config.get("losses"):
        raise ValueError("Saving a .keras file: a functional model with add_loss on symbolic "
                         "tensors has no Keras 3 config. Save it as .profond.")
    out["layers"] = []
    table = shapes.get(config.get("name"), {})  # this model's tensors
    for spec in config["layers"]:
        layer = _keras_object(spec, shapes)
        layer["name"] = spec["name"]
        layer["inbound_nodes"] = [{"args": _keras_argument(n["args"], table),
                                   "kwargs": _keras_argument(n["kwargs"], table)}
                                  for n in spec.get("inbound_nodes", [])]
        out["layers"].append(layer)
    for key in ("input_layers", "output_layers"):
        out[key] = _keras_references(config[key])
    return out


def _keras_references(value):
    if isinstance(value, dict) and "__keras_tensor__" in value:
        return list(value["__keras_tensor__"])
    if isinstance(value, dict) and "__dict__" in value:
        return {k: _keras_references(v) for k, v in value["__dict__"].items()}
    if isinstance(value, dict) and "__tuple__" in value:
        return [_keras_references(v) for v in value["__tuple__"]]
    return [_keras_references(v) for v in value]


def _keras_argument(value, table):
    """profond's encoding of a call argument (``op_layer.encode_argument``) → Keras's;
    ``table`` gives the shape and dtype of the model's tensors (``_tensor_shapes``)."""
    if isinstance(value, list):
        return [_keras_argument(v, table) for v in value]
    if not isinstance(value, dict):
        return value
    if "__keras_tensor__" in value:
        history = list(value["__keras_tensor__"])
        shape, dtype = table[tuple(history)]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape, "dtype": dtype, "keras_history": history}}
    if "__dict__" in value:
        return {k: _keras_argument(v, table) for k, v in value["__dict__"].items()}
    if "__tuple__" in value:
        return [_keras_argument(v, table) for v in value["__tuple__"]]
    if "__slice__" in value:
        start, stop, step = value["__slice__"]
        return {"class_name": "__slice__", "config": {"start": start, "stop": stop,
                                                      "step": step}}
    if "__ellipsis__" in value:
        return {"class_name": "__ellipsis__", "config": {}}
    if "__dtype__" in value:
        return value["__dtype__"]
    if "__array__" in value:
        return {"class_name": "__numpy__", "config": {"value": value["__array__"],
                                                      "dtype": value["dtype"]}}
    raise ValueError(f"Cannot write the call argument {value!r:.100} in a .keras file.")


def _tensor_shapes(model, shapes=None):
    """``{model name: {(layer name, call index, output index): (shape, dtype)}}`` for the
    tensors of ``model`` and of the functional models inside it, numbered as
    ``Model.get_config`` numbers them (Keras's configs carry each tensor's shape)."""
    from profond.layers.base import InputLayer

    shapes = {} if shapes is None else shapes
    if not getattr(model, "_graph", None) or model.name in shapes:
        return shapes
    mine = {id(n) for n in model._nodes}
    table = shapes[model.name] = {}
    for layer in model._operations:
        calls = [n for n in layer._inbound_nodes if id(n) in mine or isinstance(layer,
                                                                                 InputLayer)]
        for i, node in enumerate(calls):
            for j, t in enumerate(node.output_tensors):
                table[(layer.name, i, j)] = (list(t.shape), numpy.dtype(t.dtype).name)
        _tensor_shapes(layer, shapes)
    return shapes


def _weights_bytes(model, include_optimizer):
    """The HDF5 bytes of ``model.weights.h5``: Keras 3's layout (``weights_h5.py``), plus
    the optimizer's state under ``optimizer/vars`` in Keras's order."""
    h5py = _h5py()
    table = variable_paths(model)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        for group_path, (name, variables) in table.items():
            group = h5.require_group(group_path)
            group.attrs["name"] = name
            for i, variable in enumerate(variables):
                group.create_dataset(str(i), data=numpy.asarray(variable.numpy()))
        optimizer = getattr(model, "optimizer", None)
        order = _keras_order(optimizer, len(model.trainable_variables))
        variables = _optimizer_variables(optimizer)
        if include_optimizer and order is not None:
            group = h5.require_group(_OPTIMIZER_GROUP)
            group.attrs["name"] = optimizer.name
            for i, j in enumerate(order):
                group.create_dataset(str(i), data=numpy.asarray(variables[j].numpy()))
    return buffer.getvalue()

