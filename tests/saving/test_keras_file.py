"""Keras 3 ``.keras`` model files in profond (``profond/saving/keras_file.py``): round trips,
files written by real Keras (``data/``), and hostile files. The comparison with Keras itself, in
both directions, is ``tests/compat/test_keras_files.py``."""

import io
import json
import os
import pathlib
import shutil
import sys
import zipfile

import numpy as np
import pytest

import profond as pf
from profond.saving import FileFormatError, keras_file
from profond.testing.model_files import replace_member

h5py = pytest.importorskip("h5py")
L = pf.keras.layers
DATA = pathlib.Path(__file__).parent / "data"


def _trained_mlp():
    pf.keras.utils.set_random_seed(0)
    model = pf.keras.Sequential([pf.keras.Input((5,)), L.Dense(6, activation="relu"),
                                 L.Dropout(0.1), L.Dense(3, activation="softmax")])
    model.compile(optimizer=pf.keras.optimizers.Adam(0.02),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(16, 5)).astype("float32")
    model.fit(x, np.arange(16) % 3, epochs=2, batch_size=8, verbose=0)
    return model, x


def _models():
    """Models of every kind the brief names: MLPs, CNN, recurrent, text, two inputs."""
    rng = np.random.default_rng(1)
    out = {}
    inputs = pf.keras.Input((4,), name="x")
    out["functional"] = (pf.keras.Model(inputs, L.Dense(2, activation="tanh")(
        L.Dense(3, activation="relu")(inputs))), rng.normal(size=(3, 4)))
    out["cnn"] = (pf.keras.Sequential([
        pf.keras.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
        L.BatchNormalization(), L.MaxPooling2D(), L.AveragePooling2D(), L.Dropout(0.5),
        L.Flatten(), L.Dense(2)]), rng.normal(size=(2, 8, 8, 2)))
    out["recurrent"] = (pf.keras.Sequential([
        pf.keras.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(3), L.Dense(1)]),
        rng.normal(size=(2, 5, 3)))
    out["text"] = (pf.keras.Sequential([
        pf.keras.Input((6,), dtype="int32"), L.Embedding(12, 4),
        L.Bidirectional(L.LSTM(3)), L.Dense(1)]), rng.integers(0, 12, size=(2, 6)))
    a, b = pf.keras.Input((4,), name="a"), pf.keras.Input((2,), name="b")
    out["two_inputs"] = (pf.keras.Model([a, b], L.Dense(2)(L.Concatenate()([L.Dense(3)(a), b]))),
                         [rng.normal(size=(3, 4)), rng.normal(size=(3, 2))])
    inner_input = pf.keras.Input((4,), name="inner_x")
    inner = pf.keras.Model(inner_input, L.Dense(3, name="inner_dense")(inner_input),
                           name="inner")
    outer_input = pf.keras.Input((4,))
    out["nested"] = (pf.keras.Model(outer_input, L.Dense(1)(inner(outer_input))),
                     rng.normal(size=(3, 4)))
    cast = {k: (m, [v.astype("float32") for v in x] if isinstance(x, list) else
                x.astype("int32" if k == "text" else "float32")) for k, (m, x) in out.items()}
    for model, _ in cast.values():  # non-trivial BatchNormalization statistics
        for layer in model.layers:
            if isinstance(layer, L.BatchNormalization):
                layer.moving_mean.assign(rng.normal(size=layer.moving_mean.shape))
                layer.moving_variance.assign(rng.uniform(0.5, 2, size=layer.moving_mean.shape))
    return cast


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["functional", "cnn", "recurrent", "text", "two_inputs",
                                  "nested"])
