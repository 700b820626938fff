"""Metrics: numbers that say how well a model does, accumulated batch after batch (Keras API).

A metric keeps a running state: ``update_state(y_true, y_pred, sample_weight=None)`` adds a batch,
``result()`` gives the value so far as a 0-d tensor (as in Keras: ``float(m.result())`` or
``m.result().numpy()`` for a number), ``reset_state()`` starts again (``fit`` does
it at each epoch). Updates work on plain arrays (``tensor.data``), never on the autodiff graph.

Most metrics are the weighted mean of a per-sample value: accuracy = (1/n) Σᵢ 1[ŷᵢ = yᵢ],
MSE = (1/n) Σᵢ (yᵢ − ŷᵢ)².

>>> import numpy as np
>>> from profond import metrics
>>> m = metrics.get("accuracy", loss="sparse_categorical_crossentropy")
>>> m.update_state([1, 0], np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> m.result(), m.name
(tensor(0.5, shape=(), dtype=float32), 'accuracy')
"""

import numpy

from profond import losses as _losses
from profond._text import unknown_name
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor
from profond.backend import array_module, default_module
from profond.registry import register_serializable
from profond.registry import serialize as _serialize_object

__all__ = [
    "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "RootMeanSquaredError",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
    "Sum", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy", "categorical_accuracy",
    "deserialize", "get", "serialize", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]


def _register(cls):
    # NOTE: "metrics.<Class>": MeanSquaredError is both a loss and a metric.
    return register_serializable(name=f"metrics.{cls.__name__}")(cls)


def _array(x, like=None):
    """The raw array of a tensor / list / array (on ``like``'s device when given)."""
    if isinstance(x, Tensor):
        return x.data
    xp = array_module(like) if like is not None else default_module()
    return xp.asarray(x)


