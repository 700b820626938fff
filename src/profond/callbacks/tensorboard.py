"""``TensorBoard``: write a run's curves, weight histograms and model summary as TensorBoard
event files (Keras's callback, without TensorFlow: the ``tensorboard`` package's own writer).

Layout, as Keras writes it, so ``tensorboard --logdir logs`` shows the familiar charts::

    logs/train/events.out.tfevents.*        epoch_loss, epoch_accuracy, epoch_learning_rate, ...
                                            batch_loss, ... (with update_freq), histograms,
                                            the model summary (text) at step 0
    logs/validation/events.out.tfevents.*   epoch_loss, ... (the ``val_`` logs, prefix removed),
                                            evaluation_loss_vs_iterations, ...

>>> import profond as tf                                            # doctest: +SKIP
>>> tb = tf.keras.callbacks.TensorBoard("logs", histogram_freq=1)    # doctest: +SKIP
>>> model.fit(x, y, validation_split=0.2, epochs=5, callbacks=[tb])  # doctest: +SKIP
"""

import os
import time

import numpy

from profond.callbacks.base import Callback

HISTOGRAM_BUCKETS = 30  # TensorBoard's default


def _tensorboard():
    """The pieces of the ``tensorboard`` package used here, imported on first use."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.histogram import metadata as histogram_metadata
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb
        from tensorboard.plugins.text.summary_v2 import text_pb
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.util import tensor_util
    except ImportError:
        raise ImportError("The TensorBoard callback needs the tensorboard package: "
                          "pip install 'profond[tensorboard]'") from None
    return {"Event": event_pb2.Event, "Summary": summary_pb2.Summary,
            "histogram_metadata": histogram_metadata, "scalar_pb": scalar_pb,
            "text_pb": text_pb, "EventFileWriter": EventFileWriter,
            "make_tensor_proto": tensor_util.make_tensor_proto}


def _check_int(name, value, allow_zero=True):
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"TensorBoard: expected {name} to be an int >= {low}. "
                         f"Received: {name}={value!r}")


class TensorBoard(Callback):
    """Log training to TensorBoard event files.

    Args:
        log_dir: the run's directory (``train/`` and ``validation/`` are made inside).
        histogram_freq: every that many epochs, a histogram of every weight (0: never).
        write_graph: write the model's summary (layers, shapes, parameters) as text at step 0.
        write_images: not supported (must stay False).
        write_steps_per_second: also log ``epoch_steps_per_second``.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int N: also log the batch
            logs (``batch_loss``, ...) every N batches, at the global batch count.
        profile_batch: profiling is not supported (must stay 0).
        embeddings_freq, embeddings_metadata: the projector is not supported (must stay 0/None).
    """

    chief_only = True  # in data-parallel training, only rank 0 writes its files

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _check_int("histogram_freq", histogram_freq)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch":
            _check_int("update_freq", update_freq, allow_zero=False)
        unsupported = {"write_images": (write_images, False),
                       "profile_batch": (profile_batch, 0),
                       "embeddings_freq": (embeddings_freq, 0),
                       "embeddings_metadata": (embeddings_metadata, None)}
        for name, (value, default) in unsupported.items():
            if value != default and value not in (None, 0, False, (0, 0)):
                raise ValueError(f"TensorBoard: `{name}` is not supported by profond (no image "
                                 f"summaries, profiler or projector). Received: "
                                 f"{name}={value!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._tb = _tensorboard()  # fail now, not at the end of the first epoch
        self._writers = {}
        self._train_step = 0  # batches seen in this fit: the step of batch-level logs
        self._epoch_steps = 0
        self._epoch_start = None

    # --- writing ------------------------------------------------------------------------------
    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = self._tb["EventFileWriter"](os.path.join(self.log_dir, name))
        return self._writers[name]

    def _write(self, name, summary, step):
        event = self._tb["Event"](wall_time=time.time(), step=int(step), summary=summary)
        self._writer(name).add_event(event)

    def _scalars(self, name, values, step, prefix):
        for key, value in values.items():
            value = _as_float(value)
            if value is not None:
                self._write(name, self._tb["scalar_pb"](prefix + key, value), step)

    def _histogram(self, tag, values):
        """A ``[buckets, 3]`` table (left edge, right edge, count) over equal-width buckets
        from min to max, as TensorBoard's histogram plugin reads it."""
        data = numpy.asarray(values, dtype=numpy.float64).ravel()
        data = data[numpy.isfinite(data)]
        if data.size == 0:
            table = numpy.zeros((HISTOGRAM_BUCKETS, 3))
        elif data.min() == data.max():
            # NOTE: a constant weight (a fresh bias) has no width: one bucket holds everything.
            table = numpy.zeros((HISTOGRAM_BUCKETS, 3))
            table[:, :2] = data[0]
            table[-1, 2] = data.size
        else:
            counts, edges = numpy.histogram(data, bins=HISTOGRAM_BUCKETS)
            table = numpy.stack([edges[:-1], edges[1:], counts], axis=1).astype(numpy.float64)
        summary = self._tb["Summary"]()
        summary.value.add(tag=tag, tensor=self._tb["make_tensor_proto"](table),
                          metadata=self._tb["histogram_metadata"].create_summary_metadata(
                              display_name=None, description=None))
        return summary

    def _model_summary_text(self):
        lines = []
        try:
            self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
        except (ValueError, TypeError, AttributeError):
            return None  # an unbuilt subclassed model has no summary yet
        # NOTE: TensorBoard renders text as Markdown: four spaces keep the table as it is.
        return "\n".join("    " + line for line in "\n".join(lines).splitlines())

    # --- hooks --------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._train_step = 0
        if self.write_graph:
            text = self._model_summary_text()
            if text is not None:
                self._write("train", self._tb["text_pb"]("model_summary", text), 0)
                self._writer("train").flush()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._train_step += 1
        self._epoch_steps += 1
        if self.update_freq != "epoch" and self._train_step % self.update_freq == 0:
            self._scalars("train", dict(logs or {}), self._train_step, "batch_")

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if "learning_rate" not in train and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = optimizer.learning_rate
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.time() - self._epoch_start
            train["steps_per_second"] = self._epoch_steps / elapsed if elapsed > 0 else 0.0
        self._scalars("train", train, epoch, "epoch_")
        if validation:
            self._scalars("validation", validation, epoch, "epoch_")
            iterations = self._train_step
            if optimizer is not None and hasattr(optimizer, "iterations"):
                iterations = int(numpy.asarray(optimizer.iterations.numpy()))
            for key, value in validation.items():
                self._scalars("validation", {f"evaluation_{key}_vs_iterations": value},
                              iterations, "")
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for variable in self.model.weights:
                name = getattr(variable, "path", None) or variable.name
                self._write("train", self._histogram(f"{name}/histogram", variable.numpy()),
                            epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _as_float(value):
    """A log value as a float, or None for what is not a scalar (e.g. a list)."""
    try:
        array = numpy.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except (TypeError, ValueError):
        return None
    if array.ndim != 0 or not numpy.issubdtype(array.dtype, numpy.number):
        return None
    return float(array)
