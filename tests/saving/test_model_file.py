"""Model files: an exact round trip, and a loader that refuses anything malformed, clearly."""

import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy

import profond as pf
import profond.layers
import profond.losses
import profond.metrics
import profond.models
import profond.optimizers
from profond import saving
from profond.saving import FileFormatError, model_file


def make_model(seed=0, units=8):
    pf.layers.clear_session()  # layer names start again at "dense"
    pf.random.set_seed(seed)
    model = pf.models.Sequential([
        pf.layers.Dense(units, activation="relu", input_shape=(4,)),
        pf.layers.Dropout(0.25),
        pf.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(48, 4)).astype(np.float32), np.arange(48) % 3


@pytest.fixture
def saved(tmp_path, data):
    model = make_model()
    model.fit(*data, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.profond"
    model.save(path)
    return model, path


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(path, changes, drop=()):
    """The same zip with some members replaced (``{name: bytes}``) or removed."""
    content = {**members(path), **changes}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in content.items():
            if name not in drop:
                zf.writestr(name, data)


def edit_config(path, edit):
    spec = json.loads(members(path)["config.json"])
    edit(spec)
    rewrite(path, {"config.json": json.dumps(spec)})


# --- round trips --------------------------------------------------------------------------------
def test_round_trip_is_bit_identical_and_keeps_training_state(saved, data):
    model, path = saved
    assert sorted(members(path)) == sorted(
        ["config.json", "metadata.json", "model.weights.safetensors", "optimizer.safetensors"])
    loaded = saving.load_model(path)
    assert type(loaded) is type(model) and [la.name for la in loaded.layers] == [
        la.name for la in model.layers]
    x, y = data
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.optimizer.iterations) == 6 and loaded.optimizer.learning_rate == 0.01
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    metadata = json.loads(members(path)["metadata.json"])
    assert metadata["format_version"] == 1 and metadata["profond_version"] == pf.__version__
    assert metadata["numpy_version"] == np.__version__ and metadata["date_saved"]


def test_load_without_compile_and_without_optimizer(saved, tmp_path):
    model, path = saved
    assert saving.load_model(path, compile=False).optimizer is None
    light = tmp_path / "light.profond"
    saving.save_model(model, light, include_optimizer=False)
    assert "optimizer.safetensors" not in members(light)
    assert int(saving.load_model(light).optimizer.iterations) == 0
    with pytest.raises(FileExistsError, match="overwrite"):
        saving.save_model(model, light, overwrite=False)


def test_functional_model_round_trip(tmp_path, data):
    inputs = pf.layers.Input(shape=(4,))
    hidden = pf.layers.Dense(5, activation="tanh")(inputs)
    model = pf.models.Model(inputs, pf.layers.Dense(2)(hidden))
    model.save(tmp_path / "f.profond")
    loaded = saving.load_model(tmp_path / "f.profond")
    np.testing.assert_array_equal(loaded.predict(data[0], verbose=0),
                                  model.predict(data[0], verbose=0))


def test_non_contiguous_weights_are_written_correctly(tmp_path, data):
    model = make_model()
    kernel = model.layers[0].kernel
    kernel.data = np.asfortranarray(kernel.data)  # same values, column-major memory
    model.save(tmp_path / "m.profond")
    loaded = saving.load_model(tmp_path / "m.profond")
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), kernel.numpy())


def test_save_and_load_weights(tmp_path, data):
    model = make_model(seed=1)
    model.save_weights(tmp_path / "w.safetensors")
    other = make_model(seed=2)
    other.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(other.predict(data[0], verbose=0),
                                  model.predict(data[0], verbose=0))
    model.save(tmp_path / "m.profond")
    make_model(seed=3).load_weights(tmp_path / "m.profond")  # a model file's weights work too


