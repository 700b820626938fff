"""SimpleRNN, LSTM, GRU (layers and cells), Bidirectional, TimeDistributed and Embedding against
torch.nn with the same weights (Keras layouts mapped explicitly: transposes, GRU gate order)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

import profond as pf
from profond.layers import Dense
from profond.layers.recurrent import (
    GRU,
    LSTM,
    Bidirectional,
    Embedding,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    TimeDistributed,
)
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch

DTYPES = ["float32", "float64"]
B, T, D, H = 3, 6, 4, 5


def _randomize(layer, rng, scale=0.5):
    layer.set_weights([rng.standard_normal(w.shape).astype(layer.dtype) * scale
                       for w in layer.get_weights()])


def _gru_order(w):
    """Keras gates (z, r, h) → torch's (r, z, n) along the last axis."""
    z, r, h = torch.chunk(w, 3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _torch_params(kind, ws, suffix=""):
    """Keras-layout weights (kernel, recurrent_kernel, bias) → torch.nn.RNN/LSTM/GRU params."""
    k, rk, b = ws
    if kind == "gru":
        return {f"weight_ih_l0{suffix}": _gru_order(k).T, f"weight_hh_l0{suffix}": _gru_order(rk).T,
                f"bias_ih_l0{suffix}": _gru_order(b[0]), f"bias_hh_l0{suffix}": _gru_order(b[1])}
    # LSTM gates (i, f, c, o) are torch's (i, f, g, o): only transposes.
    return {f"weight_ih_l0{suffix}": k.T, f"weight_hh_l0{suffix}": rk.T,
            f"bias_ih_l0{suffix}": b, f"bias_hh_l0{suffix}": torch.zeros_like(b)}


def _module(kind, dtype, **kwargs):
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    return cls(D, H, batch_first=True, **kwargs).to(getattr(torch, dtype))


LAYERS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("opts", [{}, {"return_sequences": True},
                                  {"return_sequences": True, "go_backwards": True},
                                  {"return_state": True}])
def test_rnn_layers_match_torch(dtype, kind, opts):
    rng = np.random.default_rng(0)
    layer = LAYERS[kind](H, dtype=dtype, **opts)
    x = rng.standard_normal((B, T, D))
    layer(x.astype(dtype))
    _randomize(layer, rng)
    module = _module(kind, dtype)

    def torch_fn(xt, ws):
        if layer.go_backwards:
            xt = xt.flip(1)  # Keras then returns the outputs in that (reversed) order
        seq, state = functional_call(module, _torch_params(kind, ws), (xt,))
        out = seq if layer.return_sequences else seq[:, -1]
        if not layer.return_state:
            return out
        if kind == "lstm":
            return out, state[0][0], state[1][0]
        return out, state[0]

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cells_alone_match_torch(dtype, kind):
    rng = np.random.default_rng(1)
    cell = (LSTMCell if kind == "lstm" else GRUCell)(H, dtype=dtype)
    x = rng.standard_normal((B, D)).astype(dtype)
    states = [pf.constant(rng.standard_normal((B, H)).astype(dtype))
              for _ in range(2 if kind == "lstm" else 1)]
    cell(x, states)
    _randomize(cell, rng)
    module = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(D, H)
    module = module.to(getattr(torch, dtype))
    st = [torch.tensor(s.numpy()) for s in states]

    def torch_fn(xt, ws):
        params = {k.replace("_l0", ""): v for k, v in _torch_params(kind, ws).items()}
        if kind == "lstm":
            h, c = functional_call(module, params, (xt, (st[0], st[1])))
            return h, h, c
        h = functional_call(module, params, (xt, st[0]))
        return h, h

    def flat(out):
        h, new_states = out
        return (h, *new_states)

    class Flat:  # the cell returns (h, [states]); compare the flattened outputs
        name, dtype = cell.name, cell.dtype
        weights, trainable_weights = cell.weights, cell.trainable_weights

        def get_weights(self):
            return cell.get_weights()

        def __call__(self, xs, training=None):
            return flat(cell(xs, states))

    check_layer_against_torch(Flat(), torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_reset_before_matches_formula(dtype):
    """reset_after=False: ĥ = tanh(xW_h + b_h + (r ⊙ h)U_h) (Keras's original GRU)."""
    rng = np.random.default_rng(2)
    layer = GRU(H, reset_after=False, return_sequences=True, dtype=dtype)
    x = rng.standard_normal((B, T, D))
    layer(x.astype(dtype))
    _randomize(layer, rng)

    def torch_fn(xt, ws):
        k, rk, b = ws
        h = torch.zeros(B, H, dtype=xt.dtype)
        out = []
        for t in range(T):
            xz = xt[:, t] @ k + b
            z = torch.sigmoid(xz[:, :H] + h @ rk[:, :H])
            r = torch.sigmoid(xz[:, H:2 * H] + h @ rk[:, H:2 * H])
            hh = torch.tanh(xz[:, 2 * H:] + (r * h) @ rk[:, 2 * H:])
            h = z * h + (1 - z) * hh
            out.append(h)
        return torch.stack(out, 1)

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_general_loop_equals_fused_loop(kind):
    """An all-ones mask forces the per-step cell loop: same values and gradients as the fused
    ops path."""
    rng = np.random.default_rng(3)
    layer = LAYERS[kind](H, return_sequences=True, dtype="float64")
    x = rng.standard_normal((B, T, D))
    layer(x)
    _randomize(layer, rng)
    u = rng.standard_normal((B, T, H))
    results = []
    for mask in (None, np.ones((B, T), bool)):
        xt = pf.Variable(x)
        with pf.GradientTape() as tape:
            y = layer(xt, mask=mask)
            loss = pf.reduce_sum(y * u)
        grads = tape.gradient(loss, [xt] + layer.trainable_weights)
        results.append([y.numpy()] + [g.numpy() for g in grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_initial_state_matches_torch():
    rng = np.random.default_rng(4)
    layer = LSTM(H, dtype="float64")
    x = rng.standard_normal((B, T, D))
    h0, c0 = rng.standard_normal((2, B, H))
    layer(x)
    _randomize(layer, rng)
    module = _module("lstm", "float64")

    def torch_fn(xt, ws):
        state = (torch.tensor(h0)[None], torch.tensor(c0)[None])
        return functional_call(module, _torch_params("lstm", ws), (xt, state))[0][:, -1]

    check_layer_against_torch(layer, torch_fn, x,
                              call_kwargs={"initial_state": [pf.constant(h0), pf.constant(c0)]})


@pytest.mark.parametrize("merge_mode", ["concat", "sum"])
def test_bidirectional_matches_torch(merge_mode):
    rng = np.random.default_rng(5)
    layer = Bidirectional(LSTM(H, return_sequences=True, dtype="float64"), merge_mode=merge_mode,
                          dtype="float64")
    x = rng.standard_normal((B, T, D))
    layer(x)
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    _randomize(layer, rng)
    module = _module("lstm", "float64", bidirectional=True)

    def torch_fn(xt, ws):
        params = {**_torch_params("lstm", ws[:3]), **_torch_params("lstm", ws[3:], "_reverse")}
        y = functional_call(module, params, (xt,))[0]
        return y if merge_mode == "concat" else y[..., :H] + y[..., H:]

    check_layer_against_torch(layer, torch_fn, x)


def test_time_distributed_dense_matches_torch():
    rng = np.random.default_rng(6)
    layer = TimeDistributed(Dense(3, activation="tanh", dtype="float64"), dtype="float64")
    x = rng.standard_normal((B, T, D))
    check_layer_against_torch(layer, lambda xt, ws: torch.tanh(xt @ ws[0] + ws[1]), x)


def test_embedding_matches_torch_and_masks_padding():
    rng = np.random.default_rng(7)
    emb = Embedding(10, D, dtype="float64")
    idx = rng.integers(0, 10, (B, T))
    check_layer_against_torch(emb, lambda it, ws: F.embedding(it, ws[0]), idx)
    with pytest.raises(ValueError, match=r"expected indices in \[0, 10\)"):
        emb(np.array([[10]]))


def test_mask_zero_skips_padding_steps():
    rng = np.random.default_rng(8)
    emb = Embedding(10, D, mask_zero=True)
    lstm = LSTM(H)
    lengths = [6, 3, 1]
    idx = np.zeros((B, T), "int64")
    for i, n in enumerate(lengths):
        idx[i, :n] = rng.integers(1, 10, n)
    y = lstm(emb(idx)).numpy()
    for i, n in enumerate(lengths):  # the same as the unpadded sequence alone
        alone = lstm(emb(idx[i:i + 1, :n])).numpy()
        np.testing.assert_allclose(y[i], alone[0], rtol=1e-5, atol=1e-6)


def test_dropout_only_while_training():
    pf.set_seed(0)
    layer = LSTM(H, dropout=0.5, recurrent_dropout=0.5, seed=0)
    x = np.random.default_rng(9).standard_normal((B, T, D)).astype("float32")
    plain = layer(x).numpy()
    np.testing.assert_array_equal(plain, layer(x, training=False).numpy())
    assert not np.allclose(plain, layer(x, training=True).numpy())


def test_rnn_input_gradcheck():
    layer = GRU(3, return_sequences=True, dtype="float64")
    x = np.random.default_rng(10).standard_normal((2, 4, 2))
    layer(x)
    assert gradcheck(lambda t: layer(t), [x])


def test_lstm_keras_layout_and_unit_forget_bias():
    layer = LSTM(H)
    layer(np.ones((1, 2, D), "float32"))
    k, rk, b = layer.get_weights()
    assert (k.shape, rk.shape, b.shape) == ((D, 4 * H), (H, 4 * H), (4 * H,))
    np.testing.assert_array_equal(b, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])
    assert layer.weights[0].path.endswith("kernel")


def test_long_sequence_backward_is_not_recursive():
    layer = SimpleRNN(2)
    x = pf.Variable(np.random.default_rng(11).standard_normal((1, 3000, 1)).astype("float32"))
    with pf.GradientTape() as tape:
        loss = pf.reduce_sum(layer(x))
    (g,) = tape.gradient(loss, [x])
    assert g.shape == x.shape


def test_errors_are_keras_worded():
    with pytest.raises(ValueError, match="Received: units=0"):
        LSTM(0)
    with pytest.raises(ValueError, match="Received: merge_mode='max'"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="should have a `state_size`"):
        pf.layers.RNN(Dense(2))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        LSTM(2)(np.ones((1, 3, 2), "float32"), initial_state=[np.zeros((1, 2), "float32")])
    with pytest.raises(ValueError, match=r"expected an initial state of shape \(1, 2\)"):
        GRU(2)(np.ones((1, 3, 2), "float32"), initial_state=np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match='"return_sequences"'):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
