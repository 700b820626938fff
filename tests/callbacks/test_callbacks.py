"""The built-in callbacks, driven hook by hook on a small stand-in model (fast and exact), then
inside a real ``fit``."""

import csv
import math

import numpy as np
import pytest

import profond as pf
import profond.layers
import profond.models
import profond.optimizers
from profond.callbacks import (
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


class Optimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


class StandIn:
    """What callbacks use of a model: weights, an optimizer, ``stop_training``."""

    def __init__(self):
        self.w = np.zeros(2, dtype=np.float32)
        self.optimizer = Optimizer()
        self.stop_training = False

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, weights):
        self.w = weights[0].copy()


def drive(callback, values, monitor="val_loss", model=None):
    """Run epochs whose ``monitor`` takes ``values`` (weights = epoch index); return the model
    and the epochs that ran."""
    model = model or StandIn()
    callbacks = CallbackList([callback], model=model, epochs=len(values), steps=1, verbose=0)
    callbacks.on_train_begin()
    ran = []
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        model.w[:] = epoch
        callbacks.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        ran.append(epoch)
        if model.stop_training:
            break
    callbacks.on_train_end()
    return model, ran


# --- EarlyStopping ----------------------------------------------------------------------------
def test_early_stopping_waits_patience_epochs():
    stop = EarlyStopping(patience=2)
    _, ran = drive(stop, [1.0, 0.5, 0.6, 0.7, 0.4])
    assert ran == [0, 1, 2, 3] and stop.stopped_epoch == 3 and stop.best == 0.5


def test_early_stopping_min_delta_and_max_mode():
    _, ran = drive(EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1),
                   [0.5, 0.52, 0.9], monitor="val_accuracy")
    assert ran == [0, 1]  # "auto" maximizes accuracies; +0.02 < min_delta is no improvement
    _, ran = drive(EarlyStopping(monitor="score", mode="max", patience=1), [1, 2, 3, 2],
                   monitor="score")
    assert ran == [0, 1, 2, 3]


def test_early_stopping_restores_best_weights():
    model, _ = drive(EarlyStopping(patience=2, restore_best_weights=True), [3, 1, 2, 2.5, 0])
    assert model.w.tolist() == [1, 1]  # the weights of epoch 1, the best one


def test_early_stopping_baseline_and_start_from_epoch():
    _, ran = drive(EarlyStopping(patience=2), [1.0, 1.1, 1.2, 1.3])
    assert ran == [0, 1, 2]
    _, ran = drive(EarlyStopping(patience=2, baseline=0.1), [1.0, 1.1, 1.2, 1.3])
    assert ran == [0, 1]  # the first epoch did not beat the baseline: its wait counts
    _, ran = drive(EarlyStopping(patience=0, start_from_epoch=3), [1, 2, 3, 4, 5])
    assert ran == [0, 1, 2, 3, 4]


def test_early_stopping_missing_monitor_warns_and_bad_mode_raises():
    with pytest.warns(UserWarning, match="val_accuracy"):
        drive(EarlyStopping(monitor="val_accuracy"), [1.0, 2.0])
    with pytest.raises(ValueError, match="Expected mode"):
        EarlyStopping(mode="maximum")


# --- learning rate callbacks ------------------------------------------------------------------
def test_learning_rate_scheduler_sets_rate_each_epoch():
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: seen.append(lr) or 0.1 / (epoch + 1))
    model, _ = drive(sched, [1, 1, 1])
    assert seen == [0.1, 0.1, 0.05] and model.optimizer.learning_rate == pytest.approx(0.1 / 3)
    one_argument = LearningRateScheduler(lambda epoch: 0.5**epoch)
    model, _ = drive(one_argument, [1, 1])
    assert model.optimizer.learning_rate == 0.5


def test_learning_rate_scheduler_logs_rate_and_rejects_non_numbers():
    logs = {"loss": 1.0}
    sched = LearningRateScheduler(lambda epoch, lr: lr)
    sched.set_model(StandIn())
    sched.on_epoch_end(0, logs)
    assert logs["learning_rate"] == 0.1
    with pytest.raises(ValueError, match="Expected the schedule to return a float"):
        drive(LearningRateScheduler(lambda epoch: "fast"), [1])


