"""Layer base class and core layers: tracking, lazy build, names, weights, configs, errors."""

import numpy as np
import pytest
import torch

import profond as pf
from profond import layers
from profond.testing import check_layer_against_torch


@pytest.fixture(autouse=True)
def _fresh_names():
    layers.clear_session()
    pf.set_seed(0)


def test_dense_lazy_build_shapes_and_weights_order():
    d = layers.Dense(3, activation="relu")
    assert not d.built and d.weights == []
    y = d(np.ones((5, 4)))  # NumPy input accepted, float64 cast to float32
    assert d.built and y.shape == (5, 3) and y.dtype == np.float32
    kernel, bias = d.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    assert [w.path for w in d.weights] == ["dense/kernel", "dense/bias"]
    assert d.count_params() == 15


def test_input_dim_kwarg_and_callable_activation_is_fused():
    d = layers.Dense(2, activation=pf.relu, input_dim=3)
    assert d._input_shape_arg == (None, 3)
    y = d(np.ones((1, 3)))
    assert type(y.creator).__name__ == "Dense" or not y.requires_grad
    assert d._fused == "relu"


def test_auto_names_and_clear_session():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Dropout(0.1).name == "dropout"
    layers.clear_session()
    assert layers.Dense(1).name == "dense"


TORCH_ACTIVATIONS = {None: lambda z: z, "tanh": torch.tanh, "relu": torch.relu,
                     "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, -1)}


def _torch_dense(activation):
    """torch's ``linear`` with the Keras-layout weights: kernel (in, out), so W = kernelᵀ."""
    act = TORCH_ACTIVATIONS[activation]
    return lambda x_t, w: act(torch.nn.functional.linear(x_t, w[0].T, w[1]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS), ids=str)
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5)], ids=str)
def test_dense_matches_torch_forward_and_gradients(dtype, activation, shape):
    """Outputs and the gradients of input, kernel and bias, under a random upstream gradient."""
    x = np.random.default_rng(1).normal(size=shape).astype(dtype)
    d = layers.Dense(4, activation=activation, bias_initializer="random_normal", dtype=dtype)
    d(x)
    assert np.abs(d.get_weights()[1]).min() > 0  # a bias that matters
    outs = check_layer_against_torch(d, _torch_dense(activation), x)
    assert outs[0].dtype == np.dtype(dtype) and outs[0].shape == shape[:-1] + (4,)


def test_dense_torch_check_compares_gradients_not_only_outputs():
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float64")
    d = layers.Dense(2, dtype="float64")
    d(x)

    def kernel_without_gradient(x_t, w):  # same outputs, no gradient for the kernel
        return torch.nn.functional.linear(x_t, w[0].detach().T, w[1])

    with pytest.raises(AssertionError, match="gradient of .*kernel"):
        check_layer_against_torch(d, kernel_without_gradient, x)


def test_dense_uses_one_fused_op():
    d = layers.Dense(4, activation="relu")
    x = pf.ones((2, 3))
    d(x)
    with pf.GradientTape() as tape:
        y = d(x)
    assert type(y.creator).__name__ == "Dense"  # the fused op, not matmul + add + relu
    assert all(g is not None for g in tape.gradient(y, d.trainable_weights))
    soft = layers.Dense(4, activation="softmax")
    out = soft(x).numpy()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


def test_dense_wrong_input_dim_names_layer_and_shapes():
    d = layers.Dense(2, name="hidden")
    d(np.ones((1, 4)))
    with pytest.raises(ValueError) as e:
        d(np.ones((3, 5)))
    msg = str(e.value)
    assert '"hidden"' in msg and "4" in msg and "(3, 5)" in msg


def test_dense_invalid_units_and_unknown_kwargs():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        layers.Dense(2, foo=1)


def test_course_custom_layer_weights_in_init():
    class MyDense(layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return pf.matmul(inputs, self.w) + self.b

    layer = MyDense(4, 2)
    y = layer(np.ones((3, 2), dtype=np.float32))
    assert y.shape == (3, 4)
    assert len(layer.trainable_weights) == 2 and layer.weights[0] is layer.w
    with pf.GradientTape() as tape:
        loss = pf.reduce_sum(layer(np.ones((3, 2))))
    gw, gb = tape.gradient(loss, layer.trainable_weights)
    np.testing.assert_allclose(gb.numpy(), np.full(4, 3.0))


def test_custom_layer_with_build_and_nested_tracking():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)
            self.stack = [layers.Dense(2), layers.Dense(1)]

        def call(self, x, training=None):
            x = self.dense(x)
            for layer in self.stack:
                x = layer(x)
            return x

    b = Block()
    b(np.ones((2, 5)))
    assert [w.shape for w in b.get_weights()] == [(5, 3), (3,), (3, 2), (2,), (2, 1), (1,)]
    b.set_weights([np.zeros_like(w) for w in b.get_weights()])
    assert np.all(b(np.ones((2, 5))).numpy() == 0)
    with pytest.raises(ValueError, match="expecting 6 weights"):
        b.set_weights([np.zeros((5, 3))])
    b.trainable = False
    assert b.trainable_weights == [] and len(b.non_trainable_weights) == 6
    assert not b.dense.trainable


def test_training_flag_propagates_to_sub_layers():
    seen = []

    class Spy(layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.spy = Spy()

        def call(self, x):
            return self.spy(x)

    Outer()(np.ones((1, 2)), training=True)
    Outer()(np.ones((1, 2)))
    assert seen == [True, None]


def test_dropout_only_when_training_and_seeded():
    x = pf.ones((200, 50))
    d = layers.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    y1, y2 = d(x, training=True).numpy(), d(x, training=True).numpy()
    assert set(np.unique(y1)) <= {0.0, 2.0} and 0.4 < (y1 == 0).mean() < 0.6
    assert not np.array_equal(y1, y2)  # a new mask each step
    y3 = layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(y1, y3)  # same seed, same first mask
    nz = layers.Dropout(0.5, noise_shape=(None, 1))(x, training=True).numpy()
    assert np.all(nz.min(axis=1) == nz.max(axis=1))


def test_flatten_reshape_activation():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert layers.Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    out = layers.Activation("sigmoid")(np.zeros((1, 2)))
    np.testing.assert_allclose(out.numpy(), 0.5)


@pytest.mark.parametrize("layer", [
    layers.Dense(3, activation="relu", use_bias=False),
    layers.Activation("tanh"),
    layers.Flatten(),
    layers.Reshape((2, -1)),
    layers.Dropout(0.3, seed=1),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    from profond.registry import deserialize, serialize

    assert deserialize(serialize(layer)).get_config() == config


def test_symbolic_input_and_losses_default_empty():
    x = layers.Input(shape=(4,), name="features")
    assert x.shape == (None, 4)
    y = layers.Dense(2)(x)
    assert y.shape == (None, 2)
    assert layers.Dense(2).losses == []


def test_dense_on_integer_inputs_computes_in_the_kernel_dtype_as_keras():
    """A multi-hot bag of words (int64) into Dense: float32 out, not NumPy's float64."""
    layer = pf.keras.layers.Dense(3)
    x = np.array([[0, 1, 1, 0], [2, 0, 0, 1]], dtype=np.int64)
    out = layer(x)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), x.astype(np.float32) @ layer.kernel.numpy(),
                               rtol=1e-6)
