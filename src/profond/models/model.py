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
)
from profond.models.training import Trainer
from profond.registry import deserialize, register_serializable, registered_name


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
        self.inputs = _flatten(inputs)
        self.outputs = _flatten(outputs)
        known = {id(t._node) for t in self.inputs}
        for t in self.inputs:
            if not isinstance(t._node.layer, InputLayer):
                raise ValueError("The inputs of a functional Model must come from Input(). "
                                 f"Received: {t!r}")
        # Topological order of the nodes, found iteratively from the outputs backwards.
        order, seen = [], set()
        stack = [(t._node, False) for t in reversed(self.outputs)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if isinstance(node.layer, InputLayer) and id(node) not in known:
                raise ValueError(
                    f'Graph disconnected: cannot obtain the value of tensor "{node.layer.name}": '
                    "it comes from an Input that is not in the model's `inputs`."
                )
            for t in reversed(_flatten(node.inputs)):
                if isinstance(t, KerasTensor) and id(t._node) not in seen:
                    stack.append((t._node, False))
        self._nodes = [n for n in order if not isinstance(n.layer, InputLayer)]
        layers = [t._node.layer for t in self.inputs]
        for node in self._nodes:
            if not any(layer is node.layer for layer in layers):
                layers.append(node.layer)
        self._layers[:] = layers
        _structure_changed()
        specs = [InputSpec(ndim=len(t.shape),
                           axes={i: d for i, d in enumerate(t.shape) if i and d is not None})
                 for t in self.inputs]
        self.input_spec = specs[0] if isinstance(inputs, KerasTensor) else specs
        self._build_shapes = _map(lambda t: t.shape, inputs)
        self._output_shape = _map(lambda t: t.shape, outputs)
        self._graph = True
        self.built = True

    def _run_graph(self, inputs):
        values = {}
        given = _flatten(inputs) if not isinstance(inputs, Tensor) else [inputs]
        if isinstance(inputs, dict):
            given = [inputs[t.name] for t in self.inputs]
        if len(given) != len(self.inputs):
            raise ValueError(f'Model "{self.name}" expects {len(self.inputs)} input(s). '
                             f"Received: {len(given)} input(s)")
        for t, x in zip(self.inputs, given):
            values[id(t)] = x
        for node in self._nodes:
            args = _map(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.inputs)
            out = node.layer(args, **node.kwargs)
            for t, v in zip(_flatten(node.outputs), _flatten(out)):
                values[id(t)] = v
        return _map(lambda t: values[id(t)], self._outputs_struct)

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
            self._output_shape = _map(lambda t: t.shape, self._run_on_zeros(kts))
        self.built = True

    def compute_output_shape(self, input_shape):
        if self._graph:
            return self._output_shape
        return Layer.compute_output_shape(self, input_shape)

    # --- helpers ----------------------------------------------------------------------------------
    def get_layer(self, name=None, index=None):
        """A layer by its ``name`` or its ``index`` in ``model.layers``."""
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

    # --- configuration ----------------------------------------------------------------------------
    def get_config(self):
        if not self._graph:
            return Layer.get_config(self)
        local = {}  # id(node) -> index among this model's nodes of the same layer
        for layer in self.layers:
            mine = [n for n in layer._inbound_nodes
                    if id(n) in {id(m) for m in self._nodes} or isinstance(layer, InputLayer)]
            for i, n in enumerate(mine):
                local[id(n)] = i

        def ref(t):
            return [t._node.layer.name, local.get(id(t._node), 0), t._index]

        layer_configs = []
        for layer in self.layers:
            nodes = [n for n in self._nodes if n.layer is layer]
            layer_configs.append({
                "class_name": registered_name(layer),
                "config": layer.get_config(),
                "name": layer.name,
                "inbound_nodes": [
                    {"args": [ref(t) for t in _flatten(n.inputs)],
                     "single": isinstance(n.inputs, KerasTensor)}
                    for n in nodes
                ],
            })
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": [ref(t) for t in self.inputs],
            "output_layers": [ref(t) for t in self.outputs],
            "single_input": isinstance(self._inputs_struct, KerasTensor),
            "single_output": isinstance(self._outputs_struct, KerasTensor),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" not in config or "input_layers" not in config:
            return cls(**config)
        return _functional_from_config(cls, config, custom_objects)


@register_serializable()
class Functional(Model):
    """A model defined by a graph of layers: what ``Model(inputs, outputs)`` returns."""


def _functional_from_config(cls, config, custom_objects=None):
    """Rebuild the layers, then replay their calls in an order where inputs are ready."""
    layers, produced = {}, {}
    pending = []
    for spec in config["layers"]:
        layer = deserialize({"class_name": spec["class_name"], "config": spec["config"]},
                            custom_objects)
        layers[spec["name"]] = layer
        if isinstance(layer, InputLayer):
            produced[(spec["name"], 0)] = [layer.output]
        for i, node in enumerate(spec.get("inbound_nodes", [])):
            pending.append((spec["name"], i, node))
    while pending:
        progress = False
        for item in list(pending):
            name, index, node = item
            refs = node["args"]
            if all((r[0], r[1]) in produced for r in refs):
                args = [produced[(r[0], r[1])][r[2]] for r in refs]
                out = layers[name](args[0] if node.get("single", len(args) == 1) else args)
                produced[(name, index)] = _flatten(out)
                pending.remove(item)
                progress = True
        if not progress:
            raise ValueError("Malformed functional model config: some layer inputs are never "
                             "produced.")

    def pick(refs, single):
        tensors = [produced[(r[0], r[1])][r[2]] for r in refs]
        return tensors[0] if single else tensors

    inputs = pick(config["input_layers"], config.get("single_input", True))
    outputs = pick(config["output_layers"], config.get("single_output", True))
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))
