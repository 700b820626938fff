"""Whole models exported (MLP, CNN, LSTM; Sequential, functional, nested), ``model.export``,
the ``profond export`` command, and the errors of what does not export."""

import numpy as np
import onnx
import pytest

import profond as pf
from profond import layers as L
from profond.cli import main
from profond.onnx import OnnxModel, to_onnx


def _floats(*shape, seed=0):
    return lambda batch: [np.random.default_rng(batch + 100 * seed)
                          .standard_normal((batch, *shape)).astype("float32")]


def _mlp():
    return pf.models.Sequential([L.Input((8,)), L.Dense(16, activation="relu"),
                                 L.Dropout(0.2), L.Dense(16, activation="gelu"),
                                 L.BatchNormalization(), L.Dense(3, activation="softmax")])


def _cnn():
    return pf.models.Sequential([
        L.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(6, 3, padding="same"), L.BatchNormalization(), L.Activation("relu"),
        L.AveragePooling2D(), L.Flatten(), L.Dense(10, activation="softmax")])


def _lstm():
    inputs = L.Input((7,), dtype="int64", name="tokens")
    x = L.Embedding(20, 6)(inputs)
    x = L.LSTM(8, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(5))(x)
    x = L.LayerNormalization()(x)
    return pf.models.Model(inputs, L.Dense(2, activation="sigmoid")(x))


def _tokens(batch):
    return [np.random.default_rng(batch).integers(0, 20, (batch, 7)).astype("int64")]


@pytest.mark.parametrize("build,inputs", [(_mlp, _floats(8)), (_cnn, _floats(12, 12, 1)),
                                          (_lstm, _tokens)], ids=["mlp", "cnn", "lstm"])
def test_whole_models_match_predict(check_export, build, inputs):
    proto = check_export(build(), inputs)
    assert proto.opset_import[0].version >= 17
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"  # the batch axis is dynamic


def test_trained_model_matches(ort_session):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 8)).astype("float32"), rng.integers(0, 3, 64)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    sess = ort_session(to_onnx(model))
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=0, atol=1e-5)


def test_functional_with_branches_and_a_nested_model(check_export):
    inner = pf.models.Sequential([L.Input((6,)), L.Dense(4, activation="tanh")], name="inner")
    a, b = L.Input((6,), name="left"), L.Input((6,), name="right")
    shared = L.Dense(6, activation="elu", name="shared")
    x = L.Concatenate()([inner(shared(a)), inner(shared(b))])
    out = L.Dense(2, name="scores")(x)
    model = pf.models.Model([a, b], [out, L.Activation("softmax", name="probs")(out)])
    proto = check_export(model, lambda n: _floats(6)(n) + _floats(6, seed=1)(n))
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert [o.name for o in proto.graph.output] == ["scores", "probs"]
    names = [t.name for t in proto.graph.initializer]
    assert names.count("shared/kernel") == 1  # a shared layer's weights are written once


def test_model_export_method_and_cli(tmp_path, capsys, ort_session):
    model = pf.models.Sequential([L.Input((4,)), L.Dense(3, activation="relu")])
    path = tmp_path / "m.onnx"
    model.export(str(path), format="onnx")
    onnx.checker.check_model(onnx.load(str(path)))
    with pytest.raises(NotImplementedError, match="SavedModel"):
        model.export(str(tmp_path / "saved"))  # other formats keep their error

    model.save(str(tmp_path / "m.profond"))
    out = tmp_path / "cli.onnx"
    assert main(["export", str(tmp_path / "m.profond"), str(out)]) == 0
    assert "ONNX" in capsys.readouterr().out
    x = np.ones((3, 4), "float32")
    sess = ort_session(str(out))
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)
    assert main(["export", str(tmp_path / "missing.profond"), str(out)]) == 1
    assert "No such model file" in capsys.readouterr().err


def test_a_layer_without_converter_is_named():
    model = pf.models.Sequential([L.Input((4, 3)), L.Lambda(lambda t: t * 2.0, name="twice")])
    with pytest.raises(NotImplementedError, match=r'layer "twice" of class Lambda'):
        to_onnx(model)


