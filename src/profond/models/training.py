"""The training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` (mixed into ``Model``).

Training minimizes the cost over the n training examples,

    J(W) = 1/n Σᵢ L(f(xᵢ, W), yᵢ)      (plus any regularization terms, ``model.losses``),

by mini-batch gradient descent. Each step of ``fit`` (``train_step``) is the course's four steps:

1. forward propagation:  ŷ = f(x, W)  on a batch;
2. cost:  J(W) on that batch (``compute_loss``);
3. back-propagation:  ∂J/∂W  (``GradientTape.gradient``);
4. gradient descent:  W ← W − η ∂J/∂W  (``optimizer.apply_gradients``, or its Adam/RMSprop
   variant).

An *epoch* is one pass over the data, in a new random order each time. Override ``train_step`` to
change what one step does; ``fit`` keeps handling batches, callbacks, validation and history.

What ``train_step`` receives, how data become batches (``data_adapter``) and how losses and
metrics are named per output (``compile_utils``) follow Keras 3 (as shipped in TensorFlow 2.21);
metrics are updated without recording any graph.
"""

import math
import warnings

import numpy

from profond import _validation as check
from profond import backend
from profond.autodiff.mode import no_grad
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor
from profond.backend import memory, replicas
from profond.callbacks.base import Callback, CallbackList, History
from profond.callbacks.progbar import ProgbarLogger
from profond.layers.base import _flatten, _map
from profond.models import data_adapter as _da
from profond.models import nonfinite as _nonfinite
from profond.models.compile_utils import CompileLoss, CompileMetrics, output_names, scalar
from profond.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["Trainer", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def _check_logs(logs, what):
    if not isinstance(logs, dict):
        raise TypeError(f"`{what}` must return a dict mapping metric names to values, e.g. "
                        f"{{'loss': loss}}. Received: a value of type {type(logs).__name__}")
    return logs


def _pythonify(logs):
    """Logs as Keras 3 hands them to callbacks: ``{name: float}`` sorted by name, a nested dict
    (``compile_metrics``, a metric with a dict result) flattened in at its sorted place."""
    flat = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            flat.update(_pythonify(value))
        else:
            flat[key] = scalar(value, key)
    return flat


def _batch_size(x):
    first = _flatten(x)[0] if x is not None else None
    return first.shape[0] if getattr(first, "ndim", 0) else 1


# --- argument checks (every public argument, before any work; see ``profond._validation``) ----


def _check_validation_freq(validation_freq):
    """Validate every n epochs (n ≥ 1), or at the epochs (counted from 1) of a collection."""
    if check.is_integer(validation_freq) and validation_freq >= 1:
        n = int(validation_freq)
        return lambda epoch: (epoch + 1) % n == 0
    if isinstance(validation_freq, (list, tuple, set, range)) and all(
            check.is_integer(e) and e >= 1 for e in validation_freq):
        epochs = {int(e) for e in validation_freq}
        return lambda epoch: epoch + 1 in epochs
    raise check.fail("validation_freq", validation_freq, "a positive integer or a list of "
                     "epochs counted from 1", "fit")


def _check_verbose(verbose, where):
    """"auto" (1), 0 (silent), 1 (progress bar) or 2 (one line per epoch); a bool counts."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, (bool, numpy.bool_)) or (check.is_integer(verbose)
                                                   and 0 <= verbose <= 2):
        return int(verbose)
    raise check.fail("verbose", verbose, '"auto", 0 (silent), 1 (progress bar) or 2 (one line '
                     "per epoch)", where)


def _check_callbacks(callbacks, where):
    """A list of ``Callback`` instances (a single one, or a ``CallbackList``, is accepted as
    Keras does). A class instead of an instance gets a hint."""
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, Callback):
        return [callbacks]
    expected = "a list of `Callback` instances, e.g. [EarlyStopping(patience=2)]"
    if not isinstance(callbacks, (list, tuple)):
        raise check.fail("callbacks", callbacks, expected, where)
    for item in callbacks:
        if isinstance(item, type) and issubclass(item, Callback):
            raise check.fail("callbacks", callbacks, expected + f" (write {item.__name__}(), "
                             "an instance, not the class)", where)
        if not isinstance(item, Callback):
            raise check.fail("callbacks", callbacks, expected + f" (an item has type "
                             f"{type(item).__name__})", where)
    return list(callbacks)


def _check_shuffle(shuffle):
    """True, False or "batch" (shuffle the order of whole batches only)."""
    if isinstance(shuffle, str) and shuffle == "batch":
        return shuffle
    if not isinstance(shuffle, (bool, numpy.bool_)):
        raise check.fail("shuffle", shuffle, 'True, False or "batch"', "fit")
    return bool(shuffle)


def _check_x(x, where):
    if x is None:
        raise check.fail("x", x, "the input data: arrays (or a list or dict of arrays), a "
                         "Dataset, a PyDataset or a generator", where)


# --- the mixin ----------------------------------------------------------------------------------


class Trainer:
    """``compile`` / ``fit`` / ``evaluate`` / ``predict`` for ``Model``."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._compile_args = None
        self.train_function = None
        self.test_function = None
        self.predict_function = None

    # --- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", **kwargs):
        """Choose the optimizer (how W moves), the loss L (what J(W) averages) and the metrics
        to report.

        ``loss``, ``loss_weights``, ``metrics`` and ``weighted_metrics`` may be given once, as a
        list (one entry per output) or as a dict keyed by output name (see ``compile_utils``).
        ``metrics`` ignore the sample weights, ``weighted_metrics`` use them.
        Compiling again without ``loss`` (or ``metrics``) keeps the previous ones, as in Keras 3.
        ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and ``auto_scale_loss`` are
        accepted for Keras compatibility and ignored (profond always runs eagerly); any other
        keyword is a mistake (``metric=`` for ``metrics=``) and raises ``TypeError``."""
        from profond import metrics as metrics_lib
        from profond import optimizers as optimizers_lib

        kwargs.pop("auto_scale_loss", None)
        if kwargs:
            raise TypeError(f"compile() got an unexpected keyword argument {next(iter(kwargs))!r}")
        self.optimizer = optimizers_lib.get(optimizer)
        args = dict(self._compile_args or {"loss": None, "metrics": None,
                                           "weighted_metrics": None, "loss_weights": None})
        args["optimizer"] = optimizer
        names = self._output_names
        # NOTE: as in Keras 3, compiling again without a loss (or without metrics) keeps the
        # previous ones.
        if loss is not None:
            self.loss = loss
            self._compile_loss = CompileLoss(loss, loss_weights, names)
            args.update(loss=loss, loss_weights=loss_weights)
        if metrics is not None or weighted_metrics is not None:
            self._compile_metrics = CompileMetrics(metrics, weighted_metrics, loss=self.loss,
                                                   names_fn=names)
            args.update(metrics=metrics, weighted_metrics=weighted_metrics)
        self._loss_tracker = metrics_lib.Mean(name="loss")
        self._compile_args = args
        self.compiled = True
        self.stop_training = False
        self.train_function = self.test_function = self.predict_function = None

    def get_compile_config(self):
        """What ``compile`` was called with, as JSON-able values (for saving)."""
        if not self.compiled:
            return None
        from profond import optimizers as optimizers_lib
        from profond.registry import serialize

        def ser(obj):
            if obj is None or isinstance(obj, (str, int, float)):
                return obj
            if isinstance(obj, (list, tuple)):
                return [ser(o) for o in obj]
            if isinstance(obj, dict):
                return {k: ser(v) for k, v in obj.items()}
            return serialize(obj)

        args = self._compile_args
        config = {"optimizer": optimizers_lib.serialize(self.optimizer),
                  "loss": ser(args["loss"]), "metrics": ser(args["metrics"]),
                  "loss_weights": ser(args["loss_weights"])}
        if args["weighted_metrics"] is not None:
            config["weighted_metrics"] = ser(args["weighted_metrics"])
        return config

    def compile_from_config(self, config):
        from profond import losses as losses_lib
        from profond import metrics as metrics_lib
        from profond import optimizers as optimizers_lib

        def de(obj, lib):
            if isinstance(obj, list):
                return [de(o, lib) for o in obj]
            if isinstance(obj, dict) and "class_name" in obj:
                return lib.deserialize(obj)
            if isinstance(obj, dict):
                return {k: de(v, lib) for k, v in obj.items()}
            return obj

        self.compile(optimizer=optimizers_lib.get(config["optimizer"]),
                     loss=de(config.get("loss"), losses_lib),
                     metrics=de(config.get("metrics"), metrics_lib),
                     weighted_metrics=de(config.get("weighted_metrics"), metrics_lib),
                     loss_weights=config.get("loss_weights"))

    # --- metrics --------------------------------------------------------------------------------
    @property
    def metrics(self):
        """As in Keras 3: the loss tracker, ``compile_metrics`` (all compiled metrics together),
        each output's loss tracker, then the ``Metric`` objects the model holds as attributes
        (a custom ``train_step``'s own trackers), so that ``reset_metrics`` resets them all."""
        from profond.metrics import Metric

        out = [self._loss_tracker] if self._loss_tracker is not None else []
        if self._compile_metrics is not None and self._compile_metrics:
            out.append(self._compile_metrics)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.trackers)
        for value in vars(self).values():
            if isinstance(value, Metric) and value is not self._compile_metrics and \
                    not any(value is m for m in out):
                out.append(value)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _output_names(self, y_pred=None):
        return output_names(self, y_pred)

    def _assert_compiled(self):
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    @property
    def compiled_metrics(self):
        """TF-Keras 2's ``compiled_metrics``, as Keras 3 keeps it: ``update_state(y, y_pred,
        sample_weight)`` updates every metric of ``self.metrics``.

        # NOTE: exactly as Keras 3 does, a ``Mean`` among them (the "loss" tracker, a user's
        # Mean tracker) is given ``y_pred`` as its values, so after this a custom train_step
        # reports the mean prediction as "loss". Use ``compute_loss`` and update the "loss"
        # tracker yourself (the Keras 3 guide) to report the loss.
        """
        return _CompiledMetrics(self)

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """TF-Keras 2's compiled loss, as Keras 3 keeps it: ``compute_loss`` (which already adds
        the layers' losses, so ``regularization_losses`` is ignored)."""
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    def _compiled_loss_value(self, y, y_pred, sample_weight):
        if self._compile_loss is None:
            return None
        if y is None:
            raise ValueError("The model was compiled with a loss, which compares predictions "
                             "with targets, but no targets were given. Pass `y` to `fit` / "
                             "`evaluate` (or batches (x, y) from a dataset). Received: y=None")
        return self._compile_loss(y, y_pred, sample_weight)

    # --- one step -------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The cost J(W) of a batch: the compiled loss(es), weighted by ``loss_weights``, plus
        the layers' extra losses (regularization, ``add_loss``). As in Keras 3 this does not
        update the "loss" tracker: ``train_step`` / ``test_step`` do."""
        loss = self._compiled_loss_value(y, y_pred, sample_weight)
        for term in self.losses:
            loss = term if loss is None else loss + term
        if loss is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        if loss.ndim:
            loss = loss.mean()
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch (no graph recorded); return every metric's
        result (``get_metrics_result``)."""
        if self._compile_metrics and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{"accuracy": …, "loss": …}``: every metric's result as a Python float, dict results
        merged in, sorted by name (as Keras 3 returns them)."""
        logs = {}
        for m in self.metrics:
            value = m.result()
            if isinstance(value, dict):
                logs.update(value)
            else:
                logs[m.name] = value
        return {k: scalar(v, k) for k, v in sorted(logs.items())}

    def train_step(self, data):
        """One step of gradient descent on a batch ``data``: ``(x, y)``, ``(x, y,
        sample_weight)`` or ``x`` alone."""
        private_step = getattr(self.optimizer, "private_train_step", None)
        if private_step is not None:  # DP-SGD (profond.privacy): per-example gradients
            return private_step(self, data)
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)                                      # 1. forward
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)  # 2. cost J(W)
        self._loss_tracker.update_state(loss.data, sample_weight=_batch_size(x))
        grads = tape.gradient(loss, self.trainable_variables)                    # 3. backprop
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))     # 4. descent
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics of a batch, without training."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss.data, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output for a batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- step functions (Keras's make_*_function) ----------------------------------------------
    @staticmethod
    def _next(data):
        return next(data) if hasattr(data, "__next__") else data

    def make_train_function(self, force=False):
        """The callable ``fit`` runs on each batch (or on the next batch of an iterator):
        ``train_step`` plus the check that it returned a dict."""
        if self.train_function is None or force:
            def train_function(data):
                return _check_logs(self.train_step(self._next(data)), "train_step")
            self.train_function = train_function
        return self.train_function

    def make_test_function(self, force=False):
        if self.test_function is None or force:
            def test_function(data):
                with no_grad():
                    return _check_logs(self.test_step(self._next(data)), "test_step")
            self.test_function = test_function
        return self.test_function

    def make_predict_function(self, force=False):
        if self.predict_function is None or force:
            def predict_function(data):
                with no_grad():
                    return self.predict_step(self._next(data))
            self.predict_function = predict_function
        return self.predict_function

    # --- data -----------------------------------------------------------------------------------
    def _n_io(self, attr):
        tensors = getattr(self, attr, None)
        return len(tensors) if isinstance(tensors, list) else 1

    def _input_names(self):
        names = getattr(self, "input_names", None)
        if names:
            return list(names)
        struct = getattr(self, "_inputs_struct", None)
        if isinstance(struct, dict):
            return list(struct)
        return [t._node.layer.name for t in getattr(self, "inputs", None) or []]

    def _arrays(self, x, y, sample_weight, where="fit", argument="x"):
        x = _da.structure_to_arrays(x, self._n_io("inputs"))
        y = _da.structure_to_arrays(y, self._n_io("outputs"))
        sample_weight = _da.structure_to_arrays(sample_weight, self._n_io("outputs"))
        _da.check_dict_keys(x, self._input_names(), "input", "x")
        if getattr(self, "outputs", None):
            _da.check_dict_keys(y, output_names(self), "output", "y", complete=False)
        for name, value in ((argument, x), ("y", y), ("sample_weight", sample_weight)):
            if any(a is not None and a.ndim == 0 for a in _flatten(value)):
                raise check.fail(name, value, "arrays with a first, batch axis (one entry per "
                                 "sample)", where)
        if not _da.check_cardinality(x, y, sample_weight):
            shapes = [tuple(a.shape) for a in _flatten(x) if a is not None]
            raise check.fail(argument, x, "data with at least one sample (a first, batch axis "
                             f"of size >= 1); the arrays received have shapes {shapes}", where)
        return x, y, sample_weight

    def _check_class_weight(self, class_weight, y, where):
        """``class_weight`` names classes the model has: keys below the width of its output
        (2 for one sigmoid unit) or, when that is not known yet, of one-hot targets."""
        if class_weight is None:
            return
        n_classes = None
        outputs = getattr(self, "outputs", None)
        if outputs and len(outputs) == 1 and outputs[0].shape and outputs[0].shape[-1]:
            n_classes = max(int(outputs[0].shape[-1]), 2)
        elif getattr(y, "ndim", 0) >= 2 and y.shape[-1] > 1:
            n_classes = int(y.shape[-1])
        _da.check_class_weight(class_weight, n_classes, where)

    def _adapter(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None,
                 class_weight=None, argument="x", restart=True, where="fit"):
        if not _da.is_iterator_source(x):
            x, y, sample_weight = self._arrays(x, y, sample_weight, where, argument)
        return _da.make_adapter(x, y, sample_weight, batch_size, shuffle=shuffle, steps=steps,
                                class_weight=class_weight, argument=argument, restart=restart)

    # --- fit ------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; return a ``History``.

        ``x`` (and ``y``): NumPy arrays, lists, profond tensors, pandas objects, dicts keyed by
        input (output) name, or ``x`` alone as a ``profond.data.Dataset``, a ``PyDataset`` or a
        Python generator yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches (an infinite
        generator needs ``steps_per_epoch``). The examples are shuffled at every epoch
        (``shuffle=True``; ``"batch"`` shuffles whole batches) with ``profond.random``'s
        generator, so ``profond.set_seed`` makes training reproducible.

        ``validation_split``: the fraction of the examples held out to compute ``val_loss`` and
        ``val_<metric>`` after each epoch: the **last** examples, before shuffling, as in Keras
        (the same split at every call). With data sorted by label these can all be one class:
        a warning says so; shuffle the data first.
        ``validation_data``: ``(x, y[, sample_weight])``, a Dataset, a PyDataset or a generator
        (with ``validation_steps``); ``validation_freq``: validate every n epochs, or at the
        epochs (counted from 1) of a list.

        ``class_weight``: ``{class: weight}``, multiplies each example's loss by the weight of
        its class (helps with unbalanced classes). ``verbose``: 0 silent, 1 progress bar, 2 one
        line per epoch ("auto" is 1). The History and the logs name the values as Keras 3 does,
        sorted by name (``accuracy``, ``loss``, ``<output>_loss``, ``val_loss`` …).

        >>> import numpy as np, profond as pf
        >>> model = pf.models.Sequential([pf.layers.Dense(1, input_shape=(2,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> h = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> len(h.history["loss"])
        2

        Training keeps freed array memory in the process for the next step
        (``profond.backend.memory.for_training``: no fresh zero-filled pages each step;
        resident memory stays near its peak), unless ``PROFOND_KEEP_MEMORY=0``.
        """
        self._assert_compiled()
        memory.for_training()
        _check_x(x, "fit")
        verbose = _check_verbose(verbose, "fit")
        batch_size = check.positive_int("batch_size", batch_size, "fit", allow_none=True)
        epochs = check.non_negative_int("epochs", epochs, "fit")
        initial_epoch = check.non_negative_int("initial_epoch", initial_epoch, "fit")
        steps_per_epoch = check.positive_int("steps_per_epoch", steps_per_epoch, "fit", True)
        validation_steps = check.positive_int("validation_steps", validation_steps, "fit", True)
        validation_batch_size = check.positive_int("validation_batch_size",
                                                   validation_batch_size, "fit", True)
        validation_split = check.real("validation_split", validation_split, "fit", 0, 1,
                                      high_open=True, expected="a float in [0, 1)")
        shuffle = _check_shuffle(shuffle)
        callbacks = _check_callbacks(callbacks, "fit")
        if validation_data is not None and not _da.is_iterator_source(validation_data) and (
                not isinstance(validation_data, (list, tuple)) or
                not 1 <= len(validation_data) <= 3):
            raise check.fail("validation_data", validation_data, "a tuple (x_val, y_val) or "
                             "(x_val, y_val, val_sample_weight), a Dataset, a PyDataset or a "
                             "generator", "fit")
        validate_now = _check_validation_freq(validation_freq)
        val = None
        if _da.is_iterator_source(x):
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays, not for a "
                                 f"{type(x).__name__}: pass `validation_data` instead.")
            self._check_class_weight(class_weight, None, "fit")
            train = self._adapter(x, y, sample_weight, steps=steps_per_epoch,
                                  class_weight=class_weight, restart=False)
        else:
            x, y, sample_weight = self._arrays(x, y, sample_weight)
            _nonfinite.warn_non_finite(x, y)  # once per fit: NaN/Inf in the arrays
            if class_weight is not None and sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                                 "time: fold the class weights into `sample_weight`.")
            if class_weight is not None and isinstance(y, (list, tuple, dict)):
                raise ValueError("`class_weight` is only supported for Models with a single "
                                 f"output. Received targets of type {type(y).__name__}.")
            self._check_class_weight(class_weight, y, "fit")
            if validation_split and validation_data is None:
                (x, y, sample_weight), (vx, vy, vsw) = _split(x, y, sample_weight,
                                                             validation_split)
                val = _da.make_adapter(vx, vy, vsw, validation_batch_size or batch_size,
                                       steps=validation_steps, restart=True)
            train = _da.make_adapter(x, y, sample_weight, batch_size, shuffle=shuffle,
                                     steps=steps_per_epoch, class_weight=class_weight)
        if validation_data is not None:
            if _da.is_iterator_source(validation_data):
                val = self._adapter(validation_data, steps=validation_steps,
                                    argument="validation_data")
            else:
                vx, vy, vsw = unpack_x_y_sample_weight(tuple(validation_data))
                val = self._adapter(vx, vy, vsw, validation_batch_size or batch_size,
                                    steps=validation_steps, argument="validation_data")

        group = replicas.group()
        if group is not None:  # data-parallel over processes (profond.distribute)
            verbose, callbacks = group.local_display(verbose, callbacks)
        callbacks = self._callback_list(callbacks, verbose, epochs, train.steps, add_history=True)
        train_function = self.make_train_function()
        self.stop_training = False
        logs = {}
        self._initial_epoch = None  # BackupAndRestore sets it when it restores a backup
        unchecked = _da.is_iterator_source(x)  # a Dataset's first batch is checked for NaN/Inf
        callbacks.on_train_begin()
        if group is not None:  # after a restore from a backup: rank 0's weights for all
            group.start_training(self)
        for epoch in range(self._initial_epoch or initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            step_logs = None
            for step, batch in enumerate(train.epoch()):
                if unchecked:
                    unchecked = False
                    _nonfinite.warn_non_finite_batch(batch)
                if group is not None:
                    batch = group.shard(batch)  # this process's slice of the global batch
                callbacks.on_train_batch_begin(step)
                step_logs = train_function(batch)
                callbacks.on_train_batch_end(step, _pythonify(step_logs))
                if self.stop_training:
                    break
            if step_logs is None and getattr(train, "exhausted", False):
                _da.ran_out_of_data()
                break
            if group is not None:  # every process's samples in the epoch's logs
                group.reduce_metric_states(self.metrics)
                step_logs = self.get_metrics_result()
            epoch_logs = dict(step_logs) if step_logs is not None else self.get_metrics_result()
            if val is not None and validate_now(epoch):
                val_logs = self._run_evaluation(val, callbacks)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            epoch_logs = _pythonify(epoch_logs)
            callbacks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        if epochs > 0 and hasattr(self.optimizer, "finalize_variable_values"):
            # with use_ema: the averaged weights become the model's (as Keras's fit ends)
            self.optimizer.finalize_variable_values(self.trainable_variables)
        callbacks.on_train_end(logs)
        return self.history

    def _callback_list(self, callbacks, verbose, epochs, steps, add_history=False, where="fit"):
        callbacks = _check_callbacks(callbacks, where)
        if add_history:
            self.history = History()
            callbacks.append(self.history)
        if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            callbacks.append(ProgbarLogger(verbose))
        return CallbackList(callbacks, model=self, epochs=epochs, steps=steps, verbose=verbose)

    # --- evaluate / predict ---------------------------------------------------------------------
    def _run_evaluation(self, adapter, callbacks):
        self.reset_metrics()
        test_function = self.make_test_function()
        callbacks.on_test_begin()
        logs = None
        group = replicas.group()
        for step, batch in enumerate(adapter.epoch()):
            if group is not None:
                batch = group.shard(batch)
            callbacks.on_test_batch_begin(step)
            logs = test_function(batch)
            callbacks.on_test_batch_end(step, _pythonify(logs))
        if group is not None:
            group.reduce_metric_states(self.metrics)
            logs = self.get_metrics_result()
        logs = _pythonify(logs if logs is not None else self.get_metrics_result())
        callbacks.on_test_end(logs)
        return logs

    def _logs_as_list(self, logs):
        """Keras 3's order: the names of ``metrics_names`` first, then the others by name."""
        names = [n for n in self.metrics_names if n in logs]
        names += [k for k in logs if k not in names]
        return [logs[n] for n in names]

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) on data, without training: a float, or ``[loss, *others]``
        (``loss``, each output's loss, then the metrics), or a dict with ``return_dict=True``."""
        self._assert_compiled()
        if kwargs:
            raise ValueError(f"`evaluate`: Arguments not recognized: {kwargs}")
        _check_x(x, "evaluate")
        verbose = _check_verbose(verbose, "evaluate")
        batch_size = check.positive_int("batch_size", batch_size, "evaluate", allow_none=True)
        steps = check.positive_int("steps", steps, "evaluate", allow_none=True)
        adapter = self._adapter(x, y, sample_weight, batch_size, steps=steps, where="evaluate")
        if replicas.group() is not None:
            verbose, callbacks = replicas.group().local_display(verbose, callbacks)
        cbs = self._callback_list(callbacks, verbose, 1, adapter.steps, where="evaluate")
        logs = self._run_evaluation(adapter, cbs)
        if return_dict:
            return logs
        values = self._logs_as_list(logs)
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as NumPy arrays (batch by batch, no graph recorded)."""
        _check_x(x, "predict")
        verbose = _check_verbose(verbose, "predict")
        batch_size = check.positive_int("batch_size", batch_size, "predict", allow_none=True)
        steps = check.positive_int("steps", steps, "predict", allow_none=True)
        adapter = self._adapter(x, None, None, batch_size, steps=steps, where="predict")
        predict_function = self.make_predict_function()
        cbs = self._callback_list(callbacks, verbose, 1, adapter.steps, where="predict")
        outputs = []
        cbs.on_predict_begin()
        for step, batch in enumerate(adapter.epoch()):
            cbs.on_predict_batch_begin(step)
            out = predict_function(batch)
            outputs.append(_map(lambda t: backend.to_numpy(t.data), out))
            cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict`: no batch was produced. "
                             "Make sure your input is not empty.")
        first = outputs[0]
        if isinstance(first, (list, tuple)):
            return [numpy.concatenate([o[i] for o in outputs]) for i in range(len(first))]
        if isinstance(first, dict):
            return {k: numpy.concatenate([o[k] for o in outputs]) for k in first}
        return numpy.concatenate(outputs)

    def _one_batch_logs(self, logs, return_dict):
        return logs if return_dict else (self._logs_as_list(logs) if len(logs) > 1
                                         else next(iter(logs.values())))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One ``train_step`` on one batch; returns the loss (and metrics)."""
        self._assert_compiled()
        memory.for_training()
        x, y, sample_weight = self._arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            self._check_class_weight(class_weight, y, "train_on_batch")
            cw = _da.class_weights_to_sample_weights(y, class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        self.reset_metrics()
        data = pack_x_y_sample_weight(_map_wrap(x), _map_wrap(y), _map_wrap(sample_weight))
        return self._one_batch_logs(self.make_train_function()(data), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled()
        x, y, sample_weight = self._arrays(x, y, sample_weight, "test_on_batch")
        self.reset_metrics()
        data = pack_x_y_sample_weight(_map_wrap(x), _map_wrap(y), _map_wrap(sample_weight))
        return self._one_batch_logs(self.make_test_function()(data), return_dict)

    def predict_on_batch(self, x):
        x = _map_wrap(_da.structure_to_arrays(x, self._n_io("inputs")))
        out = self.make_predict_function()(pack_x_y_sample_weight(x))
        return _map(lambda t: backend.to_numpy(t.data), out)


class _CompiledMetrics:
    """What ``model.compiled_metrics`` returns (see there)."""

    def __init__(self, model):
        self.model = model

    def update_state(self, y, y_pred, sample_weight=None):
        from profond.metrics import Mean

        with no_grad():
            for metric in self.model.metrics:
                if isinstance(metric, Mean):
                    metric.update_state(y_pred, sample_weight=sample_weight)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)


def _map_wrap(value):
    return _map(lambda a: None if a is None else Tensor._wrap(a), value)


def _split(x, y, sample_weight, fraction):
    """Hold out the last ``fraction`` of the examples for validation, as Keras does (before any
    shuffling): train on ``[:k]``, validate on ``[k:]`` with k = ⌊n (1 − fraction)⌋."""
    n = _da.check_cardinality(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - fraction)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={fraction}`. Either provide more data, or a "
                         "different value for the `validation_split` argument.")
    train, val = (_map(lambda a, rows=rows: None if a is None else a[rows],
                       (x, y, sample_weight))
                  for rows in (slice(0, split_at), slice(split_at, n)))
    _warn_if_sorted(train[1], val[1])
    return train, val


def _warn_if_sorted(y_train, y_val):
    """Data sorted by label make Keras's tail split a validation set of one class: say so."""
    if not hasattr(y_train, "dtype") or y_train.dtype.kind not in "iub" or \
            y_train.ndim > 2 or (y_train.ndim == 2 and y_train.shape[1] != 1):
        return
    xp = backend.array_module(y_train)
    if len(xp.unique(y_val)) == 1 and len(xp.unique(y_train)) > 1:
        warnings.warn("`validation_split` holds out the last examples, and they all have the same "
                      f"label ({xp.unique(y_val)[0]}): the data look sorted by label. Shuffle them "
                      "before `fit` for a validation set that represents every class.",
                      stacklevel=3)
