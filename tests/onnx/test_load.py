"""``profond.onnx.load``: files written by ``torch.onnx.export`` and by profond's own exporter
run in profond with the same results; hostile or broken files get clear errors."""

import warnings

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import profond as pf
from profond import layers as L
from profond.onnx import OnnxFileError, OnnxModel, load, to_onnx

torch = pytest.importorskip("torch")


class _LSTMNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 5, batch_first=True)
        self.fc = torch.nn.Linear(5, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1])


class _GRUNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.gru(x)[0]


def _torch_nets():
    torch.manual_seed(0)
    nn = torch.nn
    bn = nn.BatchNorm2d(4)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 1.5)
    return {
        "mlp": (nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                              nn.Linear(8, 3), nn.Softmax(-1)), (6,)),
        "cnn": (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), bn, nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 4, 3, stride=2), nn.AvgPool2d(2), nn.Flatten(),
                              nn.Linear(4, 2)), (1, 12, 12)),
        "lstm": (_LSTMNet(), (7, 3)),
        "bigru": (_GRUNet(), (7, 3)),
        "norms": (nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.GELU(), nn.Dropout(0.3),
                                nn.LayerNorm(8), nn.Linear(8, 4), nn.LogSoftmax(-1)), (6,)),
        "cnn2": (nn.Sequential(nn.Conv1d(2, 4, 3, padding=2, dilation=2), nn.ELU(),
                               nn.Unflatten(2, (1, 9)), nn.ConvTranspose2d(4, 3, 3, stride=2),
                               nn.LeakyReLU(0.1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                               nn.Sigmoid()), (2, 9)),
    }


@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "bigru", "norms", "cnn2"])
def test_files_written_by_torch(tmp_path, name):
    net, shape = _torch_nets()[name]
    net.eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.randn(2, *shape), str(path), dynamo=False,
                          input_names=["x"], output_names=["y"], opset_version=17,
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    model = load(path)
    assert model.input_names == ["x"] and model.input_shapes == [(None, *shape)]
    for batch in (2, 5):
        x = torch.randn(batch, *shape)
        with torch.no_grad():
            want = net(x).numpy()
        got = model.predict(x.numpy())
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert isinstance(model(x.numpy()), pf.Tensor)


ROUND_TRIP = {
    "cnn": lambda: [L.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
                    L.MaxPooling2D(padding="same"), L.AveragePooling2D(3, 1, padding="same"),
                    L.Conv2DTranspose(2, 3, strides=2, padding="same"), L.ZeroPadding2D(1),
                    L.UpSampling2D(), L.GlobalAveragePooling2D(), L.Dense(2, activation="gelu")],
    "conv1d": lambda: [L.Input((9, 2)), L.Conv1D(3, 3, padding="causal"), L.MaxPooling1D(),
                       L.Conv1DTranspose(2, 2, strides=3), L.GlobalMaxPooling1D()],
    "norms": lambda: [L.Input((4, 5)), L.LayerNormalization(), L.BatchNormalization(),
                      L.Permute((2, 1)), L.Flatten(), L.Dense(3, activation="selu"),
                      L.Reshape((3, 1)), L.Softmax(axis=1)],
    "rnn": lambda: [L.Input((6, 3)), L.GRU(4, reset_after=False, return_sequences=True),
                    L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="sum"),
                    L.LSTM(2, go_backwards=True)],
    "depthwise": lambda: [L.Input((7, 6, 3)), L.DepthwiseConv2D(3, depth_multiplier=2,
                                                                padding="same"),
                          L.SeparableConv2D(4, 3), L.Cropping2D(((1, 0), (0, 1))),
                          L.Rescaling(0.5, offset=1.0), L.ReLU()],
    "activations": lambda: [L.Input((5,)), L.Dense(4, activation="hard_silu"),
                            L.LeakyReLU(0.1), L.Dense(4, activation="softsign"), L.PReLU(),
                            L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                            L.Dense(3, activation="log_softmax")],
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_profond_exports_load_back(tmp_path, name, randomize):
    model = randomize(pf.models.Sequential(ROUND_TRIP[name]()))
    path = tmp_path / "m.onnx"
    model.export(str(path), format="onnx")
    twin = load(path)
    for batch in (1, 4):
        shape = (batch, *model.inputs[0].shape[1:])
        x = np.random.default_rng(batch).standard_normal(shape).astype("float32")
        np.testing.assert_allclose(twin.predict(x), model.predict(x, verbose=0), rtol=0,
                                   atol=1e-5)


