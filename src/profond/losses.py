"""Loss functions L(y, ŷ) and the cost J(W) = 1/n Σᵢ L(f(xᵢ, W), yᵢ) that training minimises.

Two forms, as in Keras:

- functions (``binary_crossentropy(y_true, y_pred)``, ``mean_squared_error``…) return one loss per
  sample: a tensor of shape ``y_pred.shape[:-1]`` (the last axis is averaged, or summed for the
  categorical cross-entropies);
- classes (``BinaryCrossentropy()``, ``MeanSquaredError()``…) are called as
  ``loss(y_true, y_pred, sample_weight=None)`` and return the scalar J: with the default reduction
  ``"sum_over_batch_size"``, J = Σᵢ wᵢ Lᵢ / n (n the number of per-sample losses).

Cross-entropy from probabilities is computed as Keras does it: when ``y_pred`` is the output of a
softmax (or sigmoid) op, the loss takes that op's input logits and runs the fused, stable
from-logits primitive: ``Dense(10, activation="softmax")`` followed by
``SparseCategoricalCrossentropy()`` is as stable (and as fast) as ``from_logits=True``. Other
probabilities are clipped to [ε, 1 − ε] with ε = 1e-7.

>>> import profond as pf
>>> from profond import losses
>>> mse = losses.get("mse")
>>> float(mse(pf.constant([[1.0], [2.0]]), pf.constant([[1.0], [4.0]])))
2.0
"""

from profond import backend
from profond._text import quote, unknown_name
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops import elementwise as _ew
from profond.ops import nn as _nn
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.reduction import reduce_mean, reduce_sum
from profond.ops.shape import reshape, transpose
from profond.registry import register_serializable
from profond.registry import serialize as _serialize_object

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "Huber", "KLDivergence", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
    "SquaredHinge", "binary_crossentropy", "categorical_crossentropy", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "poisson", "serialize",
    "sparse_categorical_crossentropy", "squared_hinge", "mse", "mae", "mape", "msle", "kld",
]

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [ε, 1 − ε]

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# --- helpers -------------------------------------------------------------------------------------


def _as_pred(y_pred):
    """``y_pred`` as a float tensor (integers become floatx)."""
    y_pred = as_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = _ew.cast(y_pred, backend.floatx())
    return y_pred


def _as_true(y_true, y_pred):
    """``y_true`` as a tensor of ``y_pred``'s dtype, on ``y_pred``'s device."""
    if isinstance(y_true, Tensor):
        return _ew.cast(y_true, y_pred.dtype)
    xp = array_module(y_pred.data)
    return Tensor._wrap(xp.asarray(y_true, dtype=y_pred.dtype))