def test_custom_layer_through_custom_objects(tmp_path, data):
    class Doubler(pf.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    model = pf.models.Sequential([pf.layers.Input(shape=(4,)), Doubler(name="doubler")])
    saving.register_serializable(package="tests")(Doubler)
    model.save(tmp_path / "c.profond")
    pf.registry._REGISTRY.pop("tests>Doubler")
    with pytest.raises(ValueError, match="Unknown class 'tests>Doubler'"):
        saving.load_model(tmp_path / "c.profond")
    loaded = saving.load_model(tmp_path / "c.profond", custom_objects={"tests>Doubler": Doubler})
    np.testing.assert_array_equal(loaded.predict(data[0], verbose=0), data[0] * 2)
    assert "tests>Doubler" not in pf.registry._REGISTRY  # the scope was undone


def test_unregistered_classes_load_only_through_custom_objects(tmp_path):
    class Mine(pf.models.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = pf.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Mine()
    x = np.ones((3, 4), "float32")
    model(x)
    saving.save_model(model, tmp_path / "x.profond")  # saved as "Mine", as Keras does
    with pytest.raises(ValueError, match="Unknown class 'Mine'"):
        saving.load_model(tmp_path / "x.profond")
    loaded = saving.load_model(tmp_path / "x.profond", custom_objects={"Mine": Mine})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

    class Dense(pf.layers.Layer):  # a name profond already uses: refused, never mixed up
        def call(self, x):
            return x

    with pytest.raises(TypeError, match="name is taken"):
        pf.registry.registered_name(Dense())
    with pytest.raises(TypeError, match="not registered"):
        pf.registry.registered_name(lambda x: x)


def test_writes_are_atomic(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()
    original = zipfile.ZipFile.writestr
    calls = []

    def failing(self, name, data, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before  # the old file is intact
    assert os.listdir(path.parent) == ["model.profond"]  # and no temporary file is left


# --- hostile or damaged files --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess>Popen"])
def test_class_names_only_come_from_the_registry(saved, name, monkeypatch):
    _, path = saved
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    edit_config(path, lambda spec: spec.update(class_name=name, config={"command": "echo hi"}))
    with pytest.raises(ValueError, match=f"Unknown class '{name}'"):
        saving.load_model(path)
    edit_config(path, lambda spec: spec.update(class_name="Sequential", config={
        "layers": [{"class_name": name, "config": {"command": "echo hi"}}]}))
    with pytest.raises(ValueError, match=f"Unknown class '{name}'"):
        saving.load_model(path)
    assert called == []


def test_wrong_shape_or_dtype_names_the_variable(saved):
    _, path = saved
    edit_config(path, lambda spec: spec["config"]["layers"][1]["config"].update(units=9))
    with pytest.raises(ValueError,
                       match=r"'sequential/dense/kernel'.*expected shape \(4, 9\).*shape \(4, 8\)"):
        saving.load_model(path)
    _, path2 = saved
    edit_config(path2, lambda spec: spec["config"]["layers"][1]["config"].update(units=8,
                                                                                 dtype="float64"))
    with pytest.raises(ValueError, match="expected dtype float64.*dtype float32"):
        saving.load_model(path2)


def test_unexpected_missing_or_duplicate_members(saved):
    _, path = saved
    original = path.read_bytes()
    rewrite(path, {"../../etc/passwd": b"x"})
    with pytest.raises(FileFormatError, match="unexpected member"):
        saving.load_model(path)
    path.write_bytes(original)
    rewrite(path, {}, drop=("model.weights.safetensors",))
    with pytest.raises(FileFormatError, match="missing"):
        saving.load_model(path)
    path.write_bytes(original)
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as zf:
        zf.writestr("config.json", b"{}")
    with pytest.raises(FileFormatError, match="twice"):
        saving.load_model(path)


def test_truncated_corrupted_and_non_zip_files(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        with pytest.raises(FileFormatError, match="not a valid profond file"):
            saving.load_model(path)
    # Flip one byte inside the stored weights: the CRC check catches it.
    damaged = bytearray(data)
    damaged[data.rindex(b"0003:sequential/dense_1/bias") + 200] ^= 0xFF  # in the tensors' bytes
    path.write_bytes(bytes(damaged))
    with pytest.raises(FileFormatError, match="CRC"):
        saving.load_model(path)
    text = tmp_path / "notes.profond"
    text.write_text("hello")
    with pytest.raises(FileFormatError, match="not a valid profond file"):
        saving.load_model(text)


def test_invalid_json_and_newer_format(saved):
    _, path = saved
    original = path.read_bytes()
    for bad, message in [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"),
                         (b"\xff\xfe", "not valid JSON"), (b"[" * 100000, "not valid JSON")]:
        path.write_bytes(original)
        rewrite(path, {"config.json": bad})
        with pytest.raises(FileFormatError, match=message):
            saving.load_model(path)
    path.write_bytes(original)
    metadata = json.loads(members(path)["metadata.json"])
    rewrite(path, {"metadata.json": json.dumps({**metadata, "format_version": 99})})
    with pytest.raises(FileFormatError, match="upgrade profond"):
        saving.load_model(path)


def test_sizes_are_checked_before_reading(saved, monkeypatch):
    _, path = saved
    original = path.read_bytes()
    monkeypatch.setitem(model_file.MEMBER_LIMITS, "config.json", 100)
    monkeypatch.setattr(model_file, "_read_member", lambda *a: pytest.fail("read too early"))
    with pytest.raises(FileFormatError, match=r"config.json is \d+ bytes, more than the 100"):
        saving.load_model(path)
    monkeypatch.undo()
    # A "zip bomb": 8 MiB of zeros deflate to a few kB.
    path.write_bytes(original)
    rewrite(path, {}, drop=("optimizer.safetensors",))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("optimizer.safetensors", b"\0" * (8 * 2**20))
    with pytest.raises(FileFormatError, match="zip bomb"):
        saving.load_model(path)


def test_malformed_safetensors(saved):
    _, path = saved
    weights = members(path)["model.weights.safetensors"]
    huge = (2**62).to_bytes(8, "little") + weights[8:]
    rewrite(path, {"model.weights.safetensors": huge})
    with pytest.raises(FileFormatError, match="announces a header of 4611686018427387904 bytes"):
        saving.load_model(path)
    header = json.dumps({"0000:dense/kernel": {"dtype": "F32", "shape": [4, 8],
                                                "data_offsets": [0, 999999]}}).encode()
    rewrite(path, {"model.weights.safetensors": len(header).to_bytes(8, "little") + header})
    with pytest.raises(FileFormatError, match="not a valid safetensors file"):
        saving.load_model(path)
    odd = safetensors.numpy.save({"kernel": np.zeros((4, 8), np.float32)})
    rewrite(path, {"model.weights.safetensors": odd})
    with pytest.raises(FileFormatError, match="Expected keys like"):
        saving.load_model(path)


def test_read_file_info(saved):
    _, path = saved
    info = saving.read_file_info(path)
    assert info["config"]["class_name"] == "Sequential"
    assert info["weights"][0] == ("0000:sequential/dense/kernel", "F32", [4, 8])
    assert info["optimizer"][0] == ("0000:adam/iteration", "I64", [])
    assert info["training_state"] is None


def test_loading_never_unpickles(saved, monkeypatch):
    import pickle

    _, path = saved
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle used"))
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("np.load used"))
    saving.load_model(path)


def my_loss(y_true, y_pred):
    return pf.reduce_mean(pf.square(y_true - y_pred), axis=-1)


def test_compile_arguments_by_name_object_or_custom_function(tmp_path):
    model = pf.models.Sequential([pf.layers.Dense(1, input_shape=(2,))])
    path = tmp_path / "c.profond"
    for loss, metrics in [(pf.losses.mean_squared_error, ["mae"]),
                          (pf.losses.Huber(delta=2.0), [pf.metrics.MeanAbsoluteError()])]:
        model.compile(optimizer=pf.optimizers.SGD(0.5), loss=loss, metrics=metrics)
        model.save(path)
        loaded = saving.load_model(path)
        assert loaded.metrics_names == model.metrics_names
        assert loaded.optimizer.learning_rate == 0.5
    assert saving.load_model(path).loss.get_config()["delta"] == 2.0

    model.compile(optimizer="sgd", loss=my_loss)
    model.save(path)
    with pytest.raises(FileFormatError, match="custom_objects"):
        saving.load_model(path)
    assert saving.load_model(path, custom_objects={"my_loss": my_loss}).optimizer is not None

    model.compile(optimizer="sgd", loss=lambda y, p: my_loss(y, p))
    with pytest.warns(UserWarning, match="load uncompiled"):
        model.save(path)
    assert saving.load_model(path).optimizer is None
