"""The playground's "Python code" export: a script that replays a session's run with
``Model.fit``.

The session trains as ``fit(shuffle=True)`` does (passes in a new random order, batches cut from
it), from seeds it keeps, so the script can replay it: the same drawn points, the same random
split (its seed), the points deleted and added on the page, the same input features, the same
initial weights (the initializers' seeds), the same optimizer and the same order of batches
(``profond.set_seed`` before ``fit``). Run for the same number of whole epochs, the script ends
with the page's losses (tests/playground/test_play_export.py checks it to 1e-4).

Everything written comes from validated settings (names from fixed tables) and numbers, never
from text sent by the page.
"""

import math

import numpy

from profond.playground import session as _session

HEADER = '''"""A run of the profond playground, replayed with Model.fit: same points, features,
network, initial weights, optimizer and batches as on the page."""

import numpy

import profond as pf
from profond import {modules}
from profond.datasets import toy
'''

# data set → the toy function that draws it and its arguments (n, classes and noise filled in)
_DRAW = {
    "spiral": "toy.spiral_arms({n}, n_classes={classes}, turns={turns}, noise={noise}, "
              "seed={seed})",
    "circles": "toy.circles({n}, noise={noise}, seed={seed})",
    "xor": "toy.xor({n}, noise={noise}, seed={seed})",
    "moons": "toy.moons({n}, noise={noise}, seed={seed})",
    "gaussians": "toy.gaussians({n}, n_classes={classes}, noise={noise}, seed={seed})",
    "plane": "toy.regression_plane({n}, noise={noise}, seed={seed})",
    "wave": "toy.regression_wave({n}, noise={noise}, seed={seed})",
}
DATA_END = "# --- the network"  # the data part of the script ends where this line starts


def log_interval(epochs):
    """Epochs between two printed lines: 1, 2, 5, 10, 20, 50… so that at most ten are printed.

    >>> [log_interval(e) for e in (7, 30, 100, 101, 4000)]
    [1, 5, 10, 20, 500]
    """
    step = 1
    while epochs > 10 * step:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


def python_script(session, log_every=None):
    """The text of the script replaying ``session``'s run (see the module's docstring)."""
    s = session.settings
    modules = ["callbacks", "initializers", "layers", "models", "optimizers"]
    if s["l1"] or s["l2"]:
        modules.append("regularizers")
    lines = [HEADER.format(modules=", ".join(modules)), *_data(session), "",
             *_features(session), *_network(session), "", *_training(session, log_every)]
    return "\n".join(lines) + "\n"


def _data(session):
    s = session.settings
    noise = round(float(s["noise"]) * _session.DATASETS[s["dataset"]][2], 6)
    draw = _DRAW[s["dataset"]].format(n=s["n_samples"], classes=s["classes"], noise=noise,
                                      seed=s["seed"], turns=_session.spiral_turns(s["classes"]))
    n_train = len(session.train_ids)
    lines = ["# --- the data: the page's points", f"x, y = {draw}"]
    if s["dataset"] in _session._RESCALE:
        lines.append(_session._RESCALE[s["dataset"]][0] + "  # onto the page's plane")
    lines += [f"x = numpy.clip(x, {-_session.EXTENT}, {_session.EXTENT})  # the plane shown",
              f"order = numpy.random.default_rng({session.split_seed}).permutation(len(x))",
              f"train, test = order[:{n_train}], order[{n_train}:]  # the page's random split"]
    if session.removed:
        lines += [f"removed = {sorted(session.removed)}  # the points deleted on the page",
                  "train, test = train[~numpy.isin(train, removed)], "
                  "test[~numpy.isin(test, removed)]"]
    lines.append("x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]")
    if session.added:
        regression = session.task == "regression"
        rows = ", ".join(f"({_short(x)}, {_short(y)}, {_short(label)})"
                         for x, y, label in session.added)
        lines += [f"# the training points added on the page: (x₁, x₂, "
                  f"{'value' if regression else 'class'})", f"added = [{rows}]",
                  "x_train = numpy.concatenate([x_train, numpy.array([p[:2] for p in added], "
                  "dtype='float32')])"]
        if regression:
            lines.append("y_train = numpy.concatenate([y_train, numpy.array([[p[2]] for p in "
                         "added], dtype='float32')])")
        else:
            lines.append("y_train = numpy.concatenate([y_train, numpy.array([p[2] for p in "
                         "added], dtype='int64')])")
    if session.task == "classification" and s["loss"] == "mse":
        lines.append(f"y_train, y_test = numpy.eye({session.n_outputs}, dtype='float32')[y_train],"
                     f" numpy.eye({session.n_outputs}, dtype='float32')[y_test]  # one-hot "
                     "for MSE")
    return lines


