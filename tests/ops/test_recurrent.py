"""LSTM / GRU / SimpleRNN loops against torch.nn with Keras weights mapped, gradcheck, 2nd order."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.ops.recurrent import gru, lstm, simple_rnn
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(0)
B, T, D, H = 3, 4, 5, 2


def weights(gates):
    return (rng.standard_normal((D, gates * H)) * 0.5, rng.standard_normal((H, gates * H)) * 0.5)


def torch_lstm(x, w, u, b, go_backwards=False):
    """Keras (i, f, c, o) is torch's (i, f, g, o): only transposes to map."""
    m = torch.nn.LSTM(D, H, batch_first=True).to(x.dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    out, (h, c) = torch.func.functional_call(
        m, {"weight_ih_l0": w.T, "weight_hh_l0": u.T, "bias_ih_l0": b,
            "bias_hh_l0": torch.zeros_like(b)}, (x.flip(1) if go_backwards else x,))
    return out, h[0], c[0]


def keras_to_torch_gru(a):
    """Keras GRU gate order (z, r, h) → torch's (r, z, n) along the last axis."""
    z, r, h = a.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def torch_gru(x, w, u, b):
    m = torch.nn.GRU(D, H, batch_first=True).to(x.dtype)
    params = {"weight_ih_l0": keras_to_torch_gru(w).T, "weight_hh_l0": keras_to_torch_gru(u).T,
              "bias_ih_l0": keras_to_torch_gru(b[0]), "bias_hh_l0": keras_to_torch_gru(b[1])}
    out, h = torch.func.functional_call(m, params, (x,))
    return out, h[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_matches_torch(dtype, go_backwards):
    w, u = weights(4)
    check_against_torch(
        lambda x, w, u, b: lstm(x, w, u, b, go_backwards=go_backwards),
        lambda x, w, u, b: torch_lstm(x, w, u, b, go_backwards),
        [rng.standard_normal((B, T, D)), w, u, rng.standard_normal(4 * H)], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gru_matches_torch(dtype):
    w, u = weights(3)
    check_against_torch(gru, torch_gru,
                        [rng.standard_normal((B, T, D)), w, u, rng.standard_normal((2, 3 * H))],
                        dtype=dtype)


def test_simple_rnn_matches_torch():
    w, u = weights(1)

    def torch_rnn(x, w, u, b):
        m = torch.nn.RNN(D, H, batch_first=True).to(x.dtype)
        out, h = torch.func.functional_call(m, {"weight_ih_l0": w.T, "weight_hh_l0": u.T,
                                                "bias_ih_l0": b, "bias_hh_l0": 0 * b}, (x,))
        return out, h[0]

    check_against_torch(simple_rnn, torch_rnn,
                        [rng.standard_normal((B, T, D)), w, u, rng.standard_normal(H)])


def test_recurrent_gradcheck_and_second_order():
    x = rng.standard_normal((2, 3, D))
    w4, u4 = weights(4)
    w3, u3 = weights(3)
    h0, c0 = rng.standard_normal((2, H)), rng.standard_normal((2, H))
    lstm_fn = lambda x, w, u, b, h, c: lstm(x, w, u, b, h, c)  # noqa: E731
    gru_fn = lambda x, w, u, b, h: gru(x, w, u, b, h)  # noqa: E731
    args4 = [x, w4, u4, rng.standard_normal(4 * H), h0, c0]
    args3 = [x, w3, u3, rng.standard_normal((2, 3 * H)), h0]
    gradcheck(lstm_fn, args4)
    gradcheck(gru_fn, args3)
    gradgradcheck(lstm_fn, args4)
    gradgradcheck(gru_fn, args3)


def test_long_sequence_backpropagates_without_recursion():
    w, u = weights(4)
    x = pf.tensor(rng.standard_normal((2, 400, D)).astype("float32"))
    wv = pf.Variable(w.astype("float32"))
    seq, h, c = lstm(x, wv, pf.constant(u.astype("float32")), None)
    (g,) = pf.grad(h, [wv])
    assert np.isfinite(g.numpy()).all() and seq.shape == (2, 400, H)


@pytest.mark.parametrize("op, gates", [(lstm, 4), (gru, 3)])
def test_backward_twice_with_retain_graph_gives_the_same_gradients(op, gates):
    """The LSTM's last backward writes its gradients over its saved gates: not when retained."""
    w, u = weights(gates)
    b = rng.standard_normal(4 * H) if gates == 4 else rng.standard_normal((2, 3 * H))
    x = pf.Variable(rng.standard_normal((B, T, D)))
    params = [x, pf.Variable(w), pf.Variable(u), pf.Variable(b)]
    upstream = pf.constant(rng.standard_normal((B, T, H)))
    seq = op(*params)[0]
    first = pf.grad(seq, params, grad_outputs=upstream, retain_graph=True)
    second = pf.grad(seq, params, grad_outputs=upstream, retain_graph=True)
    last = pf.grad(seq, params, grad_outputs=upstream)
    for a, b2, c in zip(first, second, last):
        np.testing.assert_array_equal(a.numpy(), b2.numpy())
        np.testing.assert_array_equal(a.numpy(), c.numpy())
    with pytest.raises(RuntimeError, match="already freed"):
        pf.grad(seq, params, grad_outputs=upstream)
