"""Functional API (Input → layers → Model) and subclassed models."""

import numpy as np
import pytest

import profond as pf
from profond import layers, models
from profond.registry import deserialize, register_serializable, serialize


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


@register_serializable(package="tests")
class Concat(layers.Layer):
    def call(self, inputs):
        return pf.concat(list(inputs), axis=-1)


def mlp():
    inputs = layers.Input(shape=(6,))
    x = layers.Dense(8, activation="relu")(inputs)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return models.Model(inputs, outputs, name="mlp")


def test_functional_model_basics():
    model = mlp()
    assert type(model).__name__ == "Functional" and isinstance(model, models.Model)
    assert [type(la).__name__ for la in model.layers] == ["InputLayer", "Dense", "Dropout",
                                                          "Dense"]
    out = model(np.ones((4, 6)))
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.numpy().sum(axis=1), 1.0, rtol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "input_layer (InputLayer)" in text and "(None, 8)" in text
    assert "Total params: 83" in text


def test_functional_config_round_trip():
    model = mlp()
    clone = deserialize(serialize(model))
    assert [type(la).__name__ for la in clone.layers] == [type(la).__name__ for la in model.layers]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((5, 6), dtype=np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_multi_input_multi_output_and_shared_layer():
    a, b = layers.Input(shape=(3,)), layers.Input(shape=(2,))
    shared = layers.Dense(4, activation="tanh")
    merged = Concat()([shared(Concat()([a, b])), layers.Dense(4)(b)])
    out1, out2 = layers.Dense(1)(merged), layers.Dense(2)(merged)
    model = models.Model([a, b], [out1, out2])
    xa, xb = np.ones((5, 3)), np.ones((5, 2))
    y1, y2 = model([xa, xb])
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    clone = models.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    c1, c2 = clone([xa, xb])
    np.testing.assert_allclose(c1.numpy(), y1.numpy(), rtol=1e-6)
    model.compile(optimizer="sgd", loss=["mse", "mse"], loss_weights=[1.0, 0.5])
    hist = model.fit([xa, xb], [np.zeros((5, 1)), np.zeros((5, 2))], epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_graph_disconnected_and_bad_inputs():
    a, b = layers.Input(shape=(3,)), layers.Input(shape=(3,))
    out = layers.Dense(1)(Concat()([a, b]))
    with pytest.raises(ValueError, match="disconnected"):
        models.Model(a, out)
    with pytest.raises(ValueError, match="symbolic"):
        models.Model(a, np.ones(3))


def test_functional_wrong_input_shape():
    model = mlp()
    with pytest.raises(ValueError) as e:
        model(np.ones((2, 5)))
    assert '"mlp"' in str(e.value) and "6" in str(e.value) and "(2, 5)" in str(e.value)


class MLP(models.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(16, activation="relu")
        self.drop = layers.Dropout(0.5)
        self.out = layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.drop(self.hidden(x), training=training))


def test_subclassed_model():
    model = MLP()
    assert model.name == "mlp" and not model.built
    y = model(np.ones((3, 4)))
    assert y.shape == (3, 2) and model.built
    assert [w.shape for w in model.trainable_variables] == [(4, 16), (16,), (16, 2), (2,)]
    np.testing.assert_allclose(model.predict(np.ones((3, 4)), verbose=0), y.numpy(), rtol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 114" in "\n".join(lines)


def test_gradient_tape_training_loop():
    pf.set_seed(1)
    model = MLP()
    from profond import losses, optimizers

    optimizer = optimizers.SGD(learning_rate=0.1)
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    first = None
    for _ in range(30):
        with pf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        first = float(loss) if first is None else first
    assert float(loss) < 0.7 * first