def _same_rank(y_true, y_pred):
    """(n,) against (n, 1): give ``y_true`` the rank of ``y_pred``, as Keras does."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true.reshape(y_true.shape[:-1])
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return y_true.reshape(y_true.shape + (1,))
    return y_true


def _sparse_labels(y_true, y_pred):
    """Integer labels (n,) from (n,) or (n, 1)."""
    if y_true.ndim == y_pred.ndim and y_true.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return y_true


# --- per-sample functions on arrays --------------------------------------------------------------


def accuracy(y_true, y_pred):
    """1 where ŷ equals y exactly, else 0 (for class labels already decided)."""
    y_pred = _array(y_pred)
    y_true = _same_rank(_array(y_true, y_pred), y_pred)
    return (y_true == y_pred).astype("float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of 1[(ŷ > threshold) = y] for 0/1 labels y.

    >>> import numpy as np
    >>> binary_accuracy(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]]))
    array([1., 0.], dtype=float32)
    """
    y_pred = _array(y_pred)
    y_true = _same_rank(_array(y_true, y_pred), y_pred)
    hits = (y_pred > threshold).astype(y_true.dtype) == y_true
    return hits.astype("float32").mean(axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where argmax ŷ = argmax y (one-hot labels), else 0."""
    y_pred = _array(y_pred)
    y_true = _array(y_true, y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype("float32")


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax ŷ equals the integer label y, else 0.

    >>> import numpy as np
    >>> sparse_categorical_accuracy(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    array([1., 0.], dtype=float32)
    """
    y_pred = _array(y_pred)
    y_true = _sparse_labels(_array(y_true, y_pred), y_pred)
    return (y_pred.argmax(axis=-1) == y_true).astype("float32")


def _in_top_k(labels, y_pred, k):
    """1 where the label's score is among the k largest (ties count as in, as tf.math.in_top_k)."""
    xp = array_module(y_pred)
    labels = labels.astype("int64")
    target = xp.take_along_axis(y_pred, labels[..., None], axis=-1)
    n_above = (y_pred > target).sum(axis=-1)
    return (n_above < k).astype("float32")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the true class (one-hot y) is among the k highest scores of ŷ."""
    y_pred = _array(y_pred)
    return _in_top_k(_array(y_true, y_pred).argmax(axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label y is among the k highest scores of ŷ."""
    y_pred = _array(y_pred)
    return _in_top_k(_sparse_labels(_array(y_true, y_pred), y_pred), y_pred, k)


def _loss_values(fn):
    """A metric function computing the per-sample loss ``fn`` without recording any graph."""

    def values(y_true, y_pred, **kwargs):
        y_pred = _array(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype("float32")
        with no_grad():
            return fn(y_true, Tensor._wrap(y_pred), **kwargs).data

    values.__name__ = fn.__name__
    return values


# --- metric classes ------------------------------------------------------------------------------


class Metric:
    """Base class: a running state updated by ``update_state`` and read by ``result``.

    A user's metric keeps its state in variables made with ``add_weight`` / ``add_variable``
    in ``__init__`` and updates them with ``assign_add``; ``reset_state`` sets them back to zero
    (``reset_states`` is its Keras 2 name)::

        class Hits(Metric):
            def __init__(self, name="hits", **kwargs):
                super().__init__(name=name, **kwargs)
                self.hits = self.add_weight(name="hits", initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.hits.assign_add(tf.reduce_sum(tf.cast(y_true == y_pred, "float32")))

            def result(self):
                return self.hits

    ``fit`` calls ``update_state(y_true, y_pred, sample_weight=None)`` with the labels as given
    (no reshaping: integer labels of shape (batch,) stay so for outputs of shape (batch, 10)),
    and ``sample_weight`` only for the ``weighted_metrics`` of ``compile``.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype
        self._variables = []

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A non-trainable state variable of this metric, set to ``initializer`` (Keras 3)."""
        from profond import initializers
        from profond.autodiff.tensor import Variable
        from profond.backend import floatx

        if not hasattr(self, "_variables"):
            raise RuntimeError(f"{type(self).__name__}: call `super().__init__()` before "
                               "`add_weight` / `add_variable`.")
        shape = () if shape is None else tuple(shape)
        dtype = dtype or self.dtype or floatx()
        value = initializers.get(initializer or "zeros")(shape, dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=False,
                            name=name or f"variable_{len(self._variables)}")
        self._variables.append(variable)
        # NOTE: how the processes of a data-parallel training combine this state: "sum"
        # (totals and counts, the default), "mean", or "none" (each keeps its own).
        self._aggregations = getattr(self, "_aggregations", {})
        self._aggregations[id(variable)] = aggregation
        return variable

    def add_weight(self, *args, **kwargs):
        """``add_variable`` called as Keras 3 does, ``add_weight(shape, initializer, dtype,
        name)``, or as Keras 2 does, ``add_weight(name, shape, ...)`` (a string first)."""
        order = ("name", "shape") if args and isinstance(args[0], str) else \
            ("shape", "initializer", "dtype", "name")
        kwargs.update(zip(order, args))
        kwargs.pop("synchronization", None)
        return self.add_variable(**kwargs)

    @property
    def variables(self):
        return list(getattr(self, "_variables", []))

    def reset_state(self):
        """Set every state variable back to zero."""
        for v in self.variables:
            v.assign(v.data * 0)

    def _scalar(self, value):
        """A running value as Keras returns it: a 0-d tensor (float32 by default)."""
        from profond.backend import floatx

        return Tensor._wrap(default_module().asarray(value, dtype=self.dtype or floatx()))

    def reset_states(self):
        """The Keras 2 name of ``reset_state``."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            value = f"{float(_array(self.result())):.4g}"
        except (TypeError, ValueError, AttributeError):
            value = "…"
        return f"<{type(self).__name__} name={self.name!r} result={value}>"


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


@_register
class Mean(Metric):
    """The weighted mean Σ wᵢvᵢ / Σ wᵢ of every value seen (``fit`` averages the loss with it).

    >>> m = Mean()
    >>> m.update_state([1.0, 3.0])
    >>> m.update_state(5.0, sample_weight=2.0)
    >>> float(m.result())
    3.5
    """

    _summed = ("total", "count")  # what data-parallel processes add up (replica_state)

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values)
        if values.dtype.kind not in "fc":
            values = values.astype("float64")
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        w = _array(sample_weight, values).astype(values.dtype)
        while w.ndim > values.ndim and w.shape[-1] == 1:  # (n, 1) weights of (n,) values
            w = w.reshape(w.shape[:-1])
        if w.ndim < values.ndim:  # (n,) weights of (n, t) values
            w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
        try:
            values, w = array_module(values).broadcast_arrays(values, w)
        except ValueError:
            raise ValueError(f"{self.name}: sample_weight of shape {tuple(w.shape)} does not "
                             f"match values of shape {tuple(values.shape)}.") from None
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def result(self):
        return self._scalar(self.total / self.count if self.count else 0.0)


@_register
class Sum(Metric):
    """The (weighted) sum of every value seen."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    _summed = ("total",)

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values)
        if sample_weight is not None:
            values = values * _array(sample_weight, values)
        self.total += float(values.sum())

    def result(self):
        return self._scalar(self.total)


@_register
class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all samples."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = _FUNCTIONS[fn]
        self.fn = fn
        self.fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = _function_name(self.fn)
        config.update(self.fn_kwargs)
        return config


@_register
class Accuracy(MeanMetricWrapper):
    """How often ŷ equals y exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@_register
class BinaryAccuracy(MeanMetricWrapper):
    """How often (ŷ > threshold) matches a 0/1 label: (1/n) Σᵢ 1[(ŷᵢ > t) = yᵢ]."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


@_register
class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax ŷ matches one-hot labels: (1/n) Σᵢ 1[argmax ŷᵢ = argmax yᵢ]."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@_register
class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax ŷ matches integer labels: (1/n) Σᵢ 1[argmax ŷᵢ = yᵢ]."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@_register
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the true class (one-hot) is among the k highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=int(k))


