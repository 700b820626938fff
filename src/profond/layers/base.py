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

``__call__`` does the work every layer shares (Keras 3's contract): it converts the inputs (floats
to the layer's dtype), checks them against ``input_spec`` (rank, sizes, number of inputs), builds
the layer at the first call, passes ``training`` and ``mask`` to ``call`` when its signature asks
for them, then adds the ``activity_regularizer`` penalty and attaches the output mask to the
outputs (``tensor._keras_mask``, given by ``compute_mask`` when ``supports_masking``), so masks
travel with the tensors through ``Sequential`` and functional models.

Called on ``KerasTensor`` s (``Input(shape=...)``, see ``keras_tensor.py``), a layer computes no
values: it records a ``Node`` of the graph that ``profond.models.Model(inputs, outputs)`` later
replays on real data, and returns new KerasTensors whose shapes (and masks) it finds by running
itself on zeros.
"""

import contextlib
import functools
import inspect
import re
import threading

import numpy

from profond import _validation as check
from profond import backend
from profond._text import NAME_LIMIT, printable, quote_name
from profond.autodiff import anomaly
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor, Variable
from profond.layers import deferred
from profond.layers.keras_tensor import KerasTensor, Node, _flatten, _map, is_symbolic
from profond.registry import register_serializable

_is_symbolic = is_symbolic  # the name the models package imports

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


def _marking_built(build):
    """Wrap a subclass's ``build`` so that calling it directly (``layer.build(shape)``, then
    ``set_weights``) leaves the layer built, as in Keras: otherwise the first call would build it
    again and silently replace the weights set in between."""

    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        with _name_scope(self):
            result = build(self, *args, **kwargs)
        if self._build_shapes is None:
            self._build_shapes = args[0] if args else kwargs.get("input_shape")
        self.built = True
        return result

    build_and_mark.marks_built = True
    return build_and_mark


# --- the training flag of the call in progress (propagated to sub-layers) -----------------------


class _CallContext(threading.local):
    """The layer calls in progress in this thread (two threads may run two models at once)."""

    def __init__(self):
        self.training = None
        self.depth = 0  # how many layer calls are in progress (0: the next call is a top-level one)
        self.losses_added = False  # has any layer added a loss? (else no need to clear them)
        self.scope = []  # the layers being built or called, outermost first: a new weight's path


_context = _CallContext()


def _running_layers():
    """The path of the layers running now (``sequential/dense``): anomaly mode's errors name it
    (read only when an op is checked, so it costs a layer call nothing)."""
    return "/".join(layer.name for layer in _context.scope)


anomaly.set_layer_path_source(_running_layers)


@contextlib.contextmanager
def _name_scope(layer):
    """While ``layer`` builds or runs, weights created get the path of the layers around it
    (``sequential/dense/kernel``, ``my_model/dense_1/kernel``), as Keras 3 names them."""
    scope = _context.scope
    if scope and scope[-1] is layer:
        yield
        return
    scope.append(layer)
    try:
        yield
    finally:
        scope.pop()


def _weight_path(layer, name):
    scope = _context.scope
    if layer in scope:
        return "/".join(x.name for x in scope[:scope.index(layer) + 1]) + "/" + name
    return f"{layer.name}/{name}"


def _shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class InputSpec:
    """What a layer expects of its input: ``ndim``, ``min_ndim`` and fixed sizes of some ``axes``.

    ``Dense`` sets ``InputSpec(min_ndim=2, axes={-1: input_dim})`` when built, so a later call with
    a wrong last dimension fails with a clear message naming the layer.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)

    def check(self, layer_name, shape, index=0):
        where = _Where(index, layer_name)  # the message's start, formatted only on an error
        if self.allow_last_axis_squeeze and self.shape is not None:
            # A functional model's input: a trailing axis of size 1 may be missing or extra
            # (the model adds or drops it, see ``match_input_rank``), as in Keras.
            expected = tuple(self.shape)
            received = tuple(shape)
            if expected and expected[-1] == 1:
                expected = expected[:-1]
            if received and received[-1] == 1:
                received = received[:-1]
            if len(received) != len(expected) or any(
                    e is not None and r is not None and e != r
                    for e, r in zip(expected[1:], received[1:])):
                raise ValueError(f"{where}: expected shape={_shape_str(tuple(self.shape))}, "
                                 f"found shape={_shape_str(tuple(shape))}")
            return
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