def test_what_cannot_export_says_why():
    class Sub(pf.models.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    sub = Sub()
    sub(np.ones((1, 3), "float32"))
    with pytest.raises(NotImplementedError, match="subclassed"):
        to_onnx(sub)
    with pytest.raises(ValueError, match="not built"):
        to_onnx(pf.models.Sequential([L.Dense(2)]))
    masked = pf.models.Sequential([L.Input((5,)), L.Embedding(9, 3, mask_zero=True), L.LSTM(2)])
    with pytest.raises(NotImplementedError, match="mask"):
        to_onnx(masked)
    odd = pf.models.Sequential([L.Input((5, 3)), L.LSTM(2, activation="gelu")])
    with pytest.raises(NotImplementedError, match="'gelu'"):
        to_onnx(odd)
    with pytest.raises(TypeError, match="expects a profond Model"):
        to_onnx(L.Dense(3))


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_opset_versions(opset, randomize, run_both):
    model = randomize(pf.models.Sequential([
        L.Input((5, 4)), L.LayerNormalization(), L.Conv1D(3, 2), L.GlobalAveragePooling1D(),
        L.Dense(2)]))
    proto = to_onnx(model, opset_version=opset)
    assert proto.opset_import[0].version == opset
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    got, want = run_both(model, [x], proto)
    np.testing.assert_allclose(got[0], want[0], atol=1e-5)
    np.testing.assert_allclose(OnnxModel(proto).predict(x), want[0], atol=1e-5)


def test_export_arguments(tmp_path, capsys):
    model = pf.models.Sequential([L.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match=r"opset_version between 17 and 21. Received: "
                                         r"opset_version=12"):
        model.export(str(tmp_path / "m.onnx"), format="onnx", opset_version=12)
    with pytest.raises(NotImplementedError, match="input_signature"):
        model.export(str(tmp_path / "m.onnx"), format="onnx", input_signature=[(None, 4)])
    model.export(str(tmp_path / "m.onnx"), format="onnx")
    assert "Saved the ONNX model (opset 17)" in capsys.readouterr().out
    model.export(str(tmp_path / "m.onnx"), format="onnx", verbose=False)
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temporary file left


@pytest.mark.filterwarnings("ignore:divide by zero")  # the symbolic pass divides zeros
def test_recorded_ops_in_a_functional_model(check_export):
    x = L.Input((4, 6), name="x")
    h = L.Dense(6)(x)
    y = pf.nn.relu(h * 0.5 + x) - 1.0
    y = 2.0 / (pf.square(y) + 1.0)
    z = (pf.reduce_mean(y, axis=1, keepdims=True) + pf.reduce_max(y, axis=1, keepdims=True)
         - pf.reduce_sum(y, axis=1, keepdims=True))
    t = pf.transpose(pf.reshape(y, (-1, 6, 4)), (0, 2, 1))
    w = pf.concat([pf.expand_dims(y[:, 0], 1), t[:, 1:3], z], axis=1)
    model = pf.models.Model(x, [pf.nn.softmax(w), pf.sigmoid(y @ pf.ones((6, 2)))])
    check_export(model, _floats(4, 6))


def test_an_op_without_converter_is_named():
    x = L.Input((4,))
    model = pf.models.Model(x, pf.cumsum(x, axis=1))
    with pytest.raises(NotImplementedError, match=r"cumsum.*has no ONNX converter"):
        to_onnx(model)


def test_a_small_gpt_block(check_export):
    tokens = L.Input((6,), dtype="int64", name="tokens")
    x = L.TokenAndPositionEmbedding(13, 6, 8)(tokens)
    h = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    x = L.LayerNormalization(epsilon=1e-5)(L.Add()([x, h]))
    f = L.Dense(8)(L.Dense(16, activation="gelu")(x))
    x = L.LayerNormalization(epsilon=1e-5)(x + f)
    model = pf.models.Model(tokens, L.Dense(13)(x))

    def ids(batch):
        return [np.random.default_rng(batch).integers(0, 13, (batch, 6)).astype("int64")]

    proto = check_export(model, ids)
    feed = ids(3)[0]
    np.testing.assert_allclose(OnnxModel(proto).predict(feed), model.predict(feed, verbose=0),
                               rtol=0, atol=1e-5)
