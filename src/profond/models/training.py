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

Speed: the data are converted once, permuted once per epoch, and each batch is a contiguous slice
(a view, no copy); metrics are updated without recording any graph.
"""

import math

import numpy

from profond import backend
from profond import random as _random
from profond.autodiff.mode import no_grad
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor
from profond.callbacks.base import Callback, CallbackList, History
from profond.layers.base import _flatten, _map


def unpack_x_y_sample_weight(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` → ``(x, y, sample_weight)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`. Received: a tuple of length {len(data)}")


# --- turning user data into arrays and batches --------------------------------------------------


def _to_array(value):
    """A NumPy (or CuPy) array from an array, list, Tensor or pandas object; float64 → float32."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        arr = value.data
    elif hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        arr = value.to_numpy()
    else:
        arr = value
    xp = backend.default_module()
    arr = xp.asarray(arr)
    if arr.dtype.kind == "f" and arr.dtype != backend.floatx():
        arr = arr.astype(backend.floatx())
    elif arr.dtype == object:
        raise ValueError(f"Cannot convert the data to a numeric array (dtype object, shape "
                         f"{arr.shape}). Check that every example has the same shape.")
    return arr


def _is_array_like(v):
    return isinstance(v, Tensor) or hasattr(v, "shape") or hasattr(v, "to_numpy")


def _structure_to_arrays(value, n_expected):
    """Convert ``value``: a dict, or a list of arrays for a model with several inputs/outputs,
    keeps its structure; anything else becomes one array."""
    if isinstance(value, dict):
        return {k: _to_array(v) for k, v in value.items()}
    if (isinstance(value, (list, tuple)) and n_expected > 1 and len(value) == n_expected
            and all(_is_array_like(v) for v in value)):
        return [_to_array(v) for v in value]
    return _to_array(value)


def _is_dataset(x):
    try:
        from profond.data import Dataset
    except ImportError:  # pragma: no cover - the data package is optional here
        return False
    return isinstance(x, Dataset)


def _check_cardinality(x, y, sample_weight):
    sizes = {}
    for label, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            sizes[label] = [int(a.shape[0]) if a.ndim else 0 for a in _flatten(value)]
    distinct = {n for ns in sizes.values() for n in ns}
    if len(distinct) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same "
                         f"number of samples.\n{detail}")
    return distinct.pop() if distinct else 0


def _class_weights_to_sample_weights(y, class_weight):
    """Per-example weights w[yᵢ] (labels as integers, or one-hot rows)."""
    xp = backend.array_module(y)
    labels = y.reshape(-1) if (y.ndim == 1 or y.shape[-1] == 1) else y.argmax(axis=-1)
    labels = labels.astype("int64")
    table = xp.ones(max(int(labels.max()) + 1, max(class_weight) + 1), dtype=backend.floatx())
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


class _ArrayBatches:
    """Mini-batches of in-memory arrays: one permutation per epoch, each batch gathered from it.

    Gathering batch by batch (``x[perm[i·B:(i+1)·B]]``) costs one batch of memory; permuting the
    whole array once would hold a second copy of the training set during every epoch.
    """

    def __init__(self, arrays, batch_size, shuffle=False, steps=None):
        self.arrays = arrays  # (x, y, sample_weight), each an array or a structure of arrays
        self.n = _check_cardinality(*arrays)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        full = math.ceil(self.n / self.batch_size)
        self.steps = full if steps is None else min(int(steps), full)

    def __iter__(self):
        bs, wrap = self.batch_size, Tensor._wrap
        perm = None
        if self.shuffle:
            perm = _random.generator().permutation(self.n)
            xp = backend.default_module()
            perm = xp.asarray(perm) if xp is not numpy else perm
        for i in range(self.steps):
            rows = slice(i * bs, (i + 1) * bs) if perm is None else perm[i * bs : (i + 1) * bs]
            yield _map(lambda a, rows=rows: None if a is None else wrap(a[rows]), self.arrays)


class _DatasetBatches:
    """Batches from a ``profond.data.Dataset`` (already batched by the user)."""

    def __init__(self, dataset, steps=None):
        self.dataset = dataset
        self.steps_limit = steps
        self._iterator = None
        try:
            self.steps = len(dataset) if steps is None else int(steps)
        except TypeError:
            self.steps = steps

    def __iter__(self):
        if self.steps_limit is None:
            yield from self.dataset
            return
        for _ in range(self.steps_limit):  # keep one iterator across epochs, as Keras does
            if self._iterator is None:
                self._iterator = iter(self.dataset)
            try:
                yield next(self._iterator)
            except StopIteration:
                self._iterator = None
                return


