"""ConvLSTM1D/2D/3D: the layer contract, the ConvLSTM equations written in torch with the same
weights (forward and gradients), gradcheck, dropout, masks, states and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM2DCell, ConvLSTM3D
from profond.ops.conv import _same_pads
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch, run_layer_test

SEQ = (2, 3, 6, 5, 2)  # (N, T, H, W, C)


@pytest.mark.parametrize("kwargs,in_shape,out_shape", [
    ({"filters": 3, "kernel_size": 3}, SEQ, (2, 4, 3, 3)),
    ({"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True},
     SEQ, (2, 3, 6, 5, 3)),
    ({"filters": 2, "kernel_size": (2, 3), "strides": 2, "return_state": True},
     SEQ, [(2, 3, 2, 2), (2, 3, 2, 2), (2, 3, 2, 2)]),
    ({"filters": 2, "kernel_size": 2, "data_format": "channels_first", "go_backwards": True,
      "return_sequences": True}, (2, 3, 2, 6, 5), (2, 3, 2, 5, 4)),
    ({"filters": 2, "kernel_size": 3, "dropout": 0.2, "recurrent_dropout": 0.2, "seed": 1,
      "dilation_rate": 2}, (2, 3, 6, 6, 2), (2, 2, 2, 2)),
])
def test_layer_contract(kwargs, in_shape, out_shape):
    run_layer_test(ConvLSTM2D, kwargs, in_shape, out_shape, expected_num_trainable_weights=3)


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape", [
    (ConvLSTM1D, {"filters": 3, "kernel_size": 3, "return_sequences": True}, (2, 3, 8, 2),
     (2, 3, 6, 3)),
    (ConvLSTM1D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
                  "return_state": True, "data_format": "channels_first"}, (2, 3, 2, 7),
     [(2, 2, 4), (2, 2, 4), (2, 2, 4)]),
    (ConvLSTM3D, {"filters": 2, "kernel_size": (2, 3, 2), "padding": "same"},
     (2, 3, 3, 4, 3, 2), (2, 3, 4, 3, 2)),
    (ConvLSTM3D, {"filters": 2, "kernel_size": 2, "return_sequences": True,
                  "data_format": "channels_first"}, (1, 2, 2, 3, 4, 3), (1, 2, 2, 2, 3, 2)),
])
def test_layer_contract_1d_3d(cls, kwargs, in_shape, out_shape):
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=3)


TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _torch_conv(x, w, stride, padding, dilation):
    """Channels-last x, Keras kernel (*k, C, F), TF's 'same' placement."""
    r = x.ndim - 2
    xt = x.movedim(-1, 1)
    if padding == "same":
        pads = []
        for n, k, s, d in reversed(list(zip(xt.shape[2:], w.shape[:r], stride, dilation))):
            pads += list(_same_pads(n, k, s, d))
        xt = F.pad(xt, pads)
    y = TORCH_CONV[r](xt, w.permute(r + 1, r, *range(r)), stride=stride, dilation=dilation)
    return y.movedim(1, -1)


def torch_conv_lstm(layer):
    """The ConvLSTM equations (gates i, f, c, o) in torch, for check_layer_against_torch."""
    cell = layer.cell

    def run(x, ws):
        kernel, rec, bias = ws
        f = cell.filters
        steps = range(x.shape[1] - 1, -1, -1) if layer.go_backwards else range(x.shape[1])
        h = c = None
        outs = []
        for t in steps:
            z = _torch_conv(x[:, t], kernel, cell.strides, cell.padding, cell.dilation_rate)
            z = z + bias
            if h is None:
                h = c = z.new_zeros(*z.shape[:-1], f)
            ones = (1,) * (x.ndim - 3)
            z = z + _torch_conv(h, rec, ones, "same", ones)
            i, fg, g, o = torch.split(z, f, dim=-1)
            c = torch.sigmoid(fg) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        out = torch.stack(outs, 1) if layer.return_sequences else h
        return (out, h, c) if layer.return_state else out

    return run


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": (3, 2), "padding": "same", "return_sequences": True, "go_backwards": True},
    {"kernel_size": 3, "strides": 2, "return_state": True},
    {"kernel_size": 2, "dilation_rate": 2, "padding": "same", "return_sequences": True},
])
def test_matches_torch(dtype, kwargs):
    rng = np.random.default_rng(0)
    layer = ConvLSTM2D(3, dtype=dtype, **kwargs)
    x = rng.standard_normal(SEQ)
    layer(x.astype(dtype))
    layer.set_weights([rng.standard_normal(w.shape).astype(dtype) * 0.4
                       for w in layer.get_weights()])
    check_layer_against_torch(layer, torch_conv_lstm(layer), x)


