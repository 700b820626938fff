"""``save_weights`` / ``load_weights``: safetensors files and Keras 3's ``.weights.h5`` (real
HDF5 in Keras's layout), mismatches named, ``skip_mismatch``, nothing half-loaded."""

import os
import pathlib
import subprocess
import warnings

import numpy as np
import pytest

import profond as pf
from profond.saving import FileFormatError

h5py = pytest.importorskip("h5py", reason="the h5 extra is not installed")

DATA = pathlib.Path(__file__).parent / "data"
ROOT = pathlib.Path(__file__).parents[2]


def sequential(units=4):
    return pf.models.Sequential([
        pf.layers.Input(shape=(3,)),
        pf.layers.Dense(units, name="d1"),
        pf.layers.BatchNormalization(),
        pf.layers.Dense(2),
    ])


def functional():
    x = pf.layers.Input(shape=(3,), name="x")
    h = pf.layers.Dense(4)(x)
    return pf.models.Model(x, pf.layers.Dense(1)(pf.layers.concatenate([h, x])))


class Sub(pf.models.Model):
    def __init__(self):
        super().__init__()
        self.encoder = pf.layers.Dense(3)
        self.blocks = [pf.layers.Dense(3), pf.layers.LayerNormalization()]
        self.head = pf.layers.Dense(1)

    def call(self, x):
        x = self.encoder(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def subclassed():
    model = Sub()
    model(np.zeros((1, 2), np.float32))
    return model


def h5_layout(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(
            name, tuple(obj.shape) if isinstance(obj, h5py.Dataset) else obj.attrs.get("name")))
    return found


def randomize(model, seed):
    """Random weights (a positive one for a moving variance, which a square root reads)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        value = rng.normal(size=v.shape)
        v.assign((np.abs(value) + 0.1 if "variance" in v.path else value).astype(v.dtype))


@pytest.mark.parametrize("make", [sequential, functional, subclassed])
@pytest.mark.parametrize("suffix", [".weights.h5", ".weights.safetensors"])
def test_round_trip(tmp_path, make, suffix):
    model, other = make(), make()
    randomize(model, 0)
    path = tmp_path / f"m{suffix}"
    model.save_weights(path)
    other.load_weights(path)
    for w, v in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(w, v)
    if suffix == ".weights.h5":
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89HDF\r\n\x1a\n"  # a real HDF5 file


def test_layouts_are_keras_3s(tmp_path):
    """The groups Keras 3.15 writes for the same models (observed in .venv-compat)."""
    sequential().save_weights(tmp_path / "s.weights.h5")
    layout = h5_layout(tmp_path / "s.weights.h5")
    assert layout["layers/dense/vars"] == "d1"
    assert {k: v for k, v in layout.items() if "/vars/" in k} == {
        "layers/dense/vars/0": (3, 4), "layers/dense/vars/1": (4,),
        **{f"layers/batch_normalization/vars/{i}": (4,) for i in range(4)},
        "layers/dense_1/vars/0": (4, 2), "layers/dense_1/vars/1": (2,)}
    functional().save_weights(tmp_path / "f.weights.h5")
    layout = h5_layout(tmp_path / "f.weights.h5")
    assert layout["layers/input_layer/vars"] == "x"
    assert "layers/concatenate/vars" in layout and layout["layers/dense_1/vars/0"] == (7, 1)
    subclassed().save_weights(tmp_path / "c.weights.h5")
    layout = h5_layout(tmp_path / "c.weights.h5")
    assert {k for k in layout if "/vars/" in k} == {
        "encoder/vars/0", "encoder/vars/1", "blocks/dense/vars/0", "blocks/dense/vars/1",
        "blocks/layer_normalization/vars/0", "blocks/layer_normalization/vars/1",
        "head/vars/0", "head/vars/1"}


def test_reads_a_file_written_by_keras():
    """``data/keras3_dense_bn_dense.weights.h5`` was written by Keras 3.15 (TF 2.21) from
    ``Sequential([Input((3,)), Dense(4, name="d1"), BatchNormalization(), Dense(2)])``."""
    path = DATA / "keras3_dense_bn_dense.weights.h5"
    model = sequential()
    model.load_weights(path)
    with h5py.File(path, "r") as f:
        expected = [f["layers/dense/vars/0"][()], f["layers/dense/vars/1"][()],
                    *[f[f"layers/batch_normalization/vars/{i}"][()] for i in range(4)],
                    f["layers/dense_1/vars/0"][()], f["layers/dense_1/vars/1"][()]]
    for w, v in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(w, v)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    k1, b1, gamma, beta, mean, var, k2, b2 = expected
    h = (x @ k1 + b1 - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(model.predict(x, verbose=0), h @ k2 + b2, rtol=1e-5, atol=1e-6)


L = pf.layers
KERAS_MODELS = {  # the same architectures as in data/README.md, built with profond
    "conv": lambda: pf.models.Sequential([
        L.Input((8, 8, 3)), L.Conv2D(4, 3), L.DepthwiseConv2D(3),
        L.SeparableConv2D(4, 3, padding="same"), L.Conv2DTranspose(2, 3),
        L.BatchNormalization(), L.PReLU(), L.Flatten(), L.Dense(3)]),
    "seq1d": lambda: pf.models.Sequential([
        L.Input((6,), dtype="int64"), L.Embedding(10, 4), L.Conv1D(3, 2),
        L.LayerNormalization(), L.TimeDistributed(L.Dense(2))]),
    "rnn": lambda: pf.models.Sequential([
        L.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(3, return_sequences=True),
        L.Bidirectional(L.SimpleRNN(2))]),
}


@pytest.mark.parametrize("name", sorted(KERAS_MODELS))
def test_keras_weights_give_keras_predictions(name):
    """Convolutions, normalizations, embeddings, recurrent layers (their ``cell``), wrappers
    (``TimeDistributed``'s ``layer``, ``Bidirectional``'s ``forward_layer``/``backward_layer``):
    Keras's weights in profond's model predict what Keras predicted."""
    model = KERAS_MODELS[name]()
    model.load_weights(DATA / f"keras3_{name}.weights.h5")
    x, y = np.load(DATA / f"keras3_{name}_x.npy"), np.load(DATA / f"keras3_{name}_y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".weights.h5", ".weights.safetensors"])
def test_mismatch_is_named_and_changes_nothing(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    sequential().save_weights(path)
    wide = sequential(units=5)
    before = wide.get_weights()
    with pytest.raises(ValueError, match=r"'.*d1/kernel'.*expected shape \(3, 5\).*\(3, 4\)"):
        wide.load_weights(path)
    for w, v in zip(wide.get_weights(), before):
        np.testing.assert_array_equal(w, v)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wide.load_weights(path, skip_mismatch=True)
    assert any("d1/kernel" in str(w.message) for w in caught)
    saved = sequential()
    saved.load_weights(path)
    after = wide.get_weights()
    np.testing.assert_array_equal(after[0], before[0])  # skipped: the shapes differ
    np.testing.assert_array_equal(after[-1], saved.get_weights()[-1])  # loaded: they fit


def test_another_architecture_is_refused(tmp_path):
    path = tmp_path / "f.weights.h5"
    functional().save_weights(path)
    model = sequential()
    before = model.get_weights()
    with pytest.raises(ValueError, match="load_weights: .*nothing was loaded"):
        model.load_weights(path)
    for w, v in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, v)
    sequential().save_weights(tmp_path / "s.weights.safetensors")
    with pytest.raises(ValueError, match="different architecture"):
        functional().load_weights(tmp_path / "s.weights.safetensors")


def test_names_keras_refuses(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*Received: filepath="):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"\.keras file holds a whole model"):
        model.save_weights(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "m.weights.h5", overwrite=False)
    with pytest.raises(TypeError, match="by_name"):
        model.load_weights(tmp_path / "m.weights.h5", by_name=True)


def test_hostile_or_foreign_h5_files(tmp_path):
    model = sequential()
    path = tmp_path / "text.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.array([b"rm -rf"], dtype=object),
                         dtype=h5py.string_dtype())
    with pytest.raises(FileFormatError, match="not numeric"):
        model.load_weights(path)
    legacy = tmp_path / "legacy.h5"  # Keras 2's layout
    with h5py.File(legacy, "w") as f:
        f.create_dataset("model_weights/dense/dense/kernel:0", data=np.zeros((3, 4)))
    with pytest.raises(FileFormatError, match="not a Keras 3 .weights.h5"):
        model.load_weights(legacy)
    (tmp_path / "junk.weights.h5").write_bytes(b"junk")
    with pytest.raises(FileFormatError, match="not a readable HDF5"):
        model.load_weights(tmp_path / "junk.weights.h5")


KERAS_LOADS_PROFOND = """
import sys, numpy as np, keras
L = keras.layers
models = {
    "dense_bn": lambda: keras.Sequential([keras.Input((3,)), L.Dense(4, name="d1"),
                                          L.BatchNormalization(), L.Dense(2)]),
    "conv": lambda: keras.Sequential([
        keras.Input((8, 8, 3)), L.Conv2D(4, 3), L.DepthwiseConv2D(3),
        L.SeparableConv2D(4, 3, padding="same"), L.Conv2DTranspose(2, 3),
        L.BatchNormalization(), L.PReLU(), L.Flatten(), L.Dense(3)]),
    "seq1d": lambda: keras.Sequential([
        keras.Input((6,), dtype="int64"), L.Embedding(10, 4), L.Conv1D(3, 2),
        L.LayerNormalization(), L.TimeDistributed(L.Dense(2))]),
    "rnn": lambda: keras.Sequential([
        keras.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(3, return_sequences=True),
        L.Bidirectional(L.SimpleRNN(2))]),
}
folder = sys.argv[1]
for name, make in models.items():
    model = make()
    model.load_weights(f"{folder}/{name}.weights.h5")
    np.save(f"{folder}/{name}_keras.npy", model.predict(np.load(f"{folder}/{name}_x.npy"),
                                                        verbose=0))
"""


@pytest.mark.compat
def test_keras_loads_profonds_files(tmp_path):
    python = ROOT / ".venv-compat" / "bin" / "python"
    if not python.exists():
        pytest.skip("no .venv-compat (make compat)")
    makers = {"dense_bn": sequential, **KERAS_MODELS}
    expected = {}
    for name, make in makers.items():
        model = make()
        randomize(model, 1)
        model.save_weights(tmp_path / f"{name}.weights.h5")
        x = np.load(DATA / f"keras3_{name}_x.npy") if name in KERAS_MODELS else \
            np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
        np.save(tmp_path / f"{name}_x.npy", x)
        expected[name] = model.predict(x, verbose=0)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS="1")
    done = subprocess.run([str(python), "-c", KERAS_LOADS_PROFOND, str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, want in expected.items():
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_keras.npy"), want,
                                   rtol=1e-4, atol=1e-5, err_msg=name)


def test_model_checkpoint_writes_real_weights_h5(tmp_path):
    from profond.callbacks import ModelCheckpoint

    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    pattern = str(tmp_path / "w-{epoch:02d}.weights.h5")
    model.fit(x, x[:, :2], epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(pattern, save_weights_only=True)])
    assert h5py.is_hdf5(tmp_path / "w-02.weights.h5")
    loaded = sequential()
    loaded.load_weights(tmp_path / "w-02.weights.h5")
    for w, v in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(w, v)
    with pytest.raises(ValueError, match="save_weights_only=True.*Received: filepath="):
        ModelCheckpoint(str(tmp_path / "model.h5"))
    with pytest.raises(ValueError, match="weights.h5"):
        ModelCheckpoint(str(tmp_path / "m.weights.h5"), save_weights_only=False)


def test_model_checkpoint_writes_a_keras_3_model_file(tmp_path):
    import zipfile

    from profond.callbacks import ModelCheckpoint

    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    model.fit(x, x[:, :2], epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"))])
    with zipfile.ZipFile(tmp_path / "m-2.keras") as archive:
        assert {"config.json", "metadata.json", "model.weights.h5"} <= set(archive.namelist())
    loaded = pf.models.load_model(tmp_path / "m-2.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"whole model.*save_weights_only=True"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)


def test_whole_model_hdf5_files_are_refused_clearly(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match=r"legacy HDF5.*model\.save\('model\.profond'\)"):
        model.save(tmp_path / "model.h5")
    assert not (tmp_path / "model.h5").exists()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileFormatError, match=r"HDF5 file, not a profond model.*load_weights"):
        pf.models.load_model(tmp_path / "w.weights.h5")
