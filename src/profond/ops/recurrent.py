"""Recurrent cells and loops: SimpleRNN, LSTM, GRU over a (batch, time, features) sequence.

The input projection x·W of every time step is one GEMM for the whole sequence; each step then
does one GEMM h·U and one fused gate op. Back-propagation through time is the engine's ordinary
iterative backward over the unrolled steps (no recursion). Gate orders and weight layouts are
Keras's: LSTM (i, f, c, o), GRU (z, r, h) with ``reset_after=True`` and a (2, 3H) bias.
"""

from profond.autodiff.function import FusedFunction
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.linalg import matmul
from profond.ops.nn import sigmoid, tanh
from profond.ops.shape import reshape, split, stack, unstack


def _sigmoid(xp, z):
    return 0.5 * (xp.tanh(0.5 * z) + 1)


class LSTMGates(FusedFunction):
    """From z = x·W + h·U + b (B, 4H) and c: i, f, o = σ(zᵢ, z_f, z_o), g = tanh(z_c),
    c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')."""

    def forward(self, z, c):
        xp = array_module(z)
        n = z.shape[-1] // 4
        i, f, o = _sigmoid(xp, z[:, :n]), _sigmoid(xp, z[:, n : 2 * n]), _sigmoid(xp, z[:, 3 * n :])
        g = xp.tanh(z[:, 2 * n : 3 * n])
        c_new = f * c + i * g
        tc = xp.tanh(c_new)
        self.saved = (i, f, g, o, tc, c)
        return o * tc, c_new

    def backward_arrays(self, gh, gc):
        xp = array_module(gh)
        i, f, g, o, tc, c = self.saved
        dc = gc + gh * o * (1 - tc * tc)
        dz = xp.concatenate(
            [dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
             gh * tc * o * (1 - o)], axis=-1)
        return dz, dc * f

    @staticmethod
    def composed(z, c):
        zi, zf, zc, zo = split(z, 4, axis=-1)
        c_new = sigmoid(zf) * c + sigmoid(zi) * tanh(zc)
        return sigmoid(zo) * tanh(c_new), c_new


class GRUGates(FusedFunction):
    """From xz = x·W + b_in and hz = h·U + b_rec (both (B, 3H)) and h:
    z = σ(xz_z + hz_z), r = σ(xz_r + hz_r), ĥ = tanh(xz_h + r ⊙ hz_h), h' = z ⊙ h + (1 − z) ⊙ ĥ."""

    def forward(self, xz, hz, h):
        xp = array_module(xz)
        n = xz.shape[-1] // 3
        z = _sigmoid(xp, xz[:, :n] + hz[:, :n])
        r = _sigmoid(xp, xz[:, n : 2 * n] + hz[:, n : 2 * n])
        hh = xp.tanh(xz[:, 2 * n :] + r * hz[:, 2 * n :])
        self.saved = (z, r, hh, hz[:, 2 * n :], h)
        return z * h + (1 - z) * hh

    def backward_arrays(self, gy):
        xp = array_module(gy)
        z, r, hh, hz_h, h = self.saved
        dz = gy * (h - hh) * z * (1 - z)
        dhh = gy * (1 - z) * (1 - hh * hh)
        dr = dhh * hz_h * r * (1 - r)
        return (xp.concatenate([dz, dr, dhh], axis=-1),
                xp.concatenate([dz, dr, dhh * r], axis=-1), gy * z)

    @staticmethod
    def composed(xz, hz, h):
        xz_z, xz_r, xz_h = split(xz, 3, axis=-1)
        hz_z, hz_r, hz_h = split(hz, 3, axis=-1)
        z = sigmoid(xz_z + hz_z)
        hh = tanh(xz_h + sigmoid(xz_r + hz_r) * hz_h)
        return z * h + (1 - z) * hh


def _project(x, kernel, bias):
    """x·W + b for every time step at once: (B, T, D) → T tensors of shape (B, k)."""
    b, t, d = x.shape
    xw = matmul(reshape(x, (b * t, d)), kernel)
    if bias is not None:
        xw = xw + bias
    return unstack(reshape(xw, (b, t, -1)), axis=1)


def _run(steps, go_backwards, cell):
    order = range(len(steps) - 1, -1, -1) if go_backwards else range(len(steps))
    outputs = []
    for s in order:
        outputs.append(cell(steps[s]))
    return outputs


def simple_rnn(x, kernel, recurrent_kernel, bias=None, h0=None, activation=None,
               go_backwards=False):
    """hₜ = g(xₜ·W + hₜ₋₁·U + b), g = tanh by default. Returns (all h stacked on axis 1, last h)."""
    x = as_tensor(x)
    g = activation or tanh
    xp = array_module(x.data)
    h = h0 if h0 is not None else Tensor._wrap(xp.zeros((x.shape[0], recurrent_kernel.shape[0]),
                                                        x.dtype))
    state = {"h": h}

    def cell(xw_t):
        state["h"] = g(xw_t + matmul(state["h"], recurrent_kernel))
        return state["h"]

    outs = _run(_project(x, kernel, bias), go_backwards, cell)
    return stack(outs, axis=1), state["h"]