def _match(y_true, y_pred, name):
    """(y_true, y_pred) with y_true cast to y_pred's dtype and both of one shape: (n,) against
    (n, 1) gets a trailing axis of 1, as in Keras; another mismatch is an error naming the loss."""
    y_true = _as_true(y_true, y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = reshape(y_pred, y_pred.shape + (1,))
        else:
            y_true = reshape(y_true, y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = reshape(y_true, y_true.shape + (1,))
    if y_true.shape != y_pred.shape:
        hint = ""
        if name == "categorical_crossentropy" and y_true.ndim in (y_pred.ndim - 1, y_pred.ndim):
            hint = (" Integer class labels need sparse_categorical_crossentropy "
                    "(SparseCategoricalCrossentropy).")
        raise ValueError(
            f"{name}: expected y_true and y_pred of the same shape. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}.{hint}"
        )
    return y_true, y_pred


def _logits_of(y_pred, op, axis=None):
    """The logits z when ``y_pred`` came out of ``op`` (softmax(z) or σ(z)), else None.

    NOTE: like Keras's ``_keras_logits``, this lets a cross-entropy use the fused log-sum-exp form
    instead of log(softmax(z)), which gives log(0) = −∞ once a probability underflows. The softmax
    and sigmoid ops tag their output with their input, recording or not (``no_grad`` too).
    """
    tag = getattr(y_pred, "_keras_logits", None)
    if tag is None or tag[0] != op.__name__.lower():
        return None
    if axis is not None and tag[1] != normalize_axis(axis, y_pred.ndim)[0]:
        return None
    return tag[2]


def _last_axis(x, axis):
    """Move ``axis`` of ``x`` to the end (a transpose; nothing when it already is last)."""
    axis = normalize_axis(axis, x.ndim)[0]
    if axis == x.ndim - 1:
        return x
    perm = [i for i in range(x.ndim) if i != axis] + [axis]
    return transpose(x, perm)


def _clip(p):
    return _ew.clip_by_value(p, EPSILON, 1.0 - EPSILON)


# --- the functions: one loss per sample ----------------------------------------------------------


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """L = −[y log ŷ + (1 − y) log(1 − ŷ)], averaged over the last axis.

    ``from_logits=True``: ``y_pred`` is z with ŷ = σ(z) (computed stably as
    max(z, 0) − z·y + log(1 + e^{−|z|})). ``label_smoothing`` ε moves y to y(1 − ε) + ε/2.

    >>> import profond as pf
    >>> binary_crossentropy([[1.0], [0.0]], pf.constant([[0.9], [0.2]])).numpy().round(4)
    array([0.1054, 0.2231], dtype=float32)
    """
    y_pred = _as_pred(y_pred)
    logits = y_pred if from_logits else _logits_of(y_pred, _nn.Sigmoid)
    y_true, y_pred = _match(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if logits is not None:
        if logits.shape != y_pred.shape:  # (n,) sigmoid output against (n, 1) labels
            logits = reshape(logits, y_pred.shape)
        per_element = _nn.sigmoid_cross_entropy_with_logits(y_true, logits)
    else:
        p = _clip(y_pred)
        per_element = -(y_true * _ew.log(p) + (1.0 - y_true) * _ew.log(1.0 - p))
    return reduce_mean(per_element, axis) if per_element.ndim else per_element


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """L = −Σₖ yₖ log ŷₖ for one-hot (or probability) labels y and predicted probabilities ŷ.

    ``from_logits=True``: ŷ = softmax(z) from the logits z, via log-sum-exp. ``label_smoothing``
    ε moves y to y(1 − ε) + ε/K for K classes.

    >>> import profond as pf
    >>> categorical_crossentropy([[0.0, 1.0]], pf.constant([[0.5, 0.5]])).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    y_pred = _as_pred(y_pred)
    axis = normalize_axis(axis, y_pred.ndim)[0]
    logits = y_pred if from_logits else _logits_of(y_pred, _nn.Softmax, axis)
    y_true, y_pred = _match(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        k = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / k
    y_true = _last_axis(y_true, axis)
    if logits is not None:
        return _nn.softmax_cross_entropy_with_logits(y_true, _last_axis(logits, axis))
    p = _last_axis(y_pred, axis)
    p = _clip(p / reduce_sum(p, -1, keepdims=True))
    return -reduce_sum(y_true * _ew.log(p), -1)


def _sparse_labels(y_true, y_pred, name, ignore_class=None):
    """Integer labels of shape ``y_pred.shape[:-1]`` (checked), and the mask of the ones kept."""
    xp = array_module(y_pred.data)
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])  # Keras accepts (n, 1) as well as (n,)
    expected = y_pred.shape[:-1]
    if labels.shape != expected:
        hint = ""
        if labels.shape == y_pred.shape:
            hint = (" These look like one-hot labels: use categorical_crossentropy "
                    "(CategoricalCrossentropy) for them.")
        raise ValueError(
            f"{name}: expected integer labels of shape {tuple(expected)} for y_pred of shape "
            f"{tuple(y_pred.shape)}. Received: y_true.shape={tuple(labels.shape)}.{hint}"
        )
    if labels.dtype.kind == "f":
        if labels.size and not bool((labels == xp.round(labels)).all()):
            raise ValueError(f"{name}: expected integer class labels. Received non-integer "
                             f"values of dtype {labels.dtype}.")
        labels = labels.astype("int64")
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"{name}: expected integer labels. Received dtype {labels.dtype}.")
    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = xp.where(mask, labels, 0)
    k = y_pred.shape[-1]
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= k):
        bad = int(labels.min()) if int(labels.min()) < 0 else int(labels.max())
        raise ValueError(
            f"{name}: received a label value of {bad} which is outside the valid range of "
            f"[0, {k}) for y_pred with {k} classes."
        )
    return labels.astype("int64", copy=False), mask


def _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis):
    """Per-sample sparse cross-entropy and the mask of the labels not ignored (or None)."""
    y_pred = _as_pred(y_pred)
    axis = normalize_axis(axis, y_pred.ndim)[0]
    logits = y_pred if from_logits else _logits_of(y_pred, _nn.Softmax, axis)
    probs = _last_axis(y_pred, axis)
    labels, mask = _sparse_labels(y_true, probs, "sparse_categorical_crossentropy", ignore_class)
    if logits is not None:  # (the labels are checked: the op itself, not its checking door)
        values = _nn.SparseSoftmaxCrossEntropy(labels)(_last_axis(logits, axis))
    else:
        xp = array_module(probs.data)
        hot = (labels[..., None] == xp.arange(probs.shape[-1])).astype(probs.dtype)
        p = _clip(probs / reduce_sum(probs, -1, keepdims=True))
        values = -reduce_sum(_ew.log(p) * Tensor._wrap(hot), -1)
    if mask is not None:
        values = values * Tensor._wrap(mask.astype(values.dtype))
    return values, mask


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """L = −log ŷ_y for integer class labels y (shape (n,) or (n, 1)) and probabilities ŷ.

    ``from_logits=True``: L = log Σₖ e^{zₖ} − z_y from the logits z. Labels equal to
    ``ignore_class`` get a loss of 0.

    >>> import profond as pf
    >>> sparse_categorical_crossentropy([1], pf.constant([[0.5, 0.5]])).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis)[0]


def mean_squared_error(y_true, y_pred):
    """L = mean over the last axis of (y − ŷ)².

    >>> import profond as pf
    >>> mean_squared_error([[0.0, 2.0]], pf.constant([[1.0, 0.0]])).numpy()
    array([2.5], dtype=float32)
    """
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_squared_error")
    return reduce_mean(_ew.square(y_pred - y_true), -1)


def mean_absolute_error(y_true, y_pred):
    """L = mean over the last axis of |y − ŷ|."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_absolute_error")
    return reduce_mean(_ew.abs(y_pred - y_true), -1)


def mean_absolute_percentage_error(y_true, y_pred):
    """L = 100 · mean of |y − ŷ| / max(|y|, ε)."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_absolute_percentage_error")
    scale = _ew.maximum(_ew.abs(y_true), EPSILON)
    return reduce_mean(_ew.abs(y_true - y_pred) / scale, -1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred):
    """L = mean of (log(1 + ŷ) − log(1 + y))², values below ε raised to ε."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_squared_logarithmic_error")
    a = _ew.log(_ew.maximum(y_pred, EPSILON) + 1.0)
    b = _ew.log(_ew.maximum(y_true, EPSILON) + 1.0)
    return reduce_mean(_ew.square(a - b), -1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for small errors, linear for large ones (robust to outliers), e = ŷ − y:
    L = ½e² if |e| ≤ δ else δ(|e| − ½δ), averaged over the last axis.

    >>> import profond as pf
    >>> huber([[0.0, 0.0]], pf.constant([[0.5, 3.0]])).numpy()
    array([1.3125], dtype=float32)
    """
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "huber")
    error = _ew.abs(y_pred - y_true)
    quadratic = _ew.minimum(error, delta)
    return reduce_mean(quadratic * quadratic * 0.5 + (error - quadratic) * delta, -1)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {−1, 1}, as Keras does for the hinge losses."""
    data = y_true.data
    if bool(((data == 0) | (data == 1)).all()):
        return Tensor._wrap(data * 2 - 1)
    return y_true


def hinge(y_true, y_pred):
    """L = mean of max(1 − y·ŷ, 0) for labels y in {−1, 1} (0/1 labels are converted)."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "hinge")
    y_true = _hinge_labels(y_true)
    return reduce_mean(_nn.relu(1.0 - y_true * y_pred), -1)


