"""One playground session: a 2-D data set, a small ``Sequential`` network trained on it, and the
snapshots the page draws (decision regions, loss curves, neuron maps, transformed space).

A session owns everything it uses: its settings, its data, its model and optimizer, and its own
random generator (data draws, train/test split, initial weights, mini-batches), so sessions never
share state. Settings arrive from the page through :func:`validate_settings`, which accepts only
known keys, known names and numbers within range; nothing the page sends is ever executed.

>>> session = Session(seed=0)
>>> sorted(session.apply({"dataset": "xor", "layers": [4]}))  # what changed
['dataset', 'layers']
>>> session.train(steps=5)
5
>>> sorted(session.snapshot())[:3]
['epoch', 'generation', 'grid']
"""

import base64
import math
import os
import tempfile
import time

import numpy

from profond import initializers, layers, losses, models, optimizers, regularizers
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor
from profond.datasets import toy

# --------------------------------------------------------------------------------------------
# What the page may choose, and the bounds of every number
# --------------------------------------------------------------------------------------------
EXTENT = 1.25  # the plane shown on the page is [-EXTENT, EXTENT]²

# name → (task, how many classes it can have, noise multiplier)
DATASETS = {
    "circles": ("classification", (2, 2), 0.4),
    "xor": ("classification", (2, 2), 0.4),
    "gaussians": ("classification", (2, 5), 3.0),
    "spiral": ("classification", (2, 5), 1.0),
    "moons": ("classification", (2, 2), 0.6),
    "plane": ("regression", (1, 1), 1.0),
    "wave": ("regression", (1, 1), 1.0),
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "gelu", "linear")
LOSSES = {
    "classification": ("crossentropy", "mse"),
    "regression": ("mse", "mae", "huber"),
}
# name → (profond class name, extra keyword arguments)
OPTIMIZERS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adadelta": ("Adadelta", {}),
    "adam": ("Adam", {}),
}
MAX_LAYERS = 6
MAX_UNITS = 16
MAX_POINTS = 2000  # data points in a session, generated and added together

# key → (kind, bounds or choices). Every setting the page can change.
SCHEMA = {
    "dataset": ("choice", tuple(DATASETS)),
    "classes": ("int", (2, 5)),
    "n_samples": ("int", (20, 1000)),
    "noise": ("float", (0.0, 0.5)),
    "train_ratio": ("float", (0.1, 0.9)),
    "seed": ("int", (0, 2**31 - 1)),
    "layers": ("layers", (0, MAX_LAYERS, 1, MAX_UNITS)),
    "activation": ("choice", ACTIVATIONS),
    "loss": ("choice", ("crossentropy", "mse", "mae", "huber")),
    "optimizer": ("choice", tuple(OPTIMIZERS)),
    "learning_rate": ("float", (1e-5, 10.0)),
    "batch_size": ("int", (1, 256)),
    "l1": ("float", (0.0, 1.0)),
    "l2": ("float", (0.0, 1.0)),
}
DEFAULTS = {
    "dataset": "circles", "classes": 2, "n_samples": 300, "noise": 0.1, "train_ratio": 0.5,
    "seed": 1, "layers": [8], "activation": "tanh", "loss": "crossentropy",
    "optimizer": "adam", "learning_rate": 0.03, "batch_size": 10, "l1": 0.0, "l2": 0.0,
}
DATA_KEYS = {"dataset", "classes", "n_samples", "noise", "train_ratio", "seed"}
MODEL_KEYS = {"layers", "activation", "loss", "optimizer", "l1", "l2"}

GRID = 48  # decision regions: GRID × GRID predictions
NEURON_GRID = 24  # each neuron's activation map
LATTICE = 15  # transformed-space view: LATTICE × LATTICE points of the input plane


class SettingsError(ValueError):
    """A setting the page sent that is unknown, of the wrong type or out of range."""


