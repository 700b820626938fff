"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization``.

Both standardize then rescale, per feature along ``axis``:

    x̂ = (x − μ) / √(σ² + ε),      y = γ ⊙ x̂ + β

They differ in where μ and σ² come from: BatchNormalization averages over the batch (and the
spatial positions of an image), LayerNormalization over the features of each example.
"""

from profond import _validation as check
from profond import initializers, ops
from profond.autodiff.mode import no_grad
from profond.backend import replicas
from profond.layers.base import InputSpec, Layer
from profond.layers.core import _serialize
from profond.ops.collective import global_moments
from profond.ops.nn import normalize
from profond.registry import register_serializable


def _check_axis(axis, where):
    """``axis`` as given to the constructor: an integer, or a list of integers (kept a list)."""
    if check.is_integer(axis):
        return int(axis)
    if not isinstance(axis, (list, tuple)) or not axis or not all(
            check.is_integer(a) for a in axis):
        raise check.fail("axis", axis, "an integer or a list of integers", where)
    return [int(a) for a in axis]


def _normalize_axes(axis, ndim, name):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f'Layer "{name}": invalid axis {a} for an input of rank {ndim}. '
                             f"Received: axis={axis}")
        out.append(a % ndim)
    return sorted(out)


@register_serializable()
class BatchNormalization(Layer):
    """Normalizes each feature with the batch's statistics while training, with moving averages
    of them at inference.

    Training (``training=True``), μ_B and σ²_B over every axis except ``axis`` (biased variance):

        y = γ (x − μ_B) / √(σ²_B + ε) + β
        moving_mean ← moving_mean · momentum + μ_B · (1 − momentum)
        moving_var  ← moving_var · momentum + σ²_B · (1 − momentum)

    Inference: y = γ (x − moving_mean) / √(moving_var + ε) + β, computed as x · s + (β − μ s)
    (two passes over x). A frozen layer (``trainable=False``) always runs in inference mode, as
    in Keras.

    ``synchronized=True``: in data-parallel training over processes
    (``profond.distribute.MultiWorkerMirroredStrategy``), μ_B and σ²_B are those of the global
    batch, summed over the processes in the forward and the backward pass, so N processes train
    like one on the whole batch. In one process it changes nothing.

    NOTE: Keras's ``momentum`` is the weight of the old average; PyTorch's is that of the new
    batch: torch momentum = 1 − Keras momentum (and PyTorch's running variance is unbiased).

    Weights, in Keras's order: gamma, beta (trainable), moving_mean, moving_variance.

    >>> import profond as pf
    >>> layer = pf.layers.BatchNormalization()
    >>> layer(pf.ones((4, 3)), training=True).shape
    (4, 3)
    >>> [w.name for w in layer.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis(axis, self)
        self.momentum = check.probability("momentum", momentum, self)
        self.epsilon = check.non_negative_float("epsilon", epsilon, self)
        self.center = check.boolean("center", center, self)
        self.scale = check.boolean("scale", scale, self)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.synchronized = check.boolean("synchronized", synchronized, self)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axes = tuple(_normalize_axes(self.axis, ndim, self.name))
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError(f'Layer "{self.name}": axis {self.axis} of the input must be '
                             f"defined. Received: input_shape={input_shape}")
        self._reduce_axes = tuple(a for a in range(ndim) if a not in self._axes)
        # Parameters broadcast against x: shape 1 on the reduced axes.
        self._bshape = tuple(input_shape[a] if a in self._axes else 1 for a in range(ndim))
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, name="moving_variance",
            trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._axes})

    def _param(self, v):
        """A per-feature weight shaped to broadcast against x (as is on the last axis)."""
        return v if self._axes == (len(self._bshape) - 1,) else ops.reshape(v, self._bshape)

    def call(self, inputs, training=None):
        if training and self.trainable:  # batch statistics, normalize, scale, shift: one fused
            # op, or, synchronized over processes, ops around sums over them
            gamma = self._param(self.gamma) if self.scale else None
            beta = self._param(self.beta) if self.center else None
            group = replicas.group() if self.synchronized else None
            if group is not None and group.size > 1:
                y, mean, var = self._synchronized(inputs, gamma, beta)
            else:
                y, mean, var = normalize(inputs, self._reduce_axes, gamma, beta, self.epsilon)
            self._update_moving(mean, var)
            return y
        # Inference: the moving statistics, folded into one scale and one shift per feature
        # (computed on the small per-feature arrays), so x is read twice instead of four times:
        # y = x · s + (β − μ s) with s = γ / √(σ² + ε), as TensorFlow computes it.
        scale = 1.0 / ops.sqrt(self._param(self.moving_variance) + self.epsilon)
        if self.scale:
            scale = scale * self._param(self.gamma)
        shift = -self._param(self.moving_mean) * scale
        if self.center:
            shift = shift + self._param(self.beta)
        return inputs * scale + shift

    def _synchronized(self, x, gamma, beta):
        """Normalize with the global batch's statistics (``global_moments``: sums over the
        processes, whose gradient sums over them too, so ∂L/∂x is the global batch's)."""
        mean, var = global_moments(x, self._reduce_axes)
        y = (x - mean) / ops.sqrt(var + self.epsilon)
        if gamma is not None:
            y = y * gamma
        if beta is not None:
            y = y + beta
        return y, mean.data, var.data

    def _update_moving(self, mean, var):
        m = self.momentum
        shape = self.moving_mean.shape
        with no_grad():
            self.moving_mean.assign(self.moving_mean.data * m + mean.reshape(shape) * (1 - m))
            self.moving_variance.assign(self.moving_variance.data * m
                                        + var.reshape(shape) * (1 - m))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": _serialize(self.beta_initializer, initializers),
            "gamma_initializer": _serialize(self.gamma_initializer, initializers),
            "moving_mean_initializer": _serialize(self.moving_mean_initializer, initializers),
            "moving_variance_initializer": _serialize(self.moving_variance_initializer,
                                                      initializers),
            "beta_regularizer": _serialize(self.beta_regularizer),
            "gamma_regularizer": _serialize(self.gamma_regularizer),
            "beta_constraint": _serialize(self.beta_constraint),
            "gamma_constraint": _serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
        })
        return config


