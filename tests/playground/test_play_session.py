"""The playground's session without a server or a browser: defaults that learn, the data sets
(two-arm spiral, noise, train/test share, input features), the warnings when training goes
wrong, and the class colours shared with ``profond.viz``."""

import json
import math
import re
from pathlib import Path

import numpy
import pytest

from profond.datasets import toy
from profond.playground import session as session_lib
from profond.playground.session import (
    DATASETS,
    DEFAULTS,
    FEATURES,
    Session,
    SettingsError,
    make_features,
    validate_settings,
)

STATIC = Path(session_lib.__file__).parent / "static"


def train_epochs(session, epochs):
    while session.epoch < epochs:
        session.train(steps=session.epoch_steps())
    return session.metrics()


# --------------------------------------------------------------------------------------------
# Defaults that learn
# --------------------------------------------------------------------------------------------
# network → its settings, and the data sets it must fit in 40 epochs: all of them, but the
# two-arm spiral defeats tanh networks at this budget (ReLU ones learn it: see below).
EVERY_SET = set(DATASETS)
NETWORKS = {"shallow": ({"layers": [8]}, EVERY_SET - {"spiral"}),  # the page's default (tanh)
            "deep_relu": ({"layers": [16] * 6, "activation": "relu"}, EVERY_SET),
            "deep_tanh": ({"layers": [16] * 6}, EVERY_SET - {"spiral"})}


@pytest.mark.slow
@pytest.mark.parametrize("network", NETWORKS)
def test_the_default_rate_batch_and_initialisation_learn_every_data_set(network):
    """40 epochs at the page's defaults (Adam, rate 0.01, batches of 10; He's initialisation
    for ReLU) fit the data sets, shallow and deep, with no warning at the end. The issue's 6 × 16
    ReLU net stayed at a loss of 0.298 with the former defaults (rate 0.03, Glorot): measured
    on the spiral, rate 0.03 leaves it at 0.69 with either initialisation, and Glorot at rate
    0.01 at 0.58; He at 0.01 reaches 0.00 (0.97 test accuracy)."""
    settings, learned = NETWORKS[network]
    results = {}
    for name in sorted(learned):
        session = Session(seed=0, settings={"dataset": name, **settings})
        metrics = train_epochs(session, 40)
        results[name] = (metrics["train_loss"], metrics["test_accuracy"])
        if DATASETS[name][0] == "classification":
            assert metrics["train_accuracy"] >= 0.93, (name, metrics)
            assert metrics["test_accuracy"] >= 0.9, (name, metrics)
        else:
            assert metrics["train_loss"] < 0.02, (name, metrics)
        assert session.diagnosis(metrics, session._forward(session.x_train)) is None, name
    print(network, results)


@pytest.mark.slow
def test_a_small_relu_network_learns_the_spiral_at_the_defaults():
    session = Session(seed=0, settings={"dataset": "spiral", "layers": [8, 8],
                                        "activation": "relu"})
    assert train_epochs(session, 100)["test_accuracy"] >= 0.93


def test_defaults_are_the_measured_ones():
    assert (DEFAULTS["optimizer"], DEFAULTS["learning_rate"], DEFAULTS["batch_size"]) == \
        ("adam", 0.01, 10)
    relu = Session(seed=0, settings={"layers": [4], "activation": "relu"})
    tanh = Session(seed=0, settings={"layers": [4], "activation": "tanh"})
    assert type(relu.model.layers[0].kernel_initializer).__name__ == "HeUniform"
    assert type(tanh.model.layers[0].kernel_initializer).__name__ == "GlorotUniform"


