"""``Model``: a layer that can be trained (``compile``/``fit``/``evaluate``/``predict``).

Two ways to make one, as in Keras:

* **subclassing** — define the layers in ``__init__`` and the forward pass in ``call``::

      class MLP(Model):
          def __init__(self):
              super().__init__()
              self.hidden = Dense(64, activation="relu")
              self.out = Dense(10, activation="softmax")
          def call(self, x, training=None):
              return self.out(self.hidden(x))

* **functional API** — call layers on symbolic inputs, then wrap the graph::

      inputs = Input(shape=(784,))
      x = Dense(64, activation="relu")(inputs)
      model = Model(inputs, Dense(10, activation="softmax")(x))

  ``Model(inputs, outputs)`` returns a ``Functional`` model, which replays the recorded graph on
  real data, can be saved from its config alone, and prints a full ``summary()``.
"""

import contextlib
import gc
import heapq
import importlib

from profond import activations, constraints, initializers, regularizers
from profond._text import quote, quote_name
from profond.autodiff.tensor import Tensor
from profond.layers.base import (
    InputLayer,
    InputSpec,
    KerasTensor,
    Layer,
    _flatten,
    _is_symbolic,
    _map,
    _structure_changed,
    _unflatten_like,
)
from profond.layers.op_layer import OpLayer, decode_argument, encode_argument
from profond.models.training import Trainer
from profond.registry import (
    UnknownClassError,
    deserialize,
    register_serializable,
    registered_name,
)


def match_input_rank(x, expected_shape):
    """``x`` with a trailing axis of size 1 added or dropped when that is all that separates its
    rank from ``expected_shape``'s, as Keras's functional models do: a model built on
    ``Input((1,))`` takes a 1-D array of values, one on ``Input((3,))`` a ``(batch, 3, 1)``
    array. Any other shape is left for the input checks to refuse."""
    from profond.ops.shape import reshape

    if not isinstance(x, Tensor) or isinstance(x, KerasTensor):
        return x
    rank, expected = x.ndim, len(expected_shape)
    if rank == expected + 1 and x.shape[-1] == 1:
        return reshape(x, x.shape[:-1])
    if rank == expected - 1 and expected_shape[-1] == 1:
        return reshape(x, x.shape + (1,))
    return x


