"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and ``Activation`` with every name:
the layer contract, PyTorch cross-checks, gradient checks, Keras's numbers and errors."""

import warnings

import numpy as np
import pytest
import torch

import profond as pf
from profond import activations, layers
from profond.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch, run_layer_test
from profond.testing.torch_oracle import check_against_torch


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def _contract(cls, kwargs, shape, n_tr=0):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="run_layer_test: profond.saving")
        run_layer_test(cls, kwargs, shape, shape, expected_num_trainable_weights=n_tr)


@pytest.mark.parametrize("cls, kwargs, shape, n_tr", [
    (ReLU, {}, (2, 5), 0),
    (ReLU, {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}, (2, 5), 0),
    (LeakyReLU, {}, (2, 3, 4), 0),
    (LeakyReLU, {"negative_slope": 0.05}, (2, 5), 0),
    (ELU, {"alpha": 0.5}, (2, 5), 0),
    (Softmax, {}, (2, 5), 0),
    (Softmax, {"axis": [1, 2]}, (2, 3, 4), 0),
    (PReLU, {}, (2, 5), 1),
    (PReLU, {"shared_axes": [1, 2], "alpha_initializer": "ones"}, (2, 4, 4, 3), 1),
])
def test_contract(cls, kwargs, shape, n_tr):
    _contract(cls, kwargs, shape, n_tr)


def test_relu_options_match_keras():
    # Numbers printed by Keras 3: ReLU(max_value=6, negative_slope=0.1, threshold=1).
    y = ReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)(
        np.array([-2.0, 0.5, 1.0, 3.0, 8.0], "float32"))
    np.testing.assert_allclose(y.numpy(), [-0.3, -0.05, 0.0, 3.0, 6.0], atol=1e-6)
    assert ReLU().get_config()["max_value"] is None


@pytest.mark.parametrize("kwargs, torch_fn", [
    ({}, torch.relu),
    ({"max_value": 6.0}, lambda x: torch.nn.functional.relu6(x)),
    ({"negative_slope": 0.2}, lambda x: torch.nn.functional.leaky_relu(x, 0.2)),
    ({"threshold": 0.5}, lambda x: torch.nn.functional.threshold(x, 0.5, 0.0)),
])
def test_relu_against_torch(kwargs, torch_fn):
    x = np.random.default_rng(1).standard_normal((4, 7)) * 4
    check_layer_against_torch(ReLU(dtype="float64", **kwargs), lambda xt, w: torch_fn(xt), x)


def test_leaky_relu_default_alpha_alias_and_torch():
    assert LeakyReLU().negative_slope == 0.3
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.get_config()["negative_slope"] == 0.1 and "alpha" not in layer.get_config()
    x = np.random.default_rng(2).standard_normal((3, 6))
    check_layer_against_torch(LeakyReLU(dtype="float64"),
                              lambda xt, w: torch.nn.functional.leaky_relu(xt, 0.3), x)


def test_elu_against_torch_and_gradcheck():
    x = np.random.default_rng(3).standard_normal((3, 6))
    check_layer_against_torch(ELU(alpha=0.7, dtype="float64"),
                              lambda xt, w: torch.nn.functional.elu(xt, 0.7), x)
    gradcheck(lambda t: ELU(alpha=0.7, dtype="float64")(t), [x])


def test_prelu_per_feature_against_torch():
    layer = PReLU(alpha_initializer=pf.initializers.RandomUniform(0.0, 0.5), dtype="float64")
    x = np.random.default_rng(4).standard_normal((5, 4))
    check_layer_against_torch(layer, lambda xt, w: torch.nn.functional.prelu(xt, w[0]), x)


def test_prelu_shared_axes_is_torch_per_channel():
    layer = PReLU(shared_axes=[1, 2], alpha_initializer=pf.initializers.RandomUniform(0.0, 0.5),
                  dtype="float64")
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 3))

    def torch_fn(xt, w):  # NHWC → NCHW for torch, then back
        y = torch.nn.functional.prelu(xt.permute(0, 3, 1, 2), w[0].reshape(-1))
        return y.permute(0, 2, 3, 1)

    check_layer_against_torch(layer, torch_fn, x)
    assert layer.alpha.shape == (1, 1, 3)
    assert layer.get_config()["shared_axes"] == [1, 2]