@register_serializable()
class LayerNormalization(Layer):
    """Normalizes each example over its features (``axis``, default the last), the same way in
    training and inference:

        μ = mean(x), σ² = mean((x − μ)²) over ``axis``;  y = γ (x − μ) / √(σ² + ε) + β

    With ``rms_scaling=True``: y = γ x / √(mean(x²) + ε) (RMSNorm, no β).

    >>> import profond as pf
    >>> pf.layers.LayerNormalization()(pf.ones((2, 5))).shape
    (2, 5)
    """

    supports_masking = True  # each step is normalized alone: a mask passes through unchanged

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        where = self
        self.axis = _check_axis(axis, where)
        self.epsilon = check.non_negative_float("epsilon", epsilon, where)
        self.rms_scaling = check.boolean("rms_scaling", rms_scaling, where)
        self.center = check.boolean("center", center, where) and not rms_scaling
        self.scale = check.boolean("scale", scale, where)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axes = tuple(_normalize_axes(self.axis, ndim, self.name))
        shape = tuple(input_shape[a] for a in self._axes)
        self._bshape = tuple(input_shape[a] if a in self._axes else 1 for a in range(ndim))
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def _param(self, v):
        return v if self._axes == (len(self._bshape) - 1,) else ops.reshape(v, self._bshape)

    def call(self, inputs):
        if self.rms_scaling:
            ms = ops.reduce_mean(ops.square(inputs), axis=self._axes, keepdims=True)
            y = inputs * (1.0 / ops.sqrt(ms + self.epsilon))
        else:
            gamma = self._param(self.gamma) if self.scale else None
            beta = self._param(self.beta) if self.center else None
            return normalize(inputs, self._axes, gamma, beta, self.epsilon)[0]
        if self.scale:
            y = y * self._param(self.gamma)
        if self.center:
            y = y + self._param(self.beta)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "rms_scaling": self.rms_scaling,
            "beta_initializer": _serialize(self.beta_initializer, initializers),
            "gamma_initializer": _serialize(self.gamma_initializer, initializers),
            "beta_regularizer": _serialize(self.beta_regularizer),
            "gamma_regularizer": _serialize(self.gamma_regularizer),
            "beta_constraint": _serialize(self.beta_constraint),
            "gamma_constraint": _serialize(self.gamma_constraint),
        })
        return config

