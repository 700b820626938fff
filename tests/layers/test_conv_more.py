"""Conv1DTranspose, Conv3D(Transpose), grouped Conv1D/2D, depthwise and separable convolutions,
3-D pooling: the layer contract, torch.nn with the same weights (forward and gradients), Keras's
argument names, config keys and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.keras import layers as KL
from profond.layers.conv import Conv1D, Conv1DTranspose, Conv2D, Conv3D, Conv3DTranspose
from profond.layers.conv_depthwise import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from profond.layers.pooling import (
    AveragePooling3D,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    MaxPooling3D,
)
from profond.ops.conv import _same_pads
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch, run_layer_test

SEQ, IMG, VOL = (2, 7, 4), (2, 6, 5, 4), (2, 4, 5, 6, 4)

# (class, kwargs, input shape, output shape, trainable weights)
CASES = [
    (Conv1DTranspose, {"filters": 3, "kernel_size": 3}, SEQ, (2, 9, 3), 2),
    (Conv1DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                       "output_padding": 1}, SEQ, (2, 14, 3), 2),
    (Conv1DTranspose, {"filters": 2, "kernel_size": 4, "strides": 3, "use_bias": False},
     SEQ, (2, 22, 2), 1),
    (Conv1DTranspose, {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
     (2, 4, 7), (2, 2, 9), 2),
    (Conv3D, {"filters": 3, "kernel_size": 3}, VOL, (2, 2, 3, 4, 3), 2),
    (Conv3D, {"filters": 4, "kernel_size": (2, 3, 2), "strides": 2, "padding": "same",
              "groups": 2, "activation": "relu"}, VOL, (2, 2, 3, 3, 4), 2),
    (Conv3D, {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "use_bias": False},
     VOL, (2, 2, 3, 4, 2), 1),
    (Conv3D, {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
     (2, 4, 4, 5, 6), (2, 2, 2, 3, 4), 2),
    (Conv3DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     VOL, (2, 8, 10, 12, 2), 2),
    (Conv3DTranspose, {"filters": 2, "kernel_size": (2, 3, 1), "strides": (1, 2, 2),
                       "output_padding": (0, 1, 1)}, VOL, (2, 5, 12, 12, 2), 2),
    (Conv2D, {"filters": 6, "kernel_size": 3, "groups": 2}, IMG, (2, 4, 3, 6), 2),
    (Conv2D, {"filters": 4, "kernel_size": 3, "groups": 4, "padding": "same", "strides": 2},
     IMG, (2, 3, 3, 4), 2),
    (Conv1D, {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "causal"},
     SEQ, (2, 7, 4), 2),
    (DepthwiseConv2D, {"kernel_size": 3}, IMG, (2, 4, 3, 4), 2),
    (DepthwiseConv2D, {"kernel_size": (3, 2), "strides": 2, "padding": "same",
                       "depth_multiplier": 2, "activation": "relu"}, IMG, (2, 3, 3, 8), 2),
    (DepthwiseConv2D, {"kernel_size": 2, "dilation_rate": 2, "use_bias": False,
                       "data_format": "channels_first"}, (2, 4, 6, 5), (2, 4, 4, 3), 1),
    (DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 3}, SEQ, (2, 5, 12), 2),
    (SeparableConv2D, {"filters": 5, "kernel_size": 3}, IMG, (2, 4, 3, 5), 3),
    (SeparableConv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                       "depth_multiplier": 2, "use_bias": False}, IMG, (2, 3, 3, 3), 2),
    (SeparableConv1D, {"filters": 5, "kernel_size": 3, "dilation_rate": 2}, SEQ, (2, 3, 5), 3),
    (SeparableConv1D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
                       "depth_multiplier": 2, "activation": "tanh"}, SEQ, (2, 4, 2), 3),
    (MaxPooling3D, {}, VOL, (2, 2, 2, 3, 4), 0),
    (MaxPooling3D, {"pool_size": 3, "strides": 2, "padding": "same"}, VOL, (2, 2, 3, 3, 4), 0),
    (AveragePooling3D, {"pool_size": (2, 1, 3)}, VOL, (2, 2, 5, 2, 4), 0),
    (AveragePooling3D, {"pool_size": 2, "strides": 1, "padding": "same",
                        "data_format": "channels_first"}, (2, 3, 4, 5, 6), (2, 3, 4, 5, 6), 0),
    (GlobalMaxPooling3D, {}, VOL, (2, 4), 0),
    (GlobalAveragePooling3D, {"keepdims": True}, VOL, (2, 1, 1, 1, 4), 0),
    (GlobalAveragePooling3D, {"data_format": "channels_first"}, VOL, (2, 4), 0),
]


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,n_weights", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_contract(cls, kwargs, in_shape, out_shape, n_weights):
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=n_weights)


# --- against torch.nn with the same weights ----------------------------------------------------

TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 3: F.conv_transpose3d}


def _randomize(layer, x, rng):
    layer(x.astype(layer.dtype))
    layer.set_weights([rng.standard_normal(w.shape).astype(layer.dtype) * 0.5
                       for w in layer.get_weights()])


def _tf_same(xt, layer):
    """TF's 'same' padding (the odd pixel after) on a channels-first torch tensor."""
    pads = []
    for n, k, s, d in reversed(list(zip(xt.shape[2:], layer.kernel_size, layer.strides,
                                        layer.dilation_rate))):
        pads += list(_same_pads(n, k, s, d))
    return F.pad(xt, pads)


