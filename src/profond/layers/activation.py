"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

Each is an activation g applied element by element (``Softmax`` along an axis), written as a
layer so that it can sit in a ``Sequential`` list or carry options:

    ReLU        g(x) = min(x, max_value) for x ≥ threshold, else negative_slope · (x − threshold)
    LeakyReLU   g(x) = x for x > 0, else α x                       (α = negative_slope = 0.3)
    PReLU       g(x) = x for x > 0, else α x, with α a learned weight (per feature by default)
    ELU         g(x) = x for x > 0, else α (eˣ − 1)
    Softmax     g(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis``; masked entries get probability 0
"""

import numbers
import warnings

from profond import activations, constraints, initializers, ops, regularizers
from profond.layers.base import InputSpec, Layer
from profond.layers.core import _serialize
from profond.registry import register_serializable

# NOTE: masked logits are pushed this far down rather than to −inf, so a row where every entry
# is masked gives exp(0)/n instead of 0/0 (NaN); those rows are then zeroed by the mask.
_LARGE_NEGATIVE = -1e9


def _number(value, layer, name, allow_none=False):
    """``value`` as a non-negative float, or a clear error naming the layer and the argument."""
    if value is None and allow_none:
        return None
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not value >= 0):
        raise ValueError(f"{name} of a {layer} layer cannot be None or a negative value. "
                         f"Expected a non-negative float. Received: {name}={value}")
    return float(value)


@register_serializable()
class ReLU(Layer):
    """Rectified linear unit with Keras's options (defaults: plain max(x, 0)).

    >>> import profond as pf
    >>> pf.layers.ReLU(max_value=6.0)(pf.constant([-1.0, 3.0, 9.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number(max_value, "ReLU", "max_value", allow_none=True)
        self.negative_slope = _number(negative_slope, "ReLU", "negative_slope")
        self.threshold = _number(threshold, "ReLU", "threshold")

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@register_serializable()
class LeakyReLU(Layer):
    """g(x) = x for x > 0, else α x, with α = ``negative_slope`` (Keras 3's name; the older
    ``alpha`` is accepted with a warning). Default α = 0.3.

    >>> import profond as pf
    >>> pf.layers.LeakyReLU(negative_slope=0.1)(pf.constant([-2.0, 3.0])).numpy()
    array([-0.2,  3. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _number(negative_slope, "Leaky ReLU", "negative_slope")

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@register_serializable()
class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): g(x) = max(x, 0) − α ⊙ max(−x, 0), α learned.

    α has the input's shape without the batch axis (one slope per feature), except along
    ``shared_axes`` (1-based, batch excluded) where one slope is shared: for images
    (batch, h, w, c), ``shared_axes=[1, 2]`` gives one α per channel, shape (1, 1, c).

    >>> import profond as pf
    >>> layer = pf.layers.PReLU(shared_axes=[1, 2])
    >>> layer(pf.ones((2, 4, 4, 3))).shape, layer.alpha.shape
    ((2, 4, 4, 3), (1, 1, 3))
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
            if any(not isinstance(a, int) or isinstance(a, bool) or a < 1 for a in axes):
                raise ValueError(f'Layer "{self.name}": `shared_axes` holds axes counted from 1 '
                                 f"(the batch axis excluded). Received: shared_axes={shared_axes}")
            self.shared_axes = axes
        self.alpha = None

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis > len(param_shape):
                raise ValueError(f'Layer "{self.name}": shared axis {axis} is out of range for an '
                                 f"input of shape {tuple(input_shape)}")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f'Layer "{self.name}": every non-shared axis of the input must be '
                             f"known to build alpha. Received: input_shape={tuple(input_shape)}, "
                             f"shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        axes = {i: d for i, d in enumerate(input_shape) if i and i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": _serialize(self.alpha_initializer, initializers),
            "alpha_regularizer": _serialize(self.alpha_regularizer),
            "alpha_constraint": _serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


@register_serializable()
class ELU(Layer):
    """Exponential linear unit: g(x) = x for x > 0, else α (eˣ − 1) (default α = 1).

    >>> import profond as pf
    >>> pf.layers.ELU()(pf.constant([0.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool):
            raise ValueError(f"alpha of an ELU layer must be a number. Received: alpha={alpha!r}")
        self.alpha = float(alpha)

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@register_serializable()
class Softmax(Layer):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis`` (an int or a tuple of axes).

    ``mask`` (booleans shaped like the input, True = keep) drops entries from the sum: they get
    probability 0 and the kept ones sum to 1; a row with nothing kept is all zeros.

    >>> import profond as pf
    >>> pf.layers.Softmax()(pf.constant([[1.0, 1.0]]), mask=pf.constant([[True, False]])).numpy()
    array([[1., 0.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or any(not isinstance(a, int) for a in axis):
                raise ValueError(f"Softmax: `axis` must be an int or a tuple of ints. "
                                 f"Received: axis={axis!r}")
            self.axis = tuple(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise ValueError(f"Softmax: `axis` must be an int or a tuple of ints. "
                             f"Received: axis={axis!r}")

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.cast(mask, inputs.dtype)
            inputs = inputs + (1.0 - mask) * _LARGE_NEGATIVE
        if isinstance(self.axis, tuple) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.reduce_logsumexp(inputs, axis=self.axis,
                                                            keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, tuple) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = outputs * mask
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return config
