"""The core layers: ``Dense``, ``Activation``, ``Flatten``, ``Reshape``, ``Dropout``."""

import math

import numpy

from profond import _validation as check
from profond import activations, constraints, initializers, ops
from profond.layers.base import InputSpec, Layer
from profond.registry import register_serializable
from profond.registry import serialize as _registry_serialize

_FUSED = ("linear", "relu", "tanh")
_TARGET = "a tuple of integers >= 0, with at most one -1 (an unknown size)"


def _activation_name(fn):
    """The registered name of an activation function, or None for a custom one."""
    try:
        name = activations.serialize(fn)
    except ValueError:
        return None
    return name if isinstance(name, str) else None


def fused_activation(activation, fn):
    """The name of an activation a fused op applies in place on its output ("linear", "relu",
    "tanh"), else None. Sigmoid and softmax stay separate ops so that a cross-entropy can find
    their logits (the stable from-logits form)."""
    name = activation if isinstance(activation, str) else _activation_name(fn)
    return name if name in _FUSED else None


def _serialize(obj, module=None):
    """A config value for an initializer / regularizer / constraint: its name or dict."""
    if obj is None or isinstance(obj, (str, int, float, dict)):
        return obj
    if module is not None and hasattr(module, "serialize"):
        return module.serialize(obj)
    return _registry_serialize(obj)


@register_serializable()
class Dense(Layer):
    """A fully connected layer: ŷ = g(b + XᵀW), computed as ``activation(x @ kernel + bias)``.

    ``kernel`` has shape (input_dim, units) (Keras's layout; ``torch.nn.Linear`` stores its
    transpose), ``bias`` shape (units,). With ``activation`` None, "linear", "relu" or "tanh" the
    whole layer is one fused op (``profond.ops.dense``) — forward and backward in one node of the
    graph.

    >>> import profond as pf
    >>> layer = pf.layers.Dense(3, activation="relu")
    >>> layer(pf.ones((2, 4))).shape
    (2, 3)
    >>> [w.shape for w in layer.get_weights()]
    [(4, 3), (3,)]
    """

    _shape_is_enough = True  # symbolic calls: compute_output_shape, no run on zeros
    supports_masking = True  # the output keeps the input's mask

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = check.positive_int("units", units, self)
        self.activation = activations.get(activation)
        self._fused = fused_activation(activation, self.activation)
        self.use_bias = check.boolean("use_bias", use_bias, self)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'The last dimension of the inputs to layer "{self.name}" should be defined. '
                f"Found None. Full input shape received: {input_shape}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: int(input_dim)})
        self.built = True

    def call(self, inputs):
        # NOTE: integer or boolean inputs (a multi-hot bag of words, say) are cast to the
        # kernel's dtype, as Keras does: NumPy would promote int64 · float32 to float64.
        if not numpy.issubdtype(numpy.dtype(inputs.dtype), numpy.floating):
            inputs = ops.cast(inputs, self.kernel.dtype)
        if self._fused is not None:
            return ops.dense(inputs, self.kernel, self.bias, self._fused)
        return self.activation(ops.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(self.kernel_initializer, initializers),
            "bias_initializer": _serialize(self.bias_initializer, initializers),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "activity_regularizer": _serialize(self.activity_regularizer),
            "kernel_constraint": _serialize(self.kernel_constraint),
            "bias_constraint": _serialize(self.bias_constraint),
        })
        return config


@register_serializable()
class Activation(Layer):
    """Applies an activation function: ``Activation("relu")(x)`` = max(x, 0).

    >>> import profond as pf
    >>> pf.layers.Activation("relu")(pf.constant([[-1.0, 2.0]])).numpy()
    array([[0., 2.]], dtype=float32)
    """

    _shape_is_enough = True  # symbolic calls: compute_output_shape, no run on zeros
    supports_masking = True  # the output keeps the input's mask

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@register_serializable()
class Flatten(Layer):
    """Flattens every example to a vector: (batch, 28, 28) → (batch, 784).

    >>> import profond as pf
    >>> pf.layers.Flatten()(pf.ones((2, 3, 4))).shape
    (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                             f"Received: data_format={data_format!r}")

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_serializable()
class Reshape(Layer):
    """Reshapes every example to ``target_shape`` (batch dimension kept; one -1 allowed).

    >>> import profond as pf
    >>> pf.layers.Reshape((3, 4))(pf.ones((2, 12))).shape
    (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (list, tuple)) or not all(
                check.is_integer(d) and d >= -1 for d in target_shape) or \
                list(target_shape).count(-1) > 1:
            raise check.fail("target_shape", target_shape, _TARGET, self)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            rest = input_shape[1:]
            total = None if any(d is None for d in rest) else math.prod(rest)
            if total is not None and total % known:
                raise ValueError(f'Layer "{self.name}": cannot reshape an input of shape '
                                 f"{input_shape} to target_shape {self.target_shape}")
            shape[shape.index(-1)] = None if total is None else total // known
        else:
            rest = input_shape[1:]
            if all(d is not None for d in rest) and math.prod(rest) != math.prod(shape):
                raise ValueError(
                    f'Layer "{self.name}": total size of the new array must be unchanged. '
                    f"Expected: target_shape with {math.prod(rest)} elements. Received: "
                    f"input_shape={tuple(input_shape)}, target_shape={self.target_shape}"
                )
        return (input_shape[0],) + tuple(shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


@register_serializable()
class Dropout(Layer):
    """Inverted dropout while training: each value is zeroed with probability ``rate`` and the
    others scaled by 1/(1 − rate), so the expected activation is unchanged; at inference (and
    whenever ``training`` is not True) the layer is the identity.

    >>> import profond as pf
    >>> layer = pf.layers.Dropout(0.5)
    >>> layer(pf.ones((2, 3))).numpy()  # not training: unchanged
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """

    _shape_is_enough = True  # symbolic calls: compute_output_shape, no run on zeros
    supports_masking = True  # the output keeps the input's mask

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check.probability("rate", rate, self)
        if noise_shape is not None:
            noise_shape = check.shape_tuple("noise_shape", noise_shape, self)
        self.noise_shape = noise_shape
        self.seed = check.non_negative_int("seed", seed, self, allow_none=True)
        # A seeded layer draws its masks from its own generator: reproducible, yet a new mask
        # at every step.
        self._rng = numpy.random.default_rng(seed) if seed is not None else None

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        seed = None if self._rng is None else int(self._rng.integers(2**31))
        return ops.dropout(inputs, self.rate, training=True, noise_shape=self.noise_shape,
                           seed=seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None
                       else list(self.noise_shape)})
        return config
