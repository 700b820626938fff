"""Functional graphs as Keras 3 builds them: nodes, shared layers, ops on KerasTensors recorded as
op-layers, nested and dict inputs/outputs, symbolic losses, models inside models, summaries.

The expectations (op-layer names, output order, error texts) were learned from Keras 3 (TF 2.21)
and are recomputed here from the model's own numbers."""

import numpy as np
import pytest

import profond as pf
from profond import layers, models, saving
from profond.registry import register_serializable


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_layer_input_output_and_nodes():
    a = layers.Input(shape=(3,), name="a")
    dense = layers.Dense(2)
    with pytest.raises(AttributeError, match="never been called"):
        _ = dense.output
    y = dense(a)
    assert dense.input is a and dense.output is y
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    assert len(dense.inbound_nodes) == 1 and dense.inbound_nodes[0].layer is dense
    assert dense.inbound_nodes[0].input_tensors == [a]


def test_shared_layer_has_one_node_per_call():
    a, b = layers.Input(shape=(3,)), layers.Input(shape=(5,))
    shared = layers.Dense(4)
    ya = shared(a)
    ya2 = shared(layers.Dense(3)(b))
    assert [n.index for n in shared.inbound_nodes] == [0, 1]
    assert shared.output is ya and ya2._node.index == 1  # Keras 3: the first call's tensors
    assert shared.output_shape == (None, 4)  # the same for both calls
    c = layers.Input(shape=(7,))
    other = layers.Activation("relu")
    other(a), other(c)
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = other.input_shape
    model = models.Model([a, b], [ya, ya2])
    xa, xb = rand(2, 3), rand(2, 5, seed=1)
    out_a, out_b = model([xa, xb])
    np.testing.assert_allclose(out_a.numpy(), shared(xa).numpy(), rtol=1e-6)
    assert sum(layer is shared for layer in model.layers) == 1


@register_serializable(package="tests")
class Scale(layers.Layer):
    """``call(x, y, factor=…)``: a layer taking several tensors as positional/keyword args."""

    def call(self, x, y, factor=None):
        out = x * y
        return out if factor is None else out * factor


def test_layer_called_on_several_tensors_positional_and_keyword():
    a, b, c = (layers.Input(shape=(3,), name=n) for n in "abc")
    y = Scale()(a, b, factor=c)
    model = models.Model([a, b, c], y)
    xa, xb, xc = rand(2, 3), rand(2, 3, seed=1), rand(2, 3, seed=2)
    np.testing.assert_allclose(model([xa, xb, xc]).numpy(), xa * xb * xc, rtol=1e-6)
    clone = models.Model.from_config(model.get_config())
    np.testing.assert_allclose(clone([xa, xb, xc]).numpy(), xa * xb * xc, rtol=1e-6)
    merged = layers.Concatenate()([a, b])
    assert merged.shape == (None, 6) and merged._node.input_tensors == [a, b]


def test_wrong_number_of_inputs_names_layer_expected_received():
    a, b = layers.Input(shape=(3,)), layers.Input(shape=(3,))
    dense = layers.Dense(2, name="d")
    with pytest.raises(ValueError, match=r'Layer "d" expects 1 input\(s\), but it received 2'):
        dense([a, b])
    with pytest.raises(ValueError, match="expects 1 input"):
        dense([np.ones((1, 3)), np.ones((1, 3))])


def ops_model():
    x = layers.Input(shape=(4, 3), name="x")
    w = rand(3, 2, seed=3)
    outputs = [x[:, 0], x @ w, pf.reduce_mean(x, axis=1), pf.nn.relu(x), pf.reshape(x, (-1, 12)),
               pf.expand_dims(x, 1), pf.concat([x, 2 * x], -1), 1 - x, x / 2, x ** 2, abs(-x),
               x[..., ::2], pf.reduce_sum(x)]
    return models.Model(x, outputs), w


def numpy_outputs(v, w):
    return [v[:, 0], v @ w, v.mean(1), np.maximum(v, 0), v.reshape(-1, 12), v[:, None],
            np.concatenate([v, 2 * v], -1), 1 - v, v / 2, v ** 2, np.abs(v), v[..., ::2], v.sum()]


