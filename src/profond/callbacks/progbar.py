"""Keras-style progress display for ``fit``, ``evaluate`` and ``predict``.

With ``verbose=1`` each epoch shows::

    Epoch 3/10
    120/469 ━━━━━━━━━━━━━━━━━━━━ 2s 5ms/step - accuracy: 0.8123 - loss: 0.5123

redrawn in place (``\\r``) while the epoch runs: the time is the estimated time left, then the
epoch's duration once it ends. The bar is redrawn only on a real terminal (or a Jupyter notebook),
and fits the terminal's width: on a narrow one the bar gets shorter, then the values are cut
while the epoch runs (a wrapped line would not be redrawn in place); the epoch's last line shows
them all. In a file, a pipe or a CI log each epoch writes plain lines once it ends, without
carriage returns. ``verbose=2`` writes one line per epoch:
``Epoch 3/10 - 469/469 - 2s - 5ms/step - ...``.
"""

import re
import shutil
import sys
import time

from profond._text import NAME_LIMIT, printable
from profond.callbacks.base import Callback

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _format_duration(seconds):
    """``"42s"``, ``"3:05"`` or ``"1:02:03"``."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_per_step(seconds, unit):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_value(value):
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _numeric_items(values):
    """``(name, float)`` pairs to show, sorted by name: training ones, ``val_`` ones, then the
    learning rate."""
    items = []
    for name, value in dict(values or {}).items():
        try:
            items.append((printable(name, NAME_LIMIT), float(value)))  # names from files too
        except (TypeError, ValueError):
            continue
    return sorted(items, key=lambda item: (item[0] == "learning_rate",
                                           item[0].startswith("val_"), item[0]))


def _is_interactive(stream):
    """True when ``\\r`` redraws the line: a terminal, or the notebook's output."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
    return "ipykernel" in sys.modules and stream is sys.stdout


class Progbar:
    """A progress bar for ``target`` steps (Keras's ``utils.Progbar``).

    Args:
        target: the number of steps, or None when unknown (shows ``12/Unknown``).
        width: the bar's width in characters.
        verbose: 1 a bar (redrawn on a terminal, one line at the end otherwise); 2 one line at the
            end; 0 nothing.
        interval: the least time between two redraws, in seconds.
        unit_name: ``"step"`` (``5ms/step``).
        stream: where to write (``sys.stdout`` by default, looked up at each write).

    ``update(current, values, finalize)`` shows the values as given: ``fit`` passes running
    averages already.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream
        self._start = time.time()
        self._last_update = 0.0
        self._previous_width = 0

    def _stream(self):
        return self.stream if self.stream is not None else sys.stdout

    def update(self, current, values=None, finalize=None, prefix=""):
        """Show ``current`` steps done and ``values`` (a dict or ``(name, value)`` pairs)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 0:
            return
        stream = self._stream()
        now = time.time()
        items = _numeric_items(values)
        if self.verbose == 2:
            if finalize:
                stream.write(prefix + self._summary(current, items, now) + "\n")
                stream.flush()
            return
        interactive = _is_interactive(stream)
        if not finalize and (not interactive or now - self._last_update < self.interval):
            return
        columns = shutil.get_terminal_size((80, 24)).columns if interactive else None
        line = self._bar_line(current, items, now, finalize, color=interactive, columns=columns)
        if interactive:
            visible = len(_ANSI.sub("", line))
            line = "\r" + line + " " * max(0, self._previous_width - visible)
            self._previous_width = visible
        stream.write(line + ("\n" if finalize else ""))
        stream.flush()
        self._last_update = now

    def _counter(self, current):
        if self.target is None:
            return f"{current}/Unknown"
        return f"{current:>{len(str(self.target))}}/{self.target}"

    def _bar(self, current, color, width):
        done = width
        if self.target is not None:
            done = int(width * min(current / max(self.target, 1), 1))
        if color:
            return f"\x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (width - done)}\x1b[0m"
        return "━" * done + "·" * (width - done)

    def _bar_line(self, current, items, now, finalize, color, columns=None):
        """The bar's line; with ``columns`` (a terminal's width) it fits in ``columns - 1``
        characters: the bar shrinks (and goes below 5 characters), then, while the epoch runs,
        the values are cut with ``…``."""
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        if finalize or self.target is None:
            clock = _format_duration(elapsed)
        else:
            clock = _format_duration(per_step * (self.target - current))
        counter = self._counter(current)
        tail = f"{clock} {_format_per_step(per_step, self.unit_name)}" + "".join(
            f" - {name}: {_format_value(value)}" for name, value in items)
        width = self.width if self.target is not None else 0
        if columns is not None:
            room = columns - 1 - len(counter) - len(tail) - 2
            width = min(width, room) if room >= 5 else 0
            if not finalize and len(counter) + 1 + len(tail) > columns - 1:
                tail = tail[: max(columns - 3 - len(counter), 1)] + "…"
        bar = [self._bar(current, color, width)] if width else []
        return " ".join([counter, *bar, tail])

    def _summary(self, current, items, now):
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        parts = [self._counter(current), _format_duration(elapsed),
                 _format_per_step(per_step, self.unit_name)]
        parts += [f"{name}: {_format_value(value)}" for name, value in items]
        return " - ".join(parts)


class ProgbarLogger(Callback):
    """The callback ``fit``/``evaluate``/``predict`` add when ``verbose`` is on.

    Args:
        verbose: 1 (a bar) or 2 (one line per epoch); None takes ``params["verbose"]``.
        stream: where to write (``sys.stdout`` by default).

    Reads ``params`` ``{"epochs", "steps", "verbose"}`` set by the caller.
    """

    def __init__(self, verbose=None, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._progbar = None
        self._seen = 0
        self._in_fit = False
        self._target = None

    def _verbose(self):
        if self.verbose is not None:
            return self.verbose
        return self.params.get("verbose", 1)

    def _start(self):
        self._seen = 0
        if self.params.get("steps") is not None:
            self._target = self.params["steps"]
        self._progbar = Progbar(self._target, verbose=self._verbose(), stream=self.stream)

    def _write(self, text):
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(text)
        stream.flush()

    def _update(self, batch, logs):
        self._seen = batch + 1
        if self._progbar is not None:
            self._progbar.update(self._seen, logs, finalize=False)

    def _finish(self, logs, prefix=""):
        if self._progbar is None:
            return
        if self._progbar.target is None:
            self._progbar.target = self._target = self._seen  # known from now on
        self._progbar.update(self._seen, logs, finalize=True, prefix=prefix)
        self._progbar = None

    def _epoch_label(self, epoch):
        epochs = self.params.get("epochs")
        return f"Epoch {epoch + 1}/{epochs}" if epochs else f"Epoch {epoch + 1}"

    # --- fit ------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._target = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self._verbose() == 1:
            self._write(self._epoch_label(epoch) + "\n")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        prefix = self._epoch_label(epoch) + " - " if self._verbose() == 2 else ""
        self._finish(logs, prefix)

    def on_train_end(self, logs=None):
        self._in_fit = False

    # --- evaluate and predict (validation inside fit is not shown separately) -------------
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._target = None
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._target = None
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)