def _features(session):
    names = session.settings["features"]
    if names == ["x1", "x2"]:
        return []
    labels = ", ".join(_session.FEATURES[name][0] for name in names)
    columns = ", ".join(_session.FEATURES[name][1] for name in names)
    return ["", "def features(x):",
            f'    """What the network sees of each point (the page\'s inputs): {labels}."""',
            f"    return numpy.stack([{columns}], axis=1)", "",
            "", "x_train, x_test = features(x_train), features(x_test)", ""]


def _network(session):
    s = session.settings
    regularizer = ""
    if s["l1"] or s["l2"]:
        regularizer = f", kernel_regularizer=regularizers.L1L2(l1={s['l1']!r}, l2={s['l2']!r})"
    lines = [f"{DATA_END}: seeds give the page's initial weights", "model = models.Sequential([",
             f"    layers.Input(shape=({len(s['features'])},)),"]
    seeds = session.init_seeds
    for i, units in enumerate(s["layers"]):
        init = type(_session.kernel_initializer(s["activation"], 0)).__name__
        lines += [f"    layers.Dense({units}, activation={s['activation']!r}, "
                  f"name='hidden_{i + 1}',",
                  f"                 kernel_initializer=initializers.{init}(seed={seeds[i]})"
                  f"{regularizer}),"]
    output = "linear" if session.task == "regression" else "softmax"
    lines += [f"    layers.Dense({session.n_outputs}, activation={output!r}, name='output',",
              f"                 kernel_initializer=initializers.GlorotUniform(seed={seeds[-1]})"
              f"{regularizer}),", "])"]
    class_name, extra = _session.OPTIMIZERS[s["optimizer"]]
    args = ", ".join([f"learning_rate={s['learning_rate']!r}"]
                     + [f"{k}={v!r}" for k, v in extra.items()])
    metrics = ', metrics=["accuracy"]' if session.task == "classification" else ""
    lines += [f"model.compile(optimizer=optimizers.{class_name}({args}),",
              f"              loss={session.loss_name!r}{metrics})"]
    return lines


def _training(session, log_every):
    epochs = math.ceil(session.epoch - 1e-9)
    note = "as on the page" if epochs else "the page had not trained yet"
    epochs = epochs or 100
    every = log_every or log_interval(epochs)
    has_test = len(session.x_test) > 0
    line = "f\"epoch {epoch + 1:4d}: loss {logs['loss']:.4f}\""
    final = "f\"final: train loss {train['loss']:.4f}\""
    if has_test:
        line += "\n                  f\", test loss {logs['val_loss']:.4f}\""
        final += "\n      f\", test loss {test['loss']:.4f}\""
    if session.task == "classification":
        part = "test" if has_test else "train"
        final += f"\n      f\", {part} accuracy {{{part}['accuracy']:.3f}}\""
    lines = [
        "# --- training",
        f"EPOCHS = {epochs}  # {note}", "", "",
        "class Log(callbacks.Callback):",
        f'    """One line every {"epoch" if every == 1 else f"{every} epochs"} (verbose=2 '
        'would print one per epoch)."""', "",
        "    def on_epoch_end(self, epoch, logs=None):",
        f"        if (epoch + 1) % {every} == 0 or epoch + 1 == EPOCHS:",
        f"            print({line})", "", "",
        *[f"# NOTE: the page changed the {name.replace('_', ' ')} during its run; this script "
          f"keeps the last value." for name in sorted(session.changed_while_training)],
        f"pf.set_seed({session.shuffle_seed})  # the page's order of the batches",
        f"model.fit(x_train, y_train, batch_size={session.settings['batch_size']}, "
        "epochs=EPOCHS, shuffle=True,",
        *(["          validation_data=(x_test, y_test),"] if has_test else []),
        "          callbacks=[Log()], verbose=0)",
        "train = model.evaluate(x_train, y_train, verbose=0, return_dict=True)",
        *(["test = model.evaluate(x_test, y_test, verbose=0, return_dict=True)"]
          if has_test else []),
        f"print({final})",
        "model.save('playground.profond')",
    ]
    return lines


def _short(value):
    """The shortest text that gives back the float32 (or int) ``value``."""
    if isinstance(value, int):
        return str(value)
    return numpy.format_float_positional(numpy.float32(value), trim="-")


__all__ = ["DATA_END", "log_interval", "python_script"]
