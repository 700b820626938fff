"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
functional forms: a multi-input version of the layer contract, PyTorch cross-checks, Keras's
broadcasting, shapes and errors."""

import json
import os
import tempfile

import numpy as np
import pytest
import torch

import profond as pf
from profond import layers
from profond.layers import merge
from profond.testing import gradcheck
from profond.testing.torch_oracle import check_against_torch

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def _contract(cls, kwargs, shapes, expected):
    """The layer contract for a layer of several inputs: no weights, output shape (eager,
    compute_output_shape, symbolic), config round-trip, save/load of a functional model."""
    xs = [RNG.standard_normal(s).astype("float32") for s in shapes]
    layer = cls(**kwargs)
    out = layer(xs)
    assert layer.built and layer.weights == []
    assert tuple(out.shape) == expected
    batchless = [(None,) + s[1:] for s in shapes]
    assert tuple(layer.compute_output_shape(batchless)) == (None,) + expected[1:]
    inputs = [layers.Input(shape=s[1:]) for s in shapes]
    sym = cls(**kwargs)(inputs)
    assert tuple(sym.shape) == (None,) + expected[1:]
    config = layer.get_config()
    json.dumps(config)
    clone = cls.from_config(config)
    assert clone.get_config() == config
    np.testing.assert_allclose(clone(xs).numpy(), out.numpy())
    model = pf.models.Model(inputs, sym)
    before = model(xs).numpy()
    np.testing.assert_allclose(before, out.numpy(), rtol=1e-6)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "merge.keras")
        model.save(path)
        loaded = pf.models.load_model(path)
    np.testing.assert_allclose(loaded(xs).numpy(), before, rtol=1e-6)


@pytest.mark.parametrize("cls, kwargs, shapes, expected", [
    (merge.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    (merge.Add, {}, [(2, 3), (2, 1)], (2, 3)),
    (merge.Add, {}, [(2, 4, 3), (2, 3)], (2, 4, 3)),
    (merge.Subtract, {}, [(2, 3), (2, 3)], (2, 3)),
    (merge.Multiply, {}, [(2, 4, 3), (2, 1, 3)], (2, 4, 3)),
    (merge.Average, {}, [(2, 3), (2, 3)], (2, 3)),
    (merge.Maximum, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    (merge.Minimum, {}, [(2, 3), (2, 3)], (2, 3)),
    (merge.Concatenate, {}, [(2, 3), (2, 4)], (2, 7)),
    (merge.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    (merge.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1)),
    (merge.Dot, {"axes": 2}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    (merge.Dot, {"axes": [1, 2], "normalize": True}, [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
])
def test_contract(cls, kwargs, shapes, expected):
    _contract(cls, kwargs, shapes, expected)


def test_merge_layers_train_inside_a_model():
    a, b = layers.Input((4,)), layers.Input((4,))
    h = merge.concatenate([layers.Dense(3)(a), merge.multiply([layers.Dense(3)(a),
                                                               layers.Dense(3)(b)])])
    model = pf.models.Model([a, b], layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    xa, xb = RNG.standard_normal((32, 4)), RNG.standard_normal((32, 4))
    y = (xa * xb).sum(1, keepdims=True)
    hist = model.fit([xa, xb], y, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


ELEMENTWISE = [
    (merge.Add, lambda a, b: a + b),
    (merge.Subtract, lambda a, b: a - b),
    (merge.Multiply, lambda a, b: a * b),
    (merge.Average, lambda a, b: (a + b) / 2),
    (merge.Maximum, torch.maximum),
    (merge.Minimum, torch.minimum),
]


@pytest.mark.parametrize("cls, torch_fn", ELEMENTWISE)
def test_elementwise_against_torch_with_broadcasting(cls, torch_fn):
    a, b = RNG.standard_normal((3, 4, 5)), RNG.standard_normal((3, 1, 5))
    check_against_torch(lambda x, y: cls(dtype="float64")([x, y]), torch_fn, [a, b])
    gradcheck(lambda x, y: cls(dtype="float64")([x, y]), [a, b])


def test_lower_rank_input_is_aligned_after_the_batch_axis():
    a, b = RNG.standard_normal((3, 4, 5)), RNG.standard_normal((3, 5))
    check_against_torch(lambda x, y: merge.Add(dtype="float64")([x, y]),
                        lambda x, y: x + y[:, None, :], [a, b])


def test_concatenate_against_torch():
    a, b, c = (RNG.standard_normal((2, k, 3)) for k in (1, 2, 4))
    check_against_torch(lambda x, y, z: merge.Concatenate(axis=1, dtype="float64")([x, y, z]),
                        lambda x, y, z: torch.cat([x, y, z], 1), [a, b, c])


@pytest.mark.parametrize("axes, shapes, equation", [
    (1, [(3, 4), (3, 4)], "nk,nk->n"),
    (2, [(3, 4, 5), (3, 6, 5)], "nik,njk->nij"),
    ((1, 2), [(3, 4, 5), (3, 6, 4)], "nki,njk->nij"),
    ((3, 1), [(3, 2, 4, 5), (3, 5, 6)], "nabk,nkc->nabc"),
])
def test_dot_against_torch(axes, shapes, equation):
    a, b = (RNG.standard_normal(s) for s in shapes)

    def torch_fn(x, y):
        out = torch.einsum(equation, x, y)
        return out[:, None] if out.ndim == 1 else out

    check_against_torch(lambda x, y: merge.Dot(axes, dtype="float64")([x, y]), torch_fn, [a, b])


def test_dot_normalize_is_cosine_similarity():
    a, b = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))
    check_against_torch(lambda x, y: merge.Dot(1, normalize=True, dtype="float64")([x, y]),
                        lambda x, y: torch.cosine_similarity(x, y, dim=1)[:, None], [a, b])
    gradcheck(lambda x, y: merge.Dot((2, 1), normalize=True, dtype="float64")([x, y]),
              [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))])
    # Keras 3's numbers for x = [[0, 1, 2], [3, 4, 5]] and x + 1
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(merge.Dot(1, normalize=True)([x, x + 1]).numpy().ravel(),
                               [0.95618284, 0.9992205], rtol=1e-6)


def test_functional_forms():
    x, y = np.ones((2, 3), "float32"), np.full((2, 3), 3.0, "float32")
    assert merge.add([x, y]).numpy()[0, 0] == 4
    assert merge.subtract([x, y]).numpy()[0, 0] == -2
    assert merge.multiply([x, y]).numpy()[0, 0] == 3
    assert merge.average([x, y]).numpy()[0, 0] == 2
    assert merge.maximum([x, y]).numpy()[0, 0] == 3
    assert merge.minimum([x, y]).numpy()[0, 0] == 1
    assert merge.concatenate([x, y], axis=0).shape == (4, 3)
    assert merge.dot([x, y], axes=1).numpy()[0, 0] == 9
    assert merge.add([x, y], name="plus").shape == (2, 3)
    assert layers.concatenate is merge.concatenate


def test_merge_masks():
    m1 = np.array([[True, False, True]])
    m2 = np.array([[True, True, False]])
    x = np.ones((1, 3, 2), "float32")
    np.testing.assert_array_equal(merge.Add().compute_mask([x, x], [m1, m2]),
                                  [[True, False, False]])
    assert merge.Add().compute_mask([x, x], None) is None
    # Concatenate along time: an unmasked input counts as all kept
    got = merge.Concatenate(axis=1).compute_mask([x, x], [m1, None])
    np.testing.assert_array_equal(got, [[True, False, True, True, True, True]])


@pytest.mark.parametrize("make, match", [
    (lambda: merge.Add()(np.ones((2, 3))), "list of inputs"),
    (lambda: merge.Add()([np.ones((2, 3)), np.ones((1, 3))]), "different batch sizes"),
    (lambda: merge.Add()([np.ones((2, 3)), np.ones((2, 4))]), r"incompatible shapes.*\(3,\)"),
    (lambda: merge.Add()([layers.Input((3,)), layers.Input((4,))]), "incompatible shapes"),
    (lambda: merge.Subtract()([np.ones((2, 3))] * 3), "exactly 2 inputs"),
    (lambda: merge.Concatenate(axis=1)([np.ones((2, 3, 4)), np.ones((2, 3, 5))]),
     "matching shapes except for the concatenation axis"),
    (lambda: merge.Concatenate()([np.ones((2, 3)), np.ones((2, 3, 1))]), "same rank"),
    (lambda: merge.Dot(axes=1)([np.ones((2, 3, 4)), np.ones((2, 5, 4))]),
     r"axis values 3 \(at axis 1\) != 5"),
    (lambda: merge.Dot(axes=1)([np.ones((2, 3))] * 3), "list of 2 inputs"),
    (lambda: merge.Dot(axes=0)([np.ones((2, 3))] * 2), "non-batch axis"),
    (lambda: merge.Dot(axes="x"), "axes='x'"),
    (lambda: merge.Concatenate(axis=1.5), "axis=1.5"),
])
def test_errors_name_the_layer_and_shapes(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_symbolic_broadcast_shapes_match_keras():
    assert merge.Add()([layers.Input((3,)), layers.Input((1,))]).shape == (None, 3)
    assert merge.Dot(axes=(1, 1))([layers.Input((3, 4)), layers.Input((3, 5))]).shape == (
        None, 4, 5)
    assert merge.Concatenate(axis=1)([layers.Input((3, 4)), layers.Input((2, 4))]).shape == (
        None, 5, 4)