@_register
class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=int(k))


_mse = _loss_values(_losses.mean_squared_error)
_mae = _loss_values(_losses.mean_absolute_error)
_mape = _loss_values(_losses.mean_absolute_percentage_error)
_bce = _loss_values(_losses.binary_crossentropy)
_cce = _loss_values(_losses.categorical_crossentropy)
_scce = _loss_values(_losses.sparse_categorical_crossentropy)


@_register
class MeanSquaredError(MeanMetricWrapper):
    """(1/n) Σᵢ (yᵢ − ŷᵢ)²."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_mse, name=name, dtype=dtype)


@_register
class RootMeanSquaredError(MeanMetricWrapper):
    """√((1/n) Σᵢ (yᵢ − ŷᵢ)²)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(_mse, name=name, dtype=dtype)

    def result(self):
        return super().result() ** 0.5


@_register
class MeanAbsoluteError(MeanMetricWrapper):
    """(1/n) Σᵢ |yᵢ − ŷᵢ|."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_mae, name=name, dtype=dtype)


@_register
class MeanAbsolutePercentageError(MeanMetricWrapper):
    """(100/n) Σᵢ |yᵢ − ŷᵢ| / |yᵢ|."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_mape, name=name, dtype=dtype)


@_register
class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy (see ``losses.binary_crossentropy``)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_bce, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=float(label_smoothing))


@_register
class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (see ``losses.categorical_crossentropy``)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_cce, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=float(label_smoothing))


@_register
class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean sparse categorical cross-entropy (see
    ``losses.sparse_categorical_crossentropy``)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False):
        super().__init__(_scce, name=name, dtype=dtype, from_logits=from_logits)


@register_serializable(name="metrics.AutoAccuracy")
class _AutoAccuracy(MeanMetricWrapper):
    """"accuracy" with an unknown loss: the variant is chosen from the shapes at the first update,
    as Keras does — ŷ of last dimension 1 → binary; integer labels (one dimension fewer, or a last
    dimension of 1) → sparse categorical; otherwise categorical."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(None, name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.fn is None:
            y_pred_a = _array(y_pred)
            y_true_a = _array(y_true, y_pred_a)
            self.fn = _accuracy_for_shapes(y_true_a.shape, y_pred_a.shape)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _accuracy_for_shapes(true_shape, pred_shape):
    if pred_shape and pred_shape[-1] == 1:
        return binary_accuracy
    if len(true_shape) == len(pred_shape) - 1 or (true_shape and true_shape[-1] == 1):
        return sparse_categorical_accuracy
    return categorical_accuracy


# --- get / serialize -----------------------------------------------------------------------------

_FUNCTIONS = {
    "accuracy": accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
}

_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, RootMeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, MeanMetricWrapper)}

# Names a user writes in ``compile(metrics=[...])`` (the accuracies by function name too).
_BY_NAME = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "mean_absolute_percentage_error":
        MeanAbsolutePercentageError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy, "cce": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def _function_name(fn):
    for name, f in _FUNCTIONS.items():
        if f is fn:
            return name
    raise ValueError(f"Cannot serialize the metric function {fn!r}: only built-in metric "
                     "functions can be saved (write a registered Metric subclass instead).")


def _accuracy_for_loss(loss):
    """The accuracy variant that goes with ``loss`` (name, class, object or function), or None."""
    if loss is None:
        return None
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, dict) and len(loss) == 1:
        loss = next(iter(loss.values()))
    if isinstance(loss, (str, dict, type)) or callable(loss):
        try:
            loss = _losses.get(loss)
        except (ValueError, TypeError):
            return None
    fn = getattr(loss, "fn", None)
    if isinstance(loss, _losses.SparseCategoricalCrossentropy) or \
            fn is _losses.sparse_categorical_crossentropy:
        return SparseCategoricalAccuracy
    if isinstance(loss, _losses.CategoricalCrossentropy) or \
            fn is _losses.categorical_crossentropy:
        return CategoricalAccuracy
    if isinstance(loss, _losses.BinaryCrossentropy) or fn is _losses.binary_crossentropy:
        return BinaryAccuracy
    return None


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` of a metric object."""
    return _serialize_object(metric)


