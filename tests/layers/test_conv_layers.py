"""Conv, pooling, reshaping and SpatialDropout layers against torch.nn with the same weights."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import regularizers
from profond.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from profond.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from profond.layers.regularization import SpatialDropout2D
from profond.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from profond.ops.conv import _same_pads
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch

DTYPES = ["float32", "float64"]


def _nchw(x):
    return x.permute(0, 3, 1, 2)


def _nhwc(x):
    return x.permute(0, 2, 3, 1)


def _tf_same_pad(x, k, s, d):
    """TF's 'same' padding (the extra pixel after) on an NCHW torch tensor."""
    (t, b), (left, r) = (_same_pads(x.shape[2], k[0], s[0], d[0]),
                         _same_pads(x.shape[3], k[1], s[1], d[1]))
    return F.pad(x, (left, r, t, b))


def _randomize(layer, rng):
    layer.set_weights([rng.standard_normal(w.shape).astype(layer.dtype) * 0.5
                       for w in layer.get_weights()])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": (3, 2), "strides": 2, "padding": "same", "activation": "relu"},
    {"kernel_size": 3, "strides": (2, 1)},
    {"kernel_size": 3, "dilation_rate": 2, "padding": "same", "activation": "tanh"},
    {"kernel_size": 1, "use_bias": False},
])
def test_conv2d_matches_torch(dtype, kwargs):
    rng = np.random.default_rng(0)
    layer = Conv2D(5, dtype=dtype, **kwargs)
    x = rng.standard_normal((2, 9, 8, 3))
    layer(x.astype(dtype))
    _randomize(layer, rng)
    k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    act = {"relu": torch.relu, "tanh": torch.tanh}.get(kwargs.get("activation"), lambda t: t)

    def torch_fn(xt, ws):
        xt = _nchw(xt)
        if layer.padding == "same":
            xt = _tf_same_pad(xt, k, s, d)
        bias = ws[1] if layer.use_bias else None
        # Keras kernel (kh, kw, C, F) → torch weight (F, C, kh, kw)
        y = F.conv2d(xt, ws[0].permute(3, 2, 0, 1), bias, stride=s, dilation=d)
        return act(_nhwc(y))

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_channels_first_matches_torch(dtype):
    rng = np.random.default_rng(1)
    layer = Conv2D(4, 3, data_format="channels_first", dtype=dtype)
    x = rng.standard_normal((2, 3, 7, 6))
    layer(x.astype(dtype))
    _randomize(layer, rng)
    check_layer_against_torch(
        layer, lambda xt, ws: F.conv2d(xt, ws[0].permute(3, 2, 0, 1), ws[1]), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": 4, "strides": 2, "padding": "same"},
    {"kernel_size": 3, "padding": "causal", "dilation_rate": 2},
])
def test_conv1d_matches_torch(dtype, kwargs):
    rng = np.random.default_rng(2)
    layer = Conv1D(4, dtype=dtype, **kwargs)
    x = rng.standard_normal((3, 11, 2))
    layer(x.astype(dtype))
    _randomize(layer, rng)
    k, s, d = layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]

    def torch_fn(xt, ws):
        xt = xt.permute(0, 2, 1)
        if layer.padding == "same":
            xt = F.pad(xt, _same_pads(xt.shape[2], k, s, d))
        elif layer.padding == "causal":
            xt = F.pad(xt, (d * (k - 1), 0))
        return F.conv1d(xt, ws[0].permute(2, 1, 0), ws[1], stride=s, dilation=d).permute(0, 2, 1)

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 2, "strides": 2},
    {"kernel_size": 3},
    {"kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
])
def test_conv2d_transpose_matches_torch(dtype, kwargs):
    rng = np.random.default_rng(3)
    layer = Conv2DTranspose(4, dtype=dtype, **kwargs)
    x = rng.standard_normal((2, 5, 4, 3))
    layer(x.astype(dtype))
    _randomize(layer, rng)
    s, k = layer.strides, layer.kernel_size
    out_hw = layer.compute_output_shape((None, 5, 4, 3))[1:3]

    def torch_fn(xt, ws):
        # Keras kernel (kh, kw, F, C) → torch ConvTranspose weight (C, F, kh, kw). The full
        # (unpadded) transposed conv, then TF's crop: 'same' drops _same_pads' "before" rows.
        y = _nhwc(F.conv_transpose2d(_nchw(xt), ws[0].permute(3, 2, 0, 1), ws[1], stride=s))
        for axis, (n, kk, ss) in enumerate(zip(out_hw, k, s), start=1):
            start = _same_pads(n, kk, ss, 1)[0] if layer.padding == "same" else 0
            y = y.narrow(axis, start, min(n, y.shape[axis] - start))
            if y.shape[axis] < n:  # output longer than the full conv: zeros after
                pad = [0, 0] * (4 - axis - 1) + [0, n - y.shape[axis]]
                y = F.pad(y, pad)
        return y

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls,kwargs,torch_fn", [
    (MaxPooling2D, {}, lambda x: F.max_pool2d(x, 2)),
    (MaxPooling2D, {"pool_size": 3, "strides": 2}, lambda x: F.max_pool2d(x, 3, 2)),
    (AveragePooling2D, {}, lambda x: F.avg_pool2d(x, 2)),
    (AveragePooling2D, {"pool_size": (2, 3), "strides": 1}, lambda x: F.avg_pool2d(x, (2, 3), 1)),
    (GlobalAveragePooling2D, {}, lambda x: x.mean((2, 3))),
    (GlobalMaxPooling2D, {}, lambda x: x.amax((2, 3))),
    (UpSampling2D, {"size": (2, 3)}, lambda x: F.interpolate(x, scale_factor=(2, 3))),
    (ZeroPadding2D, {"padding": ((1, 2), (3, 0))}, lambda x: F.pad(x, (3, 0, 1, 2))),
    (Cropping2D, {"cropping": ((1, 2), (0, 1))}, lambda x: x[:, :, 1:-2, :-1]),
])
def test_pooling_and_reshaping_match_torch(dtype, cls, kwargs, torch_fn):
    rng = np.random.default_rng(4)
    layer = cls(dtype=dtype, **kwargs)
    x = rng.standard_normal((2, 7, 6, 3))

    def nhwc_fn(xt, ws):
        y = torch_fn(_nchw(xt))
        return _nhwc(y) if y.ndim == 4 else y

    check_layer_against_torch(layer, nhwc_fn, x)