def _kernel(w):
    """Keras (*k, Cin, Cout) → torch (Cout, Cin, *k)."""
    r = w.ndim - 2
    return w.permute(r + 1, r, *range(r))


ACT = {None: lambda t: t, "relu": torch.relu, "tanh": torch.tanh}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs,shape", [
    (Conv3D, {"kernel_size": 3}, VOL),
    (Conv3D, {"kernel_size": (2, 3, 2), "strides": (2, 1, 2), "padding": "same", "groups": 2,
              "activation": "relu"}, VOL),
    (Conv3D, {"kernel_size": 2, "dilation_rate": (1, 2, 2), "padding": "same"}, VOL),
    (Conv2D, {"kernel_size": 3, "groups": 4, "strides": 2, "padding": "same"}, IMG),
    (Conv2D, {"kernel_size": (2, 3), "groups": 2, "activation": "tanh"}, IMG),
    (Conv1D, {"kernel_size": 3, "groups": 2, "dilation_rate": 2}, SEQ),
])
def test_conv_matches_torch(dtype, cls, kwargs, shape):
    rng = np.random.default_rng(0)
    layer = cls(4, dtype=dtype, **kwargs)
    x = rng.standard_normal(shape)
    _randomize(layer, x, rng)
    rank = len(shape) - 2

    def torch_fn(xt, ws):
        xt = xt.movedim(-1, 1)
        if layer.padding == "same":
            xt = _tf_same(xt, layer)
        y = TORCH_CONV[rank](xt, _kernel(ws[0]), ws[1], stride=layer.strides,
                             dilation=layer.dilation_rate, groups=layer.groups)
        return ACT[kwargs.get("activation")](y.movedim(1, -1))

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs,shape", [
    (Conv1DTranspose, {"kernel_size": 3, "strides": 2}, SEQ),
    (Conv1DTranspose, {"kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 2},
     SEQ),
    (Conv1DTranspose, {"kernel_size": 2, "strides": 3}, SEQ),  # longer than the full conv
    (Conv3DTranspose, {"kernel_size": 3, "strides": 2, "padding": "same"}, VOL),
    (Conv3DTranspose, {"kernel_size": (2, 3, 2), "strides": (2, 1, 3), "padding": "same",
                       "output_padding": (1, 0, 2)}, VOL),
])
def test_conv_transpose_matches_torch(dtype, cls, kwargs, shape):
    rng = np.random.default_rng(1)
    layer = cls(3, dtype=dtype, **kwargs)
    x = rng.standard_normal(shape)
    _randomize(layer, x, rng)
    rank = len(shape) - 2
    out = layer.compute_output_shape(shape)[1:-1]

    def torch_fn(xt, ws):
        # The full transposed conv, then TF's crop ('same' drops _same_pads' "before" rows) or
        # zeros after when the output is longer.
        y = TORCH_CONV_T[rank](xt.movedim(-1, 1), _kernel(ws[0]), ws[1],
                               stride=layer.strides).movedim(1, -1)
        for axis, (n, k, s) in enumerate(zip(out, layer.kernel_size, layer.strides), start=1):
            start = _same_pads(n, k, s, 1)[0] if layer.padding == "same" else 0
            y = y.narrow(axis, start, min(n, y.shape[axis] - start))
            if y.shape[axis] < n:
                extra = ws[1].expand(*y.shape[:axis], n - y.shape[axis], *y.shape[axis + 1:-1],
                                     -1)
                y = torch.cat([y, extra], axis)  # only the bias reaches those positions
        return y

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs,shape", [
    (DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, IMG),
    (DepthwiseConv2D, {"kernel_size": (3, 2), "strides": 2, "dilation_rate": 2,
                       "activation": "relu"}, (2, 9, 8, 3)),
    (DepthwiseConv2D, {"kernel_size": 3, "strides": 2, "padding": "same"}, IMG),
    (DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 3, "padding": "same"}, SEQ),
    (SeparableConv2D, {"filters": 5, "kernel_size": 3, "depth_multiplier": 2}, IMG),
    (SeparableConv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                       "activation": "tanh"}, IMG),
    (SeparableConv1D, {"filters": 5, "kernel_size": 2, "dilation_rate": 2}, SEQ),
])
def test_depthwise_and_separable_match_torch(dtype, cls, kwargs, shape):
    rng = np.random.default_rng(2)
    layer = cls(dtype=dtype, **kwargs)
    x = rng.standard_normal(shape)
    _randomize(layer, x, rng)
    rank, c, m = len(shape) - 2, shape[-1], layer.depth_multiplier
    separable = isinstance(layer, (SeparableConv1D, SeparableConv2D))

    def torch_fn(xt, ws):
        xt = xt.movedim(-1, 1)
        if layer.padding == "same":
            xt = _tf_same(xt, layer)
        # (*k, C, M) → (C·M, 1, *k), C groups: output channel c·M + m as Keras's
        wd = ws[0].reshape(*ws[0].shape[:rank], c * m).movedim(-1, 0).unsqueeze(1)
        y = TORCH_CONV[rank](xt, wd, None if separable else ws[1], stride=layer.strides,
                             dilation=layer.dilation_rate, groups=c)
        if separable:
            y = TORCH_CONV[rank](y, _kernel(ws[1]), ws[2])
        return ACT[kwargs.get("activation")](y.movedim(1, -1))

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs,torch_fn", [
    (MaxPooling3D, {}, lambda x: F.max_pool3d(x, 2)),
    (MaxPooling3D, {"pool_size": (3, 2, 2), "strides": (1, 2, 1)},
     lambda x: F.max_pool3d(x, (3, 2, 2), (1, 2, 1))),
    (AveragePooling3D, {"pool_size": 2}, lambda x: F.avg_pool3d(x, 2)),
    (AveragePooling3D, {"pool_size": (2, 3, 2), "strides": 1},
     lambda x: F.avg_pool3d(x, (2, 3, 2), 1)),
    (GlobalMaxPooling3D, {}, lambda x: x.amax((2, 3, 4))),
    (GlobalAveragePooling3D, {}, lambda x: x.mean((2, 3, 4))),
])
def test_pooling_3d_matches_torch(dtype, cls, kwargs, torch_fn):
    x = np.random.default_rng(3).standard_normal(VOL)
    layer = cls(dtype=dtype, **kwargs)

    def last(xt, ws):
        y = torch_fn(xt.movedim(-1, 1))
        return y.movedim(1, -1) if y.ndim == 5 else y

    check_layer_against_torch(layer, last, x)