def deserialize(config, custom_objects=None):
    """A metric from ``serialize``'s dict (or from a name)."""
    from profond.registry import deserialize_with

    return deserialize_with(config, lambda name: _CLASSES.get(name.removeprefix("metrics.")), get,
                            custom_objects)



def get(identifier, loss=None):
    """A ``Metric`` from what a user writes in ``compile(metrics=[...])``.

    ``"accuracy"`` / ``"acc"`` resolve as in Keras from the ``loss``: sparse categorical
    cross-entropy → ``SparseCategoricalAccuracy``, categorical → ``CategoricalAccuracy``, binary →
    ``BinaryAccuracy``; with another loss, from the shapes at the first update. A string keeps the
    user's spelling as the metric's name (the key in the logs). Also: a metric object (returned as
    is), a class, a ``serialize`` dict, or a per-sample function ``fn(y_true, y_pred)``.

    >>> get("acc", loss="binary_crossentropy")
    <BinaryAccuracy name='acc' result=0>
    >>> get("mse").name
    'mse'
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            cls = _accuracy_for_loss(loss)
            return _AutoAccuracy(name=identifier) if cls is None else cls(name=identifier)
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(unknown_name("metric", identifier,
                                          {"accuracy", "acc"} | set(_BY_NAME) | set(_CLASSES)))
        return cls(name=identifier) if identifier in _BY_NAME else cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, type) or (getattr(type(identifier), "_registered_name", None)
                                        and not isinstance(identifier, _losses.Loss)):
        # A class, or a registered object that is neither a metric nor a loss (a layer, a
        # constraint: what a file's compile config could name), is no fn(y_true, y_pred).
        what = identifier.__name__ if isinstance(identifier, type) else type(identifier).__name__
        raise TypeError("Expected a metric: a name, a Metric or Loss object or a function "
                        f"fn(y_true, y_pred). Received: {what!r} "
                        f"({'a class' if isinstance(identifier, type) else 'an object'})")
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")



# --- data-parallel training: the state processes add up ------------------------------------------


def _state_parts(metric):
    """(owner, attribute) pairs of ``metric``'s additive state (attribute None: a Variable):
    the ``_summed`` attributes of the built-in metrics, the variables of ``add_variable`` with
    ``aggregation="sum"``, and those of the metrics a container (``compile_metrics``) holds."""
    parts = [(metric, name) for name in getattr(metric, "_summed", ())]
    aggregations = getattr(metric, "_aggregations", {})
    parts += [(v, None) for v in metric.variables if aggregations.get(id(v), "sum") == "sum"]
    for entry in getattr(metric, "entries", ()):
        parts += _state_parts(entry[1])
    return parts


def replica_state(metric):
    """``metric``'s additive state as float64 arrays, in a fixed order: what the processes of a
    data-parallel training sum so that ``result()`` covers every process's samples."""
    return [numpy.asarray(getattr(owner, name) if name else owner.numpy(), dtype=numpy.float64)
            for owner, name in _state_parts(metric)]


def set_replica_state(metric, arrays):
    """Put back ``replica_state``'s arrays (summed over processes) into ``metric``."""
    for (owner, name), value in zip(_state_parts(metric), arrays):
        if name is None:
            owner.assign(value.astype(owner.dtype))
        else:
            old = getattr(owner, name)
            setattr(owner, name, value.astype(old.dtype) if isinstance(old, numpy.ndarray)
                    else float(value))
