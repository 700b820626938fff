"""Activations: values and gradients against PyTorch, Keras's relu options, get / serialize."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import activations
from profond.testing import check_against_torch, gradcheck

RNG = np.random.default_rng(5)
X = RNG.normal(0, 3, (4, 5))

TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "relu6": F.relu6,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "softmax": lambda x: torch.softmax(x, -1),
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "linear": lambda x: x * 1,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "swish": F.silu,
    "exponential": torch.exp,
    "hard_sigmoid": F.hardsigmoid,
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "mish": F.mish,
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_matches_torch_and_central_differences(name):
    fn = activations.get(name)
    for dtype in ("float32", "float64"):
        check_against_torch(fn, TORCH[name], [X], dtype=dtype, rtol=1e-5, atol=1e-6)
    assert gradcheck(fn, [X])


def test_gelu_approximate_matches_torch_tanh_form():
    check_against_torch(lambda x: activations.gelu(x, approximate=True),
                        lambda x: F.gelu(x, approximate="tanh"), [X])


def test_softplus_does_not_overflow():
    x = pf.constant([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(activations.softplus(x).numpy(), [0.0, np.log(2), 1000.0])


def test_relu_options_follow_keras():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 8.0])
    got = activations.relu(pf.constant(x), negative_slope=0.1, max_value=6.0, threshold=1.0)
    ref = np.where(x > 1.0, np.minimum(x, 6.0), 0.0) - 0.1 * np.maximum(1.0 - x, 0.0)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(activations.relu(pf.constant(x), max_value=1.5).numpy(),
                               np.clip(x, 0, 1.5))
    np.testing.assert_allclose(activations.relu(pf.constant(x), negative_slope=0.5).numpy(),
                               np.where(x > 0, x, 0.5 * x))
    assert gradcheck(lambda t: activations.relu(t, 0.1, 6.0, 1.0), [X])


def test_get_serialize_deserialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get(activations.tanh) is activations.tanh
    custom = lambda x: x * 2  # noqa: E731
    assert activations.get(custom) is custom
    for name in TORCH:
        assert activations.deserialize(activations.serialize(activations.get(name))) \
            is activations.get(name)
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(pf.relu) == "relu"  # the op reached through profond.relu
    assert activations.serialize(pf.sigmoid) == "sigmoid"
    assert activations.serialize(None) == "linear"
    with pytest.raises(ValueError, match="Unknown activation function: 'rellu'"):
        activations.get("rellu")
    # an unregistered function is saved by name (Keras 3), and loads only through custom_objects
    assert activations.serialize(custom) == {"class_name": "function", "config": "<lambda>"}
    with pytest.raises(ValueError):
        activations.get(3)