def test_ops_on_keras_tensors_are_recorded_and_replayed():
    model, w = ops_model()
    assert [t.shape for t in model.outputs] == [
        (None, 3), (None, 4, 2), (None, 3), (None, 4, 3), (None, 12), (None, 1, 4, 3),
        (None, 4, 6), (None, 4, 3), (None, 4, 3), (None, 4, 3), (None, 4, 3), (None, 4, 2), ()]
    assert [layer.name for layer in model.layers] == ["x"]  # ops are not layers (Keras 3)
    # the names Keras 3 gives its operator ops
    assert model.output_names[:2] == ["get_item", "matmul"]
    assert model.output_names[7:11] == ["subtract", "true_divide", "power", "absolute"]
    v = rand(5, 4, 3, seed=4)
    for got, want in zip(model(v), numpy_outputs(v, w)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    text = summary_text(model)
    assert "get_item (GetItem)" in text and "true_divide (TrueDivide)" in text
    assert "reduce_mean (ReduceMean)" in text and "Connected to" in text


def test_op_model_saves_and_loads(tmp_path):
    model, w = ops_model()
    path = tmp_path / "ops.profond"
    model.save(path)
    loaded = saving.load_model(path)
    v = rand(2, 4, 3, seed=5)
    for got, want in zip(loaded(v), numpy_outputs(v, w)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_op_layer_config_names_only_allowed_ops():
    from profond.layers import OpLayer

    with pytest.raises(ValueError, match="public profond op"):
        OpLayer(op="__import__")
    x = layers.Input(shape=(2,))
    config = models.Model(x, pf.exp(x)).get_config()
    config["layers"][1]["config"]["op"] = "os.system"
    with pytest.raises(ValueError, match="os.system"):
        models.Model.from_config(config)
    config = models.Model(x, x @ np.ones((2, 2), np.float32)).get_config()
    constant = config["layers"][1]["inbound_nodes"][0]["args"][1]
    assert constant == {"__array__": [[1.0, 1.0], [1.0, 1.0]], "dtype": "float32"}
    constant["dtype"] = "object"
    with pytest.raises(ValueError, match="must hold numbers"):
        models.Model.from_config(config)


def test_eager_ops_are_unchanged():
    a = pf.constant([[1.0, -2.0]])
    assert isinstance(pf.concat([a, a], -1), pf.Tensor)
    np.testing.assert_allclose(pf.nn.relu(a).numpy(), [[1.0, 0.0]])


def test_dict_outputs_ordered_by_key_and_named_like_keras():
    a, b = layers.Input(shape=(3,), name="a"), layers.Input(shape=(3,), name="b")
    model = models.Model([a, b], {"z": a * b, "y": (a + 1) + (-a)})
    # Keras 3: outputs flattened by sorted key; names are those of the ops that made them
    assert model.output_names == ["add_1", "multiply"] and model.output_keys == ["y", "z"]
    assert model.output_shape == {"z": (None, 3), "y": (None, 3)}
    xa, xb = rand(2, 3), rand(2, 3, seed=1)
    out = model([xa, xb])
    assert set(out) == {"y", "z"}
    np.testing.assert_allclose(out["z"].numpy(), xa * xb, rtol=1e-6)
    np.testing.assert_allclose(out["y"].numpy(), np.ones_like(xa), rtol=1e-6)
    text = summary_text(model)
    rows = [line.split("│")[1].strip() for line in text.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()]
    assert rows == ["a (InputLayer)", "add (Add)", "negative (Negative)", "b (InputLayer)",
                    "add_1 (Add)", "multiply (Multiply)"]  # Keras 3's order (by depth)


def test_inputs_as_dict_keyed_by_name_and_nested_structures():
    a, b = layers.Input(shape=(2,), name="a"), layers.Input(shape=(3,), name="b")
    c = layers.Input(shape=(1,), name="c")
    model = models.Model({"first": a, "second": [b, c]},
                         [layers.Concatenate()([a, b, c]), [a * 2]])
    assert model.input_shape == {"first": (None, 2), "second": [(None, 3), (None, 1)]}
    xa, xb, xc = rand(2, 2), rand(2, 3, seed=1), rand(2, 1, seed=2)
    (merged, [twice]) = model({"first": xa, "second": [xb, xc]})
    np.testing.assert_allclose(merged.numpy(), np.concatenate([xa, xb, xc], -1), rtol=1e-6)
    np.testing.assert_allclose(twice.numpy(), 2 * xa, rtol=1e-6)
    clone = models.Model.from_config(model.get_config())
    (merged2, _) = clone({"first": xa, "second": [xb, xc]})
    np.testing.assert_allclose(merged2.numpy(), merged.numpy(), rtol=1e-6)

    listed = models.Model([a, b], layers.Concatenate()([a, b]))
    out = listed({"b": xb, "a": xa})  # a dict keyed by the Inputs' names
    np.testing.assert_allclose(out.numpy(), np.concatenate([xa, xb], -1), rtol=1e-6)
    with pytest.raises(ValueError, match=r'Missing data for input "b".*keys \[\'a\', \'c\'\]'):
        listed({"a": xa, "c": xb})


def test_symbolic_add_loss_is_computed_at_each_call():
    x = layers.Input(shape=(3,))
    h = layers.Dense(2)(x)
    model = models.Model(x, h)
    model.add_loss(pf.reduce_mean(h ** 2))
    v = rand(4, 3)
    out = model(v)
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), np.mean(out.numpy() ** 2), rtol=1e-5)
    model(2 * v)
    assert len(model.losses) == 1  # recomputed, not accumulated
    np.testing.assert_allclose(float(model.losses[0]), 4 * np.mean(out.numpy() ** 2), rtol=1e-5)
    clone = models.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    clone(v)
    np.testing.assert_allclose(float(clone.losses[0]), np.mean(out.numpy() ** 2), rtol=1e-5)
    # fit minimizes mse + the symbolic term: with zero targets both push outputs to 0
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(v, np.zeros((4, 2), np.float32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


class Penalized(layers.Layer):
    def call(self, x):
        self.add_loss(pf.reduce_sum(x))
        return x


def test_add_loss_in_call_is_reset_per_top_level_call():
    layer = Penalized()
    layer(np.ones((2, 2)))
    layer(np.ones((2, 2)))
    assert [float(v) for v in layer.losses] == [4.0]  # as Keras: cleared at each call
    x = layers.Input(shape=(2,))
    shared = Penalized()
    model = models.Model(x, shared(shared(x)))  # one layer called twice inside one model call
    assert model.losses == []
    model(np.ones((1, 2)))
    assert [float(v) for v in model.losses] == [2.0, 2.0]


def test_models_inside_models():
    inner = models.Sequential([layers.Dense(3), layers.Dense(2)], name="inner")
    xo, xo2 = layers.Input(shape=(5,), name="xo"), layers.Input(shape=(2,), name="xo2")
    outer = models.Model([xo, xo2], layers.Concatenate()([inner(xo), xo2]))
    assert [layer.name for layer in outer.layers] == ["xo", "inner", "xo2", "concatenate"]
    text = summary_text(outer)
    assert "inner (Sequential)" in text and "inner[0][0]," in text and "Total params: 26" in text
    v, v2 = rand(2, 5), rand(2, 2, seed=1)
    np.testing.assert_allclose(outer([v, v2]).numpy()[:, :2], inner(v).numpy(), rtol=1e-6)

    func = models.Model(xo, layers.Dense(1)(xo), name="f")
    seq = models.Sequential([layers.Input(shape=(5,)), func, layers.Dense(2)])
    assert seq(v).shape == (2, 2)
    assert "f (Functional)" in summary_text(seq)
    clone = models.Sequential.from_config(seq.get_config())
    clone.set_weights(seq.get_weights())
    np.testing.assert_allclose(clone(v).numpy(), seq(v).numpy(), rtol=1e-6)


def test_model_shapes_inputs_outputs_and_get_layer():
    a, b = layers.Input(shape=(3,), name="a"), layers.Input(shape=(3,), name="b")
    dense = layers.Dense(2, name="dense")
    model = models.Model({"a": a, "b": b}, [dense(a), dense(b)])
    assert model.input_shape == {"a": (None, 3), "b": (None, 3)}
    assert model.output_shape == [(None, 2), (None, 2)]
    assert model.inputs == [a, b] and model.output_names == ["dense", "dense"]
    assert model.get_layer("dense") is dense and model.get_layer(index=2) is dense
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 10 but model only has 3 layers"):
        model.get_layer(index=10)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()


def test_sequential_inputs_outputs_and_shapes():
    model = models.Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="h"),
                               layers.Dense(2, name="o")])
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert model.output_names == ["o"] and model.output.shape == (None, 2)
    lazy = models.Sequential([layers.Dense(2)])
    with pytest.raises(AttributeError, match="never been called"):
        _ = lazy.output_shape
    lazy(np.ones((1, 3)))
    assert lazy.input_shape == (None, 3) and lazy.output_shape == (None, 2)