def _lstm_steps(x, kernel, recurrent_kernel, bias, h0, c0, go_backwards):
    """The LSTM written step by step with differentiable ops (the fused sequence op's
    second-order path, and its reference in tests)."""
    state = {"h": h0, "c": c0}

    def cell(xw_t):
        z = xw_t + matmul(state["h"], recurrent_kernel)
        state["h"], state["c"] = LSTMGates()(z, state["c"])
        return state["h"]

    outs = _run(_project(x, kernel, bias), go_backwards, cell)
    return stack(outs, axis=1), state["h"], state["c"]


def _gru_steps(x, kernel, recurrent_kernel, bias, h0, go_backwards):
    """The GRU written step by step with differentiable ops (see ``_lstm_steps``)."""
    state = {"h": h0}

    def cell(xz_t):
        hz = matmul(state["h"], recurrent_kernel) + bias[1]
        state["h"] = GRUGates()(xz_t, hz, state["h"])
        return state["h"]

    outs = _run(_project(x, kernel, bias[0]), go_backwards, cell)
    return stack(outs, axis=1), state["h"]


class _SequenceOp(FusedFunction):
    """A whole recurrent loop as one node of the graph. Forward loops over the time steps on
    arrays (one GEMM h·U per step; x·W for all steps at once); backward goes back through time on
    arrays (one GEMM per step for ∂L/∂h), then gets ∂L/∂W and ∂L/∂U as one GEMM each over all
    steps. Second derivatives use the step-by-step graph (``composed``)."""

    def __init__(self, go_backwards):
        self.go_backwards = go_backwards

    def order(self, t):
        return list(range(t - 1, -1, -1)) if self.go_backwards else list(range(t))

    def project(self, x, w, b):
        """x·W + b for all steps, as (T, B, k) in processing order."""
        n, t, d = x.shape
        xw = (x.reshape(n * t, d) @ w).reshape(n, t, -1)
        if b is not None:
            xw += b
        return xw.transpose(1, 0, 2)[self.order(t)]

    def weight_grads(self, x, w, g_in):
        """∂L/∂x and ∂L/∂W from the per-step input-projection gradients g_in (T, B, k)."""
        n, t, d = x.shape
        order = self.order(t)
        flat = g_in.reshape(t * n, -1)
        gx = gw = None
        if self.needs_input_grad[0]:
            gx_steps = (flat @ w.T).reshape(t, n, d)
            gx = array_module(x).empty_like(x)
            gx[:, order] = gx_steps.transpose(1, 0, 2)
        if self.needs_input_grad[1]:
            x_steps = x.transpose(1, 0, 2)[order].reshape(t * n, d)
            gw = x_steps.T @ flat
        return gx, gw


class LSTMSequence(_SequenceOp):
    """The LSTM over (B, T, D): returns (h of every step (B, T, H), last h, last c)."""

    def forward(self, x, w, u, b, h0, c0):
        xp = array_module(x)
        t, n = x.shape[1], u.shape[0]
        z_all = self.project(x, w, b)
        gates = xp.empty_like(z_all)  # i, f, g, o after their nonlinearity
        cs = xp.empty((t, x.shape[0], n), x.dtype)
        hs = xp.empty_like(cs)
        h, c = h0, c0
        for s in range(t):
            z = z_all[s] + h @ u
            gate = gates[s]
            gate[:, : 2 * n] = _sigmoid(xp, z[:, : 2 * n])
            gate[:, 2 * n : 3 * n] = xp.tanh(z[:, 2 * n : 3 * n])
            gate[:, 3 * n :] = _sigmoid(xp, z[:, 3 * n :])
            i, f, g, o = gate[:, :n], gate[:, n : 2 * n], gate[:, 2 * n : 3 * n], gate[:, 3 * n :]
            c = f * c + i * g
            cs[s] = c
            h = hs[s] = o * xp.tanh(c)
        self.saved = (gates, cs, hs)
        return hs.transpose(1, 0, 2), h, c

    def backward_arrays(self, g_seq, g_h, g_c):
        x, w, u, b, h0, c0 = (t.data for t in self.inputs)
        xp = array_module(x)
        gates, cs, hs = self.saved
        t, n = gates.shape[0], u.shape[0]
        gz = xp.empty_like(gates)
        dh, dc = g_h.copy(), g_c.copy()
        for s in range(t - 1, -1, -1):
            dh += g_seq[:, s]
            gate = gates[s]
            i, f, g, o = gate[:, :n], gate[:, n : 2 * n], gate[:, 2 * n : 3 * n], gate[:, 3 * n :]
            tc = xp.tanh(cs[s])
            c_prev = cs[s - 1] if s > 0 else c0
            dc += dh * o * (1 - tc * tc)
            gz[s, :, :n] = dc * g * i * (1 - i)
            gz[s, :, n : 2 * n] = dc * c_prev * f * (1 - f)
            gz[s, :, 2 * n : 3 * n] = dc * i * (1 - g * g)
            gz[s, :, 3 * n :] = dh * tc * o * (1 - o)
            dc *= f
            dh = gz[s] @ u.T
        gx, gw = self.weight_grads(x, w, gz)
        h_prev = xp.concatenate([h0[None], hs[:-1]]).reshape(-1, n)
        gu = h_prev.T @ gz.reshape(-1, 4 * n)
        gb = gz.sum(axis=(0, 1))
        return gx, gw, gu, gb, dh, dc

    def composed(self, x, w, u, b, h0, c0):
        return _lstm_steps(x, w, u, b, h0, c0, self.go_backwards)