def _check_number(key, value, kind, bounds):
    """``value`` if it is a number of the right kind within ``bounds``, else SettingsError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"Expected a number for {key!r}. Received: {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"Expected a finite number for {key!r}. Received: {value!r}")
    if kind == "int" and isinstance(value, float):
        if not value.is_integer():
            raise SettingsError(f"Expected an integer for {key!r}. Received: {value!r}")
        value = int(value)
    low, high = bounds
    if not low <= value <= high:  # Python ints of any size compare safely
        raise SettingsError(f"Expected {key!r} between {low} and {high}. "
                            f"Received: {str(value)[:40]}")
    return int(value) if kind == "int" else float(value)


def apply_settings(changes, settings, schema):
    """``settings`` with ``changes`` (a dict from the page) applied, each value checked against
    ``schema`` (key → ``(kind, spec)``: ``"choice"``, ``"layers"`` or a number kind);
    ``SettingsError`` for an unknown key, a value of the wrong type or out of range."""
    if not isinstance(changes, dict):
        raise SettingsError("Expected an object of settings.")
    settings = dict(settings)
    for key, value in changes.items():
        if key not in schema:
            raise SettingsError(f"Unknown setting: {str(key)[:40]!r}")
        kind, spec = schema[key]
        if kind == "choice":
            if not isinstance(value, str) or value not in spec:
                raise SettingsError(f"Expected {key!r} to be one of {', '.join(spec)}.")
        elif kind == "layers":
            max_layers, low, high = spec[1], spec[2], spec[3]
            if not isinstance(value, list) or len(value) > max_layers:
                raise SettingsError(f"Expected 'layers' to be a list of at most {max_layers} "
                                    "layer sizes.")
            value = [_check_number("layers", units, "int", (low, high)) for units in value]
        else:
            value = _check_number(key, value, kind, spec)
        settings[key] = value
    return settings


def validate_settings(changes, current=None):
    """The settings after applying ``changes`` (a dict from the page) to ``current``.

    Raises ``SettingsError`` for an unknown key, a name that is not offered, a number out of
    range or a value of the wrong type. A loss that does not fit the data set's task (cross-
    entropy on a regression set) is replaced by that task's default, so the result is always a
    consistent set of settings.

    >>> validate_settings({"dataset": "plane"})["loss"]
    'mse'
    """
    settings = apply_settings(changes, current or DEFAULTS, SCHEMA)
    settings["layers"] = list(settings["layers"])
    task, (low, high), _ = DATASETS[settings["dataset"]]
    settings["classes"] = min(max(settings["classes"], low), high) if task != "regression" \
        else DEFAULTS["classes"]
    if settings["loss"] not in LOSSES[task]:
        settings["loss"] = LOSSES[task][0]
    return settings


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def make_dataset(name, n_samples, classes, noise, seed):
    """``(x, y)`` on the playground's plane (about [-1, 1]²): int64 labels for a classification
    set, float32 targets of shape (n, 1) for a regression set. ``noise`` in [0, 0.5] is scaled
    per data set so that 0.5 is very noisy everywhere."""
    task, _, scale = DATASETS[name]
    noise = float(noise) * scale
    if name == "spiral":
        x, y = toy.spiral(n_samples, n_classes=classes, noise=noise, seed=seed)
    elif name == "circles":
        x, y = toy.circles(n_samples, noise=noise, seed=seed)
    elif name == "xor":
        x, y = toy.xor(n_samples, noise=noise, seed=seed)
        x = x * 0.9
    elif name == "moons":
        x, y = toy.moons(n_samples, noise=noise, seed=seed)
        x = (x - numpy.array([0.5, 0.25], dtype="float32")) / 1.5
    elif name == "gaussians":
        x, y = toy.gaussians(n_samples, n_classes=classes, noise=noise, seed=seed)
        x = x / 4.0
    elif name == "plane":
        x, y = toy.regression_plane(n_samples, noise=noise * 0.2, seed=seed)
    else:  # "wave": y = sin(2x₁)·cos(2x₂) + noise·ε, a surface a network has to bend to fit
        rng = numpy.random.default_rng(seed)
        x = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
        y = numpy.sin(2 * x[:, :1]) * numpy.cos(2 * x[:, 1:]) \
            + noise * 0.2 * rng.standard_normal((n_samples, 1))
    x = numpy.clip(x, -EXTENT, EXTENT).astype("float32")
    y = y.astype("float32") if task == "regression" else y.astype("int64")
    return x, y


def _b64(array):
    return base64.b64encode(numpy.ascontiguousarray(array, dtype=numpy.uint8).tobytes()) \
        .decode("ascii")


def _quantize(values, low, high):
    """Bytes 0…255 for ``values`` scaled from [low, high] (a flat range gives 128)."""
    if high - low < 1e-12:
        return numpy.full(values.shape, 128, dtype=numpy.uint8)
    scaled = (values - low) / (high - low) * 255.0
    return numpy.clip(numpy.rint(scaled), 0, 255).astype(numpy.uint8)


def _finite(values):
    """float64 values with NaN and ±inf replaced (a diverged network still draws, and JSON
    never holds NaN); float64 so that rounding gives short decimals."""
    return numpy.nan_to_num(numpy.asarray(values, dtype="float64"), nan=0.0, posinf=1e6,
                            neginf=-1e6)


def _plane_grid(size):
    """``size²`` points covering the plane, row by row from the top (y = +EXTENT) down."""
    ticks = numpy.linspace(-EXTENT, EXTENT, size, dtype="float32")
    xs, ys = numpy.meshgrid(ticks, ticks[::-1])
    return numpy.stack([xs.ravel(), ys.ravel()], axis=1)


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------
class Session:
    """A data set, a network and its training state, for one browser tab.

    Not thread-safe: the server calls every method from one worker thread.
    """

    def __init__(self, settings=None, seed=None):
        self.rng = numpy.random.default_rng(seed)
        self.settings = validate_settings(settings or {})
        self.view = {"layer": 1, "x": 0, "y": 1}  # transformed-space view
        self.generation = 0  # bumped whenever the data or the network change
        self.playing = False
        self.new_data()

    # --- settings -------------------------------------------------------------------------------
    @property
    def task(self):
        return DATASETS[self.settings["dataset"]][0]

    @property
    def n_outputs(self):
        return 1 if self.task == "regression" else self.settings["classes"]

    def apply(self, changes):
        """Change some settings: new data when a data setting changes, a new network when the
        architecture, loss, optimizer or regularization change; the learning rate and batch
        size change while training. Returns the names of the settings that changed."""
        old = self.settings
        self.settings = validate_settings(changes, old)
        changed = {k for k in self.settings if self.settings[k] != old[k]}
        if changed & DATA_KEYS:
            self.new_data()
        elif changed & MODEL_KEYS:
            self.new_model()
        elif "learning_rate" in changed:
            self.optimizer.learning_rate = self.settings["learning_rate"]
        return changed

    def set_view(self, layer, x, y):
        """Which hidden layer (0 = the input plane) and which two of its neurons the transformed-
        space view uses as its axes."""
        widths = [2] + list(self.settings["layers"])
        if not 0 <= layer < len(widths):
            raise SettingsError(f"Expected a view layer between 0 and {len(widths) - 1}. "
                                f"Received: {layer}")
        for axis in (x, y):
            if not 0 <= axis < widths[layer]:
                raise SettingsError(f"Expected neurons between 0 and {widths[layer] - 1} for "
                                    f"layer {layer}. Received: {axis}")
        self.view = {"layer": layer, "x": x, "y": y}

    def _fix_view(self):
        widths = [2] + list(self.settings["layers"])
        layer = min(self.view["layer"], len(widths) - 1)
        if self.view["layer"] != layer or max(self.view["x"], self.view["y"]) >= widths[layer]:
            layer = 1 if len(widths) > 1 else 0
            self.view = {"layer": layer, "x": 0, "y": min(1, widths[layer] - 1)}

    # --- data -----------------------------------------------------------------------------------
    def new_data(self):
        s = self.settings
        x, y = make_dataset(s["dataset"], s["n_samples"], s["classes"], s["noise"], s["seed"])
        order = self.rng.permutation(len(x))
        n_train = min(max(1, round(len(x) * s["train_ratio"])), len(x) - 1)
        train, test = order[:n_train], order[n_train:]
        self.x_train, self.y_train = x[train], y[train]
        self.x_test, self.y_test = x[test], y[test]
        self.new_model()

    def add_point(self, x, y, label):
        """Add a training point at (x, y): ``label`` a class index, or a target value for a
        regression set."""
        if len(self.x_train) + len(self.x_test) >= MAX_POINTS:
            raise SettingsError(f"A session holds at most {MAX_POINTS} points.")
        point = numpy.array([[x, y]], dtype="float32")
        if self.task == "regression":
            target = numpy.array([[label]], dtype="float32")
        else:
            if not (float(label).is_integer() and 0 <= label < self.n_outputs):
                raise SettingsError(f"Expected a class between 0 and {self.n_outputs - 1}. "
                                    f"Received: {label}")
            target = numpy.array([int(label)], dtype="int64")
        self.x_train = numpy.concatenate([self.x_train, point])
        self.y_train = numpy.concatenate([self.y_train, target])
        self.generation += 1

    def remove_point(self, x, y, radius=0.08):
        """Remove the point nearest to (x, y), train or test, if one lies within ``radius``;
        return whether one did. At least one training point is always kept."""
        best = None
        for part in ("train", "test"):
            points = getattr(self, "x_" + part)
            if len(points) <= (1 if part == "train" else 0):
                continue
            distances = numpy.hypot(points[:, 0] - x, points[:, 1] - y)
            i = int(distances.argmin())
            if distances[i] <= radius and (best is None or distances[i] < best[0]):
                best = (distances[i], part, i)
        if best is None:
            return False
        _, part, i = best
        setattr(self, "x_" + part, numpy.delete(getattr(self, "x_" + part), i, axis=0))
        setattr(self, "y_" + part, numpy.delete(getattr(self, "y_" + part), i, axis=0))
        self.generation += 1
        return True

    def data_message(self):
        """The points, for the page to draw: ``[x, y, label]`` rows rounded to 3 decimals."""
        def rows(x, y):
            table = numpy.column_stack([x, y.reshape(len(y), -1)[:, :1]]).astype("float64")
            return numpy.round(table, 3).tolist()

        return {"generation": self.generation, "task": self.task, "classes": self.n_outputs,
                "extent": EXTENT, "train": rows(self.x_train, self.y_train),
                "test": rows(self.x_test, self.y_test)}

    # --- model ----------------------------------------------------------------------------------
    def _seed(self):
        return int(self.rng.integers(2**31 - 1))

    def new_model(self):
        """A fresh network (new initial weights) for the current settings."""
        s = self.settings
        regularizer = regularizers.L1L2(l1=s["l1"], l2=s["l2"]) if s["l1"] or s["l2"] else None
        stack = [layers.Input(shape=(2,))]
        for i, units in enumerate(s["layers"]):
            stack.append(layers.Dense(
                units, activation=s["activation"], name=f"hidden_{i + 1}",
                kernel_initializer=initializers.GlorotUniform(seed=self._seed()),
                kernel_regularizer=regularizer))
        output = "linear" if self.task == "regression" else "softmax"
        stack.append(layers.Dense(self.n_outputs, activation=output, name="output",
                                  kernel_initializer=initializers.GlorotUniform(seed=self._seed()),
                                  kernel_regularizer=regularizer))
        self.model = models.Sequential(stack, name="playground")
        class_name, extra = OPTIMIZERS[s["optimizer"]]
        self.optimizer = optimizers.get({"class_name": class_name, "config": {
            "learning_rate": s["learning_rate"], **extra}})
        self.model.compile(optimizer=self.optimizer, loss=self.loss_name)
        self.loss_fn = losses.get(self.loss_name)
        self.steps = 0
        self.history = []  # [epoch, train loss, test loss] rows
        self.generation += 1
        self._fix_view()

    @property
    def loss_name(self):
        return {"crossentropy": "sparse_categorical_crossentropy", "mse": "mean_squared_error",
                "mae": "mean_absolute_error", "huber": "huber"}[self.settings["loss"]]

    def _targets(self, y):
        """What the loss compares the output with: one-hot rows for MSE on classes."""
        if self.task == "classification" and self.settings["loss"] == "mse":
            return numpy.eye(self.n_outputs, dtype="float32")[y]
        return y

    @property
    def epoch(self):
        return self.steps * self.settings["batch_size"] / max(1, len(self.x_train))

    # --- training -------------------------------------------------------------------------------
    def train(self, steps=None, seconds=None, should_stop=None):
        """Run mini-batch steps (batches drawn at random from the training set) until ``steps``
        are done, ``seconds`` have passed or ``should_stop()`` (asked after each step: the
        server's scheduler wants the thread back) is true; return how many ran."""
        n = len(self.x_train)
        batch = min(self.settings["batch_size"], n)
        deadline = None if seconds is None else time.perf_counter() + seconds
        limit = steps if steps is not None else 10_000
        done = 0
        while done < limit and (deadline is None or time.perf_counter() < deadline):
            rows = self.rng.choice(n, size=batch, replace=False) if batch < n else \
                self.rng.permutation(n)
            self.model.train_on_batch(self.x_train[rows], self._targets(self.y_train[rows]))
            done += 1
            if should_stop is not None and should_stop():
                break
        self.steps += done
        return done

    def epoch_steps(self):
        """How many mini-batch steps make one pass over the training set: ⌈n / batch size⌉."""
        n = len(self.x_train)
        return math.ceil(n / min(self.settings["batch_size"], n))

    def train_epoch(self, max_seconds=1.0):
        """One pass's worth of steps, cut short after ``max_seconds`` (a batch size of 1 on many
        points would otherwise hold the shared worker thread)."""
        return self.train(steps=self.epoch_steps(), seconds=max_seconds)

    def _forward(self, x):
        """The outputs of every layer for inputs ``x`` (NumPy arrays, no graph recorded)."""
        outputs = []
        with no_grad():
            h = Tensor._wrap(numpy.asarray(x, dtype="float32"))
            for layer in self.model.layers:
                h = layer(h)
                outputs.append(numpy.asarray(h.numpy()))
        return outputs

    def _loss(self, x, y):
        if len(x) == 0:
            return None
        prediction = self._forward(x)[-1]
        with no_grad():
            value = self.loss_fn(self._targets(y), prediction)
        value = float(numpy.asarray(value.numpy()).mean())
        return value if math.isfinite(value) else None

    def metrics(self):
        """Loss on the training and test sets; accuracy (classification) or none."""
        out = {"train_loss": self._loss(self.x_train, self.y_train),
               "test_loss": self._loss(self.x_test, self.y_test),
               "train_accuracy": None, "test_accuracy": None}
        if self.task == "classification":
            for part in ("train", "test"):
                x, y = getattr(self, "x_" + part), getattr(self, "y_" + part)
                if len(x):
                    predicted = self._forward(x)[-1].argmax(axis=1)
                    out[part + "_accuracy"] = float((predicted == y).mean())
        return out

    # --- what the page draws --------------------------------------------------------------------
    def snapshot(self):
        """Everything the page redraws after a few training steps, small and quantized:
        decision regions (bytes, base64), the new point of the loss curves, each hidden
        neuron's activation map, and the transformed-space view."""
        metrics = self.metrics()
        epoch = round(self.epoch, 3)
        self.history.append([epoch, metrics["train_loss"], metrics["test_loss"]])
        if len(self.history) > 4000:  # keep the curve bounded: drop every other old point
            self.history = self.history[::2]
        round4 = {k: (None if v is None else round(v, 4)) for k, v in metrics.items()}
        grid_out = self._forward(_plane_grid(GRID))
        return {"generation": self.generation, "epoch": epoch, "steps": self.steps,
                **round4, "grid": self._grid(grid_out[-1]),
                "neurons": self._neurons(grid_out[:-1]), "transform": self._transform()}

    def _grid(self, output):
        output = _finite(output)
        if self.task == "regression":
            values = output[:, 0]
            span = max(1.0, float(numpy.abs(self.y_train).max(initial=0.0)))
            return {"size": GRID, "kind": "value", "low": -span, "high": span,
                    "value": _b64(_quantize(values, -span, span))}
        k = output.shape[1]
        confidence = _quantize(output.max(axis=1), 1.0 / k, 1.0)
        return {"size": GRID, "kind": "class", "class": _b64(output.argmax(axis=1)),
                "confidence": _b64(confidence)}

    def _neurons(self, hidden):
        """Per hidden layer: each neuron's map (NEURON_GRID², every other grid point), scaled
        by the neuron's own range over the plane (``low``/``high``)."""
        step = GRID // NEURON_GRID
        out = []
        for values in hidden:
            maps = _finite(values).reshape(GRID, GRID, -1)[::step, ::step] \
                .reshape(-1, values.shape[1]).T
            low, high = maps.min(axis=1), maps.max(axis=1)
            out.append({"size": NEURON_GRID, "low": numpy.round(low, 3).tolist(),
                        "high": numpy.round(high, 3).tolist(),
                        "maps": _b64(numpy.stack([_quantize(m, lo, hi)
                                                  for m, lo, hi in zip(maps, low, high)]))})
        return out

    def _transform(self):
        """ConvNetJS's view: a LATTICE × LATTICE grid of the plane and the data points, as seen
        by two neurons of one hidden layer (layer 0 is the plane itself)."""
        layer, ix, iy = self.view["layer"], self.view["x"], self.view["y"]
        lattice = _plane_grid(LATTICE)
        points = numpy.concatenate([self.x_train, self.x_test])
        inputs = numpy.concatenate([lattice, points])
        h = inputs if layer == 0 else self._forward(inputs)[layer - 1]
        xy = numpy.round(_finite(h[:, [ix, iy]]), 3)
        return {"layer": layer, "x": ix, "y": iy, "lattice": LATTICE,
                "grid": xy[: len(lattice)].ravel().tolist(),
                "points": xy[len(lattice):].ravel().tolist()}

    # --- export ---------------------------------------------------------------------------------
    def export_model(self):
        """The trained model as the bytes of a ``.profond`` file."""
        from profond.saving import save_model

        with tempfile.TemporaryDirectory(prefix="profond-playground-") as directory:
            path = os.path.join(directory, "playground.profond")
            save_model(self.model, path)
            with open(path, "rb") as f:
                return f.read()

    def export_python(self):
        """Python code that builds, compiles and trains the same network on the same data set.
        Written only from validated settings (names from fixed lists, numbers), never from
        text sent by the page."""
        s = self.settings
        noise = round(s["noise"] * DATASETS[s["dataset"]][2], 6)
        n = s["n_samples"]
        data = {
            "spiral": f"toy.spiral({n}, n_classes={s['classes']}, noise={noise}, "
                      f"seed={s['seed']})",
            "circles": f"toy.circles({n}, noise={noise}, seed={s['seed']})",
            "xor": f"toy.xor({n}, noise={noise}, seed={s['seed']})",
            "moons": f"toy.moons({n}, noise={noise}, seed={s['seed']})",
            "gaussians": f"toy.gaussians({n}, n_classes={s['classes']}, noise={noise}, "
                         f"seed={s['seed']})",
            "plane": f"toy.regression_plane({n}, noise={round(noise * 0.2, 6)}, "
                     f"seed={s['seed']})",
        }.get(s["dataset"])
        scale = {"xor": "x = x * 0.9",
                 "moons": "x = (x - numpy.array([0.5, 0.25], dtype='float32')) / 1.5",
                 "gaussians": "x = x / 4.0"}.get(s["dataset"])
        lines = ['"""A network built in the profond playground."""', "", "import numpy", "",
                 "import profond as pf", "from profond import layers, models, optimizers, "
                 "regularizers", "from profond.datasets import toy", ""]
        if data is None:  # the wave is the playground's own data set
            lines += [f"rng = numpy.random.default_rng({s['seed']})",
                      f"x = rng.uniform(-1.0, 1.0, size=({n}, 2)).astype('float32')",
                      "y = (numpy.sin(2 * x[:, :1]) * numpy.cos(2 * x[:, 1:])",
                      f"     + {round(noise * 0.2, 6)} * rng.standard_normal(({n}, 1)))"
                      ".astype('float32')"]
        else:
            lines.append(f"x, y = {data}")
            if scale:
                lines.append(scale)
        if s["loss"] == "mse" and self.task == "classification":
            lines.append(f"y = numpy.eye({self.n_outputs}, dtype='float32')[y]  # one-hot for MSE")
        regularizer = ""
        if s["l1"] or s["l2"]:
            regularizer = f", kernel_regularizer=regularizers.L1L2(l1={s['l1']!r}, " \
                          f"l2={s['l2']!r})"
        lines += ["", "pf.set_seed(0)", "model = models.Sequential([",
                  "    layers.Input(shape=(2,)),"]
        for i, units in enumerate(s["layers"]):
            lines.append(f"    layers.Dense({units}, activation={s['activation']!r}, "
                         f"name='hidden_{i + 1}'{regularizer}),")
        output = "linear" if self.task == "regression" else "softmax"
        lines += [f"    layers.Dense({self.n_outputs}, activation={output!r}, "
                  f"name='output'{regularizer}),", "])"]
        class_name, extra = OPTIMIZERS[s["optimizer"]]
        args = ", ".join([f"learning_rate={s['learning_rate']!r}"]
                         + [f"{k}={v!r}" for k, v in extra.items()])
        metrics = ', metrics=["accuracy"]' if self.task == "classification" else ""
        lines += [f"model.compile(optimizer=optimizers.{class_name}({args}),",
                  f"              loss={self.loss_name!r}{metrics})",
                  f"model.fit(x, y, batch_size={s['batch_size']}, "
                  f"epochs={max(1, math.ceil(self.epoch))}, "
                  f"validation_split={round(1 - s['train_ratio'], 3)}, verbose=2)",
                  "model.save('playground.profond')", ""]
        return "\n".join(lines)


def read_model_bytes(data):
    """A model from the bytes of a ``.profond`` file (for tests and tools)."""
    from profond.saving import load_model

    with tempfile.TemporaryDirectory(prefix="profond-playground-") as directory:
        path = os.path.join(directory, "model.profond")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)