def test_prelu_keras_default_and_gradcheck():
    y = PReLU(alpha_initializer=pf.initializers.Constant(0.25))(np.array([[-1.0, 2.0]]))
    np.testing.assert_allclose(y.numpy(), [[-0.25, 2.0]])  # Keras 3 gives the same
    layer = PReLU(alpha_initializer="random_uniform", dtype="float64")
    x = np.random.default_rng(6).standard_normal((3, 4))
    layer(x)
    gradcheck(lambda t, a: pf.relu(t) - a * pf.relu(-t), [x, layer.alpha.numpy()])


def test_prelu_constraint_and_regularizer_are_applied():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer="l2",
                  alpha_constraint=pf.constraints.NonNeg())
    x = pf.constant(np.random.default_rng(7).standard_normal((4, 3)).astype("float32"))
    layer(x)
    assert len(layer.losses) == 1
    opt = pf.optimizers.SGD(learning_rate=100.0)
    with pf.GradientTape() as tape:
        loss = pf.reduce_sum(layer(x))
    opt.apply_gradients(zip(tape.gradient(loss, layer.trainable_weights),
                            layer.trainable_weights))
    assert (layer.alpha.numpy() >= 0).all()


def test_softmax_with_mask_matches_keras():
    s = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], "float32")
    m = np.array([[1, 0, 1], [0, 0, 0]], bool)
    y = Softmax()(s, mask=m).numpy()
    # Keras 3: masked entries get 0; a row with nothing kept is all zeros.
    np.testing.assert_allclose(y, [[0.11920291, 0.0, 0.880797], [0.0, 0.0, 0.0]], atol=1e-6)


def test_softmax_multi_axis_matches_keras():
    s = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], "float32")
    y = Softmax(axis=(0, 1))(s).numpy()
    np.testing.assert_allclose(y, [[0.07088509, 0.19268566, 0.5237739],
                                   [0.07088509, 0.07088509, 0.07088509]], atol=1e-6)


def test_softmax_against_torch_and_masked_gradcheck():
    x = np.random.default_rng(8).standard_normal((3, 4, 5))
    check_layer_against_torch(Softmax(axis=1, dtype="float64"),
                              lambda xt, w: torch.softmax(xt, dim=1), x)
    mask = np.random.default_rng(9).random((3, 4, 5)) > 0.3
    check_against_torch(
        lambda t: Softmax(dtype="float64")(t, mask=mask),
        lambda t: torch.softmax(t.masked_fill(~torch.tensor(mask), -1e9), -1)
        * torch.tensor(mask),
        [x])
    gradcheck(lambda t: Softmax(axis=(1, 2), dtype="float64")(t), [x])


@pytest.mark.parametrize("name", sorted(activations._BY_NAME))
def test_activation_layer_accepts_every_activation_name(name):
    layer = layers.Activation(name)
    x = np.linspace(-2, 2, 12, dtype="float32").reshape(3, 4)
    np.testing.assert_allclose(layer(x).numpy(), activations.get(name)(x).numpy(), atol=1e-6)
    clone = layers.Activation.from_config(layer.get_config())
    np.testing.assert_allclose(clone(x).numpy(), layer(x).numpy(), atol=1e-6)


def test_activation_layer_object_as_activation():
    dense = layers.Dense(2, activation=LeakyReLU(negative_slope=0.1))
    x = -np.ones((1, 3), "float32")
    dense(x)
    clone = layers.Dense.from_config(dense.get_config())
    clone(x)
    clone.set_weights(dense.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), dense(x).numpy())


@pytest.mark.parametrize("make, match", [
    (lambda: ReLU(max_value=-1), "max_value=-1"),
    (lambda: ReLU(negative_slope=-1), "negative_slope=-1"),
    (lambda: ReLU(threshold="a"), "threshold=a"),
    (lambda: LeakyReLU(negative_slope=-1), "negative_slope=-1"),
    (lambda: LeakyReLU(negative_slope=None), "negative_slope=None"),
    (lambda: ELU(alpha="x"), "alpha='x'"),
    (lambda: Softmax(axis="x"), "axis='x'"),
    (lambda: PReLU(shared_axes=[0]), "shared_axes=\\[0\\]"),
    (lambda: layers.Activation("nope"), "nope"),
])
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_prelu_shared_axis_out_of_range():
    with pytest.raises(ValueError, match="shared axis 3"):
        PReLU(shared_axes=[3])(np.ones((2, 4)))
