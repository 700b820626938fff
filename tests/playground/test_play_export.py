"""The playground's "Python code" export replays the page's run: same points (drawn, split,
deleted and added on the page), features, network, initial weights, optimizer and batches,
with a short log."""

import re
import subprocess
import sys

import numpy
import pytest

from profond.playground.script import DATA_END, log_interval
from profond.playground.session import DATASETS, Session


def data_part(code):
    """The script's data section (up to the network) run here: its namespace."""
    namespace = {}
    exec(compile(code[: code.index(DATA_END)], "playground.py", "exec"), namespace)  # our code
    return namespace


def edit_points(session):
    """Delete a drawn training point and a test point, add three points and delete one of
    them again, as a learner clicking the plane does."""
    session.remove_point(*session.x_train[5])
    session.remove_point(*session.x_test[0])
    labels = (0.5, -0.25, 1.0) if session.task == "regression" else (1, 0, 1)
    for (x, y), label in zip([(0.123, -0.456), (-1.2, 1.2), (0.9, 0.05)], labels):
        session.add_point(x, y, label)
    session.remove_point(-1.2, 1.2)


@pytest.mark.parametrize("name", list(DATASETS))
def test_the_script_rebuilds_the_same_points(name):
    session = Session(seed=7, settings={"dataset": name, "classes": 3 if name in (
        "spiral", "gaussians") else 2, "noise": 0.3, "train_ratio": 0.6, "n_samples": 150})
    edit_points(session)
    assert len(session.added) == 2 and len(session.removed) == 2
    got = data_part(session.export_python())
    for part in ("x_train", "y_train", "x_test", "y_test"):
        want = getattr(session, part)
        assert got[part].dtype == want.dtype and got[part].shape == want.shape, part
        numpy.testing.assert_array_equal(got[part], want, err_msg=part)


def test_the_script_gives_the_network_the_same_features_and_one_hot_targets():
    session = Session(seed=1, settings={"dataset": "circles", "loss": "mse",
                                        "features": ["x1_squared", "x2_squared", "sin_x1"]})
    code = session.export_python()
    assert "def features(x):" in code and "numpy.sin(numpy.pi * x[:, 0])" in code
    got = data_part(code)
    assert got["x_train"].shape == (150, 3) and got["y_train"].shape == (150, 2)
    plain = Session(seed=1).export_python()
    assert "def features" not in plain and "regularizers" not in plain


def test_the_script_says_when_the_rate_changed_during_the_run():
    session = Session(seed=2)
    session.apply({"learning_rate": 0.003})  # before training: the script replays it exactly
    assert "NOTE" not in session.export_python()
    session.train(steps=3)
    session.apply({"learning_rate": 0.001, "batch_size": 20})
    code = session.export_python()
    assert "# NOTE: the page changed the batch size during its run" in code
    assert "# NOTE: the page changed the learning rate during its run" in code
    assert "optimizers.Adam(learning_rate=0.001)" in code and "batch_size=20" in code
    session.apply({"layers": [4]})  # a new network: a new run
    assert "NOTE" not in session.export_python()


def test_log_interval_prints_about_ten_lines():
    assert [log_interval(n) for n in (1, 10, 11, 25, 60, 150, 1000)] == \
        [1, 1, 2, 5, 10, 20, 100]


@pytest.mark.slow
def test_the_exported_script_ends_with_the_page_losses(tmp_path):
    """The page trains 25 epochs (a 2-layer ReLU net, three features, Adam, points edited);
    the exported script, run in a fresh Python, replays them with fit() and prints the same
    final losses: equal to 1e-4 (float32 sums in another order, nothing more), and about ten
    log lines."""
    session = Session(seed=11, settings={"dataset": "spiral", "layers": [8, 8],
                                         "activation": "relu", "batch_size": 16,
                                         "features": ["x1", "x2", "x1_x2"], "n_samples": 200})
    edit_points(session)
    while session.epoch < 25:
        session.train(steps=session.epoch_steps())
    assert session.epoch == 25
    metrics = session.metrics()
    script = tmp_path / "playground.py"
    script.write_text(session.export_python())
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) <= 12 and lines[0].startswith("epoch    5:"), lines
    final = re.search(r"final: train loss ([\d.]+), test loss ([\d.]+), test accuracy ([\d.]+)",
                      lines[-1])
    assert final, lines[-1]
    train, test, accuracy = (float(v) for v in final.groups())
    assert train == pytest.approx(metrics["train_loss"], abs=1e-4)
    assert test == pytest.approx(metrics["test_loss"], abs=1e-4)
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-3)
    assert (tmp_path / "playground.profond").is_file()
