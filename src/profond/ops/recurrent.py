"""Recurrent cells and loops: SimpleRNN, LSTM, GRU over a (batch, time, features) sequence.

The input projection x·W of every time step is one GEMM for the whole sequence; each step then
does one GEMM h·U and one fused gate op. Back-propagation through time is the engine's ordinary
iterative backward over the unrolled steps (no recursion). Gate orders and weight layouts are
Keras's: LSTM (i, f, c, o), GRU (z, r, h) with ``reset_after=True`` and a (2, 3H) bias.
"""

from profond.autodiff.engine import grad
from profond.autodiff.function import Function
from profond.autodiff.mode import is_grad_enabled
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.linalg import matmul
from profond.ops.nn import sigmoid, tanh
from profond.ops.shape import reshape, split, stack, unstack


def _sigmoid(xp, z):
    return 0.5 * (xp.tanh(0.5 * z) + 1)


class _FusedCell(Function):
    """A cell whose first-order backward is hand-written on arrays, and whose second-order
    backward (``create_graph``) differentiates the same math written with profond ops."""

    def backward(self, *gys):
        if is_grad_enabled():
            outs = self.composed(*self.inputs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            return tuple(grad(list(outs), list(self.inputs), grad_outputs=list(gys),
                              create_graph=True))
        gxs = self.backward_arrays(*[g.data for g in gys])
        return tuple(Tensor._wrap(g) for g in gxs)


class LSTMGates(_FusedCell):
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


class GRUGates(_FusedCell):
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


def lstm(x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, go_backwards=False):
    """The LSTM over a sequence. Returns (h of every step stacked on axis 1, last h, last c)."""
    x = as_tensor(x)
    xp = array_module(x.data)
    units = recurrent_kernel.shape[0]
    zeros = Tensor._wrap(xp.zeros((x.shape[0], units), x.dtype))
    state = {"h": h0 if h0 is not None else zeros, "c": c0 if c0 is not None else zeros}

    def cell(xw_t):
        z = xw_t + matmul(state["h"], recurrent_kernel)
        state["h"], state["c"] = LSTMGates()(z, state["c"])
        return state["h"]

    outs = _run(_project(x, kernel, bias), go_backwards, cell)
    return stack(outs, axis=1), state["h"], state["c"]


def gru(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False):
    """The GRU (Keras's reset_after=True form; bias of shape (2, 3H): input and recurrent).
    Returns (h of every step stacked on axis 1, last h)."""
    x = as_tensor(x)
    xp = array_module(x.data)
    units = recurrent_kernel.shape[0]
    h = h0 if h0 is not None else Tensor._wrap(xp.zeros((x.shape[0], units), x.dtype))
    b_in = b_rec = None
    if bias is not None:
        b_in, b_rec = bias[0], bias[1]
    state = {"h": h}

    def cell(xz_t):
        hz = matmul(state["h"], recurrent_kernel)
        if b_rec is not None:
            hz = hz + b_rec
        state["h"] = GRUGates()(xz_t, hz, state["h"])
        return state["h"]

    outs = _run(_project(x, kernel, b_in), go_backwards, cell)
    return stack(outs, axis=1), state["h"]