@pytest.mark.parametrize("make", [
    lambda: Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1, dtype="float64"),
    lambda: Conv3D(2, 2, strides=2, padding="same", groups=2, dtype="float64"),
    lambda: DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, dtype="float64"),
    lambda: SeparableConv1D(3, 3, padding="same", dtype="float64"),
    lambda: AveragePooling3D(2, strides=1, padding="same", dtype="float64"),
])
def test_input_and_weight_gradcheck(make):
    layer = make()
    rank = layer.rank
    x = np.random.default_rng(4).standard_normal((1,) + (5, 4, 3)[:rank] + (2,))
    layer(x)
    assert gradcheck(lambda t: layer(t), [x])
    if layer.weights:
        # the weights' gradients (through the tape) against central differences along a random
        # direction, with a random upstream gradient u
        x_t = pf.tensor(x)
        with pf.GradientTape() as tape:
            y = layer(x_t)
        u = np.random.default_rng(5).standard_normal(y.shape)
        grads = tape.gradient(y, layer.trainable_weights, output_gradients=pf.tensor(u))
        eps = 1e-6
        for v, g in zip(layer.trainable_weights, grads):
            w0 = v.numpy().copy()
            d = np.random.default_rng(6).standard_normal(w0.shape)
            v.assign(w0 + eps * d)
            plus = (layer(x_t).numpy() * u).sum()
            v.assign(w0 - eps * d)
            minus = (layer(x_t).numpy() * u).sum()
            v.assign(w0)
            np.testing.assert_allclose((plus - minus) / (2 * eps), (g.numpy() * d).sum(),
                                       rtol=1e-5, err_msg=v.name)


# --- Keras's names, config keys, errors ----------------------------------------------------------

def test_keras_names_and_aliases():
    for name, target in [("Convolution1DTranspose", Conv1DTranspose), ("Convolution3D", Conv3D),
                         ("Convolution3DTranspose", Conv3DTranspose),
                         ("SeparableConvolution1D", SeparableConv1D),
                         ("SeparableConvolution2D", SeparableConv2D),
                         ("MaxPool3D", MaxPooling3D), ("AvgPool3D", AveragePooling3D),
                         ("GlobalMaxPool3D", GlobalMaxPooling3D),
                         ("GlobalAvgPool3D", GlobalAveragePooling3D),
                         ("DepthwiseConv1D", DepthwiseConv1D)]:
        assert getattr(KL, name) is target


