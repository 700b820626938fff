"""``Layer``: the building block of every model, with Keras 3's contract.

A layer holds weights (``profond.Variable``) and maps inputs to outputs. Its life:

1. ``__init__`` stores the hyper-parameters (``units``, ``activation``…);
2. ``build(input_shape)`` creates the weights once the input's last dimension is known, with
   ``self.add_weight(...)``; it runs by itself at the first call (*lazy build*);
3. ``call(inputs, training=None)`` computes the outputs, e.g. ŷ = g(b + XᵀW) for ``Dense``;
4. ``get_config()`` / ``from_config(config)`` describe and rebuild the layer (saving, cloning).

Weights and sub-layers are tracked when assigned as attributes (``self.w = ...``,
``self.dense = Dense(...)``, ``self.blocks = [Dense(...), ...]``), so ``trainable_weights`` and
``get_weights()`` find them all, in Keras's order: own trainable weights, own non-trainable ones,
then each sub-layer's, in the order they were assigned.

This module also holds the functional API's pieces: ``Input`` returns a ``KerasTensor`` (a symbolic
tensor that only knows its shape and dtype); calling a layer on it records a ``Node`` of the graph
that ``profond.models.Model(inputs, outputs)`` later replays on real data.
"""

import inspect
import re

import numpy

from profond import backend
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor, Variable
from profond.registry import register_serializable

# --- automatic names: dense, dense_1, dense_2, ... ----------------------------------------------

_NAME_COUNTS = {}


def to_snake_case(name):
    """``"BatchNormalization"`` → ``"batch_normalization"``, ``"Conv2D"`` → ``"conv2d"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``… (reset by ``clear_session()``)."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def clear_session():
    """Forget the automatic layer names, so the next ``Dense`` is called ``dense`` again."""
    _NAME_COUNTS.clear()


# --- a version number bumped whenever weights or sub-layers change anywhere -----------------------
# (``weights`` / ``trainable_weights`` are cached per layer and recomputed only after a change,
# so the training loop can ask for them at every step for free).

_VERSION = [0]


def _structure_changed():
    _VERSION[0] += 1


# --- the training flag of the call in progress (propagated to sub-layers) -----------------------


class _CallContext:
    training = None


_context = _CallContext()


def _map(fn, structure):
    """Apply ``fn`` to every leaf of nested lists / tuples / dicts."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    return fn(structure)


def _flatten(structure):
    """The leaves of nested lists / tuples / dicts, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in _flatten(s)]
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _flatten(v)]
    return [structure]


def _shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# --- symbolic tensors (functional API) ----------------------------------------------------------


class Node:
    """One call of a layer in a functional graph: ``outputs = layer(inputs)``."""

    def __init__(self, layer, inputs, outputs, kwargs=None):
        self.layer = layer
        self.inputs = inputs  # the structure the layer was called with (KerasTensors inside)
        self.outputs = outputs
        self.kwargs = kwargs or {}
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)

    @property
    def parents(self):
        return [t._node for t in _flatten(self.inputs) if isinstance(t, KerasTensor)]


class KerasTensor:
    """A placeholder that knows only its ``shape`` (batch dimension ``None``) and ``dtype``.

    It is what ``Input`` returns and what layers return when called on one; no values flow.
    """

    def __init__(self, shape, dtype=None, name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = numpy.dtype(dtype or backend.floatx())
        self.name = name
        self._node = node
        self._index = index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def _is_symbolic(inputs):
    if isinstance(inputs, KerasTensor):
        return True
    if isinstance(inputs, (list, tuple, dict)):
        return any(isinstance(t, KerasTensor) for t in _flatten(inputs))
    return False


class InputSpec:
    """What a layer expects of its input: ``ndim``, ``min_ndim`` and fixed sizes of some ``axes``.

    ``Dense`` sets ``InputSpec(min_ndim=2, axes={-1: input_dim})`` when built, so a later call with
    a wrong last dimension fails with a clear message naming the layer.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def check(self, layer_name, shape, index=0):
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer'
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, found ndim={rank}. "
                             f"Full shape received: {_shape_str(shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {_shape_str(shape)}")
        for axis, size in self.axes.items():
            if size is None or -rank > axis or axis >= rank:
                continue
            if shape[axis] is not None and shape[axis] != size:
                expected = [None] * max(rank, 2)
                expected[axis] = size
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, but "
                    f"received input with shape {_shape_str(shape)}. Expected: shape "
                    f"{_shape_str(tuple(expected))}. Received: shape {_shape_str(shape)}"
                )


