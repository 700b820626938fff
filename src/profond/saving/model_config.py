"""A model's architecture without its weights: JSON text, configs, and clones.

- ``model_to_json(model)`` / ``model_from_json(text, custom_objects)``: the architecture as a JSON
  string (Keras's ``model.to_json()`` and ``keras.models.model_from_json``). Classes are named
  through the registry only (see ``profond.registry``), so loading a JSON string from anyone runs
  no code of theirs.
- ``model_from_config(config, custom_objects)``: the same from the parsed dict.
- ``clone_model(model, input_tensors, clone_function)``: the same architecture with new weights.
- ``export_unavailable``: the answer to ``model.export`` (profond writes no SavedModel).

>>> import profond as pf
>>> model = pf.models.Sequential([pf.layers.Input(shape=(3,)), pf.layers.Dense(2)])
>>> twin = model_from_json(model_to_json(model))
>>> [w.shape for w in twin.get_weights()]
[(3, 2), (2,)]
"""

import json

from profond import registry
from profond.saving.limits import loads_json
from profond.saving.model_file import (
    FileFormatError,
    _build_config,
    _json_default,
    _to_json_value,
)
from profond.saving.model_file import model_from_config as _model_from_spec

MAX_JSON_CHARS = 16 * 2**20  # the same limit as a model file's config.json


def model_to_json(model, **kwargs):
    """The architecture of ``model`` as a JSON string: ``{"class_name", "config", ...}``.

    ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``), as in Keras.
    """
    spec = registry.serialize(model)  # a TypeError naming the class if it is not registered
    spec["config"] = _to_json_value(spec["config"])
    spec["build_config"] = _build_config(model)
    import profond

    spec["profond_version"] = profond.__version__
    return json.dumps(spec, default=_json_default, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from ``model_to_json``'s string.

    Args:
        json_string: the JSON text.
        custom_objects: ``{"ClassName": cls}`` for your own classes that are not registered
            (or use ``profond.utils.custom_object_scope``).

    Raises:
        ValueError: the text is not strict JSON (a key given twice, ``NaN``, nesting too deep), or
            it names a class that is neither registered nor in ``custom_objects`` (the message
            names the class).
    """
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"model_from_json: expected a JSON string. Received: "
                        f"{type(json_string).__name__}")
    if len(json_string) > MAX_JSON_CHARS:
        raise ValueError(f"model_from_json: the string holds {len(json_string)} characters, "
                         f"more than the {MAX_JSON_CHARS} allowed.")
    try:
        spec = loads_json(json_string, "the string")
    except FileFormatError as e:  # a key given twice, NaN, too deep, not JSON
        raise ValueError(f"model_from_json: {e}") from None
    return model_from_config(spec, custom_objects)


def model_from_config(config, custom_objects=None):
    """A new model from a ``{"class_name", "config"}`` dict (Keras's ``model_from_config``)."""
    try:
        return _model_from_spec(config, custom_objects)
    except FileFormatError as e:
        message = str(e).replace("from config.json", "from its config")
        raise ValueError(message) from None


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False):
    """The same architecture as ``model``, with new (freshly initialized) weights.

    Args:
        model: a ``Sequential`` or functional model; a subclassed model is rebuilt from its
            ``get_config()`` (its class must implement ``get_config``/``from_config``).
        input_tensors: symbolic tensors from ``Input`` to use as the clone's inputs.
        clone_function: ``layer -> new layer``, called on every layer; by default
            ``layer.__class__.from_config(layer.get_config())``.
        call_function: not supported (profond replays the recorded calls as they were).
        recursive: also clone the layers inside nested models with ``clone_function``.

    The clone shares nothing with ``model`` unless ``clone_function`` returns the same layer
    (then that layer, and its weights, are shared). It is not compiled.
    """
    from profond.models import Sequential
    from profond.models.model import Model

    if call_function is not None:
        raise ValueError("clone_model: `call_function` is not supported by profond. "
                         f"Received: call_function={call_function!r}")
    if not isinstance(model, Model):
        raise ValueError(f"clone_model: expected a profond Model. Received: {model!r:.100}")
    if clone_function is None:
        clone_function = _clone_layer
    elif not callable(clone_function):
        raise ValueError("clone_model: expected `clone_function` to be callable. "
                         f"Received: clone_function={clone_function!r}")

    def clone(layer):
        if recursive and isinstance(layer, Model) and _is_graph_model(layer):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return clone_function(layer)

    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone)
    if _is_graph_model(model):
        return _clone_functional(model, input_tensors, clone)
    if input_tensors is not None:
        raise ValueError("clone_model: `input_tensors` only applies to Sequential and functional "
                         f"models. Received a subclassed {type(model).__name__}.")
    try:
        return type(model).from_config(model.get_config())
    except (TypeError, ValueError, NotImplementedError) as e:
        raise TypeError(
            f"clone_model: could not clone the subclassed model {type(model).__name__} from its "
            f"config ({type(e).__name__}: {e}). Implement get_config() and from_config() in "
            "the class."
        ) from None