def test_weight_names_and_shapes_are_keras():
    x = np.ones((1, 5, 6, 3), "float32")
    dw = DepthwiseConv2D(3, depth_multiplier=2)
    dw(x)
    assert [(w.name, w.shape) for w in dw.weights] == [("kernel", (3, 3, 3, 2)), ("bias", (6,))]
    sep = SeparableConv2D(4, 3, depth_multiplier=2)
    sep(x)
    assert [(w.name, w.shape) for w in sep.weights] == [
        ("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 4)), ("bias", (4,))]
    t = Conv1DTranspose(2, 3)
    t(np.ones((1, 5, 3), "float32"))
    assert t.kernel.shape == (3, 2, 3)  # (k, filters, in)
    g = Conv3D(4, 3, groups=2)
    g(np.ones((1, 5, 5, 5, 4), "float32"))
    assert g.kernel.shape == (3, 3, 3, 2, 4)


# Keras 3's config keys beyond the base layer's (observed on keras 3 / TF 2.21).
BASE_KEYS = {"name", "trainable", "dtype"}
CONV_KEYS = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
             "activation", "use_bias", "kernel_initializer", "bias_initializer",
             "kernel_regularizer", "bias_regularizer", "activity_regularizer",
             "kernel_constraint", "bias_constraint"}
DW_KEYS = {"depth_multiplier", "kernel_size", "strides", "padding", "data_format",
           "dilation_rate", "activation", "use_bias", "depthwise_initializer",
           "bias_initializer", "depthwise_regularizer", "bias_regularizer",
           "activity_regularizer", "depthwise_constraint", "bias_constraint"}


@pytest.mark.parametrize("layer,keys", [
    (Conv3D(2, 3), CONV_KEYS | {"groups"}),
    (Conv1DTranspose(2, 3), CONV_KEYS | {"output_padding"}),
    (Conv3DTranspose(2, 3), CONV_KEYS | {"output_padding"}),
    (DepthwiseConv2D(3), DW_KEYS),
    (SeparableConv2D(2, 3), DW_KEYS | {"filters", "pointwise_initializer",
                                       "pointwise_regularizer", "pointwise_constraint"}),
    (MaxPooling3D(), {"pool_size", "strides", "padding", "data_format"}),
    (GlobalMaxPooling3D(), {"data_format", "keepdims"}),
])
def test_config_keys_are_keras(layer, keys):
    assert set(layer.get_config()) - {"seed"} >= BASE_KEYS | keys
    assert not (set(layer.get_config()) - BASE_KEYS - keys - {"seed"})


@pytest.mark.parametrize("make,match", [
    (lambda: Conv3D(3, 3, groups=2, name="c3"), r'"c3".*groups=2, filters=3'),
    (lambda: Conv3D(2, 3, groups=0, name="c3"), r'"c3".*groups=0'),
    (lambda: Conv3D(2, (3, 3), name="c3"), r'"c3".*kernel_size=\(3, 3\)'),
    (lambda: Conv3D(2, 3, padding="causal", name="c3"), r"\"c3\".*padding='causal'"),
    (lambda: Conv3D(2, 3, strides=2, dilation_rate=2, name="c3"), r'"c3".*dilation_rate'),
    (lambda: Conv1DTranspose(2, 3, strides=2, output_padding=2, name="t1"),
     r'"t1".*output_padding=2'),
    (lambda: Conv1DTranspose(2, 3, padding="causal", name="t1"), r"\"t1\".*padding='causal'"),
    (lambda: Conv1DTranspose(2, 3, groups=2), "groups"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0, name="dw"), r'"dw".*depth_multiplier=0'),
    (lambda: SeparableConv2D(0, 3, name="sep"), r'"sep".*filters=0'),
    (lambda: SeparableConv1D(2, 3, padding="causal", name="sep"), r"\"sep\".*padding='causal'"),
    (lambda: MaxPooling3D(pool_size=0, name="mp"), r'"mp".*pool_size=0'),
    (lambda: AveragePooling3D(pool_size=(2, 2), name="ap"), r'"ap".*pool_size=\(2, 2\)'),
])
def test_bad_arguments_raise_early_naming_the_layer(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_groups_must_divide_the_input_channels():
    layer = Conv2D(4, 3, groups=2, name="g")
    with pytest.raises(ValueError, match=r'"g".*input channels.*groups=2'):
        layer(np.ones((1, 5, 5, 3), "float32"))


def test_separable_has_fewer_weights_than_a_full_conv():
    x = np.ones((1, 8, 8, 16), "float32")
    sep, full = SeparableConv2D(32, 3), Conv2D(32, 3)
    sep(x), full(x)
    assert sep.count_params() == 3 * 3 * 16 + 16 * 32 + 32 < full.count_params()
