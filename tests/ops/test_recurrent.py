"""LSTM / GRU / SimpleRNN loops against torch.nn with Keras weights mapped, gradcheck, 2nd order."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.backend import jit as backend_jit
from profond.ops.recurrent import gru, lstm, simple_rnn
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(0)
B, T, D, H = 3, 4, 5, 2


@pytest.fixture(autouse=True, params=[True, False], ids=["jit", "numpy"])
def lstm_path(request, monkeypatch):
    """Every test twice: the compiled LSTM kernels (when numba is installed) and the NumPy path."""
    monkeypatch.setattr(backend_jit, "ENABLED", request.param)


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


def test_lstm_step_op_is_the_sequence_op_over_one_step_and_matches_torch_cell():
    """The array math of the step op (cells) and the sequence op (layers) is one function: both
    agree with torch.nn.LSTMCell and with the differentiable form ``lstm_gates``."""
    from profond.ops.recurrent import LSTMGates, lstm_gates

    w, u = weights(4)
    b = rng.standard_normal(4 * H)
    x, h0, c0 = (rng.standard_normal(shape) for shape in ((B, D), (B, H), (B, H)))
    z = x @ w + h0 @ u + b
    h1, c1 = LSTMGates()(pf.constant(z), pf.constant(c0))
    hc, cc = lstm_gates(pf.constant(z), pf.constant(c0))
    _, hs, cs = lstm(pf.constant(x[:, None]), pf.constant(w), pf.constant(u), pf.constant(b),
                     pf.constant(h0), pf.constant(c0))
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for p, v in zip(cell.parameters(), [w.T, u.T, b, 0 * b]):
            p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
        th, tc = cell(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
    for got_h, got_c in ((h1, c1), (hc, cc), (hs, cs)):
        np.testing.assert_allclose(got_h.numpy(), th.numpy(), rtol=1e-12)
        np.testing.assert_allclose(got_c.numpy(), tc.numpy(), rtol=1e-12)
    gradcheck(lambda z, c: LSTMGates()(z, c), [z, c0])
    gradgradcheck(lambda z, c: LSTMGates()(z, c), [z, c0])


def test_lstm_gates_with_other_activations_is_differentiable():
    from profond.ops.recurrent import lstm_gates

    z, c = rng.standard_normal((B, 4 * H)), rng.standard_normal((B, H))
    h, c_new = lstm_gates(pf.constant(z), pf.constant(c), pf.relu, pf.sigmoid)
    s = 1 / (1 + np.exp(-z))
    want_c = s[:, H:2 * H] * c + s[:, :H] * np.maximum(z[:, 2 * H:3 * H], 0)
    np.testing.assert_allclose(c_new.numpy(), want_c)
    np.testing.assert_allclose(h.numpy(), s[:, 3 * H:] * np.maximum(want_c, 0))
    gradcheck(lambda z, c: lstm_gates(z, c, pf.tanh, pf.sigmoid), [z, c])


def test_gru_step_op_is_the_sequence_op_over_one_step_and_matches_torch_cell():
    from profond.ops.recurrent import GRUGates, gru_gates

    w, u = weights(3)
    b = rng.standard_normal((2, 3 * H))
    x, h0 = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    xz, hz = x @ w + b[0], h0 @ u + b[1]
    h1 = GRUGates()(pf.constant(xz), pf.constant(hz), pf.constant(h0))
    hc = gru_gates(pf.constant(xz), pf.constant(hz), pf.constant(h0))
    _, hs = gru(pf.constant(x[:, None]), pf.constant(w), pf.constant(u), pf.constant(b),
                pf.constant(h0))
    cell = torch.nn.GRUCell(D, H).double()
    t = lambda a: keras_to_torch_gru(torch.from_numpy(a))  # noqa: E731
    with torch.no_grad():
        for p, v in zip(cell.parameters(), [t(w).T, t(u).T, t(b[0]), t(b[1])]):
            p.copy_(v)
        want = cell(torch.from_numpy(x), torch.from_numpy(h0)).numpy()
    for got in (h1, hc, hs):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    gradcheck(lambda xz, hz, h: GRUGates()(xz, hz, h), [xz, hz, h0])
    gradgradcheck(lambda xz, hz, h: GRUGates()(xz, hz, h), [xz, hz, h0])


@pytest.mark.parametrize("zero_states", [False, True])
@pytest.mark.parametrize("op, steps, gates", [(lstm, "_lstm_steps", 4), (gru, "_gru_steps", 3)])
def test_an_unused_output_gets_no_gradient_and_the_rest_is_unchanged(op, steps, gates,
                                                                      zero_states):
    """The sequence ops receive None for an output nothing used (a classifier reads the last h
    only): each output alone, first and second order, against the step-by-step graph. Zero
    initial states (whose step-0 products the ops skip) still get their gradients."""
    from profond.ops import recurrent

    w, u = weights(gates)
    b = rng.standard_normal(4 * H) if gates == 4 else rng.standard_normal((2, 3 * H))
    states = [rng.standard_normal((B, H)) * (not zero_states) for _ in range(gates - 2)]
    params = [pf.Variable(a) for a in (rng.standard_normal((B, T, D)), w, u, b, *states)]
    for i in range(gates - 1):  # (seq, h) or (seq, h, c)
        fused, reference = op(*params), getattr(recurrent, steps)(*params, False)
        weight = pf.constant(rng.standard_normal(fused[i].shape))
        got = pf.grad((fused[i] * weight).sum(), params, create_graph=True)
        want = pf.grad((reference[i] * weight).sum(), params, create_graph=True)
        for g, r in zip(got, want):
            np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-12)
        second = pf.grad(sum((g * g).sum() for g in got), params[:3])
        second_want = pf.grad(sum((g * g).sum() for g in want), params[:3])
        for g, r in zip(second, second_want):
            np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-8, atol=1e-10)
