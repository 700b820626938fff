"""``tf.train.Checkpoint`` / ``CheckpointManager`` / ``latest_checkpoint`` over profond's files:
a custom training loop restored from a checkpoint goes on exactly as if never stopped."""

import json
import os

import numpy as np
import pytest

import profond as pf
from profond import train
from profond.saving import FileFormatError


def make(seed=0):
    pf.random.set_seed(seed)
    model = pf.models.Sequential([pf.layers.Input(shape=(3,)), pf.layers.Dense(5),
                                  pf.layers.Dense(1)])
    return model, pf.optimizers.Adam(0.05)


X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [0.5]], np.float32)


def step(model, optimizer):
    with pf.GradientTape() as tape:
        loss = pf.reduce_mean(pf.square(model(X) - Y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


def test_manager_saves_keeps_and_resumes_exactly(tmp_path):
    model, optimizer = make()
    counter = pf.Variable(0, dtype="int64")
    ckpt = train.Checkpoint(model=model, optimizer=optimizer, step=counter)
    manager = train.CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    status = ckpt.restore(manager.latest_checkpoint)  # first run: nothing to restore
    with pytest.raises(AssertionError):
        status.assert_consumed()
    paths = []
    for _ in range(3):
        step(model, optimizer)
        counter.assign_add(1)
        paths.append(manager.save())
    assert paths == [str(tmp_path / f"ckpt-{i}") for i in (1, 2, 3)]
    assert manager.checkpoints == paths[1:]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.json", "ckpt-2.profond",
                                            "ckpt-3.profond"]
    assert train.latest_checkpoint(tmp_path) == paths[-1] == manager.latest_checkpoint
    expected = [step(model, optimizer) for _ in range(3)]

    model2, optimizer2 = make(seed=7)  # other weights, an optimizer without slots yet
    counter2 = pf.Variable(0, dtype="int64")
    ckpt2 = train.Checkpoint(model=model2, optimizer=optimizer2, step=counter2)
    status = ckpt2.restore(train.latest_checkpoint(tmp_path))
    assert status.assert_consumed() is status
    assert status.expect_partial() is status
    assert int(counter2.numpy()) == 3 and int(ckpt2.save_counter.numpy()) == 3
    assert int(optimizer2.iterations.numpy()) == 3
    assert [step(model2, optimizer2) for _ in range(3)] == expected  # bit for bit

    manager2 = train.CheckpointManager(ckpt2, tmp_path, max_to_keep=2)  # finds the old ones
    assert manager2.checkpoints == paths[1:]
    assert manager2.save() == str(tmp_path / "ckpt-4")
    assert manager2.save(checkpoint_number=10) == str(tmp_path / "ckpt-10")
    assert manager2.checkpoints == [str(tmp_path / "ckpt-4"), str(tmp_path / "ckpt-10")]


def make_pair(seed):
    """A GAN's layout: two networks of different shapes, each with its own optimizer."""
    pf.random.set_seed(seed)
    g = pf.models.Sequential([pf.layers.Input(shape=(3,)), pf.layers.Dense(4), pf.layers.Dense(3)])
    d = pf.models.Sequential([pf.layers.Input(shape=(3,)), pf.layers.Dense(1)])
    return g, d, pf.optimizers.Adam(0.05), pf.optimizers.Adam(0.01)


def test_unbuilt_optimizers_are_built_on_their_own_networks(tmp_path):
    g, d, g_opt2, d_opt = make_pair(0)
    step(g, g_opt2)
    step(d, d_opt)
    # the discriminator's optimizer listed first: building it on the first model would fail
    path = train.Checkpoint(d_opt=d_opt, g=g, d=d, g_opt=g_opt2).write(tmp_path / "gan")
    g2, d2, g_opt3, d_opt3 = make_pair(5)
    train.Checkpoint(d_opt=d_opt3, g=g2, d=d2, g_opt=g_opt3).restore(path).assert_consumed()
    assert [v.shape for v in d_opt3.variables] == [v.shape for v in d_opt.variables]
    for a, b in zip(g_opt3.variables + d_opt3.variables, g_opt2.variables + d_opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert step(g2, g_opt3) == step(g, g_opt2) and step(d2, d_opt3) == step(d, d_opt)


def test_save_write_and_partial_restore(tmp_path):
    model, optimizer = make()
    step(model, optimizer)
    ckpt = train.Checkpoint(model=model, optimizer=optimizer)
    assert ckpt.save(tmp_path / "run" / "ck") == str(tmp_path / "run" / "ck-1")
    assert ckpt.save(tmp_path / "run" / "ck") == str(tmp_path / "run" / "ck-2")
    assert train.latest_checkpoint(tmp_path / "run") == str(tmp_path / "run" / "ck-2")
    written = ckpt.write(tmp_path / "one")
    assert written == str(tmp_path / "one") and (tmp_path / "one.profond").exists()
    assert int(ckpt.save_counter.numpy()) == 2  # write does not count

    other, _ = make(seed=3)
    only_model = train.Checkpoint(model=other)
    status = only_model.restore(written + ".profond")  # the file name works too
    with pytest.raises(AssertionError, match="optimizer"):
        status.assert_consumed()
    status.expect_partial().assert_existing_objects_matched()
    for w, v in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(w, v)

    extra = train.Checkpoint(model=other, step=pf.Variable(1.0))
    with pytest.raises(AssertionError, match="step"):
        extra.restore(written).assert_existing_objects_matched()


def test_mismatch_changes_nothing(tmp_path):
    model, optimizer = make()
    step(model, optimizer)
    path = train.Checkpoint(model=model, step=pf.Variable(np.float32(2.0))).write(tmp_path / "c")
    wide = pf.models.Sequential([pf.layers.Input(shape=(3,)), pf.layers.Dense(6),
                                 pf.layers.Dense(1)])
    step_var = pf.Variable(np.float32(0.0))
    before = wide.get_weights()
    with pytest.raises(ValueError, match=r"expected shape \(3, 6\).*\(3, 5\)"):
        train.Checkpoint(step=step_var, model=wide).restore(path)
    assert float(step_var.numpy()) == 0.0  # `step` comes first, yet was not written
    for w, v in zip(wide.get_weights(), before):
        np.testing.assert_array_equal(w, v)


def test_bad_arguments_and_files(tmp_path):
    with pytest.raises(ValueError, match="Received: model='model'"):
        train.Checkpoint(model="model")
    with pytest.raises(ValueError, match="metric `loss`.*outside Variables"):
        train.Checkpoint(loss=pf.metrics.Mean())  # it would save nothing: refused
    ckpt = train.Checkpoint(v=pf.Variable(1.0))
    with pytest.raises(AttributeError, match="no object named 'w'"):
        ckpt.w  # noqa: B018
    with pytest.raises(ValueError, match="max_to_keep"):
        train.CheckpointManager(ckpt, tmp_path, max_to_keep=0)
    with pytest.raises(ValueError, match="checkpoint_name"):
        train.CheckpointManager(ckpt, tmp_path, max_to_keep=1, checkpoint_name="../x")
    with pytest.raises(FileNotFoundError, match="nope"):
        ckpt.restore(tmp_path / "nope")
    assert train.latest_checkpoint(tmp_path / "missing") is None
    (tmp_path / "checkpoint.json").write_text(json.dumps(
        {"model_checkpoint_path": "../../etc/x", "all_model_checkpoint_paths": []}))
    with pytest.raises(FileFormatError, match="outside its directory"):
        train.latest_checkpoint(tmp_path)
    (tmp_path / "bad.profond").write_bytes(b"not a zip")
    with pytest.raises(FileFormatError):
        ckpt.restore(tmp_path / "bad")
    class Net(pf.models.Model):
        def __init__(self):
            super().__init__()
            self.dense = pf.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    built = Net()
    built(np.zeros((1, 3), np.float32))
    path = train.Checkpoint(net=built).write(tmp_path / "net")
    with pytest.raises(ValueError, match="`net` \\(Net\\) is not built yet"):
        train.Checkpoint(net=Net()).restore(path)
    optimizer = pf.optimizers.SGD(0.1, momentum=0.9)
    with pytest.raises(ValueError, match="not been built"):
        train.Checkpoint(optimizer=optimizer).restore(
            train.Checkpoint(optimizer=pf.optimizers.SGD(0.1)).write(tmp_path / "o"))


def test_interval_and_restore_or_initialize(tmp_path):
    step_counter = pf.Variable(0, dtype="int64")
    ckpt = train.Checkpoint(step=step_counter)
    initialized = []
    manager = train.CheckpointManager(ckpt, tmp_path, max_to_keep=None,
                                      step_counter=step_counter, checkpoint_interval=5,
                                      init_fn=lambda: initialized.append(True))
    assert manager.restore_or_initialize() is None and initialized == [True]
    saved = []
    for _ in range(12):
        step_counter.assign_add(1)
        saved.append(manager.save() is not None)
    assert saved.count(True) == 3  # steps 1, 6, 11
    step_counter.assign(0)
    assert manager.restore_or_initialize() == manager.latest_checkpoint
    assert int(step_counter.numpy()) == 11


def test_user_metric_with_variables(tmp_path):
    class Hits(pf.metrics.Metric):
        def __init__(self, name="hits", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_weight(name="hits", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.hits.assign_add(float(np.sum(np.asarray(y_true) == np.asarray(y_pred))))

        def result(self):
            return self.hits

    metric = Hits()
    metric.update_state([1, 2, 3], [1, 2, 0])
    path = train.Checkpoint(metric=metric).write(tmp_path / "m")
    again = Hits()
    train.Checkpoint(metric=again).restore(path).assert_consumed()
    assert float(again.result().numpy()) == 2.0


def test_keep_checkpoint_every_n_hours(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("profond.saving.tf_checkpoint._clock", lambda: clock[0])
    ckpt = train.Checkpoint(v=pf.Variable(1.0))
    manager = train.CheckpointManager(ckpt, tmp_path, max_to_keep=1,
                                      keep_checkpoint_every_n_hours=1)
    for _ in range(6):  # one save every 30 minutes
        clock[0] += 1800
        manager.save()
    files = sorted(p for p in os.listdir(tmp_path) if p.endswith(".profond"))
    # saved at 0.5 h, 1 h, ... 3 h: ckpt-2 (1 h) and ckpt-4 (2 h) are preserved, plus the latest
    assert files == ["ckpt-2.profond", "ckpt-4.profond", "ckpt-6.profond"]
    assert manager.checkpoints == [str(tmp_path / "ckpt-6")]