class _EpochPrinter(Callback):
    """Fallback progress display: one line per epoch."""

    def on_epoch_end(self, epoch, logs=None):
        text = " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items())
        print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {text}")


def _to_float(v):
    if isinstance(v, Tensor):
        return float(v.data)
    return float(v)


# --- the mixin ----------------------------------------------------------------------------------


class Trainer:
    """``compile`` / ``fit`` / ``evaluate`` / ``predict`` for ``Model``."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._loss_fns = None
        self._loss_weights = None
        self._compile_metrics = []
        self._loss_tracker = None
        self._compile_args = None

    # --- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", **kwargs):
        """Choose the optimizer (how W moves), the loss L (what J(W) averages) and the metrics
        to report. ``run_eagerly``, ``steps_per_execution`` and ``jit_compile`` are accepted for
        Keras compatibility and ignored (profond always runs eagerly)."""
        from profond import losses as losses_lib
        from profond import metrics as metrics_lib
        from profond import optimizers as optimizers_lib

        self.optimizer = optimizers_lib.get(optimizer)
        self.loss = loss
        if isinstance(loss, dict):
            self._loss_fns = {k: losses_lib.get(v) for k, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            self._loss_fns = [losses_lib.get(v) for v in loss]
        else:
            self._loss_fns = losses_lib.get(loss)
        self._loss_weights = loss_weights
        if isinstance(metrics, dict) or isinstance(weighted_metrics, dict):
            raise ValueError("Metrics per output (a dict) are not supported yet: pass a list.")
        if isinstance(metrics, str):
            metrics = [metrics]
        metrics = list(metrics or []) + list(weighted_metrics or [])
        self._compile_metrics = [metrics_lib.get(m, loss=loss) for m in metrics]
        self._loss_tracker = metrics_lib.Mean(name="loss")
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                              "loss_weights": loss_weights}
        self.compiled = True
        self.stop_training = False

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
        return {"optimizer": optimizers_lib.serialize(self.optimizer), "loss": ser(args["loss"]),
                "metrics": ser(args["metrics"]), "loss_weights": ser(args["loss_weights"])}

    def compile_from_config(self, config):
        from profond import losses as losses_lib
        from profond import metrics as metrics_lib
        from profond import optimizers as optimizers_lib

        def de(obj, lib):
            if isinstance(obj, list):
                return [de(o, lib) for o in obj]
            if isinstance(obj, dict) and "class_name" in obj:
                return lib.deserialize(obj)
            return obj

        self.compile(optimizer=optimizers_lib.get(config["optimizer"]),
                     loss=de(config.get("loss"), losses_lib),
                     metrics=de(config.get("metrics"), metrics_lib),
                     loss_weights=config.get("loss_weights"))

    @property
    def metrics(self):
        """The loss tracker, then the compiled metrics."""
        out = [self._loss_tracker] if self._loss_tracker is not None else []
        return out + list(self._compile_metrics)

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self):
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    # --- one step -------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The cost J(W) of a batch: the compiled loss averaged over the batch, plus the layers'
        extra losses (regularization, ``add_loss``). Also feeds the "loss" shown by ``fit``."""
        fns = self._loss_fns
        loss = None
        if fns is not None and y is not None:
            if isinstance(fns, dict):
                names = [t.name for t in getattr(self, "outputs", None) or []]
                preds = dict(zip(names, _flatten(y_pred))) if not isinstance(y_pred, dict) \
                    else y_pred
                trues = y if isinstance(y, dict) else dict(zip(names, _flatten(y)))
                pairs = [(fns[k], trues[k], preds[k], k) for k in fns]
            elif isinstance(fns, list):
                pairs = [(f, t, p, i) for i, (f, t, p) in
                         enumerate(zip(fns, _flatten(y), _flatten(y_pred)))]
            else:
                pairs = None
                loss = fns(y, y_pred, sample_weight=sample_weight)
            if pairs is not None:
                weights = self._loss_weights
                for fn, t, p, key in pairs:
                    term = fn(t, p, sample_weight=sample_weight)
                    if weights is not None:
                        term = term * float(weights[key])
                    loss = term if loss is None else loss + term
        extra = self.losses
        if extra:
            reg = extra[0]
            for term in extra[1:]:
                reg = reg + term
            loss = reg if loss is None else loss + reg
        if loss is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        if loss.ndim:
            loss = loss.mean()
        if self._loss_tracker is not None:
            batch = _flatten(x)[0] if x is not None else None
            n = batch.shape[0] if batch is not None and batch.ndim else 1
            self._loss_tracker.update_state(loss.data, sample_weight=n)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch (no graph recorded); return their results."""
        if self._compile_metrics and y is not None:
            if isinstance(y_pred, (list, tuple, dict)):
                raise ValueError("Compiled metrics are supported for models with a single "
                                 "output only. Received a model output of type "
                                 f"{type(y_pred).__name__}.")
            with no_grad():
                for m in self._compile_metrics:
                    m.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{"loss": …, "accuracy": …}`` as Python floats."""
        return {m.name: _to_float(m.result()) for m in self.metrics}

    def train_step(self, data):
        """One step of gradient descent on a batch ``data = (x, y[, sample_weight])``."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)                                # 1. forward
            loss = self.compute_loss(x, y, y_pred, sample_weight)          # 2. cost J(W)
        grads = tape.gradient(loss, self.trainable_variables)              # 3. back-propagation
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))  # 4. descent
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics of a batch, without training."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output for a batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- data -----------------------------------------------------------------------------------
    def _n_io(self, attr):
        tensors = getattr(self, attr, None)
        return len(tensors) if isinstance(tensors, list) else 1

    def _arrays(self, x, y, sample_weight):
        x = _structure_to_arrays(x, self._n_io("inputs"))
        y = _structure_to_arrays(y, self._n_io("outputs"))
        sample_weight = _to_array(sample_weight)
        _check_cardinality(x, y, sample_weight)
        return x, y, sample_weight

    def _batches(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None):
        if _is_dataset(x):
            if y is not None:
                raise ValueError("When `x` is a Dataset, `y` must not be given: the dataset "
                                 "yields (x, y) pairs. Received: y of type "
                                 f"{type(y).__name__}")
            return _DatasetBatches(x, steps)
        arrays = self._arrays(x, y, sample_weight)
        return _ArrayBatches(arrays, batch_size or 32, shuffle=shuffle, steps=steps)

    # --- fit ------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; return a ``History``.

        ``x`` and ``y``: NumPy arrays, lists, profond tensors, pandas objects, or (``x`` alone)
        a ``profond.data.Dataset`` yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches.
        The examples are shuffled at every epoch (``shuffle=True``) with ``profond.random``'s
        generator, so ``profond.set_seed`` makes training reproducible.

        ``validation_split``: the fraction of the examples held out to compute ``val_loss`` and
        ``val_<metric>`` after each epoch. The held-out examples are drawn **at random**, not
        taken from the end of the arrays as Keras does: with data sorted by label, Keras's last
        20 % can be a class the model never trains on. The draw uses its own fixed seed, so the
        split is the same at every call (a ``fit`` resumed from a checkpoint sees the same
        validation set) and the framework's random state is left untouched.

        ``class_weight``: ``{class: weight}``, multiplies each example's loss by the weight of
        its class (helps with unbalanced classes). ``verbose``: 0 silent, 1 progress bar, 2 one
        line per epoch ("auto" is 1).

        >>> import numpy as np, profond as pf
        >>> model = pf.models.Sequential([pf.layers.Dense(1, input_shape=(2,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> h = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> len(h.history["loss"])
        2
        """
        self._assert_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        if not 0 <= validation_split < 1:
            raise ValueError("`validation_split` must be a float between 0 and 1. "
                             f"Received: validation_split={validation_split}")
        val_batches = None
        if _is_dataset(x):
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays, not for a "
                                 "Dataset: pass `validation_data` instead.")
            if class_weight is not None or sample_weight is not None:
                raise ValueError("With a Dataset, give sample weights as the third element of "
                                 "its batches; `class_weight`/`sample_weight` are for arrays.")
            train = self._batches(x, y, steps=steps_per_epoch)
        else:
            x, y, sample_weight = self._arrays(x, y, sample_weight)
            if class_weight is not None:
                if isinstance(y, (list, dict)):
                    raise ValueError("`class_weight` is only supported for models with a "
                                     "single output.")
                cw = _class_weights_to_sample_weights(y, class_weight)
                sample_weight = cw if sample_weight is None else sample_weight * cw
            if validation_split and validation_data is None:
                (x, y, sample_weight), val_arrays = _split(x, y, sample_weight,
                                                          validation_split)
                val_batches = _ArrayBatches(val_arrays, validation_batch_size or batch_size
                                            or 32, steps=validation_steps)
            train = _ArrayBatches((x, y, sample_weight), batch_size or 32, shuffle=shuffle,
                                  steps=steps_per_epoch)
        if validation_data is not None:
            if _is_dataset(validation_data):
                val_batches = self._batches(validation_data, steps=validation_steps)
            else:
                vx, vy, vsw = unpack_x_y_sample_weight(tuple(validation_data))
                val_batches = self._batches(vx, vy, vsw, validation_batch_size or batch_size,
                                            steps=validation_steps)

        callbacks = self._callback_list(callbacks, verbose, epochs, train.steps, add_history=True)
        self.stop_training = False
        logs = {}
        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            for step, batch in enumerate(train):
                callbacks.on_train_batch_begin(step)
                logs = self.train_step(batch)
                callbacks.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = {k: _to_float(v) for k, v in logs.items()} if logs else \
                self.get_metrics_result()
            if val_batches is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluation(val_batches, callbacks)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        callbacks.on_train_end(logs)
        return self.history

    def _callback_list(self, callbacks, verbose, epochs, steps, add_history=False):
        callbacks = list(callbacks or [])
        if add_history:
            self.history = History()
            callbacks.append(self.history)
        if verbose and add_history:
            try:
                from profond.callbacks.progbar import ProgbarLogger
            except ImportError:
                callbacks.append(_EpochPrinter())
            else:
                if not any(isinstance(c, ProgbarLogger) for c in callbacks):
                    callbacks.append(ProgbarLogger(verbose))
        return CallbackList(callbacks, model=self, epochs=epochs, steps=steps, verbose=verbose)

    # --- evaluate / predict ---------------------------------------------------------------------
    def _run_evaluation(self, batches, callbacks):
        self.reset_metrics()
        callbacks.on_test_begin()
        with no_grad():
            for step, batch in enumerate(batches):
                callbacks.on_test_batch_begin(step)
                logs = self.test_step(batch)
                callbacks.on_test_batch_end(step, logs)
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) on data, without training: a float, or ``[loss, *metrics]``,
        or a dict with ``return_dict=True``."""
        self._assert_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        batches = self._batches(x, y, sample_weight, batch_size, steps=steps)
        cbs = self._callback_list(callbacks, verbose, 1, batches.steps)
        logs = self._run_evaluation(batches, cbs)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as NumPy arrays (batch by batch, no graph recorded)."""
        batches = self._batches(x, None, None, batch_size, steps=steps)
        cbs = CallbackList(callbacks, model=self)
        outputs = []
        cbs.on_predict_begin()
        with no_grad():
            for step, batch in enumerate(batches):
                cbs.on_predict_batch_begin(step)
                out = self.predict_step(batch)
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

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One ``train_step`` on one batch; returns the loss (and metrics)."""
        self._assert_compiled()
        x, y, sample_weight = self._arrays(x, y, sample_weight)
        if class_weight is not None:
            cw = _class_weights_to_sample_weights(y, class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        self.reset_metrics()
        wrap = _map_wrap
        logs = self.train_step((wrap(x), wrap(y), wrap(sample_weight)))
        logs = {k: _to_float(v) for k, v in logs.items()}
        return logs if return_dict else (list(logs.values()) if len(logs) > 1
                                         else next(iter(logs.values())))

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled()
        x, y, sample_weight = self._arrays(x, y, sample_weight)
        self.reset_metrics()
        with no_grad():
            logs = self.test_step((_map_wrap(x), _map_wrap(y), _map_wrap(sample_weight)))
        logs = {k: _to_float(v) for k, v in logs.items()}
        return logs if return_dict else (list(logs.values()) if len(logs) > 1
                                         else next(iter(logs.values())))

    def predict_on_batch(self, x):
        with no_grad():
            out = self.predict_step((_map_wrap(_structure_to_arrays(x, self._n_io("inputs"))),))
        return _map(lambda t: backend.to_numpy(t.data), out)


def _map_wrap(value):
    return _map(lambda a: None if a is None else Tensor._wrap(a), value)


_SPLIT_SEED = 1234


def _split(x, y, sample_weight, fraction):
    """Shuffle, then hold out ``fraction`` of the examples for validation."""
    n = _check_cardinality(x, y, sample_weight)
    n_val = int(n * fraction)
    if n_val == 0 or n_val == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={fraction}`. Either provide more data, or a "
                         "different value for the `validation_split` argument.")
    perm = numpy.random.default_rng(_SPLIT_SEED).permutation(n)  # same split at every call
    xp = backend.default_module()
    perm = xp.asarray(perm) if xp is not numpy else perm
    train_idx, val_idx = perm[: n - n_val], perm[n - n_val:]

    def take(idx):
        return _map(lambda a: None if a is None else a[idx], (x, y, sample_weight))

    return take(train_idx), take(val_idx)