# --- Layer --------------------------------------------------------------------------------------


@register_serializable()
class Layer:
    """Base class of all layers (Keras 3 API).

    A course-style custom layer, with its weights made in ``__init__``:

    >>> import profond as pf
    >>> class Linear(pf.layers.Layer):
    ...     def __init__(self, units=3, input_dim=2):
    ...         super().__init__()
    ...         self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal")
    ...         self.b = self.add_weight(shape=(units,), initializer="zeros")
    ...     def call(self, inputs):
    ...         return pf.matmul(inputs, self.w) + self.b
    >>> layer = Linear()
    >>> layer(pf.ones((4, 2))).shape
    (4, 3)
    >>> [w.shape for w in layer.trainable_weights]
    [(2, 3), (3,)]
    """

    _call_has_training = None  # filled per class on first call: does call() take `training`?

    def __init__(self, name=None, trainable=True, dtype=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", kwargs.pop("batch_shape", None))
        kwargs.pop("autocast", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        d = self.__dict__
        d["_own_variables"] = []  # weights created here or assigned as attributes
        d["_layers"] = []  # tracked sub-layers, in assignment order
        d["_regularizers"] = []  # (variable, regularizer) pairs, summed into `losses`
        d["_losses"] = []  # added by add_loss() during the last call
        d["_inbound_nodes"] = []
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = numpy.dtype(dtype or backend.floatx()).name
        self._trainable = bool(trainable)
        self.built = False
        self.input_spec = None
        self._build_shapes = None
        self._output_shape = None
        if batch_input_shape is not None:
            self._input_shape_arg = tuple(batch_input_shape)
        elif input_shape is not None:
            self._input_shape_arg = (None,) + tuple(input_shape)
        elif input_dim is not None:
            self._input_shape_arg = (None, int(input_dim))
        else:
            self._input_shape_arg = None

    # --- attribute tracking -----------------------------------------------------------------
    def __getattr__(self, name):  # only reached when normal lookup fails
        if not name.startswith("__") and "_layers" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: it looks like you are subclassing `Layer` (or `Model`) "
                "and forgot to call `super().__init__()`. Start your `__init__` with "
                "`super().__init__(**kwargs)`."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        d = self.__dict__
        if "_layers" in d:
            old = d.get(name)
            if old is not None and old is not value:
                self._untrack(old)
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value):
        if isinstance(value, (Variable, Layer, list, tuple)):
            _structure_changed()
        if isinstance(value, Variable):
            if not any(v is value for v in self._own_variables):
                self._own_variables.append(value)
        elif isinstance(value, Layer):
            if not any(layer is value for layer in self._layers):
                self._layers.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, (Layer, Variable)):
                    self._track(v)

    def _untrack(self, value):
        _structure_changed()
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            if isinstance(v, Variable):
                self._own_variables[:] = [w for w in self._own_variables if w is not v]
            elif isinstance(v, Layer):
                self._layers[:] = [layer for layer in self._layers if layer is not v]

    # --- weights ------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, **kwargs):
        """Create a weight (a ``profond.Variable``), track it and return it.

        ``initializer`` is a name (``"glorot_uniform"``, ``"zeros"``, ``"random_normal"``…), an
        initializer object or a callable ``(shape, dtype) -> array``; default ``"glorot_uniform"``
        for floats, ``"zeros"`` otherwise. The variable's ``path`` is ``"<layer name>/<name>"``.
        """
        from profond import initializers

        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = numpy.dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype)
        value = value.data if isinstance(value, Tensor) else value
        xp = backend.default_module()
        value = xp.asarray(value, dtype=dtype)
        if name is None:
            taken = {v.name for v in self._own_variables}
            name, i = "variable", 0
            while name in taken:
                i += 1
                name = f"variable_{i}"
        var = Variable(value, dtype=dtype, trainable=trainable, name=name, constraint=constraint)
        var.path = f"{self.name}/{name}"
        if not self.trainable:
            var.requires_grad = False
        self._own_variables.append(var)
        _structure_changed()
        if regularizer is not None:
            if isinstance(regularizer, (str, dict)):
                from profond import regularizers

                regularizer = regularizers.get(regularizer)
            self._regularizers.append((var, regularizer))
        return var

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing (``False``) removes the layer's weights, and its sub-layers', from training."""
        value = bool(value)
        self._trainable = value
        _structure_changed()
        for v in self._own_variables:
            v.requires_grad = value and v.trainable
        for layer in self._layers:
            layer.trainable = value

    def _cached(self, key, compute):
        cache = self.__dict__.setdefault("_weights_cache", {})
        hit = cache.get(key)
        if hit is None or hit[0] != _VERSION[0]:
            hit = cache[key] = (_VERSION[0], compute())
        return list(hit[1])

    @property
    def weights(self):
        """All weights: own trainable, own non-trainable, then each sub-layer's (Keras's order)."""
        return self._cached("weights", self._compute_weights)

    def _compute_weights(self):
        own = self._own_variables
        out = [v for v in own if v.trainable] + [v for v in own if not v.trainable]
        for layer in self._layers:
            out.extend(layer.weights)
        return _unique(out)

    variables = weights

    @property
    def trainable_weights(self):
        """The weights that training updates (none if the layer is frozen)."""
        return self._cached("trainable", self._compute_trainable_weights)

    def _compute_trainable_weights(self):
        if not self._trainable:
            return []
        out = [v for v in self._own_variables if v.trainable]
        for layer in self._layers:
            out.extend(layer.trainable_weights)
        return _unique(out)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        out = [v for v in self._own_variables if not v.trainable]
        for layer in self._layers:
            out.extend(layer.non_trainable_weights)
        return _unique(out)

    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights' values as NumPy arrays, in ``weights`` order (Dense: kernel, then bias)."""
        return [backend.to_numpy(v.data).copy() for v in self.weights]

    def set_weights(self, weights):
        """Load NumPy arrays (as returned by ``get_weights``) into the weights, in place."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list of '
                f"length {len(weights)}, but the layer was expecting {len(params)} weights."
            )
        for v, w in zip(params, weights):
            w = w.data if isinstance(w, Tensor) else w
            if tuple(v.shape) != tuple(numpy.shape(w)):
                raise ValueError(
                    f'Layer "{self.name}" weight shape {v.shape} is not compatible with provided '
                    f"weight shape {tuple(numpy.shape(w))}."
                )
        for v, w in zip(params, weights):
            v.assign(w)

    def count_params(self):
        """The number of scalars in all the weights."""
        return int(sum(int(numpy.prod(v.shape)) for v in self.weights))

    @property
    def layers(self):
        return list(self._layers)

    # --- losses (regularization, add_loss) ----------------------------------------------------
    def add_loss(self, loss):
        """Add a term to the cost J(W) (e.g. a penalty computed in ``call``)."""
        self._losses.append(loss)

    @property
    def losses(self):
        """Extra cost terms: ``add_loss`` ones and weight regularization, of this layer and its
        sub-layers (a list, empty by default)."""
        out = list(self._losses)
        out.extend(reg(v) for v, reg in self._regularizers)
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    # --- build and call -----------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch dimension first, maybe None).

        The default has no weights to make; override it and call ``self.add_weight``.
        """
        self.built = True

    def call(self, inputs, training=None):
        """The layer's computation; override it. The default returns ``inputs`` unchanged."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape. The default runs ``call`` on zeros to find out."""
        if isinstance(input_shape, list):
            inputs = [KerasTensor(s, self.dtype) for s in input_shape]
        else:
            inputs = KerasTensor(input_shape, self.dtype)
        return _map(lambda t: t.shape, self._run_on_zeros(inputs))

    def _run_on_zeros(self, inputs):
        """Output KerasTensors found by calling the layer on zeros shaped like ``inputs``."""
        def zeros(t):
            shape = tuple(1 if d is None else d for d in t.shape)
            return Tensor._wrap(backend.default_module().zeros(shape, dtype=t.dtype))

        with no_grad():
            out = self._call_inner(_map(zeros, inputs), False, (), {})
        return _map(lambda t: KerasTensor((None,) + tuple(t.shape[1:]), t.dtype), out)

    def _maybe_build(self, shapes):
        if self.built:
            return
        self._build_shapes = shapes
        if self._input_shape_arg is not None and not isinstance(shapes, list):
            expected = self._input_shape_arg
            if len(expected) == len(shapes) and any(
                    e is not None and s is not None and e != s
                    for e, s in zip(expected[1:], shapes[1:])):
                raise ValueError(
                    f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                    f"shape={_shape_str(expected)}, found shape={_shape_str(shapes)}"
                )
        self.build(shapes)
        self.built = True

    def _check_inputs(self, shapes):
        spec = self.input_spec
        if spec is None:
            return
        if isinstance(spec, (list, tuple)):
            for i, (s, shape) in enumerate(zip(spec, shapes)):
                if s is not None:
                    s.check(self.name, shape, i)
        elif isinstance(shapes, tuple):
            spec.check(self.name, shapes)

    def _convert(self, x):
        """NumPy arrays and lists become tensors; floats take the layer's dtype (float32)."""
        if isinstance(x, Tensor):
            if x.data.dtype.kind == "f" and x.data.dtype != self.dtype:
                from profond.ops.elementwise import cast

                return cast(x, self.dtype)
            return x
        if isinstance(x, (KerasTensor, dict)) or x is None:
            return x
        if hasattr(x, "to_numpy"):
            x = x.to_numpy()
        arr = backend.default_module().asarray(x)
        if arr.dtype.kind == "f" and arr.dtype != self.dtype:
            arr = arr.astype(self.dtype)
        return Tensor._wrap(arr)

    def _call_inner(self, inputs, training, args, kwargs):
        cls = type(self)
        if cls.__dict__.get("_call_has_training") is None:
            params = inspect.signature(self.call).parameters
            cls._call_has_training = "training" in params or any(
                p.kind == p.VAR_KEYWORD for p in params.values())
        outer = _context.training
        _context.training = training
        try:
            if cls._call_has_training:
                return self.call(inputs, *args, training=training, **kwargs)
            return self.call(inputs, *args, **kwargs)
        finally:
            _context.training = outer

    def __call__(self, inputs, *args, training=None, **kwargs):
        if _is_symbolic(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        if training is None:
            training = _context.training
        if isinstance(inputs, (list, tuple)):
            inputs = type(inputs)(self._convert(x) for x in inputs)
            shapes = [tuple(x.shape) for x in inputs]
        else:
            inputs = self._convert(inputs)
            shapes = tuple(inputs.shape) if isinstance(inputs, Tensor) else None
        first = not self.built
        if first:
            self._maybe_build(_batchless(shapes))
        if self.input_spec is not None:
            self._check_inputs(shapes)
        if self._losses:
            self._losses.clear()
        outputs = self._call_inner(inputs, training, args, kwargs)
        if first and self._output_shape is None:
            self._output_shape = _map(
                lambda t: (None,) + tuple(t.shape[1:]) if isinstance(t, Tensor) else None, outputs)
        return outputs

    def _symbolic_call(self, inputs, args, kwargs):
        """Calling a layer on KerasTensors: build it, infer the output shape, record a Node."""
        shapes = _map(lambda t: t.shape, inputs)
        if isinstance(shapes, tuple) and not isinstance(inputs, KerasTensor):
            shapes = list(shapes)
        self._maybe_build(shapes)
        self._check_inputs(shapes)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            outputs = _shapes_to_tensors(self.compute_output_shape(shapes), self.dtype)
        else:
            outputs = self._run_on_zeros(inputs)
        node = Node(self, inputs, outputs, kwargs)
        for i, t in enumerate(_flatten(outputs)):
            t._node, t._index, t.name = node, i, self.name
        self._output_shape = _map(lambda t: t.shape, outputs)
        return outputs

    # --- configuration --------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments as a JSON-able dict (``from_config`` inverts it)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = list(self._input_shape_arg)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {"input_shape": self._build_shapes} if self.built else {}

    def build_from_config(self, config):
        shape = config.get("input_shape")
        if shape is not None and not self.built:
            self._maybe_build(_as_shape(shape))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _as_shape(shape):
    """JSON lists back into shape tuples (a list of lists stays a list of tuples)."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, (int, numpy.integer))
                                        for d in s)


def _batchless(shapes):
    """Shapes with the batch dimension replaced by None (what ``build`` receives)."""
    if shapes is None:
        return None
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])


def _shapes_to_tensors(shapes, dtype):
    """KerasTensors for the shape(s) returned by ``compute_output_shape``."""
    if _is_shape(shapes):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, dict):
        return {k: _shapes_to_tensors(s, dtype) for k, s in shapes.items()}
    return type(shapes)(_shapes_to_tensors(s, dtype) for s in shapes)


def _unique(variables):
    """Drop repeats (a weight shared by two layers is listed once)."""
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


# --- Input --------------------------------------------------------------------------------------


@register_serializable()
class InputLayer(Layer):
    """The entry of a functional model: it only declares the input's shape and dtype."""

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 **kwargs):
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument to Input. Received: shape=None")
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.built = True
        self.output = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        self.output._node = Node(self, [], self.output)
        self._output_shape = self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic input for the functional API: ``Input(shape=(784,))`` (batch dim excluded).

    >>> import profond as pf
    >>> x = pf.layers.Input(shape=(4,))
    >>> pf.layers.Dense(2)(x).shape
    (None, 2)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name, **kwargs)
    return layer.output