@register_serializable()
class Model(Trainer, Layer):
    """A trainable stack of layers: subclass it, or call ``Model(inputs, outputs)``.

    >>> import profond as pf
    >>> inputs = pf.layers.Input(shape=(4,))
    >>> outputs = pf.layers.Dense(2, activation="softmax")(inputs)
    >>> model = pf.models.Model(inputs, outputs)
    >>> model.predict(pf.ones((3, 4)), verbose=0).shape
    (3, 2)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs
                             or (args and _is_symbolic(args[0]))):
            cls = Functional
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both `inputs` and `outputs`. "
                                 f"Received: inputs={inputs}, outputs={outputs}")
            self._init_graph(inputs, outputs)

    # --- the functional graph -------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        for t in _flatten(inputs) + _flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError("All `inputs` and `outputs` of a functional Model must be "
                                 f"symbolic tensors (from Input and layers). Received: {t!r}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _flatten(inputs)  # dicts: values by sorted key, as Keras
        self.outputs = _flatten(outputs)
        for t in self.inputs:
            if not isinstance(t._node.layer, InputLayer):
                raise ValueError("The inputs of a functional Model must come from Input(). "
                                 f"Received: {t!r}")
        self.__dict__["_symbolic_losses"] = []
        self._order_nodes()
        specs = [InputSpec(shape=t.shape, allow_last_axis_squeeze=True) for t in self.inputs]
        self.input_spec = specs[0] if isinstance(inputs, KerasTensor) else specs
        self._build_shapes = _map(lambda t: t.shape, inputs)
        self._output_shape = _map(lambda t: t.shape, outputs)
        self._graph = True
        self.built = True

    def _order_nodes(self):
        """The nodes from the inputs to the outputs (and symbolic losses), in an order where each
        node's inputs are ready: a depth-first walk back from the outputs, iterative."""
        known = {id(t._node) for t in self.inputs}
        order, seen, first_seen = [], set(), {}
        targets = self.outputs + self._symbolic_losses
        stack = [(t._node, False) for t in reversed(targets)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((node, True))
            if isinstance(node.layer, InputLayer) and id(node) not in known:
                raise ValueError(
                    "Graph disconnected: cannot obtain the value of tensor "
                    f"{quote_name(node.layer.name)}: it comes from an Input that is not in the "
                    "model's `inputs`."
                )
            for t in reversed(node.input_tensors):
                if id(t._node) not in seen:
                    stack.append((t._node, False))
        self._nodes = [n for n in order if not isinstance(n.layer, InputLayer)]
        # Keras's order of the layers: by depth (the longest path to an output), deepest first,
        # then in the order the walk met them. Consumers come before producers in reversed(order).
        depth = {}
        for node in reversed(order):
            d = depth.setdefault(id(node), 0)
            for parent in node.parents:
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
        layer_depth, operations = {}, []
        for node in order:
            key = id(node.layer)
            if key not in layer_depth:
                operations.append(node.layer)
            layer_depth[key] = max(layer_depth.get(key, 0), depth[id(node)])
        operations.sort(key=lambda la: (-layer_depth[id(la)], first_seen[id(la)]))
        self.__dict__["_operations"] = operations
        self._layers[:] = [layer for layer in operations if not isinstance(layer, OpLayer)]
        _structure_changed()

    @property
    def operations(self):
        """Every step of the graph: the layers and the recorded ops (``x + 1``…), in order."""
        if self._graph:
            return list(self._operations)
        return self.layers

    @property
    def output_names(self):
        """The names of the outputs, in ``outputs`` order: the name of the layer (or op) that
        made each one, as Keras 3 (dict outputs are ordered by key)."""
        if self._graph:
            return [t._node.layer.name for t in self.outputs]
        outputs = getattr(self, "outputs", None) or []
        return [t._node.layer.name for t in outputs if isinstance(t, KerasTensor)]

    @property
    def output_keys(self):
        """The key of each output in ``outputs`` order: the dict key for dict outputs, else the
        output's name. Targets, losses and metrics given as dicts pair with outputs by these."""
        if self._graph and isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
        return self.output_names

    @property
    def input_names(self):
        return [t.name for t in self.inputs] if self._graph else []

    @property
    def input(self):
        if self._graph:
            return self._inputs_struct
        return Layer.input.fget(self)

    @property
    def output(self):
        if self._graph:
            return self._outputs_struct
        return Layer.output.fget(self)

    @property
    def input_shape(self):
        if self._graph:
            return _map(lambda t: t.shape, self._inputs_struct)
        return Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        if self._graph:
            return _map(lambda t: t.shape, self._outputs_struct)
        return Layer.output_shape.fget(self)

    def add_loss(self, loss):
        """Add a term to the cost. A symbolic tensor built from the model's inputs (a functional
        model) is recorded and computed again at every call; anything else is added once."""
        if isinstance(loss, KerasTensor) and self._graph:
            self._symbolic_losses.append(loss)
            self._order_nodes()
            return
        Layer.add_loss(self, loss)

    def _given_inputs(self, inputs):
        """The values for ``self.inputs``, in order, from a tensor, a list or a dict."""
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = sorted(self._inputs_struct)
            else:
                keys = [t.name for t in self.inputs]
            for key in keys:
                if key not in inputs:
                    raise ValueError(
                        f'Missing data for input "{key}". You passed a data dictionary with keys '
                        f"{sorted(inputs)}. Expected the following keys: {keys}")
            given = _flatten([inputs[k] for k in keys])
            if len(given) == len(self.inputs):
                return given
        given = [inputs] if not isinstance(inputs, (list, tuple)) else _flatten(inputs)
        if len(given) != len(self.inputs):
            raise ValueError(f"Model {quote_name(self.name)} expects {len(self.inputs)} input(s). "
                             f"Received: {len(given)} input(s)")
        return given

    def _run_graph(self, inputs):
        values = {}
        for t, x in zip(self.inputs, self._given_inputs(inputs)):
            x = match_input_rank(self._convert(x), t.shape)
            if isinstance(x, Tensor):
                if x.ndim != len(t.shape) or any(
                        d is not None and s != d for s, d in zip(x.shape[1:], t.shape[1:])):
                    raise ValueError(
                        f"Input {quote_name(t.name)} of model {quote_name(self.name)} is "
                        f"incompatible: expected shape={t.shape}, found shape={tuple(x.shape)}")
                if x.dtype.kind == "f" and x.dtype != t.dtype and t.dtype.kind == "f":
                    from profond.ops.elementwise import cast

                    x = cast(x, t.dtype)
            values[id(t)] = x

        def value(t):
            return values[id(t)] if isinstance(t, KerasTensor) else t

        for node in self._nodes:
            args = _map(value, list(node.args))
            out = node.layer(*args, **_map(value, node.kwargs))
            for t, v in zip(node.output_tensors, _flatten(out)):
                values[id(t)] = v
        for t in self._symbolic_losses:
            Layer.add_loss(self, values[id(t)])
        return _unflatten_like(self._outputs_struct, iter(values[id(t)] for t in self.outputs))

    def call(self, inputs, training=None):
        if self._graph:
            return self._run_graph(inputs)
        raise NotImplementedError(
            f"Model {self.name!r}: a subclassed Model must implement call(inputs, training=None)."
        )

    def build(self, input_shape):
        """For a subclassed model: create every weight by running ``call`` once on zeros."""
        if not self._graph and type(self).call is not Model.call:
            shapes = input_shape
            if isinstance(shapes, list):
                kts = [KerasTensor(s, self.dtype) for s in shapes]
            else:
                kts = KerasTensor(tuple(shapes), self.dtype)
            self.built = True
            self._output_shape = _map(lambda t: t.shape, self._run_on_zeros((kts,), {}))
        self.built = True

    def compute_output_shape(self, input_shape):
        if self._graph:
            return self._output_shape
        return Layer.compute_output_shape(self, input_shape)

    # --- helpers ----------------------------------------------------------------------------------
    def get_layer(self, name=None, index=None):
        """A layer by its ``name`` or its ``index`` in ``model.layers``."""
        if name is None and index is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        if index is not None:
            if index >= len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Print the table of layers, output shapes and parameter counts (Keras's format)."""
        from profond.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath, *args, **kwargs):
        """Save architecture, weights and optimizer state to one file (``profond.saving``)."""
        from profond.saving import save_model

        return save_model(self, filepath, *args, **kwargs)

    def save_weights(self, filepath, *args, **kwargs):
        from profond import saving

        return saving.save_weights(self, filepath, *args, **kwargs)

    def load_weights(self, filepath, *args, **kwargs):
        from profond import saving

        return saving.load_weights(self, filepath, *args, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``profond.saving.model_to_json``)."""
        from profond import saving

        return saving.model_to_json(self, **kwargs)

    def export(self, filepath, format="tf_saved_model", **kwargs):
        """``format="onnx"`` writes an ONNX file (``profond.onnx.export``); a TensorFlow
        SavedModel is refused with a clear error (see ``saving``)."""
        if format == "onnx":
            # NOTE: profond.onnx sits on a higher floor (a face of the house): reached by name,
            # as saving reaches the built-in layer modules, so that models never import it.
            return importlib.import_module("profond.onnx").export(self, filepath, **kwargs)
        from profond import saving

        return saving.export_unavailable(self, filepath, format=format, **kwargs)

    # --- configuration ----------------------------------------------------------------------------
    def get_config(self):
        """A functional model's config: each layer (and op) with its calls, each call's arguments
        with ``[layer name, call index, output index]`` references to the tensors they use."""
        if not self._graph:
            return Layer.get_config(self)
        mine = {id(n) for n in self._nodes}
        calls_of = {}  # id(layer) -> this model's calls of it, in graph order
        for n in self._nodes:
            calls_of.setdefault(id(n.layer), []).append(n)
        local = {}  # id(node) -> index among this model's calls of the same layer
        for layer in self._operations:
            calls = [n for n in layer._inbound_nodes
                     if id(n) in mine or isinstance(layer, InputLayer)]
            for i, n in enumerate(calls):
                local[id(n)] = i

        def ref(t):
            return [t._node.layer.name, local.get(id(t._node), 0), t._index]

        layer_configs = []
        for layer in self._operations:
            nodes = calls_of.get(id(layer), [])
            layer_configs.append({
                "class_name": registered_name(layer),
                "config": layer.get_config(),
                "name": layer.name,
                "inbound_nodes": [{"args": encode_argument(list(n.args), ref),
                                   "kwargs": encode_argument(n.kwargs, ref)} for n in nodes],
            })
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": encode_argument(self._inputs_struct, ref),
            "output_layers": encode_argument(self._outputs_struct, ref),
        }
        if self._symbolic_losses:  # profond's addition: Keras's config has no such key
            config["losses"] = [ref(t) for t in self._symbolic_losses]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" not in config or "input_layers" not in config:
            return cls(**config)
        with collector_paused():
            return _functional_from_config(cls, config, custom_objects)


@register_serializable()
class Functional(Model):
    """A model defined by a graph of layers: what ``Model(inputs, outputs)`` returns."""


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a model is rebuilt from its config.

    Every object made while rebuilding (layers, nodes, symbolic tensors) stays alive, so
    the collector's passes over them find nothing, yet cost a quarter of the time of a
    12,000-layer rebuild. Reference counting still frees what is dropped; the collector is
    switched back on (if it was on) even when the rebuild fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _references(encoded):
    """The ``[layer, call, output]`` references inside an encoded argument structure."""
    stack = [encoded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "__keras_tensor__" in item:
                yield tuple(item["__keras_tensor__"][:2])
            else:
                stack.extend(item.values())


_ARGUMENT_SUFFIXES = ("_activation", "_initializer", "_regularizer", "_constraint")


def _argument_kind(key):
    """The module whose ``get``/``deserialize`` resolves a layer argument named ``key``
    (``activation``, ``recurrent_activation``, ``kernel_initializer``, ``bias_constraint``…)."""
    if key != "activation" and not key.endswith(_ARGUMENT_SUFFIXES):
        return None
    if key == "activation" or key.endswith("_activation"):
        return activations
    return {"_initializer": initializers, "_regularizer": regularizers,
            "_constraint": constraints}[key[key.rindex("_"):]]


def _refine(error, prefix):
    """``error`` again, its message behind ``prefix`` (same class when it can be made so)."""
    try:
        return type(error)(f"{prefix}: {error}")
    except TypeError:
        return (TypeError if isinstance(error, TypeError) else ValueError)(f"{prefix}: {error}")


def deserialize_layer(spec, custom_objects=None, checked=None):
    """A layer from a file's ``{"class_name", "config"}``, its kind checked at each step.

    Every activation, initializer, regularizer and constraint argument is first resolved
    through its own module, which accepts only an object of that kind (a ``Dense`` is no
    constraint, a ``Sequential`` no activation); then the layer is made and must be a ``Layer``.
    An error names the layer, the argument, the kind expected and what the file holds.
    ``checked``: a set of the names (``"relu"``…) already found good while loading this model,
    so that 12,000 layers saying ``"linear"`` check it once.
    """
    class_name, config = spec.get("class_name"), spec.get("config")

    def where():
        name = spec.get("name") or (config.get("name") if isinstance(config, dict) else None)
        return f"Layer {quote(name)} (class_name={quote(class_name)})"

    checked = set() if checked is None else checked
    for key, value in (config.items() if isinstance(config, dict) else ()):
        module = _argument_kind(key) if isinstance(key, str) else None
        if module is None or value is None or (
                isinstance(value, str) and (module.__name__, value) in checked):
            continue
        try:
            if isinstance(value, dict):
                module.deserialize(value, custom_objects)
            else:
                module.get(value)
                if isinstance(value, str):
                    checked.add((module.__name__, value))
        except (TypeError, ValueError) as e:
            raise _refine(e, f"{where()}, argument `{key}`") from None
    try:
        layer = deserialize({"class_name": class_name, "config": config}, custom_objects)
    except UnknownClassError:
        raise
    except (TypeError, ValueError) as e:
        raise _refine(e, where()) from None
    if not isinstance(layer, Layer):
        raise TypeError(f"{where()}: expected a layer. Received: a {type(layer).__name__} object")
    return layer


def _functional_from_config(cls, config, custom_objects=None):
    """Rebuild the layers, then replay their calls in an order where inputs are ready.

    A call waits for the tensors it references; each produced tensor wakes the calls waiting for
    it, and the ready call listed first in the config runs next (a heap of config positions). So
    the calls run in config order when the config lists producers first (as ``get_config``
    writes it), any other order costs the same: O(n log n) for n calls, never one call per pass.
    """
    layers, produced, checked = {}, {}, set()
    pending = []  # (layer name, call index, encoded call), in config order
    for spec in config["layers"]:
        layer = deserialize_layer(spec, custom_objects, checked)
        if spec["name"] in layers:
            raise ValueError("Malformed functional model config: two layers are named "
                             f"{quote(spec['name'])}.")
        layers[spec["name"]] = layer
        if isinstance(layer, InputLayer):
            produced[(spec["name"], 0)] = [layer.output]
        for i, node in enumerate(spec.get("inbound_nodes", [])):
            pending.append((spec["name"], i, node))

    def tensor(r):
        try:
            return produced[(r[0], r[1])][r[2]]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"Malformed functional model config: no tensor {r!r}.") from None

    missing = []  # position -> how many referenced calls have not run yet
    waiting = {}  # (layer name, call index) -> positions of the calls that need it
    ready = []
    for position, (_, _, node) in enumerate(pending):
        needs = {r for r in _references([node["args"], node["kwargs"]]) if r not in produced}
        missing.append(len(needs))
        for r in needs:
            waiting.setdefault(r, []).append(position)
        if not needs:
            ready.append(position)
    heapq.heapify(ready)
    done = 0
    while ready:
        name, index, node = pending[heapq.heappop(ready)]
        args = decode_argument(node["args"], tensor)
        out = layers[name](*args, **decode_argument(node["kwargs"], tensor))
        produced[(name, index)] = _flatten(out)
        done += 1
        for position in waiting.pop((name, index), ()):
            missing[position] -= 1
            if missing[position] == 0:
                heapq.heappush(ready, position)
    if done < len(pending):
        raise ValueError("Malformed functional model config: some layer inputs are never "
                         "produced.")
    model = cls(inputs=decode_argument(config["input_layers"], tensor),
                outputs=decode_argument(config["output_layers"], tensor),
                name=config.get("name"), trainable=config.get("trainable", True))
    for r in config.get("losses", []):
        model.add_loss(tensor(r))
    return model