# --------------------------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------------------------
def test_the_spiral_has_two_arms_wound_round_each_other():
    x, y = toy.spiral_arms(400, n_classes=2, noise=0.0, seed=0)
    arm0 = x[y == 0][numpy.argsort(numpy.hypot(*x[y == 0].T))]
    arm1 = x[y == 1][numpy.argsort(numpy.hypot(*x[y == 1].T))]
    numpy.testing.assert_allclose(arm1, -arm0, atol=1e-6)  # arm 1 is arm 0 turned by π
    turns = numpy.unwrap(numpy.arctan2(arm0[:, 1], arm0[:, 0]))
    assert abs(turns[-1] - turns[0]) / (2 * math.pi) > 1.35  # each arm goes round ~1.4 times
    # Along a ray from the centre the classes alternate: arm 0, arm 1, arm 0…
    ray = numpy.abs(numpy.angle(x[:, 0] + 1j * x[:, 1])) < 0.05
    order = y[ray][numpy.argsort(numpy.hypot(*x[ray].T))]
    assert (numpy.diff(order) != 0).sum() >= 2, order
    three = toy.spiral_arms(300, n_classes=3, seed=0)[1]
    assert numpy.bincount(three).tolist() == [100, 100, 100]
    with pytest.raises(ValueError, match="turns"):
        toy.spiral_arms(100, turns=0)


def test_the_page_spiral_needs_hidden_layers():
    """The old spiral was learned in 0.3 s; the two arms defeat a network without hidden layer
    (a line) and, in 30 epochs, a small one, which a deep ReLU network fits."""
    flat = Session(seed=0, settings={"dataset": "spiral", "layers": []})
    assert train_epochs(flat, 30)["train_accuracy"] < 0.7
    small = Session(seed=0, settings={"dataset": "spiral", "layers": [8]})
    assert train_epochs(small, 30)["train_accuracy"] < 0.75
    deep = Session(seed=0, settings={"dataset": "spiral", "layers": [16] * 4,
                                     "activation": "relu"})
    assert train_epochs(deep, 30)["train_accuracy"] > 0.9


@pytest.mark.parametrize("name", list(DATASETS))
def test_noise_moves_the_points_away_from_the_clean_set(name):
    """The noise slider: the points (the targets, for a regression set) move farther from the
    noiseless set as it grows; every point stays on the plane."""
    part = 1 if DATASETS[name][0] == "regression" else 0
    clean, noisy, little = (session_lib.make_dataset(name, 200, 2, noise, seed=3)
                            for noise in (0.0, 0.5, 0.05))
    far, near = (float(numpy.abs(a[part] - clean[part]).mean()) for a in (noisy, little))
    assert far > 2 * near > 0, (name, far, near)
    assert numpy.abs(noisy[0]).max() <= session_lib.EXTENT


def test_the_train_share_splits_the_points():
    session = Session(seed=0, settings={"n_samples": 300, "train_ratio": 0.8})
    assert (len(session.x_train), len(session.x_test)) == (240, 60)
    session.apply({"train_ratio": 0.1})
    assert (len(session.x_train), len(session.x_test)) == (30, 270)
    both = numpy.concatenate([session.x_train, session.x_test])
    assert len(numpy.unique(both, axis=0)) == 300  # a split: every point once
    with pytest.raises(SettingsError, match="'train_ratio' between 0.1 and 0.9"):
        session.apply({"train_ratio": 0.95})


def test_features_set_the_network_input_width():
    session = Session(seed=0)
    assert session.model.layers[0].kernel.shape == (2, 8)
    session.apply({"features": ["sin_x2", "x1", "x1_squared"]})
    assert session.settings["features"] == ["x1", "x1_squared", "sin_x2"]  # the page's order
    assert session.model.layers[0].kernel.shape == (3, 8)
    session.train(steps=3)
    snapshot = session.snapshot()
    assert len(snapshot["inputs"]["low"]) == 3  # one map per input feature, for the drawing
    json.dumps(snapshot, allow_nan=False)
    session.apply({"features": list(FEATURES), "layers": []})
    assert session.model.layers[0].kernel.shape == (7, 2)
    for bad in ([], ["x3"], "x1", ["x1", 2]):
        with pytest.raises(SettingsError, match="'features'"):
            validate_settings({"features": bad})


def test_feature_values():
    x = numpy.array([[0.5, -0.25], [1.0, 0.0]], dtype="float32")
    got = make_features(x, list(FEATURES))
    x1, x2 = x[:, 0], x[:, 1]
    want = numpy.stack([x1, x2, x1**2, x2**2, x1 * x2, numpy.sin(numpy.pi * x1),
                        numpy.sin(numpy.pi * x2)], axis=1)
    assert got.dtype == numpy.float32
    numpy.testing.assert_allclose(got, want, atol=1e-7)