def test_reduce_lr_on_plateau_with_cooldown_and_min_lr():
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.03)
    model, _ = drive(reduce, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # epoch 1: wait 1 → 0.05, cooldown; epoch 2: cooldown; epoch 3: → 0.03 (min_lr); then stays
    assert model.optimizer.learning_rate == 0.03
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_on_plateau_sequence():
    rates = []
    reduce = ReduceLROnPlateau(factor=0.1, patience=2)
    model = StandIn()
    probe = LambdaCallback(on_epoch_end=lambda e, logs: rates.append(model.optimizer.learning_rate))
    drive_list = CallbackList([reduce, probe], model=model)
    drive_list.on_train_begin()
    for epoch, value in enumerate([1.0, 0.5, 0.5, 0.5, 0.4]):
        drive_list.on_epoch_end(epoch, {"val_loss": value})
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01])


# --- loggers ----------------------------------------------------------------------------------
def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    drive(CSVLogger(path), [0.5, 0.25])
    drive(CSVLogger(path, append=True), [0.125])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "0"]
    assert [float(r["val_loss"]) for r in rows] == [0.5, 0.25, 0.125]
    drive(CSVLogger(path, separator=";"), [1.0])
    assert open(path).read().splitlines() == ["epoch;loss;val_loss", "0;1.0;1.0"]


def test_terminate_on_nan():
    model = StandIn()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    callback.on_train_batch_end(1, {"loss": math.nan})
    assert model.stop_training


def test_lambda_callback_hooks_and_unknown_hook():
    events = []
    cb = LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                        on_epoch_end=lambda epoch, logs: events.append(epoch))
    drive(cb, [1, 1])
    assert events == ["begin", 0, 1]
    with pytest.raises(ValueError, match="Unknown callback hook"):
        LambdaCallback(on_banana=print)


# --- ModelCheckpoint (formatting and choices; saving itself is tested in tests/saving) --------
@pytest.fixture
def saves(monkeypatch):
    """Record ModelCheckpoint's saves instead of writing files."""
    import profond.saving.checkpoint

    calls = []
    monkeypatch.setattr(profond.saving.checkpoint, "save_checkpoint",
                        lambda model, path, epoch, include_config: calls.append(
                            (path.rsplit("/", 1)[1], epoch, include_config)))
    return calls


def test_model_checkpoint_formats_path_and_saves_best_only(tmp_path, saves):
    cb = ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.profond"),
                         save_best_only=True)
    drive(cb, [0.5, 0.7, 0.25])
    assert saves == [("m-01-0.50.profond", 1, True), ("m-03-0.25.profond", 3, True)]


def test_model_checkpoint_every_n_batches_and_errors(tmp_path, saves):
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}b{batch}.ckpt"), save_freq=2,
                         save_weights_only=True)
    cb.set_model(StandIn())
    cb.on_epoch_begin(0)
    for b in range(5):
        cb.on_train_batch_end(b, {"loss": 1.0})
    # Mid-epoch saves record 0 epochs done: resuming restarts the epoch.
    assert saves == [("e1b2.ckpt", 0, False), ("e1b4.ckpt", 0, False)]
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x", save_freq=0)
    bad = ModelCheckpoint(str(tmp_path / "{nope}.ckpt"))
    with pytest.raises(KeyError, match="Failed to format"):
        drive(bad, [1.0])


# --- inside a real fit ------------------------------------------------------------------------
def tiny_model(seed=0):
    pf.random.set_seed(seed)
    model = pf.models.Sequential([pf.layers.Dense(4, activation="relu", input_shape=(3,)),
                                  pf.layers.Dense(1)])
    model.compile(optimizer=pf.optimizers.SGD(0.05), loss="mse")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32))


def test_callbacks_inside_fit(tmp_path):
    pytest.importorskip("profond.models.training")
    x, y = data()
    model = tiny_model()
    log = tmp_path / "fit.csv"
    history = model.fit(x, y, epochs=6, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[EarlyStopping(monitor="loss", patience=100),
                                   LearningRateScheduler(lambda e, lr: 0.05 * 0.5**e),
                                   CSVLogger(log)])
    assert history.history["learning_rate"] == pytest.approx([0.05 * 0.5**e for e in range(6)])
    rows = list(csv.DictReader(open(log)))
    assert len(rows) == 6 and {"loss", "val_loss", "learning_rate"} <= set(rows[0])
    stopper = EarlyStopping(monitor="loss", mode="max", patience=1)  # the loss goes down
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 2 and model.stop_training