class GRUSequence(_SequenceOp):
    """The GRU (reset_after) over (B, T, D): returns (h of every step (B, T, H), last h)."""

    def forward(self, x, w, u, b, h0):
        xp = array_module(x)
        t, n = x.shape[1], u.shape[0]
        xz_all = self.project(x, w, b[0])
        zs, rs, hhs = (xp.empty((t, x.shape[0], n), x.dtype) for _ in range(3))
        hz_h, hs = xp.empty_like(zs), xp.empty_like(zs)
        h = h0
        for s in range(t):
            xz, hz = xz_all[s], h @ u + b[1]
            z = zs[s] = _sigmoid(xp, xz[:, :n] + hz[:, :n])
            r = rs[s] = _sigmoid(xp, xz[:, n : 2 * n] + hz[:, n : 2 * n])
            hz_h[s] = hz[:, 2 * n :]
            hh = hhs[s] = xp.tanh(xz[:, 2 * n :] + r * hz[:, 2 * n :])
            h = hs[s] = z * h + (1 - z) * hh
        self.saved = (zs, rs, hhs, hz_h, hs)
        return hs.transpose(1, 0, 2), h

    def backward_arrays(self, g_seq, g_h):
        x, w, u, b, h0 = (t.data for t in self.inputs)
        xp = array_module(x)
        zs, rs, hhs, hz_h, hs = self.saved
        t, n = zs.shape[0], u.shape[0]
        g_xz = xp.empty((t, x.shape[0], 3 * n), x.dtype)
        g_hz = xp.empty_like(g_xz)
        dh = g_h.copy()
        for s in range(t - 1, -1, -1):
            dh += g_seq[:, s]
            z, r, hh = zs[s], rs[s], hhs[s]
            h_prev = hs[s - 1] if s > 0 else h0
            dz = dh * (h_prev - hh) * z * (1 - z)
            dhh = dh * (1 - z) * (1 - hh * hh)
            dr = dhh * hz_h[s] * r * (1 - r)
            g_xz[s, :, :n], g_xz[s, :, n : 2 * n], g_xz[s, :, 2 * n :] = dz, dr, dhh
            g_hz[s, :, :n], g_hz[s, :, n : 2 * n], g_hz[s, :, 2 * n :] = dz, dr, dhh * r
            dh = dh * z + g_hz[s] @ u.T
        gx, gw = self.weight_grads(x, w, g_xz)
        h_prev = xp.concatenate([h0[None], hs[:-1]]).reshape(-1, n)
        gu = h_prev.T @ g_hz.reshape(-1, 3 * n)
        gb = xp.stack([g_xz.sum(axis=(0, 1)), g_hz.sum(axis=(0, 1))])
        return gx, gw, gu, gb, dh

    def composed(self, x, w, u, b, h0):
        return _gru_steps(x, w, u, b, h0, self.go_backwards)


def _zeros_state(x, units):
    xp = array_module(x.data)
    return Tensor._wrap(xp.zeros((x.shape[0], units), x.dtype))


def lstm(x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, go_backwards=False):
    """The LSTM over a sequence. Returns (h of every step stacked on axis 1, last h, last c)."""
    x = as_tensor(x)
    units = recurrent_kernel.shape[0]
    if bias is None:
        bias = Tensor._wrap(array_module(x.data).zeros(4 * units, x.dtype))
    h0 = _zeros_state(x, units) if h0 is None else as_tensor(h0)
    c0 = _zeros_state(x, units) if c0 is None else as_tensor(c0)
    return LSTMSequence(go_backwards)(x, kernel, recurrent_kernel, bias, h0, c0)


def gru(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False):
    """The GRU (Keras's reset_after=True form; bias of shape (2, 3H): input and recurrent).
    Returns (h of every step stacked on axis 1, last h)."""
    x = as_tensor(x)
    units = recurrent_kernel.shape[0]
    if bias is None:
        bias = Tensor._wrap(array_module(x.data).zeros((2, 3 * units), x.dtype))
    h0 = _zeros_state(x, units) if h0 is None else as_tensor(h0)
    return GRUSequence(go_backwards)(x, kernel, recurrent_kernel, bias, h0)