def squared_hinge(y_true, y_pred):
    """L = mean of max(1 − y·ŷ, 0)² for labels y in {−1, 1} (0/1 labels are converted)."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "squared_hinge")
    y_true = _hinge_labels(y_true)
    return reduce_mean(_ew.square(_nn.relu(1.0 - y_true * y_pred)), -1)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence L = Σₖ yₖ log(yₖ / ŷₖ), both clipped to [ε, 1]."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "kl_divergence")
    t = _ew.clip_by_value(y_true, EPSILON, 1.0)
    p = _ew.clip_by_value(y_pred, EPSILON, 1.0)
    return reduce_sum(t * _ew.log(t / p), -1)


def poisson(y_true, y_pred):
    """L = mean of ŷ − y log(ŷ + ε) (counts)."""
    y_pred = _as_pred(y_pred)
    y_true, y_pred = _match(y_true, y_pred, "poisson")
    return reduce_mean(y_pred - y_true * _ew.log(y_pred + EPSILON), -1)


# Short names, as tf.keras has them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence


# --- the classes: J = reduction of the weighted per-sample losses --------------------------------


def _register(cls):
    # NOTE: "losses.<Class>" so the names cannot collide with metrics of the same name.
    return register_serializable(name=f"losses.{cls.__name__}")(cls)


def _weights_for(sample_weight, values, name):
    """``sample_weight`` as an array broadcast to the per-sample losses' shape."""
    xp = array_module(values.data)
    w = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    w = xp.asarray(w, dtype=values.dtype)
    while w.ndim > values.ndim and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    if w.ndim < values.ndim:
        w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    try:
        return xp.broadcast_to(w, values.shape)
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(w.shape)} does not match the "
            f"per-sample losses of shape {tuple(values.shape)}."
        ) from None