class _Where:
    """``Input 0 of layer "dense" is incompatible with the layer``, formatted when printed (the
    checks run at every call, the message is needed only when one fails)."""

    __slots__ = ("index", "layer_name")

    def __init__(self, index, layer_name):
        self.index, self.layer_name = index, layer_name

    def __str__(self):
        return (f"Input {self.index} of layer {quote_name(self.layer_name)} is incompatible "
                "with the layer")


# --- Layer --------------------------------------------------------------------------------------


# What ``Layer.__setattr__`` tracks: sub-layers and variables, alone or in lists and tuples
# (plain settings, names and numbers, skip the bookkeeping).
_TRACKED = (Variable, list, tuple)  # and Layer, added below its class


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

    _call_params = None  # filled per class on first call: does call() take `training`, `mask`?
    supports_masking = False  # True: the output carries the input's mask (see compute_mask)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "marks_built", False):
            cls.build = _marking_built(build)

    def __init__(self, name=None, trainable=True, dtype=None, **kwargs):
        activity_regularizer = kwargs.pop("activity_regularizer", None)
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
        if name is not None and not isinstance(name, str):
            raise check.fail("name", name, "a string", type(self).__name__)
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        try:
            # Keras's "string" is NumPy's unicode dtype ("str"), as tf.string is.
            self.dtype = _dtype_name("str" if dtype == "string" else dtype or backend.floatx())
        except TypeError:
            raise check.fail("dtype", dtype, "a data type such as 'float32' or 'int64'", self,
                             error=TypeError) from None
        d["_trainable"] = check.boolean("trainable", trainable, self)
        self.built = False
        self.input_spec = None
        self.activity_regularizer = activity_regularizer
        if type(self).compute_mask is not Layer.compute_mask and "supports_masking" not in \
                type(self).__dict__:
            d["supports_masking"] = True  # a layer that computes masks propagates them (Keras)
        d["_build_shapes"] = None
        d["_output_shape"] = None
        if batch_input_shape is not None:
            self._input_shape_arg = check.shape_tuple("batch_input_shape", batch_input_shape,
                                                      self)
        elif input_shape is not None:
            self._input_shape_arg = (None,) + check.shape_tuple("input_shape", input_shape, self)
        elif input_dim is not None:
            self._input_shape_arg = (None, check.positive_int("input_dim", input_dim, self))
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
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):  # a property that failed: raise its own message
            return prop.fget(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        d = self.__dict__
        if "_layers" in d:
            old = d.get(name)
            if old is not None and old is not value and isinstance(old, _TRACKED):
                self._untrack(old)
            if isinstance(value, _TRACKED):
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
    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras 3's other name for ``add_weight`` (shape and initializer required)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, regularizer=regularizer,
                               constraint=constraint, name=name)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, **kwargs):
        """Create a weight (a ``profond.Variable``), track it and return it.

        ``initializer`` is a name (``"glorot_uniform"``, ``"zeros"``, ``"random_normal"``…), an
        initializer object or a callable ``(shape, dtype) -> array``; default ``"glorot_uniform"``
        for floats, ``"zeros"`` otherwise. The variable's ``path`` names the layers being built
        around it, then ``name``: ``"sequential/dense/kernel"`` (Keras 3's paths).
        """
        from profond import initializers

        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = numpy.dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers.get(initializer)
        value = deferred.placeholder(self, shape, dtype)  # not None while a file is loaded
        if value is None:
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
        from profond import constraints

        var = Variable(value, dtype=dtype, trainable=trainable, name=name,
                       constraint=constraints.get(constraint))
        var.path = _weight_path(self, name)
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
        """The number of scalars in all the weights (an error before the layer is built, as in
        Keras: its weights do not exist yet)."""
        if not self.built and not self.weights:
            raise ValueError(f"You tried to call `count_params` on layer {quote_name(self.name)}, "
                             "but the layer isn't built. You can build it manually via: "
                             "`layer.build(input_shape)`.")
        return int(sum(int(numpy.prod(v.shape)) for v in self.weights))

    @property
    def layers(self):
        return list(self._layers)

    # --- losses (regularization, add_loss) ----------------------------------------------------
    def add_loss(self, loss):
        """Add a term to the cost J(W) (e.g. a penalty computed in ``call``).

        Terms added during a call last until the next top-level call (as in Keras, the outer
        call clears every sub-layer's terms first, so a layer called twice keeps both)."""
        _context.losses_added = True
        self._losses.append(loss)

    @property
    def activity_regularizer(self):
        """A penalty on the layer's outputs: after each call, ``R(y) / batch size`` is added to
        ``losses`` (``"l2"`` gives 0.01·Σy² / n)."""
        return self.__dict__.get("_activity_regularizer")

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        if isinstance(value, (str, dict)):
            from profond import regularizers

            value = regularizers.get(value)
        self.__dict__["_activity_regularizer"] = value

    def _clear_losses(self):
        stack = [self]
        while stack:
            layer = stack.pop()
            layer._losses.clear()
            stack.extend(layer._layers)

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

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs (a boolean array, e.g. (batch, time)) given the inputs' one.

        The default passes ``mask`` on; a layer that makes a mask (``Embedding(mask_zero=True)``)
        or changes the time axis overrides it."""
        return mask

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape. The default runs ``call`` on zeros to find out."""
        if isinstance(input_shape, list):
            inputs = [KerasTensor(s, self.dtype) for s in input_shape]
        else:
            inputs = KerasTensor(input_shape, self.dtype)
        return _map(lambda t: t.shape, self._run_on_zeros((inputs,), {}))

    def _run_on_zeros(self, args, kwargs):
        """The output KerasTensors of a call on KerasTensors, found by calling the layer on zeros.

        Unknown sizes (``None``) take two values in two runs (batch 2 then 3, other axes 32 then
        64); an output size that differs between the runs is unknown too. Masks ride along: an
        input with a mask gets an all-True one, and the outputs' masks become boolean
        KerasTensors."""
        runs = []
        for batch, other in ((2, 32), (3, 64)):
            def zeros(t, batch=batch, other=other):
                if not isinstance(t, KerasTensor):
                    return t
                shape = tuple((batch if i == 0 else other) if d is None else d
                              for i, d in enumerate(t.shape))
                deferred.check_activation(self, shape, t.dtype)  # bounded while loading a file
                value = Tensor._wrap(backend.default_module().zeros(shape, dtype=t.dtype))
                if t._keras_mask is not None:
                    value._keras_mask = backend.default_module().ones(
                        shape[:t._keras_mask.ndim], dtype=bool)
                return value

            with no_grad(), anomaly.quiet():  # infinities made from zeros mean nothing
                runs.append(self(*_map(zeros, list(args)), **_map(zeros, kwargs)))
        self._clear_losses()  # losses of zeros are no one's

        def merge(a, b):
            shape = tuple(p if p == q else None for p, q in zip(a.shape, b.shape))
            t = KerasTensor(shape, a.dtype)
            mask = getattr(a, "_keras_mask", None)
            if mask is not None:
                t._keras_mask = KerasTensor(shape[:mask.ndim], bool)
            return t

        leaves = [merge(a, b) for a, b in zip(_flatten(runs[0]), _flatten(runs[1]))]
        return _unflatten_like(runs[0], iter(leaves))

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
                    f"Input 0 of layer {quote_name(self.name)} is incompatible with the layer: "
                    "expected "
                    f"shape={_shape_str(expected)}, found shape={_shape_str(shapes)}"
                )
        self.build(shapes)
        self.built = True

    def _check_input_count(self, inputs):
        """A layer expecting one input called on several (or the reverse) fails here, clearly."""
        spec = self.input_spec
        if spec is None or (isinstance(spec, InputSpec) and isinstance(inputs, Tensor)):
            return
        expected = len(spec) if isinstance(spec, (list, tuple)) else 1
        received = _flatten(inputs)
        if len(received) != expected:
            raise ValueError(
                f"Layer {quote_name(self.name)} expects {expected} input(s), but it received "
                f"{len(received)} input tensors. Inputs received: {inputs!r}"
            )

    def _check_inputs(self, shapes):
        spec = self.input_spec
        if spec is None or shapes is None:
            return
        if isinstance(spec, (list, tuple)):
            if not isinstance(shapes, list):
                shapes = [shapes]
            for i, (s, shape) in enumerate(zip(spec, shapes)):
                if s is not None and shape is not None:
                    s.check(self.name, shape, i)
        elif isinstance(shapes, tuple):
            spec.check(self.name, shapes)

    def _convert(self, x):
        """NumPy arrays and lists become tensors; floats take the layer's dtype (float32)."""
        if isinstance(x, Tensor):
            if x.data.dtype.kind == "f" and x.data.dtype != self.dtype:
                from profond.ops.elementwise import cast

                mask = getattr(x, "_keras_mask", None)
                x = cast(x, self.dtype)
                x._keras_mask = mask
            return x
        if isinstance(x, (KerasTensor, dict)) or x is None:
            return x
        if hasattr(x, "to_numpy"):
            x = x.to_numpy()
        arr = backend.default_module().asarray(x)
        if arr.dtype.kind == "f" and arr.dtype != self.dtype:
            arr = arr.astype(self.dtype)
        return Tensor._wrap(arr)

    def _convert_arg(self, x):
        """A further positional argument: arrays (and tensors) converted, anything else kept."""
        if isinstance(x, (list, tuple)):
            return type(x)(self._convert_arg(v) for v in x)
        if isinstance(x, Tensor) or hasattr(x, "__array_interface__") or hasattr(x, "to_numpy"):
            return self._convert(x)
        return x

    def _call_inner(self, inputs, training, args, kwargs, mask=None):
        cls = type(self)
        params = cls.__dict__.get("_call_params")
        if params is None:
            signature = inspect.signature(self.call).parameters
            var_kw = any(p.kind == p.VAR_KEYWORD for p in signature.values())
            params = cls._call_params = ("training" in signature or var_kw, "mask" in signature)
        if params[0] and training is not None:  # else call()'s own default applies, as in Keras
            kwargs = dict(kwargs, training=training)
        if params[1] and "mask" not in kwargs:
            kwargs = dict(kwargs, mask=mask)
        outer = _context.training
        _context.training = training
        _context.depth += 1
        scope = _context.scope  # ``_name_scope(self)``, inlined: this runs at every layer call
        pushed = not scope or scope[-1] is not self
        if pushed:
            scope.append(self)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            if pushed:
                scope.pop()
            _context.training = outer
            _context.depth -= 1

    def __call__(self, *args, **kwargs):
        """Run the layer: convert and check the inputs, build at the first call, then ``call``;
        afterwards add the activity penalty and attach the output mask (``_keras_mask``)."""
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f'Layer "{self.name}" was called without its `inputs` argument.')
            args = (kwargs.pop("inputs"),)
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        if is_symbolic(args) or (kwargs and is_symbolic(kwargs)):
            if training is not None:
                kwargs["training"] = training
            if mask is not None:
                kwargs["mask"] = mask
            return self._symbolic_call(args, kwargs)
        if training is None:
            training = _context.training
        inputs = args[0]
        if isinstance(inputs, (list, tuple)):
            inputs = type(inputs)(self._convert(x) for x in inputs)
            shapes = [tuple(x.shape) if isinstance(x, Tensor) else None for x in inputs]
        else:
            inputs = self._convert(inputs)
            shapes = tuple(inputs.shape) if isinstance(inputs, Tensor) else None
        rest = tuple(self._convert_arg(a) for a in args[1:]) if len(args) > 1 else ()
        spec = self.input_spec
        if spec is not None and not (isinstance(spec, InputSpec) and isinstance(inputs, Tensor)):
            self._check_input_count(inputs)
        first = not self.built
        if first:
            self._maybe_build(_batchless(shapes))
        if self.input_spec is not None:
            self._check_inputs(shapes)
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None) if isinstance(inputs, Tensor) else \
                _mask_of(inputs)
        if _context.depth == 0 and _context.losses_added:
            self._clear_losses()
        outputs = self._call_inner(inputs, training, rest, kwargs, mask)
        if self.__dict__.get("_activity_regularizer") is not None:
            self._add_activity_losses(outputs)
        if self.supports_masking and (mask is not None or
                                      type(self).compute_mask is not Layer.compute_mask):
            _attach_mask(outputs, self.compute_mask(inputs, mask))
        if first and self._output_shape is None:
            self._output_shape = _map(
                lambda t: (None,) + tuple(t.shape[1:]) if isinstance(t, Tensor) else None, outputs)
        return outputs

    def _add_activity_losses(self, outputs):
        for y in _flatten(outputs):
            if isinstance(y, Tensor):
                loss = self.activity_regularizer(y)
                self.add_loss(loss / y.shape[0] if y.ndim else loss)

    def _passes_mask_through(self, inputs, args, kwargs):
        """A one-tensor call of a float layer that keeps its input's mask (``supports_masking``
        and the default ``compute_mask``) and computes its output shape itself, of a class that
        says its weights are all made in ``build`` (``_shape_is_enough``, not inherited)."""
        cls = type(self)
        fits = _SHAPE_IS_ENOUGH.get(cls)
        if fits is None:
            fits = _SHAPE_IS_ENOUGH[cls] = bool(
                cls.__dict__.get("_shape_is_enough", False)
                and cls.compute_mask is Layer.compute_mask
                and cls.compute_output_shape is not Layer.compute_output_shape)
        return (fits and self.supports_masking and len(args) == 1 and not kwargs
                and isinstance(inputs, KerasTensor) and self.dtype.startswith("float")
                and str(inputs.dtype).startswith("float"))

    def _symbolic_call(self, args, kwargs):
        """Calling a layer on KerasTensors: build it, infer the outputs, record a ``Node``."""
        inputs = args[0]
        self._check_input_count(inputs)
        if len(args) == 1 and not kwargs and isinstance(inputs, KerasTensor):  # the usual call
            shapes, has_mask = inputs.shape, inputs._keras_mask is not None
        else:
            shapes = _map(lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs)
            if isinstance(shapes, tuple) and not isinstance(inputs, KerasTensor):
                shapes = list(shapes)
            has_mask = any(isinstance(t, KerasTensor) and t._keras_mask is not None
                           for t in _flatten([list(args), kwargs]))
        self._maybe_build(shapes)
        self._check_inputs(shapes)
        if (type(self).compute_output_shape is not Layer.compute_output_shape and len(args) == 1
                and not kwargs and not has_mask and not self.supports_masking):
            outputs = _shapes_to_tensors(self.compute_output_shape(shapes), self.dtype)
        elif self._passes_mask_through(inputs, args, kwargs):
            # NOTE: the shape from compute_output_shape and the input's mask carried over: no
            # run on zeros (a 12,000-layer model rebuilds in about half the time).
            outputs = KerasTensor(self.compute_output_shape(shapes), self.dtype)
            if inputs._keras_mask is not None:
                outputs._keras_mask = KerasTensor(inputs._keras_mask.shape, bool)
        else:
            outputs = self._run_on_zeros(args, kwargs)
        Node(self, args, kwargs, outputs)
        for t in _flatten(outputs):
            t.name = self.name
        if self._output_shape is None or len(self._inbound_nodes) == 1:
            self._output_shape = _map(lambda t: t.shape, outputs)
        return outputs

    # --- the functional graph seen from a layer ----------------------------------------------
    @property
    def inbound_nodes(self):
        """The layer's calls on symbolic tensors (``Node`` objects), in call order."""
        return list(self._inbound_nodes)

    def _node_attribute(self, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no '
                                 f"defined {what}.")
        values = getattr(self._inbound_nodes[0], attribute)
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        """The symbolic input(s) of the layer's first call (Keras 3: several calls → the first)."""
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self):
        """The symbolic output(s) of the layer's first call."""
        return self._node_attribute("output_tensors", "output")

    def _unique_shape(self, attribute, what):
        if f"_{what}_override" in self.__dict__:
            return self.__dict__[f"_{what}_override"]
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no '
                                 f"defined {what.replace('_', ' ')}.")
        shapes = []
        for node in self._inbound_nodes:
            values = [t.shape for t in getattr(node, attribute)]
            shape = values[0] if len(values) == 1 else values
            if shape not in shapes:
                shapes.append(shape)
        if len(shapes) > 1:
            raise AttributeError(
                f'The layer "{self.name}" has multiple inbound nodes, with different '
                f'{what.replace("_", " ")}s. Hence the notion of "{what.replace("_", " ")}" is '
                f"ill-defined for the layer. Received: {what}s {shapes}"
            )
        return shapes[0]

    @property
    def input_shape(self):
        """The input shape of the layer's calls (an error if they differ)."""
        return self._unique_shape("input_tensors", "input_shape")

    @input_shape.setter
    def input_shape(self, value):
        self.__dict__["_input_shape_override"] = value

    @property
    def output_shape(self):
        """The output shape of the layer's calls (an error if they differ)."""
        return self._unique_shape("output_tensors", "output_shape")

    @output_shape.setter
    def output_shape(self, value):
        self.__dict__["_output_shape_override"] = value

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
        name = printable(self.name, NAME_LIMIT)  # names come from files too
        return f"<{type(self).__name__} name={name}, built={self.built}>"


