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

# name → (task, how many classes it can have, noise multiplier: the slider's 0.5 is very noisy)
DATASETS = {
    "circles": ("classification", (2, 2), 0.4),
    "xor": ("classification", (2, 2), 0.4),
    "gaussians": ("classification", (2, 5), 3.0),
    "spiral": ("classification", (2, 5), 0.2),
    "moons": ("classification", (2, 2), 0.6),
    "plane": ("regression", (1, 1), 0.2),
    "wave": ("regression", (1, 1), 0.2),
}
# name → (label on the page, code in the exported script, the same as a function of x (n, 2)).
# NOTE: the plane is [-1.25, 1.25]², where sin x₁ ≈ x₁; sin(πx₁) makes a full wave across it,
# as TF Playground's sin x does on its wider plane.
FEATURES = {
    "x1": ("x₁", "x[:, 0]", lambda x: x[:, 0]),
    "x2": ("x₂", "x[:, 1]", lambda x: x[:, 1]),
    "x1_squared": ("x₁²", "x[:, 0] ** 2", lambda x: x[:, 0] ** 2),
    "x2_squared": ("x₂²", "x[:, 1] ** 2", lambda x: x[:, 1] ** 2),
    "x1_x2": ("x₁x₂", "x[:, 0] * x[:, 1]", lambda x: x[:, 0] * x[:, 1]),
    "sin_x1": ("sin(πx₁)", "numpy.sin(numpy.pi * x[:, 0])",
               lambda x: numpy.sin(numpy.pi * x[:, 0])),
    "sin_x2": ("sin(πx₂)", "numpy.sin(numpy.pi * x[:, 1])",
               lambda x: numpy.sin(numpy.pi * x[:, 1])),
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "gelu", "linear")
RELU_LIKE = ("relu", "leaky_relu", "elu", "gelu")  # initialised with He's rule, not Glorot's
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
    "features": ("subset", tuple(FEATURES)),
    "layers": ("layers", (0, MAX_LAYERS, 1, MAX_UNITS)),
    "activation": ("choice", ACTIVATIONS),
    "loss": ("choice", ("crossentropy", "mse", "mae", "huber")),
    "optimizer": ("choice", tuple(OPTIMIZERS)),
    "learning_rate": ("float", (1e-5, 10.0)),
    "batch_size": ("int", (1, 256)),
    "l1": ("float", (0.0, 1.0)),
    "l2": ("float", (0.0, 1.0)),
    "speed": ("choice", ("slow", "fast")),  # "slow": one mini-batch step per tick, watchable
}
DEFAULTS = {
    "dataset": "circles", "classes": 2, "n_samples": 300, "noise": 0.1, "train_ratio": 0.5,
    "seed": 1, "features": ["x1", "x2"], "layers": [8], "activation": "tanh",
    "loss": "crossentropy", "optimizer": "adam", "learning_rate": 0.01, "batch_size": 10,
    "l1": 0.0, "l2": 0.0, "speed": "fast",
}
DATA_KEYS = {"dataset", "classes", "n_samples", "noise", "train_ratio", "seed"}
MODEL_KEYS = {"features", "layers", "activation", "loss", "optimizer", "l1", "l2"}