class Loss:
    """Base class of the losses: ``loss(y_true, y_pred, sample_weight=None)`` → J.

    Subclasses define ``call(y_true, y_pred)`` returning one loss per sample. ``reduction``:
    ``"sum_over_batch_size"`` (default, J = Σ wᵢLᵢ / n), ``"sum"``, ``"mean_with_sample_weight"``
    (Σ wᵢLᵢ / Σ wᵢ) or ``"none"`` (the weighted per-sample losses).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                             f"{_REDUCTIONS}. Received: reduction={reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def _values(self, y_true, y_pred):
        """Per-sample losses and a mask of the samples that count (None: all)."""
        return self.call(y_true, y_pred), None

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_pred(y_pred)
        if self.dtype is not None and y_pred.dtype != self.dtype:
            y_pred = _ew.cast(y_pred, self.dtype)
        values, mask = self._values(y_true, y_pred)
        values = as_tensor(values)
        weights = None
        if sample_weight is not None:
            weights = _weights_for(sample_weight, values, self.name)
        if mask is not None:
            m = mask.astype(values.dtype)
            if self.reduction in ("sum_over_batch_size", "mean"):
                # masked samples out, the others weighted total/valid: J = Σ kept / n_kept
                m = m * (m.size / max(float(m.sum()), 1.0))
            weights = m if weights is None else weights * m
        if weights is not None:
            values = values * Tensor._wrap(weights)
        return _reduce(values, self.reduction, weights)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def _reduce(values, reduction, weights):
    if reduction in (None, "none"):
        return values
    total = reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(weights.sum())
    else:
        divisor = float(values.size)
    return total * (1.0 / divisor if divisor else 0.0)


def _snake(name):
    out = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return out.lstrip("_")


@_register
class LossFunctionWrapper(Loss):
    """A loss class around a per-sample loss function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = _function(fn)
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = _function_name(self.fn)
        config.update(self.fn_kwargs)
        return config


@_register
class BinaryCrossentropy(LossFunctionWrapper):
    """J = −1/n Σᵢ [yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)] for 0/1 labels (see
    ``binary_crossentropy``).

    >>> import profond as pf
    >>> bce = BinaryCrossentropy()
    >>> round(float(bce([[1.0], [0.0]], pf.constant([[0.9], [0.2]]))), 4)
    0.1643
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=float(label_smoothing),
                         axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = float(label_smoothing)


@_register
class CategoricalCrossentropy(LossFunctionWrapper):
    """J = −1/n Σᵢ Σₖ yᵢₖ log ŷᵢₖ for one-hot labels (see ``categorical_crossentropy``)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=float(label_smoothing),
                         axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = float(label_smoothing)


