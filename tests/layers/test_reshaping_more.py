"""Permute, RepeatVector, Cropping1D/3D, UpSampling1D/3D, ZeroPadding1D/3D: the layer contract,
PyTorch cross-checks (values and gradients), Keras's shapes and errors."""

import warnings

import numpy as np
import pytest
import torch.nn.functional as F

from profond import layers
from profond.layers.reshaping import (
    Cropping1D,
    Cropping3D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding3D,
)
from profond.testing.layer_test import check_layer_against_torch, run_layer_test

RNG = np.random.default_rng(0)
VOL = (2, 3, 4, 5, 2)


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()


@pytest.mark.parametrize("cls, kwargs, shape, expected", [
    (Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    (Permute, {"dims": [3, 1, 2]}, (2, 3, 4, 5), (2, 5, 3, 4)),
    (RepeatVector, {"n": 3}, (2, 5), (2, 3, 5)),
    (Cropping1D, {}, (2, 6, 3), (2, 4, 3)),
    (Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
    (Cropping3D, {}, VOL, (2, 1, 2, 3, 2)),
    (Cropping3D, {"cropping": ((1, 0), (0, 1), (2, 1))}, VOL, (2, 2, 3, 2, 2)),
    (Cropping3D, {"cropping": 1, "data_format": "channels_first"}, (2, 2, 3, 4, 5),
     (2, 2, 1, 2, 3)),
    (UpSampling1D, {"size": 3}, (2, 4, 3), (2, 12, 3)),
    (UpSampling3D, {}, VOL, (2, 6, 8, 10, 2)),
    (UpSampling3D, {"size": (1, 2, 3), "data_format": "channels_first"}, (2, 2, 3, 4, 5),
     (2, 2, 3, 8, 15)),
    (ZeroPadding1D, {}, (2, 4, 3), (2, 6, 3)),
    (ZeroPadding1D, {"padding": (0, 2), "data_format": "channels_first"}, (2, 3, 4), (2, 3, 6)),
    (ZeroPadding3D, {}, VOL, (2, 5, 6, 7, 2)),
    (ZeroPadding3D, {"padding": ((1, 2), (0, 1), (2, 0))}, VOL, (2, 6, 5, 7, 2)),
    (UpSampling2D, {"size": (2, 3)}, (2, 3, 3, 2), (2, 6, 9, 2)),  # shares _upsample now
])
def test_contract(cls, kwargs, shape, expected):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="run_layer_test: profond.saving")
        run_layer_test(cls, kwargs, shape, expected)


def _x(shape):
    return RNG.standard_normal(shape)


def test_permute_and_repeat_vector_against_torch():
    check_layer_against_torch(Permute((3, 1, 2), dtype="float64"),
                              lambda x, w: x.permute(0, 3, 1, 2), _x((2, 3, 4, 5)))
    check_layer_against_torch(RepeatVector(4, dtype="float64"),
                              lambda x, w: x[:, None, :].expand(-1, 4, -1), _x((3, 5)))


def test_cropping_against_torch():
    check_layer_against_torch(Cropping1D((1, 2), dtype="float64"),
                              lambda x, w: x[:, 1:-2, :], _x((2, 7, 3)))
    check_layer_against_torch(Cropping3D(((1, 0), (0, 1), (2, 1)), dtype="float64"),
                              lambda x, w: x[:, 1:, :-1, 2:-1, :], _x(VOL))


def test_upsampling_against_torch_nearest():
    def ncl(fn, x):  # channels-last → torch's channels-first and back
        nd = x.ndim
        y = fn(x.permute(0, nd - 1, *range(1, nd - 1)))
        return y.permute(0, *range(2, nd), 1)

    check_layer_against_torch(
        UpSampling1D(3, dtype="float64"),
        lambda x, w: ncl(lambda t: F.interpolate(t, scale_factor=3, mode="nearest"), x),
        _x((2, 4, 3)))
    check_layer_against_torch(
        UpSampling3D((1, 2, 3), dtype="float64"),
        lambda x, w: ncl(lambda t: F.interpolate(t, scale_factor=(1, 2, 3), mode="nearest"), x),
        _x(VOL))


def test_zero_padding_against_torch():
    check_layer_against_torch(ZeroPadding1D((1, 2), dtype="float64"),
                              lambda x, w: F.pad(x, (0, 0, 1, 2)), _x((2, 4, 3)))
    check_layer_against_torch(ZeroPadding3D(((1, 2), (0, 1), (2, 0)), dtype="float64"),
                              lambda x, w: F.pad(x, (0, 0, 2, 0, 0, 1, 1, 2)), _x(VOL))
    check_layer_against_torch(
        ZeroPadding3D(1, data_format="channels_first", dtype="float64"),
        lambda x, w: F.pad(x, (1, 1, 1, 1, 1, 1)), _x((2, 2, 3, 3, 3)))


def test_upsampling1d_values_match_keras():
    y = UpSampling1D(3)(np.arange(4.0).reshape(1, 2, 2)).numpy()
    assert y.tolist() == [[[0, 1], [0, 1], [0, 1], [2, 3], [2, 3], [2, 3]]]


def test_symbolic_shapes_with_unknown_lengths():
    seq = layers.Input((None, 4))
    assert Permute((2, 1))(seq).shape == (None, 4, None)
    assert UpSampling1D(2)(seq).shape == (None, None, 4)
    assert Cropping1D(1)(seq).shape == (None, None, 4)
    assert ZeroPadding1D(2)(seq).shape == (None, None, 4)


def test_configs_are_keras_shaped():
    assert Permute((2, 1)).get_config()["dims"] == [2, 1]
    assert RepeatVector(3).get_config()["n"] == 3
    assert Cropping1D().get_config()["cropping"] == [1, 1]
    assert ZeroPadding1D().get_config()["padding"] == [1, 1]
    assert UpSampling1D().get_config()["size"] == 2
    assert UpSampling3D().get_config()["size"] == [2, 2, 2]
    assert Cropping3D().get_config()["cropping"] == [[1, 1], [1, 1], [1, 1]]
    assert ZeroPadding3D().get_config()["padding"] == [[1, 1], [1, 1], [1, 1]]


@pytest.mark.parametrize("make, match", [
    (lambda: Permute((1, 3)), r"consecutive and start from 1. Received dims=\(1, 3\)"),
    (lambda: Permute((0, 1)), "start from 1"),
    (lambda: RepeatVector(0), "n=0"),
    (lambda: RepeatVector(2.5), "n=2.5"),
    (lambda: RepeatVector(2)(np.ones((2, 3, 4))), "expected ndim=2"),
    (lambda: Cropping1D((3, 3))(np.ones((2, 6, 3))), "must be smaller than the input"),
    (lambda: Cropping3D(2)(np.ones((1, 4, 5, 5, 1))), "must be smaller than the input"),
    (lambda: ZeroPadding1D(-1), "padding"),
    (lambda: ZeroPadding1D((1, 2, 3)), "padding"),
    (lambda: ZeroPadding3D((1, 2)), "tuple of 3"),
    (lambda: UpSampling1D(0), "size"),
    (lambda: UpSampling3D((2, 2)), "size"),
    (lambda: Cropping3D(data_format="nhwc"), "data_format"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