def test_circles_are_linear_in_squared_features():
    """TF Playground's lesson: with x₁² and x₂² as inputs, a network without a hidden layer
    separates the circles; with x₁, x₂ alone it cannot."""
    squares = Session(seed=0, settings={"dataset": "circles", "layers": [],
                                        "features": ["x1_squared", "x2_squared"]})
    plain = Session(seed=0, settings={"dataset": "circles", "layers": []})
    assert train_epochs(squares, 30)["test_accuracy"] > 0.95
    assert train_epochs(plain, 30)["test_accuracy"] < 0.75


def test_training_goes_in_passes_like_fit():
    session = Session(seed=0, settings={"n_samples": 100, "train_ratio": 0.5,
                                        "batch_size": 16})
    assert session.epoch_steps() == 4  # 50 points: 16 + 16 + 16 + 2
    session.train(steps=2)
    assert session.epoch == 32 / 50 and session.epoch_steps() == 2
    session.train(steps=2)
    assert session.epoch == 1 and session.passes == 1
    session.train(steps=1)
    session.add_point(0.5, 0.5, 1)  # a click mid-pass: the epoch count goes on from there
    assert session.epoch == pytest.approx(1 + 16 / 50)
    assert session.epoch_steps() == 4  # then a new pass over the 51 points: 16·3 + 3


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------
def warning_after(session, steps):
    session.snapshot()  # the loss before training
    session.train(steps=steps)
    return session.snapshot()["warning"]


def test_no_warning_while_training_goes_well():
    session = Session(seed=0)
    assert warning_after(session, 40) is None


def test_a_diverged_loss_warns_and_suggests_a_lower_rate():
    session = Session(seed=0, settings={"dataset": "plane", "optimizer": "sgd",
                                        "learning_rate": 10.0, "layers": [8, 8]})
    warning = warning_after(session, 60)
    assert warning["kind"] in ("diverged", "exploding"), warning
    assert warning["learning_rate"] == 1.0
    assert "Try a lower learning rate (1), then reset." in warning["message"]


def test_an_exploding_loss_warns():
    session = Session(seed=0, settings={"dataset": "wave", "optimizer": "sgd",
                                        "learning_rate": 0.3, "layers": [16, 16],
                                        "activation": "relu"})
    session.snapshot()
    for weight in session.model.weights:  # weights blown up, as a too large step leaves them
        weight.assign(weight.numpy() * 8)
    session.train(steps=1)
    warning = session.snapshot()["warning"]
    assert warning["kind"] == "exploding", warning
    assert warning["loss"] > 3 * warning["first"]


def test_dead_relus_warn():
    session = Session(seed=0, settings={"layers": [8, 8], "activation": "relu"})
    session.snapshot()
    first = session.model.layers[0]
    first.bias.assign(numpy.full(first.bias.shape, -10.0, dtype="float32"))  # never active
    session.train(steps=1)
    warning = session.snapshot()["warning"]
    assert warning["kind"] == "dead" and warning["dead"] >= 8 and warning["total"] == 16
    assert "ReLU" in warning["message"]
    assert warning["learning_rate"] == pytest.approx(DEFAULTS["learning_rate"] / 10)


def test_a_stalled_loss_warns():
    session = Session(seed=0, settings={"dataset": "xor", "learning_rate": 1e-5,
                                        "optimizer": "sgd", "batch_size": 50})
    session.snapshot()
    for _ in range(12):
        session.train(steps=session.epoch_steps())
        warning = session.snapshot()["warning"]
    assert warning["kind"] == "stalled" and warning["epochs"] == session_lib.STALL_EPOCHS
    assert warning["learning_rate"] == 1e-5  # never below the slider's range


# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------
def test_the_page_and_viz_give_classes_the_same_colours():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    from profond.viz._common import class_colors

    text = (STATIC / "app.js").read_text()
    page = re.search(r"const COLORS = \[([^\]]*)\]", text).group(1)
    page = [c.strip().strip('"').lower() for c in page.split(",")]
    assert page == [to_hex(c) for c in class_colors(len(page))]