def test_embedding_and_merges_load_back(randomize):
    ids = L.Input((5,), dtype="int64", name="ids")
    extra = L.Input((5, 3), name="extra")
    x = L.Embedding(10, 3)(ids)
    y = L.Concatenate()([L.Add()([x, extra]), L.Multiply()([x, extra]),
                         L.Average()([x, extra])])
    model = randomize(pf.models.Model([ids, extra], [y, L.Maximum()([x, extra])]))
    twin = OnnxModel(to_onnx(model))
    feed = [np.arange(10).reshape(2, 5) % 10, np.ones((2, 5, 3), "float32")]
    for got, want in zip(twin.predict({"ids": feed[0], "extra": feed[1]}),
                         model.predict(feed, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    got = twin.predict(feed, batch_size=1)
    np.testing.assert_allclose(got[1], model.predict(feed, verbose=0)[1], atol=1e-5)


# --- bad files -----------------------------------------------------------------------------------

def _file(nodes, inputs, outputs, initializers=(), opset=17, path=None, **model_kwargs):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              **model_kwargs)
    if path is not None:
        path.write_bytes(model.SerializeToString())
    return model


def _io(name, shape=(None, 3)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def test_an_unsupported_op_is_named(tmp_path):
    path = tmp_path / "m.onnx"
    _file([helper.make_node("Einsum", ["x", "x"], ["y"], equation="ij,ij->ij"),
           helper.make_node("TopK", ["y", "k"], ["v", "i"])], [_io("x")], [_io("v")],
          [numpy_helper.from_array(np.array([1], np.int64), "k")], path=path)
    with pytest.raises(NotImplementedError, match=r"\['Einsum', 'TopK'\]"):
        load(path)


def test_custom_domains_and_functions_are_refused():
    node = helper.make_node("Relu", ["x"], ["y"], domain="com.evil")
    with pytest.raises(OnnxFileError, match="custom domain 'com.evil'"):
        OnnxModel(_file([node], [_io("x")], [_io("y")]))
    fn = helper.make_function("local", "F", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                              [helper.make_opsetid("", 17)])
    model = _file([helper.make_node("Relu", ["x"], ["y"])], [_io("x")], [_io("y")],
                  functions=[fn])
    with pytest.raises(OnnxFileError, match="local functions"):
        OnnxModel(model)


def test_truncated_empty_garbage_and_oversized_files(tmp_path):
    model = pf.models.Sequential([L.Input((16,)), L.Dense(64), L.Dense(4)])
    path = tmp_path / "m.onnx"
    model.export(str(path), format="onnx")
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 7):
        bad = tmp_path / f"cut{cut}.onnx"
        bad.write_bytes(data[:cut])
        with pytest.raises(OnnxFileError, match="truncated"):
            load(bad)
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(OnnxFileError, match="empty"):
        load(tmp_path / "empty.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\xff" * 100)
    with pytest.raises(OnnxFileError, match="not a valid ONNX file"):
        load(tmp_path / "junk.onnx")
    with pytest.raises(OnnxFileError, match="over the limit"):
        load(path, max_bytes=1000)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.onnx")


def test_tensor_sizes_are_bounded_before_reading():
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**20, 2**12])
    huge.raw_data = b"\0" * 16  # declares 16 GiB, holds 16 bytes
    model = _file([helper.make_node("Add", ["x", "w"], ["y"])], [_io("x")], [_io("y")], [huge])
    with pytest.raises(OnnxFileError, match="over"):
        OnnxModel(model)
    liar = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3])
    liar.raw_data = b"\0" * 4
    with pytest.raises(OnnxFileError, match="malformed"):
        OnnxModel(_file([helper.make_node("Add", ["x", "w"], ["y"])], [_io("x")], [_io("y")],
                        [liar]))
    shape = numpy_helper.from_array(np.array([2**20, 2**20], np.int64), "s")
    model = _file([helper.make_node("ConstantOfShape", ["s"], ["y"])], [_io("x")],
                  [_io("y", (None, None))], [shape])
    with pytest.raises(ValueError, match="over the limit"):
        OnnxModel(model).predict(np.ones((1, 3), "float32"))