GRID = 48  # decision regions: GRID × GRID predictions
NEURON_GRID = 24  # each neuron's activation map
LATTICE = 15  # transformed-space view: LATTICE × LATTICE points of the input plane
STALL_EPOCHS = 10  # a loss that has not fallen for this many epochs has stalled
DEAD_SHARE = 0.5  # warn when at least this share of the ReLU units never fire


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
        elif kind == "subset":  # some of the names in ``spec``, at least one, kept in its order
            if not isinstance(value, list) or not value or \
                    not all(isinstance(v, str) and v in spec for v in value):
                raise SettingsError(f"Expected {key!r} to be a non-empty list of names from "
                                    f"{', '.join(spec)}.")
            value = [name for name in spec if name in value]
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
    settings["features"] = list(settings["features"])
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
    per data set so that 0.5 is very noisy everywhere. :meth:`Session.export_python` writes
    the same steps as code."""
    task, _, scale = DATASETS[name]
    noise = float(noise) * scale
    if name == "spiral":
        x, y = toy.spiral_arms(n_samples, n_classes=classes, turns=spiral_turns(classes),
                               noise=noise, seed=seed)
    elif name == "circles":
        x, y = toy.circles(n_samples, noise=noise, seed=seed)
    elif name == "xor":
        x, y = toy.xor(n_samples, noise=noise, seed=seed)
    elif name == "moons":
        x, y = toy.moons(n_samples, noise=noise, seed=seed)
    elif name == "gaussians":
        x, y = toy.gaussians(n_samples, n_classes=classes, noise=noise, seed=seed)
    elif name == "plane":
        x, y = toy.regression_plane(n_samples, noise=noise, seed=seed)
    else:
        x, y = toy.regression_wave(n_samples, noise=noise, seed=seed)
    if name in _RESCALE:
        x = _RESCALE[name][1](x)
    return numpy.clip(x, -EXTENT, EXTENT), y


def spiral_turns(classes):
    """How many times each arm of the page's spiral goes round: 1.5 for two classes, fewer
    for more, so that neighbouring arms are always a third of the radius apart."""
    return 3 / classes


# name → (code, function): what brings a data set onto the plane
_RESCALE = {
    "xor": ("x = x * 0.9", lambda x: x * 0.9),
    "moons": ("x = (x - numpy.array([0.5, 0.25], dtype='float32')) / 1.5",
              lambda x: (x - numpy.array([0.5, 0.25], dtype="float32")) / 1.5),
    "gaussians": ("x = x / 4.0", lambda x: x / 4.0),
}


def make_features(x, names):
    """The network's inputs for points ``x`` (n, 2): one float32 column per feature name (see
    ``FEATURES``), in ``FEATURES``'s order.

    >>> make_features(numpy.array([[0.5, -2.0]], dtype="float32"), ["x1", "x1_x2"])
    array([[ 0.5, -1. ]], dtype=float32)
    """
    x = numpy.asarray(x, dtype="float32")
    return numpy.stack([FEATURES[name][2](x) for name in names], axis=1).astype("float32")


def kernel_initializer(activation, seed):
    """He's uniform rule for ReLU-like units, Glorot's (Keras's default) for the others.

    A ReLU passes on half of its input's variance, so with Glorot's variance 2 / (fan_in +
    fan_out) the signal shrinks layer after layer in a deep stack and most units end up dead
    or flat; He's 2 / fan_in keeps it the same size (He et al., 2015).
    """
    if activation in RELU_LIKE:
        return initializers.HeUniform(seed=seed)
    return initializers.GlorotUniform(seed=seed)


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

    Training goes as ``Model.fit(shuffle=True)`` does it: passes over the training set, each in
    a new random order drawn from the session's shuffling generator, cut into batches (the last
    one smaller), so the exported script (:meth:`export_python`) replays the same run.

    Not thread-safe: the server calls every method from one worker thread.
    """

    def __init__(self, settings=None, seed=None):
        self.rng = numpy.random.default_rng(seed)
        self.settings = validate_settings(settings or {})
        self.view = {"layer": 1, "x": 0, "y": 1}  # transformed-space view
        self.generation = 0  # bumped whenever the data or the network change
        self.playing = False
        self.order = None  # the order of the training points in the pass under way
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
        features, architecture, loss, optimizer or regularization change; the learning rate and
        batch size change while training. Returns the names of the settings that changed."""
        old = self.settings
        self.settings = validate_settings(changes, old)
        changed = {k for k in self.settings if self.settings[k] != old[k]}
        if changed & DATA_KEYS:
            self.new_data()
        elif changed & MODEL_KEYS:
            self.new_model()
        else:
            if "learning_rate" in changed:
                self.optimizer.learning_rate = self.settings["learning_rate"]
            if self.steps:  # the exported script can only replay the last value: it says so
                self.changed_while_training |= changed & {"learning_rate", "batch_size"}
        return changed

    def set_view(self, layer, x, y):
        """Which hidden layer (0 = the input plane) and which two of its neurons the transformed-
        space view uses as its axes."""
        widths = [2] + list(self.settings["layers"])
        if not 0 <= layer < len(widths):
            raise SettingsError(f"Expected a layer between 0 and {len(widths) - 1}. "
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
        """Draw the data set, split it at random (``split_seed``), then build a new network."""
        s = self.settings
        self.x_all, self.y_all = make_dataset(s["dataset"], s["n_samples"], s["classes"],
                                              s["noise"], s["seed"])
        n = len(self.x_all)
        self.split_seed = self._seed()
        order = numpy.random.default_rng(self.split_seed).permutation(n)
        n_train = min(max(1, round(n * s["train_ratio"])), n - 1)
        self.train_ids, self.test_ids = order[:n_train], order[n_train:]
        self.removed = []  # indices (into the drawn set) of the points deleted on the page
        self.added = []  # (x, y, label) of the training points added on the page
        self._gather()
        self.new_model()

    def _gather(self):
        """``x_train``, ``y_train``, ``x_test``, ``y_test`` from the drawn set, its split and the
        page's edits (as the exported script does it)."""
        train, test = self.train_ids, self.test_ids
        if self.removed:
            train = train[~numpy.isin(train, self.removed)]
            test = test[~numpy.isin(test, self.removed)]
        self._kept_train, self._kept_test = train, test
        self.x_train, self.y_train = self.x_all[train], self.y_all[train]
        self.x_test, self.y_test = self.x_all[test], self.y_all[test]
        if self.added:
            points = numpy.array([[x, y] for x, y, _ in self.added], dtype="float32")
            labels = numpy.array([label for _, _, label in self.added],
                                 dtype=self.y_all.dtype).reshape(-1, *self.y_all.shape[1:])
            self.x_train = numpy.concatenate([self.x_train, points])
            self.y_train = numpy.concatenate([self.y_train, labels])
        if self.order is not None:  # the pass under way ends here
            self.passes += self.position / len(self.order)
        self.order = None  # the next step starts a new pass over the new training set
        self.generation += 1

    def add_point(self, x, y, label):
        """Add a training point at (x, y): ``label`` a class index, or a target value for a
        regression set."""
        if len(self.x_train) + len(self.x_test) >= MAX_POINTS:
            raise SettingsError(f"A session holds at most {MAX_POINTS} points.")
        if self.task == "classification" and not (float(label).is_integer()
                                                  and 0 <= label < self.n_outputs):
            raise SettingsError(f"Expected a class between 0 and {self.n_outputs - 1}. "
                                f"Received: {label}")
        label = float(label) if self.task == "regression" else int(label)
        self.added.append((float(numpy.float32(x)), float(numpy.float32(y)), label))
        self._gather()

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
        kept = self._kept_train if part == "train" else self._kept_test
        if i < len(kept):
            self.removed.append(int(kept[i]))
        else:
            del self.added[i - len(kept)]
        self._gather()
        return True

    def data_message(self):
        """The points, for the page to draw: ``[x, y, label]`` rows rounded to 3 decimals."""
        def rows(x, y):
            table = numpy.column_stack([x, y.reshape(len(y), -1)[:, :1]]).astype("float64")
            return numpy.round(table, 3).tolist()

        return {"generation": self.generation, "task": self.task, "classes": self.n_outputs,
                "extent": EXTENT, "features": list(self.settings["features"]),
                "train": rows(self.x_train, self.y_train), "test": rows(self.x_test, self.y_test)}

    # --- model ----------------------------------------------------------------------------------
    def _seed(self):
        return int(self.rng.integers(2**31 - 1))

    def new_model(self):
        """A fresh network (new initial weights, seeds in ``init_seeds``) for the current
        settings, and a new shuffling generator (``shuffle_seed``)."""
        s = self.settings
        regularizer = regularizers.L1L2(l1=s["l1"], l2=s["l2"]) if s["l1"] or s["l2"] else None
        self.init_seeds = [self._seed() for _ in range(len(s["layers"]) + 1)]
        stack = [layers.Input(shape=(len(s["features"]),))]
        for i, units in enumerate(s["layers"]):
            stack.append(layers.Dense(
                units, activation=s["activation"], name=f"hidden_{i + 1}",
                kernel_initializer=kernel_initializer(s["activation"], self.init_seeds[i]),
                kernel_regularizer=regularizer))
        output = "linear" if self.task == "regression" else "softmax"
        stack.append(layers.Dense(
            self.n_outputs, activation=output, name="output",
            kernel_initializer=initializers.GlorotUniform(seed=self.init_seeds[-1]),
            kernel_regularizer=regularizer))
        self.model = models.Sequential(stack, name="playground")
        class_name, extra = OPTIMIZERS[s["optimizer"]]
        self.optimizer = optimizers.get({"class_name": class_name, "config": {
            "learning_rate": s["learning_rate"], **extra}})
        self.model.compile(optimizer=self.optimizer, loss=self.loss_name)
        self.loss_fn = losses.get(self.loss_name)
        self.shuffle_seed = self._seed()
        self.shuffler = numpy.random.default_rng(self.shuffle_seed)
        self.order = None  # the current pass's order of the training points
        self.position = 0  # how far the current pass has gone
        self.passes = 0  # passes completed (a part of one when the points changed during it)
        self.steps = 0
        self.history = []  # [epoch, train loss, test loss] rows
        self.changed_while_training = set()  # learning_rate, batch_size changed after step 1
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
        """Passes over the training set: the completed ones and the share of the current one."""
        part = 0.0 if self.order is None else self.position / len(self.order)
        return self.passes + part

    # --- training -------------------------------------------------------------------------------
    def train(self, steps=None, seconds=None, should_stop=None):
        """Run mini-batch steps until ``steps`` are done, ``seconds`` have passed or
        ``should_stop()`` (asked after each step: the server's scheduler wants the thread back)
        is true; return how many ran."""
        n = len(self.x_train)
        deadline = None if seconds is None else time.perf_counter() + seconds
        limit = steps if steps is not None else 10_000
        done = 0
        while done < limit and (deadline is None or time.perf_counter() < deadline):
            if self.order is None:  # a new pass, in a new random order (as fit's shuffle=True)
                self.order, self.position = self.shuffler.permutation(n), 0
            rows = self.order[self.position:self.position + self.settings["batch_size"]]
            self.position += len(rows)
            self.model.train_on_batch(make_features(self.x_train[rows], self.settings["features"]),
                                      self._targets(self.y_train[rows]))
            if self.position >= n:
                self.order, self.passes = None, self.passes + 1
            done += 1
            if should_stop is not None and should_stop():
                break
        self.steps += done
        return done

    def epoch_steps(self):
        """How many mini-batch steps finish the current pass over the training set (a whole
        pass, ⌈n / batch size⌉ steps, when none is under way)."""
        left = len(self.x_train) - (0 if self.order is None else self.position)
        return math.ceil(left / self.settings["batch_size"])

    def train_epoch(self, max_seconds=1.0):
        """One pass's worth of steps, cut short after ``max_seconds`` (a batch size of 1 on many
        points would otherwise hold the shared worker thread)."""
        return self.train(steps=self.epoch_steps(), seconds=max_seconds)

    def _forward(self, x):
        """The outputs of every layer for points ``x`` of the plane (NumPy arrays, no graph
        recorded)."""
        outputs = []
        with no_grad():
            h = Tensor._wrap(make_features(x, self.settings["features"]))
            for layer in self.model.layers:
                h = layer(h)
                outputs.append(numpy.asarray(h.numpy()))
        return outputs

    def _loss(self, prediction, y):
        if len(y) == 0:
            return None
        with no_grad():
            value = self.loss_fn(self._targets(y), prediction)
        value = float(numpy.asarray(value.numpy()).mean())
        return value if math.isfinite(value) else None

    def metrics(self, outputs=None):
        """Loss on the training and test sets (without the regularization penalty); accuracy
        (classification) or none. ``outputs``: the layers' outputs on the training points, when
        already computed."""
        out = {}
        for part in ("train", "test"):
            x, y = getattr(self, "x_" + part), getattr(self, "y_" + part)
            if part == "train" and outputs is not None:
                prediction = outputs[-1]
            else:
                prediction = self._forward(x)[-1] if len(x) else None
            out[part + "_loss"] = self._loss(prediction, y)
            out[part + "_accuracy"] = None
            if self.task == "classification" and len(x):
                out[part + "_accuracy"] = float((prediction.argmax(axis=1) == y).mean())
        return out

    # --- warnings -------------------------------------------------------------------------------
    def dead_units(self, outputs):
        """``(dead, total)``: the ReLU units that output 0 on every training point (their
        gradient is 0 there, so they never learn again), out of all hidden units; ``(0, 0)`` for
        other activations."""
        if self.settings["activation"] != "relu" or not self.settings["layers"]:
            return 0, 0
        hidden = outputs[:-1]
        dead = sum(int((~(h > 0).any(axis=0)).sum()) for h in hidden)
        return dead, sum(h.shape[1] for h in hidden)

    def diagnosis(self, metrics, outputs):
        """A warning for the page when training goes wrong, or None.

        * ``diverged``: the training loss is NaN or infinite;
        * ``exploding``: it is over 3 times its value before training;
        * ``dead``: at least ``DEAD_SHARE`` of the ReLU units never fire on the training points;
        * ``stalled``: it has fallen by less than 1 % in the last ``STALL_EPOCHS`` epochs while
          the training accuracy is under 90 % (a regression set: the loss is over half its
          value before training).

        Each suggests a learning rate ten times lower (the usual cure). The warning holds its
        ``kind``, that ``learning_rate``, its numbers and an English ``message`` (the page
        words it in its own language from the kind and the numbers).
        """
        rate = self.settings["learning_rate"]
        lower = float(f"{max(rate / 10, SCHEMA['learning_rate'][1][0]):.2g}")
        loss = metrics["train_loss"]
        first = next((row[1] for row in self.history if row[1] is not None), None)
        dead, total = self.dead_units(outputs)
        if loss is None and len(self.y_train):
            kind, text, values = "diverged", "The loss diverged (NaN or infinite)", {}
        elif first is not None and self.steps and loss > 3 * first:
            kind, values = "exploding", {"loss": round(loss, 3), "first": round(first, 3)}
            text = f"The loss is exploding ({loss:.3g}, it was {first:.3g} before training)"
        elif total and self.steps and dead >= DEAD_SHARE * total:
            kind, values = "dead", {"dead": dead, "total": total}
            text = (f"{dead} of the {total} ReLU units never fire on the training points "
                    "(dead ReLUs: they no longer learn)")
        elif self._stalled(metrics, first):
            kind, values = "stalled", {"epochs": STALL_EPOCHS}
            text = f"Training has stalled: the loss has not fallen in {STALL_EPOCHS} epochs"
        else:
            return None
        more = ", or a larger network" if kind == "stalled" else ""
        return {"kind": kind, "learning_rate": lower, **values,
                "message": f"{text}. Try a lower learning rate ({lower:g}), then reset{more}."}

    def _stalled(self, metrics, first):
        loss = metrics["train_loss"]
        if loss is None or first is None or self.epoch < STALL_EPOCHS:
            return False
        if self.task == "classification":
            if metrics["train_accuracy"] >= 0.9:
                return False
        elif loss <= 0.5 * first:
            return False
        before = [row[1] for row in self.history
                  if row[0] <= self.epoch - STALL_EPOCHS and row[1] is not None]
        return bool(before) and loss > 0.99 * before[-1]

    # --- what the page draws --------------------------------------------------------------------
    def snapshot(self):
        """Everything the page redraws after a few training steps, small and quantized:
        decision regions (bytes, base64), the new point of the loss curves, each input
        feature's and hidden neuron's map, the transformed-space view and a warning (or None)."""
        outputs = self._forward(self.x_train)
        metrics = self.metrics(outputs)
        epoch = round(self.epoch, 3)
        warning = self.diagnosis(metrics, outputs)
        self.history.append([epoch, metrics["train_loss"], metrics["test_loss"]])
        if len(self.history) > 4000:  # keep the curve bounded: drop every other old point
            self.history = self.history[::2]
        round4 = {k: (None if v is None else round(v, 4)) for k, v in metrics.items()}
        plane = _plane_grid(GRID)
        grid_out = self._forward(plane)
        inputs = make_features(plane, self.settings["features"])
        return {"generation": self.generation, "epoch": epoch, "steps": self.steps,
                **round4, "warning": warning, "grid": self._grid(grid_out[-1]),
                "inputs": self._neurons([inputs])[0], "neurons": self._neurons(grid_out[:-1]),
                "transform": self._transform(), "weights": self._weights()}

    def _weights(self):
        """Per Dense layer (hidden ones, then the output): ``kernel`` (rows: the layer's
        inputs, columns: its units) and ``bias``, for the page's drawing of the connections."""
        return [{"kernel": numpy.round(_finite(layer.kernel.numpy()), 4).tolist(),
                 "bias": numpy.round(_finite(layer.bias.numpy()), 4).tolist()}
                for layer in self.model.layers]

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
        """Per layer: each unit's map (NEURON_GRID², every other grid point), scaled by the
        unit's own range over the plane (``low``/``high``)."""
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
        xy = _finite(h[:, [ix, iy]])
        # NOTE: saturated units (tanh, sigmoid) spread the points over a tiny interval, which a
        # flat 3 decimals would round to one value. Keep 3 significant digits of the points'
        # spread instead (up to 8 decimals): the page zooms on the points.
        seen = xy[len(lattice):] if len(points) else xy
        spreads = [float(v) for v in numpy.ptp(seen, axis=0) if v > 0]
        decimals = 3 if not spreads else \
            int(min(8, max(3, 3 - math.floor(math.log10(min(spreads))))))
        xy = numpy.round(xy, decimals)
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

    def export_python(self, log_every=None):
        """A Python script that replays this session's run with ``Model.fit``: the same points
        (drawn, split, deleted and added on the page), features, network, initial weights
        (their seeds), optimizer, batches (the shuffling seed) and number of epochs; it prints
        one line every ``log_every`` epochs (about 10 lines by default) and the final losses.
        Written only from validated settings and numbers, never from text sent by the page."""
        from profond.playground.script import python_script

        return python_script(self, log_every)


def read_model_bytes(data):
    """A model from the bytes of a ``.profond`` file (for tests and tools)."""
    from profond.saving import load_model

    with tempfile.TemporaryDirectory(prefix="profond-playground-") as directory:
        path = os.path.join(directory, "model.profond")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)
