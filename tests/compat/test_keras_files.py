"""Keras 3 ``.keras`` files between real Keras and profond (issue 18, item 2).

This file is also the program both sides run (``python test_keras_files.py build|load DIR``,
``COMPAT_FRAMEWORK=tensorflow`` for Keras): ``build`` makes and trains the models below, saves
each as ``NAME.keras`` with its inputs, predictions and optimizer state; ``load`` loads the other
side's files and writes its own predictions. The tests check both directions: predictions
within 1e-5, compile config and optimizer state (in Keras's order) carried over.

Deselected by default (marker ``compat``): run ``make compat`` or
``pytest -m compat tests/compat/test_keras_files.py``.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.compat

HERE = pathlib.Path(__file__).resolve()
ROOT = HERE.parents[2]
TF_PYTHON = ROOT / ".venv-compat" / "bin" / "python"
NAMES = ("mlp_sequential", "mlp_functional", "cnn", "recurrent", "text", "two_inputs", "nested",
         "masked_sequence", "averaged")


# --------------------------------------------------------------------------------------------
# The program (runs under either framework)
# --------------------------------------------------------------------------------------------
def _framework():
    if os.environ.get("COMPAT_FRAMEWORK") == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        return keras
    import profond

    return profond.keras


def _models(keras):
    """``{name: (model, inputs, targets)}``, compiled, the same in both frameworks."""
    L = keras.layers
    rng = np.random.default_rng(0)
    models = {}

    x = rng.normal(size=(32, 6)).astype("float32")
    m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.2),
                          L.Dense(3, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    models["mlp_sequential"] = (m, x, rng.integers(0, 3, size=(32,)))

    inputs = keras.Input((6,), name="features")
    hidden = L.Dense(8, activation="tanh", name="hidden")(inputs)
    m = keras.Model(inputs, L.Dense(1, name="out")(hidden))
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse", metrics=["mae"])
    models["mlp_functional"] = (m, x, rng.normal(size=(32, 1)).astype("float32"))

    images = rng.normal(size=(16, 10, 10, 1)).astype("float32")
    m = keras.Sequential([keras.Input((10, 10, 1)), L.Conv2D(4, 3, activation="relu"),
                          L.BatchNormalization(), L.MaxPooling2D(), L.Dropout(0.25),
                          L.Flatten(), L.Dense(3)])
    m.compile(optimizer=keras.optimizers.RMSprop(0.01),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    models["cnn"] = (m, images, rng.integers(0, 3, size=(16,)))

    series = rng.normal(size=(16, 7, 3)).astype("float32")
    m = keras.Sequential([keras.Input((7, 3)), L.LSTM(5, return_sequences=True), L.GRU(4),
                          L.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    models["recurrent"] = (m, series, rng.normal(size=(16, 1)).astype("float32"))

    tokens = rng.integers(0, 20, size=(16, 6)).astype("int32")
    m = keras.Sequential([keras.Input((6,), dtype="int32"), L.Embedding(20, 4),
                          L.Bidirectional(L.LSTM(3)), L.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    models["text"] = (m, tokens, rng.integers(0, 2, size=(16, 1)).astype("float32"))

    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    joined = L.Concatenate()([L.Dense(5, activation="relu")(a), b])
    m = keras.Model([a, b], L.Dense(2)(joined))
    m.compile(optimizer=keras.optimizers.Adam(0.005), loss="mse")
    models["two_inputs"] = (m, [x[:, :4], x[:, :3]], rng.normal(size=(32, 2)).astype("float32"))

    inner = keras.Sequential([keras.Input((6,)), L.Dense(4, activation="relu"),
                              L.LayerNormalization()], name="inner")
    inputs = keras.Input((6,))
    m = keras.Model(inputs, L.Dense(1)(inner(inputs)))
    m.compile(optimizer=keras.optimizers.Adadelta(1.0), loss="mae")
    models["nested"] = (m, x, rng.normal(size=(32, 1)).astype("float32"))

    padded = rng.integers(1, 10, size=(16, 8)).astype("int32")
    padded[:, 5:] = 0
    m = keras.Sequential([keras.Input((8,), dtype="int32"), L.Embedding(10, 4, mask_zero=True),
                          L.Conv1D(3, 3, padding="same"), L.SimpleRNN(4), L.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adagrad(0.1), loss="mse")
    models["masked_sequence"] = (m, padded, rng.normal(size=(16, 1)).astype("float32"))

    m = keras.Sequential([keras.Input((6,)), L.Dense(4, activation="relu"), L.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9), loss="mse")
    models["averaged"] = (m, x, rng.normal(size=(32, 1)).astype("float32"))
    return models


def _optimizer_state(model):
    """The optimizer's variables in Keras's order (profond keeps them in another)."""
    variables = list(model.optimizer.variables)
    if os.environ.get("COMPAT_FRAMEWORK") != "tensorflow":
        from profond.saving.keras_file import _keras_order

        variables = [variables[j] for j in _keras_order(model.optimizer,
                                                        len(model.trainable_variables))]
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in variables]


def _save_arrays(path, inputs, outputs, state):
    inputs = inputs if isinstance(inputs, list) else [inputs]
    np.savez(path, *inputs, outputs=outputs,
             **{f"state_{i}": s for i, s in enumerate(state)})


def build(directory):
    keras = _framework()
    keras.utils.set_random_seed(1)
    for name, (model, x, y) in _models(keras).items():
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        model.save(os.path.join(directory, f"{name}.keras"))
        _save_arrays(os.path.join(directory, f"{name}.npz"), x, model.predict(x, verbose=0),
                     _optimizer_state(model))


def load(directory):
    keras = _framework()
    facts = {}
    for name in NAMES:
        stored = np.load(os.path.join(directory, f"{name}.npz"))
        inputs = [stored[f"arr_{i}"] for i in range(len(stored.files)) if f"arr_{i}" in stored]
        model = keras.saving.load_model(os.path.join(directory, f"{name}.keras"))
        x = inputs if len(inputs) > 1 else inputs[0]
        _save_arrays(os.path.join(directory, f"{name}.loaded.npz"), x,
                     model.predict(x, verbose=0), _optimizer_state(model))
        facts[name] = {"class": type(model).__name__,
                       "optimizer": type(model.optimizer).__name__,
                       "learning_rate": float(np.asarray(model.optimizer.learning_rate)),
                       "iterations": int(np.asarray(model.optimizer.iterations)),
                       "layers": [type(layer).__name__ for layer in model.layers]}
    with open(os.path.join(directory, "facts.json"), "w") as f:
        json.dump(facts, f)


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------
def run(python, step, directory, framework):
    env = dict(os.environ, COMPAT_FRAMEWORK=framework, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1",
               TF_NUM_INTEROP_THREADS="1", PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([str(python), str(HERE), step, str(directory)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{step} failed under {framework}:\n{done.stderr[-4000:]}"
    if step == "build":
        return None
    with open(os.path.join(directory, "facts.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def tf_python():
    if not TF_PYTHON.exists():
        pytest.fail(f"{TF_PYTHON} is missing: run `make compat` to create the TensorFlow "
                    "environment these checks compare against.")
    return TF_PYTHON


@pytest.fixture(scope="module")
def from_keras(tf_python, tmp_path_factory):
    """Models trained and saved by Keras, loaded by profond."""
    directory = tmp_path_factory.mktemp("from_keras")
    run(tf_python, "build", directory, "tensorflow")
    return directory, run(sys.executable, "load", directory, "profond")


@pytest.fixture(scope="module")
def from_profond(tf_python, tmp_path_factory):
    """Models trained and saved by profond, loaded by Keras."""
    directory = tmp_path_factory.mktemp("from_profond")
    run(sys.executable, "build", directory, "profond")
    return directory, run(tf_python, "load", directory, "tensorflow")


def _compare(directory, name):
    saved = np.load(directory / f"{name}.npz")
    loaded = np.load(directory / f"{name}.loaded.npz")
    np.testing.assert_allclose(loaded["outputs"], saved["outputs"], rtol=0, atol=1e-5,
                               err_msg=f"{name}: predictions differ")
    states = sorted(k for k in saved.files if k.startswith("state_"))
    assert states == sorted(k for k in loaded.files if k.startswith("state_")), name
    for key in states:
        np.testing.assert_allclose(loaded[key], saved[key], rtol=1e-6, atol=1e-7,
                                   err_msg=f"{name}: optimizer variable {key} differs")
    assert len(states) > 2, f"{name}: the optimizer's slots were not carried"
    return len(saved["outputs"])


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_loads_in_profond(from_keras, name):
    directory, facts = from_keras
    samples = _compare(directory, name)
    assert facts[name]["iterations"] == 2 * (samples // 8)  # 2 epochs of batches of 8


@pytest.mark.parametrize("name", NAMES)
def test_profond_file_loads_in_keras(from_profond, name):
    directory, facts = from_profond
    samples = _compare(directory, name)
    assert facts[name]["iterations"] == 2 * (samples // 8)


def test_compile_config_is_carried_both_ways(from_keras, from_profond):
    for _, facts in (from_keras, from_profond):
        assert facts["mlp_sequential"]["optimizer"] == "Adam"
        assert facts["mlp_functional"]["optimizer"] == "SGD"
        assert facts["cnn"]["optimizer"] == "RMSprop"
        assert facts["nested"]["optimizer"] == "Adadelta"
        assert facts["nested"]["layers"] == ["InputLayer", "Sequential", "Dense"]
        assert facts["mlp_functional"]["learning_rate"] == pytest.approx(0.05)
        assert facts["two_inputs"]["learning_rate"] == pytest.approx(0.005)
        assert facts["text"]["layers"] == ["Embedding", "Bidirectional", "Dense"]
        assert facts["mlp_functional"]["class"] == "Functional"


if __name__ == "__main__":
    {"build": build, "load": load}[sys.argv[1]](sys.argv[2])
