"""``restore_checkpoint`` is all or nothing (issue 13, item 5): everything in the file is checked
(weights, optimizer state count, shapes and values, random state) before anything is assigned, so
a refused checkpoint leaves every weight, every optimizer slot and the random stream as they were.
"""

import json
import math

import numpy as np
import pytest
import safetensors.numpy

import profond as pf
from profond import random
from profond.saving.checkpoint import restore_checkpoint, save_checkpoint
from profond.saving.model_file import OPTIMIZER, TRAINING_STATE, FileFormatError
from profond.testing.model_files import replace_member


def _model(compile=True):
    pf.set_seed(0)
    model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(4),
                                 pf.keras.layers.Dropout(0.2), pf.keras.layers.Dense(2)])
    if compile:
        model.compile(optimizer=pf.keras.optimizers.Adam(0.01), loss="mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")


def _snapshot(model):
    """Copies of every weight and optimizer variable, the optimizer's build state, the RNG."""
    optimizer = model.optimizer
    return {
        "weights": [w.numpy().copy() for w in model.weights],
        "optimizer": [v.numpy().copy() for v in optimizer.variables] if optimizer else [],
        "built": getattr(optimizer, "built", None),
        "rng": json.dumps(random.get_state(), default=int, sort_keys=True),
    }


def _assert_unchanged(before, model):
    after = _snapshot(model)
    assert after["built"] == before["built"]
    assert len(after["optimizer"]) == len(before["optimizer"])
    for got, want in zip(after["weights"] + after["optimizer"],
                         before["weights"] + before["optimizer"]):
        np.testing.assert_array_equal(got, want)
    assert after["rng"] == before["rng"]


def _edit_optimizer(edit):
    def change(data):
        tensors = safetensors.numpy.load(data)
        return safetensors.numpy.save(edit(dict(sorted(tensors.items()))))
    return change


def _drop_last(tensors):
    tensors.pop(list(tensors)[-1])
    return tensors


def _set_scalar(suffix, value, dtype):
    """An edit of the optimizer's tensors: the one named ``...<suffix>`` becomes ``value``."""
    def edit(tensors):
        key = next(k for k in tensors if k.endswith(suffix))
        tensors[key] = np.array(value, dtype=dtype)
        return tensors
    return edit


def _edit_rng(rng_state):
    def change(data):
        state = json.loads(data)
        state["rng_state"] = rng_state
        return json.dumps(state).encode()
    return change


_PCG64_WITHOUT_INC = {"bit_generator": "PCG64", "state": {"state": "1"},
                      "has_uint32": "0", "uinteger": "0"}
_MT19937 = {"bit_generator": "MT19937", "state": {"key": ["1"] * 624, "pos": "0"}}

BAD_FILES = {
    "optimizer count": (OPTIMIZER, _edit_optimizer(_drop_last), ValueError),
    "negative iterations": (OPTIMIZER, _edit_optimizer(_set_scalar("iteration", -5, "int64")),
                            FileFormatError),
    "NaN learning rate": (OPTIMIZER,
                          _edit_optimizer(_set_scalar("learning_rate", math.nan, "float64")),
                          FileFormatError),
    "negative learning rate": (OPTIMIZER,
                               _edit_optimizer(_set_scalar("learning_rate", -0.1, "float64")),
                               FileFormatError),
    "RNG state without inc": (TRAINING_STATE, _edit_rng(_PCG64_WITHOUT_INC), FileFormatError),
    "RNG state of another generator": (TRAINING_STATE, _edit_rng(_MT19937), FileFormatError),
}


@pytest.fixture()
def trained_checkpoint(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "run.ckpt"
    save_checkpoint(model, path, epoch=2)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # now the model differs from the file
    return model, path


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_refused_restore_changes_nothing(trained_checkpoint, tmp_path, case):
    model, path = trained_checkpoint
    member, change, error = BAD_FILES[case]
    bad = tmp_path / "bad.ckpt"
    replace_member(path, bad, member, change)
    before = _snapshot(model)
    with pytest.raises(error):
        restore_checkpoint(model, bad)
    _assert_unchanged(before, model)
    assert restore_checkpoint(model, path) == 2  # the good file still restores


def test_a_refused_restore_does_not_build_the_optimizer(trained_checkpoint, tmp_path):
    _, path = trained_checkpoint
    bad = tmp_path / "bad.ckpt"
    replace_member(path, bad, OPTIMIZER, _edit_optimizer(_drop_last))
    fresh = _model()  # compiled, optimizer not built yet
    before = _snapshot(fresh)
    assert before["built"] is False
    with pytest.raises(ValueError, match="optimizer variables"):
        restore_checkpoint(fresh, bad)
    _assert_unchanged(before, fresh)


def test_a_refused_weight_file_changes_nothing(trained_checkpoint, tmp_path):
    model, path = trained_checkpoint
    other = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(5),
                                 pf.keras.layers.Dense(2)])
    other.compile(optimizer="adam", loss="mse")
    before = _snapshot(other)
    with pytest.raises(ValueError, match="Nothing was loaded"):
        restore_checkpoint(other, path)
    _assert_unchanged(before, other)


def test_restore_into_an_unbuilt_optimizer_builds_it_and_resumes_exactly(trained_checkpoint):
    model, path = trained_checkpoint
    fresh = _model()
    assert restore_checkpoint(fresh, path) == 2
    assert fresh.optimizer.built
    saved = restore_checkpoint(model, path)
    assert saved == 2
    for a, b in zip(fresh.weights + fresh.optimizer.variables,
                    model.weights + model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Both resume from the same state (weights, slots, RNG): the same third epoch.
    x, y = _data()
    state = random.get_state()
    model.fit(x, y, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    random.set_state(state)
    fresh.fit(x, y, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    for a, b in zip(fresh.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_optimizer_state_into_an_uncompiled_model_is_skipped_with_a_warning(trained_checkpoint):
    _, path = trained_checkpoint
    bare = _model(compile=False)
    with pytest.warns(UserWarning, match="not compiled"):
        assert restore_checkpoint(bare, path) == 2
