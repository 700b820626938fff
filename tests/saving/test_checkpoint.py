"""Checkpoints: an interrupted ``fit`` resumed from its checkpoint ends exactly where an
uninterrupted one does."""

import json
import zipfile

import numpy as np
import pytest

import profond as pf
import profond.layers
import profond.models
import profond.optimizers
from profond import saving
from profond.callbacks import ModelCheckpoint
from profond.saving import FileFormatError


def make_model(seed):
    pf.layers.clear_session()
    pf.random.set_seed(seed)
    model = pf.models.Sequential([
        pf.layers.Dense(16, activation="relu", input_shape=(6,)),
        pf.layers.Dropout(0.3),
        pf.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 6)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)


def fit(model, data, split=False, **kwargs):
    x, y = data
    val = {"validation_split": 0.2} if split else {"validation_data": (x[:12], y[:12])}
    return model.fit(x, y, batch_size=16, shuffle=True, verbose=0, **val, **kwargs)


@pytest.mark.parametrize("weights_only,split", [(True, False), (False, False), (False, True)])
def test_resumed_fit_ends_with_the_same_weights(tmp_path, data, weights_only, split):
    straight = make_model(seed=0)
    fit(straight, data, split, epochs=4)

    interrupted = make_model(seed=0)
    pattern = str(tmp_path / "ckpt-{epoch:02d}.profond")
    fit(interrupted, data, split, epochs=2,
        callbacks=[ModelCheckpoint(pattern, save_weights_only=weights_only)])
    pf.random.set_seed(123)  # whatever happened to the random state after the crash

    resumed = make_model(seed=7)  # other initial weights: the checkpoint replaces them
    epoch = saving.restore_checkpoint(resumed, tmp_path / "ckpt-02.profond")
    assert epoch == 2
    history = fit(resumed, data, split, epochs=4, initial_epoch=epoch)
    assert history.epoch == [2, 3]
    for a, b in zip(resumed.weights, straight.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(resumed.optimizer.variables, straight.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_checkpoint_contents_and_load_model(tmp_path, data):
    model = make_model(seed=0)
    fit(model, data, epochs=1)
    saving.save_checkpoint(model, tmp_path / "a.ckpt", epoch=1)
    with zipfile.ZipFile(tmp_path / "a.ckpt") as zf:
        assert sorted(zf.namelist()) == ["metadata.json", "model.weights.safetensors",
                                         "optimizer.safetensors", "training_state.json"]
        state = json.loads(zf.read("training_state.json"))
    assert state["epoch"] == 1 and state["rng_state"]["bit_generator"] == "PCG64"
    assert isinstance(state["rng_state"]["state"]["state"], str)  # 128-bit ints as strings
    with pytest.raises(FileFormatError, match="restore_checkpoint"):
        saving.load_model(tmp_path / "a.ckpt")

    saving.save_checkpoint(model, tmp_path / "b.ckpt", epoch=1, include_config=True)
    x = data[0]
    np.testing.assert_array_equal(saving.load_model(tmp_path / "b.ckpt").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def test_random_state_round_trip(tmp_path):
    model = make_model(seed=0)
    pf.random.generator().normal(size=5)
    saving.save_checkpoint(model, tmp_path / "r.ckpt")
    expected = pf.random.generator().normal(size=5)
    pf.random.set_seed(99)
    assert saving.restore_checkpoint(model, tmp_path / "r.ckpt") is None  # no epoch given
    np.testing.assert_array_equal(pf.random.generator().normal(size=5), expected)


def test_model_file_restores_weights_and_optimizer(tmp_path, data):
    model = make_model(seed=0)
    fit(model, data, epochs=1)
    model.save(tmp_path / "m.profond")
    other = make_model(seed=1)
    assert saving.load_checkpoint(other, tmp_path / "m.profond") is None
    assert int(other.optimizer.iterations) == int(model.optimizer.iterations)
    np.testing.assert_array_equal(other.predict(data[0], verbose=0),
                                  model.predict(data[0], verbose=0))


def rewrite_state(path, state):
    with zipfile.ZipFile(path) as zf:
        content = {n: zf.read(n) for n in zf.namelist()}
    content["training_state.json"] = json.dumps(state).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in content.items():
            zf.writestr(name, blob)


def test_bad_training_state_is_refused_and_nothing_changes(tmp_path):
    model = make_model(seed=0)
    path = tmp_path / "c.ckpt"
    saving.save_checkpoint(model, path, epoch=3)
    good = json.loads(zipfile.ZipFile(path).read("training_state.json"))
    target = make_model(seed=5)
    before = target.get_weights()
    bad_states = [
        ({**good, "epoch": -1}, "epoch"),
        ({**good, "epoch": "3"}, "epoch"),
        ({**good, "rng_state": {**good["rng_state"], "has_uint32": "__import__('os')"}},
         "random state"),
        ({**good, "rng_state": {**good["rng_state"], "bit_generator": "MT19937"}},
         "random state is invalid"),
    ]
    for state, message in bad_states:
        rewrite_state(path, state)
        with pytest.raises(FileFormatError, match=message):
            saving.restore_checkpoint(target, path)
        if message == "epoch" or "import" in json.dumps(state):
            for a, b in zip(target.get_weights(), before):
                np.testing.assert_array_equal(a, b)


def test_restore_into_another_architecture_changes_nothing(tmp_path):
    model = make_model(seed=0)
    saving.save_checkpoint(model, tmp_path / "c.ckpt")
    pf.random.set_seed(0)
    other = pf.models.Sequential([pf.layers.Dense(16, input_shape=(6,)), pf.layers.Dense(4)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"expected shape \(16, 4\).*shape \(16, 3\)"):
        saving.restore_checkpoint(other, tmp_path / "c.ckpt")
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_save_best_only_writes_files(tmp_path, data):
    model = make_model(seed=0)
    best = tmp_path / "best.profond"
    history = fit(model, data, epochs=4, callbacks=[ModelCheckpoint(best, monitor="loss",
                                                                    save_best_only=True)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.profond"]
    state = json.loads(zipfile.ZipFile(best).read("training_state.json"))
    assert state["epoch"] == int(np.argmin(history.history["loss"])) + 1
