"""The built-in callbacks, with Keras's names, arguments and behaviour.

- ``EarlyStopping``: stop when a monitored quantity stops improving.
- ``ModelCheckpoint``: save the model (or a resumable checkpoint) every epoch or every N batches.
- ``LearningRateScheduler``: set the learning rate at each epoch from ``schedule(epoch, lr)``.
- ``ReduceLROnPlateau``: divide the learning rate when the monitored quantity stalls.
- ``CSVLogger``: one CSV row of logs per epoch.
- ``TerminateOnNaN``: stop (or raise) as soon as the loss is NaN or infinite.
- ``LambdaCallback``: a callback from plain functions.

>>> import profond as tf                                            # doctest: +SKIP
>>> stop = tf.callbacks.EarlyStopping(patience=3, restore_best_weights=True)  # doctest: +SKIP
>>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])       # doctest: +SKIP
"""

import csv
import inspect
import math
import numbers
import os
import warnings

from profond.callbacks.base import Callback

_MAXIMIZED = ("acc", "auc", "precision", "recall", "fmeasure", "f1")


def _check_mode(mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Expected mode to be 'auto', 'min' or 'max'. Received: mode={mode!r}")


def _direction(mode, monitor):
    """``"min"`` or ``"max"``; with ``mode="auto"``, losses go down and accuracies go up."""
    if mode != "auto":
        return mode
    name = monitor.lower()
    if name.endswith("loss") or not any(word in name for word in _MAXIMIZED):
        return "min"
    return "max"


def _get_monitor_value(callback, logs):
    value = (logs or {}).get(callback.monitor)
    if value is None:
        warnings.warn(
            f"{type(callback).__name__} is conditioned on metric `{callback.monitor}` which is "
            f"not available. Available metrics are: {', '.join(sorted(logs or {}))}.",
            stacklevel=3,
        )
        return None
    return float(value)


def _optimizer(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{type(callback).__name__} needs a model compiled with an optimizer that has a "
            f"`learning_rate`. Received: optimizer={optimizer!r}"
        )
    return optimizer


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the log to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: smaller changes than this do not count as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the name: losses go down, accuracies up).
        baseline: training stops unless the model beats this value within ``patience`` epochs.
        restore_best_weights: at the end, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before watching at all (a warm-up).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        _check_mode(mode)
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if _direction(self.mode, self.monitor) == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start_from_epoch:
            return
        current = _get_monitor_value(self, logs)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model during training, so that a crash or a stop loses little.

    ``filepath`` may hold ``{epoch:02d}`` and any log, e.g.
    ``"ckpt/{epoch:02d}-{val_loss:.2f}.profond"`` (``epoch`` counts from 1). Every file is a
    checkpoint (see ``profond.saving.save_checkpoint``): weights, optimizer state, epoch and random
    state, so ``restore_checkpoint`` then ``fit(..., initial_epoch=epoch)`` resumes exactly from
    an end-of-epoch file (a mid-epoch one, ``save_freq=N``, restarts its epoch). Unless
    ``save_weights_only``, it also holds the architecture, so
    ``profond.saving.load_model`` opens it as a model file. A ``*.weights.h5`` path writes
    Keras 3's HDF5 weights file instead (weights only, as Keras does; ``load_weights`` reads it),
    and a ``*.keras`` path a Keras 3 model file (``model.save``: architecture, weights and
    optimizer state, no epoch — as Keras writes it).

    Args:
        filepath: where to save (a pattern, see above).
        monitor: the log compared when ``save_best_only``.
        verbose: 1 prints a line at each save.
        save_best_only: only save when ``monitor`` improves (the file then holds the best model).
        save_weights_only: leave the architecture out.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the monitor's name).
        save_freq: ``"epoch"``, or an int: save every that many batches.
        initial_value_threshold: with ``save_best_only``, the value to beat at first.
    """

    chief_only = True  # in data-parallel training, only rank 0 writes its files

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        _check_mode(mode)
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                f"Expected save_freq to be 'epoch' or a positive integer. Received: "
                f"save_freq={save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        if self.filepath.lower().endswith((".h5", ".hdf5")) and not (
                save_weights_only and self.filepath.endswith(".weights.h5")):
            raise ValueError(
                "ModelCheckpoint: an HDF5 file can only hold the weights: use "
                "save_weights_only=True with a name ending in `.weights.h5`, or a "
                f"`.profond` file for the whole model. Received: filepath={self.filepath!r}, "
                f"save_weights_only={save_weights_only}"
            )
        if self.filepath.lower().endswith(".keras") and save_weights_only:
            raise ValueError(
                "ModelCheckpoint: a `.keras` file holds the whole model: use "
                "save_weights_only=False, or a name ending in `.weights.h5` for the weights "
                f"alone. Received: filepath={self.filepath!r}, save_weights_only=True"
            )
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = mode
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._current_epoch = 0
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            # Mid-epoch: resuming restarts this epoch from the saved weights.
            self._save(self._current_epoch, batch, logs, epochs_done=self._current_epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs, epochs_done=epoch + 1)

    def _is_improvement(self, value):
        if self.best is None:
            return True
        if _direction(self.mode, self.monitor) == "min":
            return value < self.best
        return value > self.best

    def _file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e!r}'
            ) from None

    def _save(self, epoch, batch, logs, epochs_done):
        from profond.saving.checkpoint import save_checkpoint

        logs = dict(logs or {})
        filepath = self._file_path(epoch, batch, logs)
        if self.save_best_only:
            current = _get_monitor_value(self, logs)
            if current is None:
                return
            if not self._is_improvement(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        if filepath.lower().endswith((".h5", ".hdf5")):
            # Keras's name for a weights file: write a real one (Keras 3's HDF5 layout), which
            # holds the weights only, as in Keras (no optimizer state, no epoch).
            self.model.save_weights(filepath)
            return
        if filepath.lower().endswith(".keras"):
            self.model.save(filepath)  # Keras 3's model file, as Keras's callback writes it
            return
        save_checkpoint(self.model, filepath, epoch=epochs_done,
                        include_config=not self.save_weights_only)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    ``schedule`` takes the epoch index (from 0) and the current learning rate (or just the epoch)
    and returns the new rate, e.g. ``lambda epoch, lr: lr if epoch < 10 else lr * 0.9``.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"Expected schedule to be callable. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def _takes_learning_rate(self):
        try:
            parameters = inspect.signature(self.schedule).parameters.values()
        except (TypeError, ValueError):
            return True
        positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                          p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self)
        if self._takes_learning_rate():
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise ValueError(
                f"Expected the schedule to return a float. Received: {learning_rate!r}"
            )
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(_optimizer(self).learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs: ``η ← max(η·factor, min_lr)``, then wait ``cooldown`` epochs.

    Args:
        monitor: the log to watch.
        factor: the multiplier, below 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a line at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        _check_mode(mode)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor}"
            )
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = math.inf if _direction(self.mode, self.monitor) == "min" else -math.inf

    def _is_improvement(self, value):
        if _direction(self.mode, self.monitor) == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = _optimizer(self)
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = _get_monitor_value(self, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` then the logs (``loss``, ``val_loss``, ...).

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file (resuming a run) instead of starting a new one.
    """

    chief_only = True  # in data-parallel training, only rank 0 writes its files

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        has_rows = (self.append and os.path.exists(self.filename)
                    and os.path.getsize(self.filename) > 0)
        self._write_header = not has_rows
        self.keys = None
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="",
                             encoding="utf-8")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if getattr(self.model, "stop_training", False):
            logs = {k: logs.get(k, "NA") for k in self.keys}
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep, extrasaction="ignore", restval="NA")
            if self._write_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{k: _csv_value(logs.get(k, "NA"))
                                                 for k in self.keys}})
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _csv_value(value):
    """Numbers as floats; lists (rare) as one quoted cell, like Keras."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return f'"[{", ".join(map(str, value))}]"'
    return float(value)


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss becomes NaN or infinite.

    ``raise_error=False`` (the default, as in Keras): print ``Batch 3: Invalid loss, terminating
    training`` and set ``model.stop_training``, so ``fit`` ends cleanly (every callback's
    ``on_train_end`` still runs). ``raise_error=True``: raise a ``RuntimeError`` at once, naming
    the epoch and the batch, so no callback's clean-up runs (nothing is saved over a good
    checkpoint). To find the op where the NaN was born, train under
    ``profond.autodiff.detect_anomaly()``.

    >>> from profond.callbacks import TerminateOnNaN
    >>> TerminateOnNaN(raise_error=True).on_train_batch_end(3, {"loss": float("nan")})
    Traceback (most recent call last):
    ...
    RuntimeError: NaN or Inf loss encountered at batch 3. Loss value: nan. Terminating training ...
    """

    def __init__(self, raise_error=False):
        super().__init__()
        if not isinstance(raise_error, bool):
            raise TypeError("TerminateOnNaN expects raise_error to be True or False. "
                            f"Received: raise_error={raise_error!r}")
        self.raise_error = raise_error
        self._epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _check(self, short, where, logs):
        """``short``: Keras's words in the printed line; ``where``: the fuller ones raised."""
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at {where}. Loss value: "
                               f"{float(loss)}. Terminating training immediately.")
        print(f"{short}: Invalid loss, terminating training")
        self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        where = f"batch {batch}"
        if self._epoch is not None:
            epochs = self.params.get("epochs")
            where += f" of epoch {self._epoch + 1}" + (f"/{epochs}" if epochs else "")
        self._check(f"Batch {batch}", where, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._check(f"Epoch {epoch + 1}", f"the end of epoch {epoch + 1}", logs)


class LambdaCallback(Callback):
    """A callback made of plain functions, given by hook name:

    >>> from profond.callbacks import LambdaCallback
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    >>> cb.on_epoch_end(0, {"loss": 0.5})
    0 0.5
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, function in hooks.items():
            if not (name.startswith("on_") and hasattr(Callback, name)):
                raise ValueError(f"Unknown callback hook: {name}. Expected one of Callback's "
                                 "on_* methods.")
            if function is not None:
                setattr(self, name, _hook(name, function))


def _hook(name, function):
    """Call ``function(logs)`` or ``function(index, logs)``, with ``logs`` given or not."""
    if name.endswith(("_begin", "_end")) and "batch" not in name and "epoch" not in name:
        return lambda logs=None: function(logs)
    return lambda index, logs=None: function(index, logs)
