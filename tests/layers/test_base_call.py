"""``Layer.__call__`` owns the cross-cutting work (Keras 3's contract): masks carried on tensors,
the ``mask=`` argument, activity regularization, dtype casting, input checks."""

import numpy as np
import pytest

import profond as pf
from profond import layers, models


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


PADDED = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
LENGTHS = [3, 2]


def test_mask_survives_dropout_in_training_and_lstm_skips_padding():
    emb = layers.Embedding(6, 4, mask_zero=True)
    drop, lstm = layers.Dropout(0.5), layers.LSTM(3)
    model = models.Sequential([emb, drop, lstm])
    model(PADDED)  # build first: the weights' draws must not shift the dropout draws below
    pf.set_seed(1)
    y = model(PADDED, training=True)
    pf.set_seed(1)
    dropped = drop(emb(PADDED), training=True)  # the same dropout draws
    np.testing.assert_array_equal(dropped._keras_mask, PADDED != 0)
    expected = np.concatenate([lstm(dropped[i:i + 1, :n]).numpy()
                               for i, n in enumerate(LENGTHS)])
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    # and the padding really is skipped: the same model on the unpadded prefix differs
    assert np.abs(y.numpy() - model(PADDED[:, :3], training=True).numpy()).max() > 1e-4


def test_mask_travels_through_a_functional_graph():
    x = layers.Input(shape=(None,), dtype="int32")
    e = layers.Embedding(6, 4, mask_zero=True)(x)
    assert e._keras_mask is not None and e._keras_mask.shape == (None, None)
    seq = layers.LSTM(3, return_sequences=True)(e)
    assert seq.shape == (None, None, 3)
    assert seq._keras_mask.shape == (None, None)  # a sequence output keeps the mask
    last = layers.LSTM(2)(seq)
    assert last._keras_mask is None
    model = models.Model(x, last)
    out = model(PADDED)
    for i, n in enumerate(LENGTHS):  # padding after the valid steps changes nothing
        np.testing.assert_allclose(out.numpy()[i], model(PADDED[i:i + 1, :n]).numpy()[0],
                                   rtol=1e-5, atol=1e-6)


class MaskReader(layers.Layer):
    """Receives ``mask=`` because its ``call`` asks for it."""

    def call(self, inputs, mask=None):
        self.seen = mask
        return inputs * 1.0


def test_mask_argument_and_propagation_rules():
    emb = layers.Embedding(6, 2, mask_zero=True)
    assert emb.supports_masking  # it overrides compute_mask
    out = emb(PADDED)
    reader = MaskReader()
    y = reader(out)
    np.testing.assert_array_equal(reader.seen, PADDED != 0)
    assert getattr(y, "_keras_mask", None) is None  # MaskReader does not support masking
    explicit = np.ones((2, 5), bool)
    reader(out, mask=explicit)
    assert reader.seen is explicit
    kept = layers.Dense(3)(out)  # Dense supports masking: the mask passes through
    np.testing.assert_array_equal(kept._keras_mask, PADDED != 0)
    assert not layers.Layer().supports_masking


def test_activity_regularizer_adds_its_loss_after_each_call():
    dense = layers.Dense(2, activity_regularizer="l2", kernel_initializer="ones")
    assert dense.losses == []
    x = np.ones((2, 3), np.float32)
    y = dense(x)
    # Keras: l2(0.01) · Σy² divided by the batch size, replaced (not accumulated) at each call
    expected = 0.01 * float(np.sum(y.numpy() ** 2)) / 2
    assert len(dense.losses) == 1
    np.testing.assert_allclose(float(dense.losses[0]), expected, rtol=1e-6)
    dense(x)
    assert len(dense.losses) == 1
    assert layers.Dense(2, activity_regularizer="l1").activity_regularizer is not None


def test_activity_regularizer_enters_the_training_loss():
    model = models.Sequential([layers.Input(shape=(3,)),
                               layers.Dense(2, activity_regularizer="l2")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    loss = model.evaluate(x, y, verbose=0)
    loss = loss[0] if isinstance(loss, list) else loss
    assert loss > mse + 1e-6


def test_float_inputs_take_the_layer_dtype():
    assert layers.Dense(2, dtype="float64")(np.ones((1, 3), np.float32)).dtype == np.float64
    assert layers.Dense(2)(np.ones((1, 3), np.float64)).dtype == np.float32
    assert layers.Dense(2)(pf.constant(np.ones((1, 3), np.float64))).dtype == np.float32


def test_input_spec_and_input_count_errors_name_the_layer():
    dense = layers.Dense(2, name="d")
    dense(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r'layer "d".*expected axis -1.*value 3.*\(1, 4\)'):
        dense(np.ones((1, 4)))
    with pytest.raises(ValueError,
                       match=r'Layer "d" expects 1 input\(s\), but it received 2 input tensors'):
        dense([np.ones((1, 3)), np.ones((1, 3))])
    with pytest.raises(TypeError, match='"d" was called without its `inputs`'):
        dense()
    np.testing.assert_allclose(dense(inputs=np.ones((1, 3))).numpy(),
                               dense(np.ones((1, 3))).numpy())


@pytest.mark.parametrize("make", [lambda: layers.Embedding(4, 2),
                                  lambda: layers.LayerNormalization(),
                                  lambda: layers.BatchNormalization()])
def test_a_direct_build_marks_the_layer_built_and_keeps_weights_set_after_it(make):
    layer = make()
    shape = (None, 3)
    layer.build(shape)
    assert layer.built and layer.get_build_config() == {"input_shape": shape}
    chosen = [np.full(w.shape, 0.25, w.dtype) for w in layer.get_weights()]
    layer.set_weights(chosen)
    layer(np.array([[0, 1, 2]]))  # the first call must not build (and initialize) again
    for got, want in zip(layer.get_weights(), chosen):
        np.testing.assert_array_equal(got, want)


def test_a_user_build_without_super_is_marked_built():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    layer = Scale()
    layer.build((None, 2))
    layer(np.ones((1, 2), "float32"))
    assert layer.built and len(layer.weights) == 1


def test_weight_paths_follow_the_layers_being_built_as_in_keras():
    k = pf.keras
    pf.keras.backend.clear_session()
    seq = k.Sequential([k.Input((3,)), k.layers.Dense(2), k.layers.Dense(1)])
    assert [w.path for w in seq.weights] == [
        "sequential/dense/kernel", "sequential/dense/bias",
        "sequential/dense_1/kernel", "sequential/dense_1/bias"]
    inputs = k.Input((3,))
    functional = k.Model(inputs, k.layers.Dense(2, name="d")(inputs))
    assert [w.path for w in functional.weights] == ["d/kernel", "d/bias"]

    class Mine(k.Model):
        def __init__(self):
            super().__init__(name="mine")
            self.dense = k.layers.Dense(2, name="inner")

        def call(self, x):
            return self.dense(x)

    mine = Mine()
    mine(np.ones((1, 3), "float32"))
    assert [w.path for w in mine.weights] == ["mine/inner/kernel", "mine/inner/bias"]
    lstm = k.layers.LSTM(3, name="rnn")
    lstm(np.ones((1, 2, 3), "float32"))
    assert lstm.weights[0].path.startswith("rnn/")


def test_add_variable_is_add_weight():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_variable((input_shape[-1],), "ones", name="w")

        def call(self, x):
            return x * self.w

    layer = Scale()
    np.testing.assert_array_equal(layer(np.full((2, 3), 2.0, "float32")).numpy(), 2.0)
    assert [w.name for w in layer.trainable_weights] == ["w"]