def test_on_batch_hooks_are_aliases_of_the_train_batch_hooks():
    class LossHistory(pf.callbacks.Callback):  # the Keras guide's pattern
        def on_train_begin(self, logs=None):
            self.losses = []

        def on_batch_end(self, batch, logs=None):
            self.losses.append(logs.get("loss"))

    model = pf.models.Sequential([pf.layers.Input((2,)), pf.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = LossHistory()
    model.fit(np.ones((8, 2), "float32"), np.zeros((8, 1), "float32"), batch_size=2, epochs=2,
              verbose=0, callbacks=[history])
    assert len(history.losses) == 8 and all(isinstance(v, float) for v in history.losses)


# --- SwapEMAWeights ----------------------------------------------------------------------------
def _averaged_model(seed=0):
    pf.set_seed(seed)
    model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(2)])
    model.compile(optimizer=pf.keras.optimizers.SGD(0.3, use_ema=True, ema_momentum=0.6),
                  loss="mse")
    return model


def test_swap_ema_weights_validates_with_the_averages_and_puts_the_weights_back():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 3)).astype("float32"), rng.normal(size=(24, 2)).astype("float32")
    seen = []

    class Spy(pf.callbacks.Callback):  # runs after SwapEMAWeights: sees what validation sees
        def on_test_begin(self, logs=None):
            seen.append(("test", [w.numpy().copy() for w in self.model.trainable_variables],
                         [a.numpy().copy() for a in self.model.optimizer._averages]))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", [w.numpy().copy() for w in self.model.trainable_variables],
                         [a.numpy().copy() for a in self.model.optimizer._averages]))

    plain, swapped = _averaged_model(), _averaged_model()
    h_plain = plain.fit(x, y, validation_data=(x, y), batch_size=8, epochs=2, shuffle=False,
                        verbose=0)
    h_swap = swapped.fit(x, y, validation_data=(x, y), batch_size=8, epochs=2, shuffle=False,
                         verbose=0, callbacks=[pf.callbacks.SwapEMAWeights(), Spy()])
    assert h_plain.history["loss"] == h_swap.history["loss"]  # training itself is the same
    assert h_plain.history["val_loss"] != h_swap.history["val_loss"]
    for kind, weights, averages in seen:
        if kind == "test":  # the swap: the model holds W̄, the optimizer W
            assert not np.array_equal(weights[0], averages[0])
    # the last epoch's training weights W: back in place at every epoch's end
    epoch_ends = [s for s in seen if s[0] == "epoch"]
    tests = [s for s in seen if s[0] == "test"]
    for (_, w_end, a_end), (_, w_test, a_test) in zip(epoch_ends, tests):
        np.testing.assert_array_equal(w_end[0], a_test[0])
        np.testing.assert_array_equal(a_end[0], w_test[0])
    # validation = evaluate with the final (averaged) weights, which fit gives the model
    assert swapped.evaluate(x, y, verbose=0) == pytest.approx(h_swap.history["val_loss"][-1])


def test_swap_ema_weights_on_epoch_shows_the_averages_to_later_callbacks():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    model = _averaged_model()
    at_epoch_end = []
    spy = pf.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: at_epoch_end.append(
        (model.trainable_variables[0].numpy().copy(),
         model.optimizer._averages[0].numpy().copy())))
    model.fit(x, y, batch_size=4, epochs=3, verbose=0,
              callbacks=[pf.callbacks.SwapEMAWeights(swap_on_epoch=True), spy])
    # during epochs 1 and 2 the optimizer held W (swapped out), the model W̄ ...
    for weights, held in at_epoch_end[:-1]:
        assert not np.array_equal(weights, held)
    # ... and fit ends with the averaged weights in the model, the averages intact
    final, average = model.trainable_variables[0].numpy(), model.optimizer._averages[0].numpy()
    np.testing.assert_array_equal(final, at_epoch_end[-1][0])
    np.testing.assert_array_equal(final, average)


def test_swap_ema_weights_needs_an_optimizer_with_use_ema():
    model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use_ema=True.*use_ema=False"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0,
                  callbacks=[pf.callbacks.SwapEMAWeights()])
    with pytest.raises(TypeError, match="swap_on_epoch"):
        pf.callbacks.SwapEMAWeights(swap_on_epoch="yes")
