"""Activation functions g, the non-linearity of a layer ŷ = g(b + XᵀW), by name as in Keras.

Every function takes a tensor (or anything ``profond.convert_to_tensor`` accepts) and returns a
tensor; all are differentiable. ``get`` turns what a user writes (``None``, ``"relu"``, a function)
into a function, ``serialize`` / ``deserialize`` go between a function and its name.

>>> import profond as pf
>>> from profond import activations
>>> activations.get("relu")(pf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
>>> activations.serialize(activations.get(None))
'linear'
"""

from profond import registry as _registry
from profond._text import quote, unknown_name
from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops import elementwise as _ew
from profond.ops import nn as _nn
from profond.ops._util import as_tensor

__all__ = [
    "deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu",
    "hard_swish", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu",
    "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), values in (0, 1); σ'(x) = σ(x)(1 − σ(x)).

    >>> import profond as pf
    >>> sigmoid(pf.constant([0.0])).numpy()
    array([0.5], dtype=float32)
    """
    return _nn.sigmoid(x)


def tanh(x):
    """tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), values in (−1, 1); tanh' = 1 − tanh²."""
    return _nn.tanh(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: max(x, 0) with Keras's options.

    With the options, g(x) = min(x, max_value) for x > threshold, else
    negative_slope · (x − threshold).

    >>> import profond as pf
    >>> relu(pf.constant([-2.0, 1.0, 8.0])).numpy()
    array([0., 1., 8.], dtype=float32)
    >>> relu(pf.constant([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0).numpy()
    array([-1.,  1.,  6.], dtype=float32)
    """
    x = as_tensor(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return _nn.relu(x)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return _nn.leaky_relu(x, negative_slope)
    if threshold != 0:
        y = x * _ew.cast(x.data > threshold, x.dtype)
    else:
        y = _nn.relu(x)
    if max_value is not None:
        y = _ew.minimum(y, max_value)
    if negative_slope != 0:
        y = y - _nn.relu(threshold - x) * negative_slope
    return y


def relu6(x):
    """min(max(x, 0), 6)."""
    return relu(x, max_value=6.0)


def leaky_relu(x, negative_slope=0.2):
    """x if x > 0 else αx with α = ``negative_slope`` (Keras's default 0.2)."""
    return _nn.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: x if x > 0 else α(eˣ − 1)."""
    return _nn.elu(x, alpha)


def selu(x):
    """Scaled ELU: λ·elu(x, α) with λ ≈ 1.0507 and α ≈ 1.6733 (self-normalising networks)."""
    return _nn.elu(x, _SELU_ALPHA) * _SELU_SCALE


def gelu(x, approximate=False):
    """Gaussian error linear unit: x Φ(x) = ½ x (1 + erf(x/√2)); ``approximate`` uses
    ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    return _nn.gelu(x, approximate)


def softmax(x, axis=-1):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis``: a probability distribution.

    >>> import profond as pf
    >>> softmax(pf.constant([[0.0, 0.0]])).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    return _nn.softmax(x, axis)


def log_softmax(x, axis=-1):
    """log softmax(x) = x − log Σⱼ e^{xⱼ}, computed without forming softmax."""
    return _nn.log_softmax(x, axis)


def linear(x):
    """The identity g(x) = x (a layer without activation)."""
    return as_tensor(x)


class Softplus(Function):
    """softplus(x) = log(1 + eˣ);  softplus'(x) = σ(x).

    NOTE: forward is ``logaddexp(0, x)``, which never overflows in eˣ.
    """

    def forward(self, x):
        return array_module(x).logaddexp(0, x).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * _nn.sigmoid(self.inputs[0])


def softplus(x):
    """log(1 + eˣ), a smooth ReLU."""
    return Softplus()(as_tensor(x))


def softsign(x):
    """x / (1 + |x|), values in (−1, 1)."""
    x = as_tensor(x)
    return x / (_ew.abs(x) + 1)


def silu(x):
    """Sigmoid linear unit (swish): x · σ(x)."""
    x = as_tensor(x)
    return x * _nn.sigmoid(x)


swish = silu


def exponential(x):
    """eˣ."""
    return _ew.exp(x)


def hard_sigmoid(x):
    """Piecewise-linear σ (Keras 3): relu6(x + 3) / 6 = clip(x/6 + ½, 0, 1)."""
    x = as_tensor(x)
    return _ew.clip_by_value(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def hard_silu(x):
    """x · hard_sigmoid(x)."""
    x = as_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """x · tanh(softplus(x))."""
    x = as_tensor(x)
    return x * _nn.tanh(softplus(x))


# --- get / serialize -----------------------------------------------------------------------------

_BY_NAME = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": silu,
    "exponential": exponential,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "mish": mish,
}

# The same functions reached through ops (``profond.relu``, ``profond.nn``...) serialize by name.
_NAME_OF = {fn: name for name, fn in reversed(list(_BY_NAME.items()))}
_NAME_OF.update({
    _nn.sigmoid: "sigmoid", _nn.tanh: "tanh", _nn.relu: "relu", _nn.leaky_relu: "leaky_relu",
    _nn.elu: "elu", _nn.gelu: "gelu", _nn.softmax: "softmax", _nn.log_softmax: "log_softmax",
    _ew.exp: "exponential",
})


def serialize(activation):
    """The name of a built-in activation (``"relu"``); a registered activation object (a layer
    such as ``LeakyReLU()``) gives its ``{"class_name", "config"}`` dict, a user's function
    ``{"class_name": "function", "config": "pkg>name"}`` (Keras 3's form).

    >>> serialize(relu)
    'relu'
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return _name(activation)
    # a public op (``profond.relu``) is the function of ``ops.nn`` wrapped for KerasTensors
    name = _NAME_OF.get(getattr(activation, "__wrapped_op__", activation))
    if name is not None:
        return name
    if hasattr(activation, "get_config"):
        return _registry.serialize(activation)
    if callable(activation) and hasattr(activation, "__name__"):
        # A user's function, in Keras 3's form: by its registered name (``"pkg>fn"``), else by
        # its own name, which loading then needs in ``custom_objects`` (never an import).
        try:
            name = _registry.registered_name(activation)
        except TypeError:
            name = activation.__name__
        return {"class_name": "function", "config": name}
    raise ValueError(
        f"Cannot serialize the activation {activation!r}: expected a built-in activation "
        f"({', '.join(sorted(_BY_NAME))}) or a registered object with get_config()."
    )


def _name(name):
    if name not in _BY_NAME:
        raise ValueError(unknown_name("activation function", name, _BY_NAME))
    return name


def deserialize(config, custom_objects=None):
    """The activation named ``config`` (a string, or a ``serialize`` dict)."""
    if isinstance(config, str):
        found = _registry.get_custom_object(config, custom_objects)  # also custom_object_scope
        if found is None and config not in _BY_NAME:
            try:
                found = _registry.get_registered(config)  # a registered function
            except ValueError:
                found = None
        if callable(found) and not isinstance(found, type):
            return found
        return _BY_NAME[_name(config)]
    if isinstance(config, dict):
        if config.get("class_name") == "function" and isinstance(config.get("config"), str):
            return deserialize(config["config"], custom_objects)  # Keras 3's function form
        return _activation_object(config, custom_objects)
    raise ValueError(f"Expected an activation name or dict. Received: config={quote(config)}")


# The layers that are activations (``Dense(3, activation=LeakyReLU(0.2))``), by registered name:
# the layers floor is above this one, so their classes are found through the registry.
_ACTIVATION_LAYERS = ("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")


def _activation_object(config, custom_objects):
    """The object a ``{"class_name", "config"}`` activation names, checked for its kind before it
    is made: one of the activation layers (or a subclass), or a class the user gave in
    ``custom_objects`` whose instances are callable. Anything else a file names (a
    ``Sequential``, an ``Adam``, a ``Dense``) is refused with a ``TypeError``."""
    name = config.get("class_name")
    custom = _registry.get_custom_object(name, custom_objects) if isinstance(name, str) else None
    if custom is None:
        cls = _registry.get_registered(name)
        bases = tuple(_registered_or_none(n) or _NoClass for n in _ACTIVATION_LAYERS)
        if not (isinstance(cls, type) and issubclass(cls, bases)):
            raise TypeError(
                "Expected an activation: a function name (such as 'relu') or an activation layer "
                f"({', '.join(_ACTIVATION_LAYERS)}). Received: class_name={quote(name)}, which is "
                f"{_describe(cls)}"
            )
    obj = _registry.deserialize(config, custom_objects)
    if not callable(obj) or isinstance(obj, type):
        raise TypeError(f"Expected an activation (a callable). Received: {_describe(obj)} from "
                        f"class_name={quote(name)}")
    return obj


class _NoClass:
    """Stands for an activation layer class not registered (its module not imported yet)."""


def _registered_or_none(name):
    try:
        return _registry.get_registered(name)
    except ValueError:
        return None


def _describe(obj):
    if isinstance(obj, type):
        return f"the class {obj.__module__}.{obj.__qualname__}"
    return f"a {type(obj).__name__} object"


def get(identifier):
    """``None`` → ``linear``; a name → that function; a callable is returned as is.

    >>> get("tanh") is tanh
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Expected an activation name, a callable or None. Received: activation={identifier!r}"
    )