@_register
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """J = −1/n Σᵢ log ŷᵢ,yᵢ for integer labels (see ``sparse_categorical_crossentropy``).

    With ``ignore_class``, samples of that label are left out: J is the mean over the others.

    >>> import profond as pf
    >>> scce = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(scce([0, 1], pf.constant([[0.0, 0.0], [0.0, 0.0]]))), 4)
    0.6931
    """

    def __init__(self, from_logits=False, ignore_class=None, axis=-1,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _values(self, y_true, y_pred):
        return _sparse_ce(y_true, y_pred, **self.fn_kwargs)


@_register
class MeanSquaredError(LossFunctionWrapper):
    """J = 1/n Σᵢ (yᵢ − ŷᵢ)², the mean squared error (see ``mean_squared_error``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@_register
class MeanAbsoluteError(LossFunctionWrapper):
    """J = 1/n Σᵢ |yᵢ − ŷᵢ|, the mean absolute error."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@_register
class MeanAbsolutePercentageError(LossFunctionWrapper):
    """J = 100/n Σᵢ |yᵢ − ŷᵢ| / |yᵢ|."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


@_register
class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """J = 1/n Σᵢ (log(1 + ŷᵢ) − log(1 + yᵢ))²."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


@_register
class Hinge(LossFunctionWrapper):
    """J = 1/n Σᵢ max(1 − yᵢŷᵢ, 0) for labels in {−1, 1} (0/1 labels are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@_register
class SquaredHinge(LossFunctionWrapper):
    """J = 1/n Σᵢ max(1 − yᵢŷᵢ, 0)²."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@_register
class KLDivergence(LossFunctionWrapper):
    """J = 1/n Σᵢ Σₖ yᵢₖ log(yᵢₖ / ŷᵢₖ), the Kullback-Leibler divergence."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@_register
class Poisson(LossFunctionWrapper):
    """J = 1/n Σᵢ (ŷᵢ − yᵢ log ŷᵢ)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


@_register
class Huber(LossFunctionWrapper):
    """J = 1/n Σᵢ huber(eᵢ) with e = ŷ − y: ½e² if |e| ≤ δ else δ(|e| − ½δ)."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=float(delta))
        self.delta = float(delta)


# --- get / serialize -----------------------------------------------------------------------------

_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "huber": huber,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "kl_divergence": kl_divergence,
    "poisson": poisson,
}

_ALIASES = {
    "bce": "binary_crossentropy", "cce": "categorical_crossentropy",
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "huber_loss": "huber", "kld": "kl_divergence", "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
}

_CLASS_OF = {
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "huber": Huber,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "kl_divergence": KLDivergence,
    "poisson": Poisson,
}

_CLASSES = {cls.__name__: cls for cls in (*_CLASS_OF.values(), LossFunctionWrapper)}
_CLASSES["KLD"] = KLDivergence


def _function(name):
    name = _ALIASES.get(name, name)
    if name not in _FUNCTIONS:
        raise ValueError(unknown_name("loss function", name, set(_FUNCTIONS) | set(_ALIASES)))
    return _FUNCTIONS[name]


def _function_name(fn):
    for name, f in _FUNCTIONS.items():
        if f is fn:
            return name
    raise ValueError(f"Cannot serialize the loss function {fn!r}: only built-in loss functions "
                     "can be saved (write a registered Loss subclass with get_config instead).")


def serialize(loss):
    """``{"class_name": ..., "config": ...}`` of a loss object."""
    return _serialize_object(loss)


def deserialize(config, custom_objects=None):
    """A loss from ``serialize``'s dict (or from a name)."""
    from profond.registry import deserialize_with

    return deserialize_with(config, lambda name: _CLASSES.get(name.removeprefix("losses.")), get,
                            custom_objects, kind=(Loss, "a loss"))



def get(identifier):
    """A ``Loss`` object from a name (``"mse"``, ``"sparse_categorical_crossentropy"``,
    ``"BinaryCrossentropy"``), a ``serialize`` dict, a class, a loss object (returned as is) or a
    per-sample function ``fn(y_true, y_pred)`` (wrapped). ``None`` gives ``None``.

    >>> get("mse").name
    'mean_squared_error'
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        return _CLASS_OF[_function(identifier).__name__]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, type) or getattr(type(identifier), "_registered_name", None):
        # A class, or an object of a registered kind that is not a loss (a layer, a metric, an
        # optimizer: what a file's compile config could name), is no per-sample function.
        what = identifier.__name__ if isinstance(identifier, type) else type(identifier).__name__
        raise TypeError("Expected a loss: a name, a Loss object or a function "
                        f"fn(y_true, y_pred). Received: {quote(what)} "
                        f"({'a class' if isinstance(identifier, type) else 'an object'})")
    if callable(identifier):
        for name, fn in _FUNCTIONS.items():
            if fn is identifier:
                return _CLASS_OF[name]()
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