def test_max_pooling_sends_ties_to_one_element():
    x = np.ones((1, 4, 4, 1), "float32")
    xt = pf.Variable(x)
    with pf.GradientTape() as tape:
        y = pf.reduce_sum(MaxPooling2D()(xt))
    (g,) = tape.gradient(y, [xt])
    assert g.numpy().sum() == 4  # one element per window, not all four tied ones


@pytest.mark.parametrize("cls,torch_fn", [
    (MaxPooling1D, lambda x: F.max_pool1d(x, 2)),
    (AveragePooling1D, lambda x: F.avg_pool1d(x, 2)),
])
def test_pooling_1d_matches_torch(cls, torch_fn):
    x = np.random.default_rng(5).standard_normal((2, 9, 3))
    check_layer_against_torch(cls(dtype="float64"),
                              lambda xt, ws: torch_fn(xt.permute(0, 2, 1)).permute(0, 2, 1), x)


def test_same_average_pooling_excludes_padding():
    layer = AveragePooling2D(3, strides=2, padding="same")
    y = layer(np.ones((1, 5, 5, 2), "float32")).numpy()
    np.testing.assert_allclose(y, np.ones((1, 3, 3, 2)))


@pytest.mark.parametrize("layer", [
    lambda: Conv2D(2, 3, strides=2, padding="same", dtype="float64"),
    lambda: Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"),
    lambda: MaxPooling2D(3, strides=2, padding="same", dtype="float64"),
    lambda: UpSampling2D(dtype="float64"),
])
def test_input_gradcheck(layer):
    lay = layer()
    x = np.random.default_rng(6).standard_normal((1, 5, 5, 2))
    lay(x)
    assert gradcheck(lambda t: lay(t), [x])


def test_spatial_dropout_drops_whole_channels():
    pf.set_seed(0)
    layer = SpatialDropout2D(0.5)
    x = np.ones((8, 4, 4, 16), "float32")
    y = layer(x, training=True).numpy()
    per_channel = y.transpose(0, 3, 1, 2).reshape(8, 16, 16)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # one value per feature map
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    np.testing.assert_array_equal(layer(x).numpy(), x)  # identity at inference


def test_conv_errors_name_the_layer():
    with pytest.raises(ValueError, match="Received: filters=0"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="Received: padding='full'"):
        Conv2D(2, 3, padding="full")
    layer = Conv2D(2, 3, name="my_conv")
    layer(np.ones((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match='layer "my_conv"'):
        layer(np.ones((1, 5, 5, 4), "float32"))


def test_kernel_regularizer_adds_to_losses():
    layer = Conv2D(2, 3, kernel_regularizer=regularizers.L2(0.1),
                   bias_regularizer=regularizers.l1(0.5), bias_initializer="ones")
    layer(np.ones((1, 5, 5, 1), "float32"))
    k = layer.kernel.numpy()
    got = [float(v.numpy()) for v in layer.losses]
    np.testing.assert_allclose(got, [0.1 * (k ** 2).sum(), 0.5 * 2], rtol=1e-5)