def test_round_trip_gives_the_same_model(tmp_path, name):
    model, x = _models()[name]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    same = pf.keras.models.load_model(path)
    assert type(same) is type(model)
    assert [type(a) for a in same.layers] == [type(b) for b in model.layers]
    for w, v in zip(same.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(w, v)
    # NOTE: equal weights; the recurrent kernels split rows over the workers, so two calls
    # may round differently in float32 (4e-8 seen once)
    np.testing.assert_allclose(same.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)


def test_the_file_is_in_keras_3_format(tmp_path):
    model, _ = _models()["two_inputs"]
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
        metadata = json.loads(z.read("metadata.json"))
        weights = z.read("model.weights.h5")
    assert metadata["keras_version"].startswith("3.")
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    dense = next(lay for lay in config["config"]["layers"] if lay["class_name"] == "Dense")
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["config"]["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None}, "registered_name": None}
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    tensor = dense["inbound_nodes"][0]["args"][0]
    assert tensor["class_name"] == "__keras_tensor__"
    assert tensor["config"] == {"shape": [None, 4], "dtype": "float32",
                                "keras_history": ["a", 0, 0]}
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    with h5py.File(io.BytesIO(weights), "r") as h5:
        assert h5["layers/dense/vars/0"].shape == (4, 3)
        assert h5["layers/concatenate/vars"].attrs["name"] == model.layers[3].name


def test_compile_config_and_optimizer_state_come_back(tmp_path):
    model, x = _trained_mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        compile_config = json.loads(z.read("config.json"))["compile_config"]
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h5:
            group = h5["optimizer/vars"]
            keras_order = [group[str(i)][()] for i in range(len(group))]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]
    # Keras keeps Adam's slots variable by variable: m(kernel), v(kernel), m(bias), ...
    slots = model.optimizer.variables
    np.testing.assert_array_equal(keras_order[2], slots[2].numpy())
    np.testing.assert_array_equal(keras_order[3], slots[2 + 4].numpy())
    np.testing.assert_array_equal(keras_order[4], slots[3].numpy())

    same = pf.keras.models.load_model(tmp_path / "m.keras")
    assert type(same.optimizer).__name__ == "Adam"
    assert same.optimizer.learning_rate == pytest.approx(0.02)
    assert int(same.optimizer.iterations) == 4
    for a, b in zip(same.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Training goes on exactly as it would have (the same dropout masks in both).
    y = np.arange(16) % 3
    for m in (model, same):
        pf.keras.utils.set_random_seed(3)
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(same.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_compile_false_and_include_optimizer_false(tmp_path):
    model, _ = _trained_mlp()
    model.save(tmp_path / "lean.keras", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "lean.keras") as z, \
            h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h5:
        assert "optimizer" not in h5
    assert pf.keras.models.load_model(tmp_path / "lean.keras", compile=False).optimizer is None
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "lean.keras", overwrite=False)


def test_a_registered_custom_layer_travels_by_its_registered_name(tmp_path):
    @pf.saving.register_serializable(package="h8test")
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = pf.keras.Sequential([pf.keras.Input((3,)), Scale(3.0), L.Dense(2)])
    model.save(tmp_path / "custom.keras")
    with zipfile.ZipFile(tmp_path / "custom.keras") as z:
        spec = json.loads(z.read("config.json"))["config"]["layers"][1]
    assert (spec["module"], spec["registered_name"]) == (None, "h8test>Scale")
    same = pf.keras.models.load_model(tmp_path / "custom.keras")
    x = np.ones((1, 3), "float32")
    # NOTE: equal weights; the recurrent kernels split rows over the workers, so two calls
    # may round differently in float32 (4e-8 seen once)
    np.testing.assert_allclose(same.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)


def test_old_profond_files_named_keras_still_load(tmp_path):
    model, x = _trained_mlp()
    model.save(tmp_path / "old.profond")
    shutil.copy(tmp_path / "old.profond", tmp_path / "old.keras")  # as profond once wrote them
    same = pf.keras.models.load_model(tmp_path / "old.keras")
    # NOTE: equal weights; the recurrent kernels split rows over the workers, so two calls
    # may round differently in float32 (4e-8 seen once)
    np.testing.assert_allclose(same.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    assert keras_file.is_keras_archive(tmp_path / "old.keras") is False


# --------------------------------------------------------------------------------------------
# Files written by real Keras 3.15 (data/README.md)
# --------------------------------------------------------------------------------------------
def test_a_model_trained_and_saved_by_keras_loads():
    model = pf.keras.models.load_model(DATA / "keras3_mlp.keras")
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense"]
    x, y = np.load(DATA / "keras3_mlp_x.npy"), np.load(DATA / "keras3_mlp_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, rtol=0, atol=1e-5)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.02)
    assert int(model.optimizer.iterations) == 4
    assert all(np.any(v.numpy() != 0) for v in model.optimizer.variables[2:])
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)  # and trains on


def test_a_functional_cnn_saved_by_keras_loads():
    model = pf.keras.models.load_model(DATA / "keras3_cnn_functional.keras")
    assert [layer.name for layer in model.layers] == [
        "image", "conv2d", "batch_normalization", "max_pooling2d", "flatten", "dense_2"]
    x = np.load(DATA / "keras3_cnn_functional_x.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.load(DATA / "keras3_cnn_functional_y.npy"), rtol=0, atol=1e-5)
    bn = next(layer for layer in model.layers if isinstance(layer, L.BatchNormalization))
    assert np.any(bn.moving_mean.numpy() != 0)  # Keras's statistics, not fresh ones


# --------------------------------------------------------------------------------------------
# Hostile files: a clear error, nothing imported, nothing run, nothing huge allocated
# --------------------------------------------------------------------------------------------
def _edit_config(tmp_path, change, source=DATA / "keras3_mlp.keras"):
    target = tmp_path / "edited.keras"

    def edit(data):
        config = json.loads(data)
        change(config)
        return json.dumps(config).encode()

    replace_member(source, target, "config.json", edit)
    return target


def _first_layer(config):
    return config["config"]["layers"][1]


def test_a_class_profond_does_not_have_is_named(tmp_path):
    path = _edit_config(tmp_path, lambda c: _first_layer(c).update(class_name="EinsumDense"))
    with pytest.raises(ValueError, match="EinsumDense.*no counterpart in profond"):
        pf.keras.models.load_model(path)


def test_a_module_outside_keras_is_never_imported(tmp_path):
    module = "h8_never_imported_module"
    path = _edit_config(tmp_path, lambda c: _first_layer(c).update(
        module=module, class_name="Evil", registered_name="Evil"))
    with pytest.raises(ValueError, match=f"Evil.*{module}.*never imports"):
        pf.keras.models.load_model(path)
    assert module not in sys.modules


def test_a_keras_lambda_is_refused_without_running_its_code(tmp_path):
    marker = tmp_path / "ran"

    def add_lambda(config):
        code = f"open({str(marker)!r}, 'w')"  # what the "bytecode" would do, were it run
        config["config"]["layers"].insert(2, {
            "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                       "function": {"class_name": "__lambda__",
                                    "config": {"code": code, "defaults": None,
                                               "closure": None}},
                       "output_shape": None, "mask": None, "arguments": {}}})

    path = _edit_config(tmp_path, add_lambda)
    with pytest.raises(ValueError, match="(?i)lambda.*custom_objects"):
        pf.keras.models.load_model(path)
    assert not marker.exists()


def test_a_keras_argument_profond_lacks_is_refused_by_name(tmp_path):
    path = _edit_config(tmp_path, lambda c: _first_layer(c)["config"].update(
        quantization_config={"mode": "int8"}))
    with pytest.raises(FileFormatError, match="quantization_config"):
        pf.keras.models.load_model(path)


def test_a_huge_layer_is_refused_before_its_weights_exist(tmp_path):
    path = _edit_config(tmp_path, lambda c: _first_layer(c)["config"].update(units=10**9))
    with pytest.raises(FileFormatError, match="dense.*values"):
        pf.keras.models.load_model(path)


def test_weights_that_do_not_fit_are_named(tmp_path):
    path = _edit_config(tmp_path, lambda c: _first_layer(c)["config"].update(units=7))
    with pytest.raises(FileFormatError, match="(?i)shape"):
        pf.keras.models.load_model(path)


@pytest.mark.parametrize("metadata, message", [
    ({"keras_version": "2.15.0"}, "Keras 3"),
    ({"date_saved": "today"}, "Keras 3"),
])
def test_metadata_must_be_keras_3(tmp_path, metadata, message):
    target = tmp_path / "old.keras"
    replace_member(DATA / "keras3_mlp.keras", target, "metadata.json",
                   lambda _: json.dumps(metadata).encode())
    with pytest.raises(FileFormatError, match=message):
        pf.keras.models.load_model(target)


def test_duplicate_keys_and_deep_nesting_are_refused(tmp_path):
    target = tmp_path / "dup.keras"
    replace_member(DATA / "keras3_mlp.keras", target, "config.json",
                   lambda data: b'{"class_name": "Sequential", "class_name": "Functional"}')
    with pytest.raises(FileFormatError, match="twice"):
        pf.keras.models.load_model(target)
    replace_member(DATA / "keras3_mlp.keras", target, "config.json",
                   lambda data: b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(FileFormatError):
        pf.keras.models.load_model(target)


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _members(source=DATA / "keras3_mlp.keras"):
    with zipfile.ZipFile(source) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_unexpected_members_zip_bombs_and_truncation_are_refused(tmp_path):
    members = _members()
    with pytest.raises(FileFormatError, match="unexpected member"):
        pf.keras.models.load_model(_zip(tmp_path / "a.keras",
                                        {**members, "../../etc/evil": b"x"}))
    bomb = {**members, "model.weights.h5": b"\0" * (20 * 2**20)}
    with pytest.raises(FileFormatError, match="zip bomb"):
        pf.keras.models.load_model(_zip(tmp_path / "b.keras", bomb))
    data = (DATA / "keras3_mlp.keras").read_bytes()
    (tmp_path / "c.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(FileFormatError):
        pf.keras.models.load_model(tmp_path / "c.keras")


def _weights_with(tmp_path, build):
    """The MLP file with its ``model.weights.h5`` replaced by ``build(h5)``'s."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        build(h5)
    return _zip(tmp_path / "w.keras", {**_members(), "model.weights.h5": buffer.getvalue()})


def _copy_weights(h5):
    with zipfile.ZipFile(DATA / "keras3_mlp.keras") as z, \
            h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as source:
        for key in source:
            source.copy(source[key], h5, name=key)


def test_non_numeric_and_external_datasets_are_refused(tmp_path):
    def strings(h5):
        _copy_weights(h5)
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars"].create_dataset("1", data=np.array([b"abc"] * 6))

    with pytest.raises(FileFormatError, match="not numeric"):
        pf.keras.models.load_model(_weights_with(tmp_path, strings))

    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(6, dtype="<f4").tobytes())

    def external(h5):
        _copy_weights(h5)
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars"].create_dataset("1", shape=(6,), dtype="<f4",
                                               external=[(os.fspath(secret), 0, 24)])

    with pytest.raises(FileFormatError, match="other files"):
        pf.keras.models.load_model(_weights_with(tmp_path, external))


def test_a_nan_optimizer_state_is_refused(tmp_path):
    def nan_slot(h5):
        _copy_weights(h5)
        h5["optimizer/vars/2"][...] = np.nan

    with pytest.raises(FileFormatError, match="NaN"):
        pf.keras.models.load_model(_weights_with(tmp_path, nan_slot))
    model = pf.keras.models.load_model(_weights_with(tmp_path, nan_slot), compile=False)
    assert model.optimizer is None


def test_an_optimizer_state_that_does_not_fit_is_skipped_with_a_warning(tmp_path):
    def fewer(h5):
        _copy_weights(h5)
        del h5["optimizer/vars/9"]

    with pytest.warns(UserWarning, match="optimizer's state was not loaded"):
        model = pf.keras.models.load_model(_weights_with(tmp_path, fewer))
    assert int(model.optimizer.iterations) == 0


def test_load_weights_reads_the_weights_of_a_keras_file():
    model = pf.keras.Sequential([pf.keras.Input((5,)), L.Dense(6, activation="relu"),
                                 L.Dropout(0.1), L.Dense(3, activation="softmax")])
    model.load_weights(DATA / "keras3_mlp.keras")  # as Keras 3 allows
    x, y = np.load(DATA / "keras3_mlp_x.npy"), np.load(DATA / "keras3_mlp_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, rtol=0, atol=1e-5)

    other = pf.keras.Sequential([pf.keras.Input((5,)), L.Dense(4), L.Dense(3)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(FileFormatError, match=r"expected shape \(5, 4\).*nothing was loaded"):
        other.load_weights(DATA / "keras3_mlp.keras")
    for w, b in zip(other.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)


@pytest.mark.parametrize("how", ["gzip", "unwritten"])
def test_datasets_holding_fewer_bytes_than_their_values_are_refused(tmp_path, how):
    def bomb(h5):
        _copy_weights(h5)
        del h5["layers/dense/vars/0"]
        group = h5["layers/dense/vars"]
        if how == "gzip":
            group.create_dataset("0", data=np.zeros((5, 6), "float32"), compression="gzip")
        else:
            group.create_dataset("0", shape=(5, 6), dtype="float32")

    with pytest.raises(FileFormatError, match="compressed or unwritten"):
        pf.keras.models.load_model(_weights_with(tmp_path, bomb))


def test_a_compiled_model_saved_before_training_loads_without_warning(tmp_path, recwarn):
    model = pf.keras.Sequential([pf.keras.Input((3,)), L.Dense(2)])
    model.compile(optimizer=pf.keras.optimizers.Adam(0.1), loss="mse")
    model.save(tmp_path / "fresh.keras")  # holds iterations and learning_rate only, as Keras's
    same = pf.keras.models.load_model(tmp_path / "fresh.keras")
    assert not [w for w in recwarn if "optimizer" in str(w.message)]
    assert same.optimizer.learning_rate == pytest.approx(0.1)
    same.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    assert int(same.optimizer.iterations) == 1


def test_weights_h5_files_get_the_same_dataset_checks(tmp_path):
    model = pf.keras.Sequential([pf.keras.Input((2,)), L.Dense(3)])
    with h5py.File(tmp_path / "bomb.weights.h5", "w") as h5:
        group = h5.require_group("layers/dense/vars")
        group.create_dataset("0", data=np.zeros((2, 3), "float32"), compression="gzip")
        group.create_dataset("1", data=np.zeros(3, "float32"))
    with pytest.raises(FileFormatError, match="compressed or unwritten"):
        model.load_weights(tmp_path / "bomb.weights.h5")
