"""``Sequential``: a plain stack of layers, each feeding the next.

>>> import profond as pf
>>> model = pf.models.Sequential([
...     pf.layers.Dense(8, activation="relu", input_shape=(4,)),
...     pf.layers.Dense(3, activation="softmax"),
... ])
>>> model.count_params()
67
"""

from profond._text import quote, quote_name
from profond.layers.base import InputLayer, KerasTensor, Layer, _batchless, _structure_changed
from profond.models.model import Model, collector_paused, deserialize_layer, match_input_rank
from profond.registry import register_serializable, serialize


@register_serializable()
class Sequential(Model):
    """A model made of ``layers`` applied in order: ŷ = f_L(… f_2(f_1(x))).

    Give the input shape with ``Input(shape=...)`` as first element, or ``input_shape=`` on the
    first layer; otherwise the model builds itself at its first call (or ``fit``).
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        object.__setattr__(self, "_input_layer", None)  # not a tracked sub-layer
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    @property
    def layers(self):
        """The layers, in order (without the ``InputLayer``)."""
        return list(self._layers)

    def add(self, layer, rebuild=True):
        """Append a layer (or an ``Input(...)``, which fixes the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer._node.layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("An Input can only be the first element of a Sequential model.")
            object.__setattr__(self, "_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `profond.layers.Layer` can be added to a "
                             f"Sequential model. Received: {layer!r} (of type {type(layer)})")
        if layer.name in self._layer_names() and any(
                existing.name == layer.name for existing in self._layers):  # (not a stale name)
            raise ValueError("All layers added to a Sequential model should have unique names. "
                             f"Name {quote_name(layer.name)} is already the name of a layer in "
                             "this model.")
        if not self._layers and self._input_layer is None and layer._input_shape_arg is not None:
            object.__setattr__(self, "_input_layer",
                               InputLayer(batch_shape=layer._input_shape_arg))
        self._layers.append(layer)
        self.__dict__["_names"].add(layer.name)
        _structure_changed()
        if rebuild:
            self._rebuild()

    def _layer_names(self):
        """The names of the layers, as a set kept beside ``_layers`` (so that ``add`` checks a
        name in O(1), not by a walk over the stack); made again when the two no longer agree."""
        names = self.__dict__.get("_names")
        if names is None or len(names) != len(self._layers):
            names = self.__dict__["_names"] = {layer.name for layer in self._layers}
        return names

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        names = self._layer_names()
        layer = self._layers.pop()
        names.discard(layer.name)
        _structure_changed()
        self.built = False
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        if self._input_layer is not None and self._layers:
            self.built = False
            self._maybe_build(self._input_layer.batch_shape)

    def build(self, input_shape=None):
        """Build every layer by passing a symbolic input of ``input_shape`` through the stack."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None or self._input_layer.batch_shape[1:] != input_shape[1:]:
            object.__setattr__(self, "_input_layer",
                               InputLayer(batch_shape=_batchless(input_shape)))
        x = self._input_layer.output
        for layer in self._layers:
            x = layer(x)
        self.__dict__["_symbolic_output"] = x
        self._build_shapes = self._input_layer.batch_shape
        self._output_shape = x.shape if isinstance(x, KerasTensor) else None
        self.built = True

    def call(self, inputs, training=None):
        if not self._layers:
            raise ValueError(f"Sequential model {quote_name(self.name)} has no layers: there is "
                             "nothing to call. Add layers first with `model.add(layer)`.")
        if self._input_layer is not None:
            expected = self._input_layer.batch_shape
            inputs = match_input_rank(inputs, expected)
            if getattr(inputs, "ndim", len(expected)) != len(expected):
                raise ValueError(f"Input of Sequential model {quote_name(self.name)} is "
                                 f"incompatible: expected shape={expected}, found "
                                 f"shape={tuple(inputs.shape)}")
        for layer in self._layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        """The symbolic output of the stack (once built), in a list as Keras."""
        out = self.__dict__.get("_symbolic_output") if self.built else None
        return [out] if isinstance(out, KerasTensor) else None

    @property
    def input(self):
        return self.inputs[0] if self.inputs else Model.input.fget(self)

    @property
    def output(self):
        return self.outputs[0] if self.outputs else Model.output.fget(self)

    @property
    def input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        return Model.input_shape.fget(self)

    @property
    def output_shape(self):
        if self.outputs:
            return self.outputs[0].shape
        return Model.output_shape.fget(self)

    def get_config(self):
        layers = [serialize(layer) for layer in self._layers]
        if self._input_layer is not None:
            layers.insert(0, serialize(self._input_layer))
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "layers": layers,
                "build_input_shape": list(self._build_shapes) if self.built else None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        checked = set()  # argument names found good (see deserialize_layer)
        with collector_paused():
            for spec in config.get("layers", []):
                if not isinstance(spec, dict):
                    raise ValueError("Expected each layer of a Sequential config to be a dict. "
                                     f"Received: {quote(spec)}")
                model.add(deserialize_layer(spec, custom_objects, checked), rebuild=False)
            model._rebuild()
        shape = config.get("build_input_shape")
        if shape is not None and not model.built:
            model.build(tuple(shape))
        return model