def _clone_layer(layer):
    return type(layer).from_config(layer.get_config())


def _is_graph_model(model):
    return bool(getattr(model, "_graph", None))


def _clone_sequential(model, input_tensors, clone):
    from profond.layers.base import InputLayer
    from profond.models import Sequential

    layers = [clone(layer) for layer in model.layers]
    first = []
    if input_tensors is not None:
        inputs = input_tensors if not isinstance(input_tensors, (list, tuple)) else (
            _single(input_tensors, "Sequential"))
        first = [inputs]
    elif isinstance(getattr(model, "_input_layer", None), InputLayer):
        first = [InputLayer.from_config(model._input_layer.get_config())]
    return Sequential(first + layers, name=model.name, trainable=model.trainable)


def _single(tensors, kind):
    if len(tensors) != 1:
        raise ValueError(f"clone_model: a {kind} model has one input. Received "
                         f"{len(tensors)} input_tensors.")
    return tensors[0]


class _Made:
    """A stand-in class whose ``from_config`` returns a layer made beforehand: the clone's
    config names each layer by a key resolving to its clone (instead of its real class)."""

    def __init__(self, layer):
        self.layer = layer

    def from_config(self, config):
        return self.layer


def _clone_functional(model, input_tensors, clone):
    """Rebuild the graph from ``model.get_config()``, each layer replaced by ``clone(layer)``."""
    from profond.layers.base import InputLayer

    config = model.get_config()
    inputs = [t._node.layer for t in model.inputs]
    given = None
    if input_tensors is not None:
        given = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else \
            [input_tensors]
        if len(given) != len(inputs):
            raise ValueError(f"clone_model: the model has {len(inputs)} input(s). Received "
                             f"{len(given)} input_tensors.")
    by_name = {layer.name: layer for layer in model.operations} if hasattr(
        model, "operations") else {layer.name: layer for layer in model.layers}
    stand_ins, specs = {}, []
    for spec in config["layers"]:
        original = by_name[spec["name"]]
        if isinstance(original, InputLayer):
            made = (given[inputs.index(original)]._node.layer if given is not None
                    else InputLayer.from_config(original.get_config()))
        else:
            made = clone(original)
        key = f"profond>clone:{len(stand_ins)}"
        stand_ins[key] = _Made(made)
        specs.append({**spec, "class_name": key})
    with registry.custom_object_scope(stand_ins):
        return type(model).from_config({**config, "layers": specs}, custom_objects=stand_ins)


def export_unavailable(model, filepath, format="tf_saved_model", **kwargs):
    """``model.export(...)``: profond writes no TensorFlow SavedModel; say what to do instead."""
    raise NotImplementedError(
        f"{type(model).__name__}.export: profond cannot write a TensorFlow SavedModel "
        f"(format={format!r}): it has no TensorFlow graphs. Save the model with "
        "model.save('model.profond') (architecture, weights, optimizer state) and load it with "
        "profond.keras.models.load_model('model.profond'); for serving in other runtimes, an "
        f"ONNX export is the planned route. Received: filepath={filepath!r}"
    )