@pytest.mark.parametrize("cls,kwargs,shape", [
    (ConvLSTM1D, {"kernel_size": 3, "return_sequences": True, "go_backwards": True},
     (2, 3, 8, 2)),
    (ConvLSTM1D, {"kernel_size": 2, "strides": 2, "padding": "same", "return_state": True},
     (2, 3, 7, 2)),
    (ConvLSTM3D, {"kernel_size": (2, 3, 2), "padding": "same", "return_sequences": True},
     (2, 3, 3, 4, 3, 2)),
    (ConvLSTM3D, {"kernel_size": 2, "return_state": True}, (1, 2, 3, 3, 4, 2)),
])
def test_1d_3d_match_torch(cls, kwargs, shape):
    rng = np.random.default_rng(5)
    layer = cls(2, dtype="float64", **kwargs)
    x = rng.standard_normal(shape)
    layer(x)
    layer.set_weights([rng.standard_normal(w.shape) * 0.4 for w in layer.get_weights()])
    check_layer_against_torch(layer, torch_conv_lstm(layer), x)


def test_custom_activations_take_the_general_gates_and_gradcheck():
    layer = ConvLSTM2D(2, 2, activation="relu", recurrent_activation="hard_sigmoid",
                       padding="same", return_sequences=True, dtype="float64")
    x = np.random.default_rng(1).standard_normal((1, 3, 4, 3, 2))
    layer(x)
    assert not layer.cell.fused
    assert gradcheck(lambda t: layer(t), [x])
    fused = ConvLSTM2D(2, 2, padding="same", dtype="float64")
    fused(x)
    assert gradcheck(lambda t: fused(t), [x])


def test_mask_path_equals_the_fused_path_and_masks_hold_states():
    layer = ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    x = np.random.default_rng(2).standard_normal(SEQ).astype("float32")
    fused = layer(x).numpy()
    looped = layer(x, mask=np.ones((2, 3), bool)).numpy()
    np.testing.assert_allclose(looped, fused, rtol=1e-5, atol=1e-6)
    mask = np.array([[True, True, False], [True, True, True]])
    held = layer(x, mask=mask).numpy()
    np.testing.assert_allclose(held[0, 2], held[0, 1])  # a masked step keeps the previous h
    np.testing.assert_allclose(held[1], fused[1], rtol=1e-5, atol=1e-6)


def test_dropout_only_while_training():
    pf.set_seed(0)
    layer = ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5)
    x = np.random.default_rng(3).standard_normal(SEQ).astype("float32")
    inference = layer(x).numpy()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)


def test_initial_and_stateful_states():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 5, 5, 2)).astype("float32")
    whole = ConvLSTM2D(2, 3, padding="same", return_state=True)
    out, h, c = whole(x)
    first = ConvLSTM2D(2, 3, padding="same", return_state=True)
    first(x[:, :2])
    first.set_weights(whole.get_weights())
    _, h2, c2 = first(x[:, :2])
    out2, _, _ = first(x[:, 2:], initial_state=[h2, c2])
    np.testing.assert_allclose(out2.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
    stateful = ConvLSTM2D(2, 3, padding="same", stateful=True)
    stateful(x[:, :2])
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    stateful(x[:, :2])
    np.testing.assert_allclose(stateful(x[:, 2:]).numpy(), out.numpy(), rtol=1e-5, atol=1e-6)


def test_weights_and_config_are_keras():
    layer = ConvLSTM2D(4, (3, 2), padding="same")
    layer(np.ones((1, 2, 5, 5, 3), "float32"))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (3, 2, 3, 16)), ("recurrent_kernel", (3, 2, 4, 16)), ("bias", (16,))]
    np.testing.assert_array_equal(layer.cell.bias.numpy()[4:8], 1)  # unit_forget_bias
    keras_keys = {  # Keras 3's ConvLSTM2D config, observed on TF 2.21 (less activity_regularizer)
        "activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format",
        "dilation_rate", "dropout", "dtype", "filters", "go_backwards", "kernel_constraint",
        "kernel_initializer", "kernel_regularizer", "kernel_size", "name", "padding",
        "recurrent_activation", "recurrent_constraint", "recurrent_dropout",
        "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state",
        "seed", "stateful", "strides", "trainable", "unit_forget_bias", "unroll", "use_bias",
        "zero_output_for_mask"}
    assert set(layer.get_config()) == keras_keys
    assert isinstance(layer.cell, ConvLSTM2DCell)


@pytest.mark.parametrize("make,match", [
    (lambda: ConvLSTM2D(0, 3, name="cl"), r'"cl".*filters=0'),
    (lambda: ConvLSTM1D(2, (3, 3), name="cl"), r'"cl".*kernel_size'),
    (lambda: ConvLSTM3D(2, (3, 3), name="cl"), r'"cl".*kernel_size'),
    (lambda: ConvLSTM2D(2, (3, 3, 3), name="cl"), r'"cl".*kernel_size'),
    (lambda: ConvLSTM2D(2, 3, padding="causal", name="cl"), r"\"cl\".*padding='causal'"),
    (lambda: ConvLSTM2D(2, 3, dropout=1.5, name="cl"), r'"cl".*dropout=1.5'),
    (lambda: ConvLSTM2D(2, 3, strides=2, dilation_rate=2, name="cl"), r'"cl".*dilation_rate'),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_rank_input_is_refused():
    with pytest.raises(ValueError, match="ndim"):
        ConvLSTM2D(2, 3)(np.ones((2, 3, 5, 5), "float32"))
    with pytest.raises(ValueError, match="ndim"):
        ConvLSTM1D(2, 3)(np.ones((2, 3, 5, 5, 1), "float32"))