_TRACKED += (Layer,)
_SHAPE_IS_ENOUGH = {}  # class → whether its symbolic calls may skip the run on zeros


@functools.lru_cache(maxsize=64)
def _dtype_name(dtype):
    """``numpy.dtype(dtype).name``, remembered (layers are made by the thousand from files)."""
    return numpy.dtype(dtype).name


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


def _unflatten_like(structure, leaves):
    """Rebuild ``structure`` from an iterator of leaves given in ``_flatten`` order."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_unflatten_like(s, leaves) for s in structure)
    if isinstance(structure, dict):
        values = {k: _unflatten_like(structure[k], leaves) for k in sorted(structure)}
        return {k: values[k] for k in structure}
    return next(leaves)


def _mask_of(inputs):
    """The mask attached to ``inputs`` (a list of masks for a list of inputs), or None."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def _attach_mask(outputs, mask):
    """Attach ``mask`` to the outputs that carry none yet (one mask per output, or one for all)."""
    if mask is None:
        return
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outs)
    for y, m in zip(outs, masks):
        if isinstance(y, Tensor) and m is not None and getattr(y, "_keras_mask", None) is None:
            y._keras_mask = m.data if isinstance(m, Tensor) else m


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
            batch_size = check.positive_int("batch_size", batch_size, "Input", allow_none=True)
            batch_shape = (batch_size,) + check.shape_tuple("shape", shape, "Input")
        self.batch_shape = check.shape_tuple("batch_shape", batch_shape, "Input")
        self.built = True
        Node(self, (), {}, KerasTensor(self.batch_shape, self.dtype, name=self.name))
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
