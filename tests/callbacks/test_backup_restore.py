"""BackupAndRestore: a fit that crashes at epoch 2, run again with the same callback, ends with
exactly the weights of a fit that never crashed. Also LambdaCallback's hooks, RemoteMonitor's
refusal, and the hooks ``fit``/``evaluate``/``predict`` call with Keras's ``logs`` keys."""

import os

import numpy as np
import pytest

import profond as pf
from profond.callbacks import BackupAndRestore, Callback, LambdaCallback, RemoteMonitor


def make_model(seed=0):
    pf.layers.clear_session()
    pf.random.set_seed(seed)
    model = pf.models.Sequential([
        pf.layers.Input(shape=(5,)),
        pf.layers.Dense(12, activation="relu"),
        pf.layers.Dropout(0.3),  # random masks: the random state must be restored too
        pf.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 2] > 0.3)


class Crash(Callback):
    def __init__(self, at_epoch, at_batch=None):
        super().__init__()
        self.at_epoch, self.at_batch = at_epoch, at_batch
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if epoch == self.at_epoch and self.at_batch is None:
            raise RuntimeError("simulated crash")

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == self.at_epoch and batch == self.at_batch:
            raise RuntimeError("simulated crash")


def fit(model, data, callbacks, epochs=5):
    x, y = data
    return model.fit(x, y, batch_size=16, epochs=epochs, shuffle=True, verbose=0,
                     validation_data=(x[:16], y[:16]), callbacks=callbacks)


@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_resume_after_a_crash_is_exact(tmp_path, data, double_checkpoint):
    straight = make_model()
    expected = fit(straight, data, [])

    backup_dir = tmp_path / "backup"
    model = make_model()
    backup = BackupAndRestore(backup_dir, double_checkpoint=double_checkpoint)
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(model, data, [backup, Crash(at_epoch=2)])
    assert os.path.exists(backup_dir / "latest.profond")
    assert os.path.exists(backup_dir / "previous.profond") == double_checkpoint

    pf.random.set_seed(99)  # the random state after the crash does not matter
    resumed = make_model(seed=5)  # nor the new model's initial weights
    history = fit(resumed, data, [backup])
    assert history.epoch == [2, 3, 4]
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"][2:], rtol=1e-6)
    for w, v in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(w, v, rtol=1e-6, atol=1e-7)
    assert not backup_dir.exists()  # deleted once training ended normally


def test_mid_epoch_backup_restarts_that_epoch(tmp_path, data):
    model = make_model()
    backup = BackupAndRestore(tmp_path / "b", save_freq=1, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        fit(model, data, [backup, Crash(at_epoch=1, at_batch=2)])  # saved after batch 1
    saved = model.get_weights()
    resumed = make_model(seed=3)
    seen = []
    history = fit(resumed, data, [backup, LambdaCallback(
        on_train_begin=lambda logs: seen.append([w.copy() for w in resumed.get_weights()]))],
        epochs=3)
    assert history.epoch == [1, 2]
    for w, v in zip(seen[0], saved):  # restored before the first epoch ran
        np.testing.assert_array_equal(w, v)
    assert (tmp_path / "b" / "latest.profond").exists()  # delete_checkpoint=False


def test_damaged_latest_falls_back_to_previous(tmp_path, data):
    model = make_model()
    backup = BackupAndRestore(tmp_path / "b", double_checkpoint=True)
    with pytest.raises(RuntimeError):
        fit(model, data, [backup, Crash(at_epoch=3)])
    (tmp_path / "b" / "latest.profond").write_bytes(b"half written")
    history = fit(make_model(seed=2), data, [backup])
    assert history.epoch == [2, 3, 4]  # the previous backup held 2 epochs

    single = BackupAndRestore(tmp_path / "c")
    with pytest.raises(RuntimeError):
        fit(make_model(), data, [single, Crash(at_epoch=1)])
    (tmp_path / "c" / "latest.profond").write_bytes(b"half written")
    with pytest.raises(ValueError, match="not a valid profond file"):
        fit(make_model(), data, [single])


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="Received: save_freq=0"):
        BackupAndRestore("x", save_freq=0)
    with pytest.raises(ValueError, match="save_freq='often'"):
        BackupAndRestore("x", save_freq="often")


def test_remote_monitor_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="network.*CSVLogger"):
        RemoteMonitor(root="http://localhost:9000")


HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
         "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
         "on_predict_batch_begin", "on_predict_batch_end"]


def recorder(calls):
    """A LambdaCallback with every hook, recording ``(hook, index, sorted logs keys)`` (None
    when no logs dict is given: Keras always gives one)."""
    def keys(logs):
        return None if logs is None else sorted(logs)

    def make(name):
        if "batch" in name or "epoch" in name:
            return lambda i, logs: calls.append((name, i, keys(logs)))
        return lambda logs: calls.append((name, None, keys(logs)))
    return LambdaCallback(**{name: make(name) for name in HOOKS})


def test_lambda_callback_and_the_hooks_keras_calls(data):
    """The sequence and ``logs`` keys recorded from Keras 3 (TF 2.21) on the same program:
    2 training batches, validation on 2 batches, then evaluate and predict."""
    x, y = data[0][:8], data[1][:8]
    model = make_model()
    calls = []
    model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), verbose=0,
              callbacks=[recorder(calls)])
    metrics = ["accuracy", "loss"]
    assert calls == [
        ("on_train_begin", None, []),
        ("on_epoch_begin", 0, []),
        ("on_train_batch_begin", 0, []), ("on_train_batch_end", 0, metrics),
        ("on_train_batch_begin", 1, []), ("on_train_batch_end", 1, metrics),
        ("on_test_begin", None, []),
        ("on_test_batch_begin", 0, []), ("on_test_batch_end", 0, metrics),
        ("on_test_batch_begin", 1, []), ("on_test_batch_end", 1, metrics),
        ("on_test_end", None, metrics),
        ("on_epoch_end", 0, metrics + ["val_accuracy", "val_loss"]),
        ("on_train_end", None, metrics + ["val_accuracy", "val_loss"]),
    ]
    calls.clear()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[recorder(calls)])
    assert [c[0] for c in calls] == ["on_test_begin", "on_test_batch_begin",
                                     "on_test_batch_end", "on_test_batch_begin",
                                     "on_test_batch_end", "on_test_end"]
    assert calls[-1][2] == metrics
    calls.clear()
    model.predict(x, batch_size=4, verbose=0, callbacks=[recorder(calls)])
    assert calls == [("on_predict_begin", None, []),
                     ("on_predict_batch_begin", 0, []), ("on_predict_batch_end", 0, ["outputs"]),
                     ("on_predict_batch_begin", 1, []), ("on_predict_batch_end", 1, ["outputs"]),
                     ("on_predict_end", None, [])]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)