def test_external_data_is_refused():
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3])
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    model = _file([helper.make_node("Add", ["x", "w"], ["y"])], [_io("x")], [_io("y")], [t])
    with pytest.raises(OnnxFileError, match="external file"):
        OnnxModel(model)


def test_graph_checks_and_input_checks():
    nodes = [helper.make_node("Relu", ["z"], ["y"]), helper.make_node("Relu", ["x"], ["z"])]
    with pytest.raises(OnnxFileError, match="out of order"):
        OnnxModel(_file(nodes, [_io("x")], [_io("y")]))
    model = OnnxModel(_file([helper.make_node("Relu", ["x"], ["y"])], [_io("x")], [_io("y")]))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(2, 4\)"):
        model.predict(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="expects 1 input"):
        model.predict([np.ones((2, 3)), np.ones((2, 3))])
    np.testing.assert_array_equal(model.predict(np.array([[-1.0, 0.0, 2.0]])), [[0, 0, 2]])


def test_attention_loads_back(randomize):
    x, mask = L.Input((4, 6)), L.Input((4, 4), dtype="bool")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    y = L.Attention()([mha(x, x, attention_mask=mask, use_causal_mask=True), x])
    model = randomize(pf.models.Model([x, mask], y))
    keep = np.ones((3, 4, 4), bool)
    keep[:, 1:, 2] = False
    feed = [np.random.default_rng(0).standard_normal((3, 4, 6)).astype("float32"), keep]
    np.testing.assert_allclose(OnnxModel(to_onnx(model)).predict(feed),
                               model.predict(feed, verbose=0), rtol=0, atol=1e-5)


def test_runtime_growth_is_bounded():
    a = numpy_helper.from_array(np.zeros((2**15, 1), np.float32), "a")
    b = numpy_helper.from_array(np.zeros((1, 2**15), np.float32), "b")
    nodes = [helper.make_node("Add", ["a", "b"], ["big"]),
             helper.make_node("ReduceSum", ["big"], ["y"], keepdims=0)]
    model = OnnxModel(_file(nodes, [_io("x")], [_io("y", ())], [a, b]))
    with pytest.raises(ValueError, match=r"node .* \(Add\) would make 1,073,741,824 numbers"):
        model.predict(np.ones((1, 3), "float32"))
    reps = numpy_helper.from_array(np.array([2**20, 2**20], np.int64), "r")
    model = OnnxModel(_file([helper.make_node("Tile", ["x", "r"], ["y"])], [_io("x")],
                            [_io("y", (None, None))], [reps]))
    with pytest.raises(ValueError, match="Tile would make"):
        model.predict(np.ones((1, 3), "float32"))


def test_recorded_ops_load_back(randomize):
    x = L.Input((3, 4))
    y = pf.concat([pf.nn.relu(L.Dense(4)(x)) * 2.0 - x, x[:, 1:]], axis=1)
    model = randomize(pf.models.Model(x, pf.reduce_sum(y, axis=-1)))
    feed = np.random.default_rng(1).standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(OnnxModel(to_onnx(model)).predict(feed),
                               model.predict(feed, verbose=0), rtol=0, atol=1e-5)
