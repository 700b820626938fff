"""Recurrent cells and loops: SimpleRNN, LSTM, GRU over a (batch, time, features) sequence.

The input projection x·W of every time step is one GEMM for the whole sequence; each step then
does one GEMM h·U and one fused gate op. Back-propagation through time is the engine's ordinary
iterative backward over the unrolled steps (no recursion). Gate orders and weight layouts are
Keras's: LSTM (i, f, c, o), GRU (z, r, h) with ``reset_after=True`` and a (2, 3H) bias.

Each cell's math is written twice, once per purpose: on arrays, in place (``_lstm_step`` and
``_lstm_step_backward``, ``_gru_step`` and ``_gru_step_backward``), shared by the one-step ops
that cells use (``LSTMGates``, ``GRUGates``) and the whole-sequence ops that layers use; and with
differentiable ops (``lstm_gates``, ``gru_gates``), for second derivatives and custom activations.

When numba is installed, LSTM and GRU steps run through the compiled kernels of ``recurrent_jit``
instead (the same math in one pass per step; about 3x faster on the elementwise work); the NumPy
form stays the reference, and is used without numba or with ``PROFOND_JIT=0``.

Both cores: the batch rows of a sequence never meet, so the whole-sequence ops cut them into one
chunk per worker of ``backend.threads``'s pool, each worker running every step of its rows (a
single-threaded GEMM and a compiled kernel, both releasing the GIL). The large GEMMs over all
steps (x·W, ∂L/∂x, ∂L/∂W, ∂L/∂U) are cut into row chunks on the pool too. NOTE: on a shared
2-core machine, OpenBLAS's own two threads made these GEMMs 4-5x slower whenever another process
was running (each GEMM waits for its half that lost the core); the pool's chunks degrade
gracefully instead. Results equal the one-chunk ones up to the GEMMs' last bits.
"""


from functools import partial

import numpy as np

from profond.autodiff.function import FusedFunction
from profond.autodiff.tensor import Tensor
from profond.backend import array_module, threads
from profond.backend import jit as _jit
from profond.ops._util import as_tensor
from profond.ops.linalg import matmul
from profond.ops.nn import dense, sigmoid, tanh
from profond.ops.shape import split, stack, unstack


def _import_kernels():
    from profond.ops import recurrent_jit

    return recurrent_jit


def _jit_kernels(*arrays):
    """The compiled kernels (module ``recurrent_jit``) when they apply to ``arrays``, else None
    (see ``profond.backend.jit``)."""
    return _jit.kernels(_import_kernels, *arrays)


def _sigmoid_(xp, a):
    """a ← σ(a) = 1 / (1 + e⁻ᵃ), in place (e⁻ᵃ = inf gives σ = 0, as it should). One exp:
    NumPy's float32 exp is about twice as fast as its tanh, and tanh(a) = 2σ(2a) − 1."""
    xp.negative(a, out=a)
    with np.errstate(over="ignore"):
        xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _tanh_(xp, a):
    """a ← tanh(a) = 2σ(2a) − 1, in place."""
    a *= 2
    _sigmoid_(xp, a)
    a *= 2
    a -= 1


def _lstm_gate_scale(xp, n, dtype):
    """The factor k per gate column (i, f, c, o) = (1, 1, 2, 1): σ(kz) is then the gate for i, f,
    o, and σ(2z) for c, from which tanh(z) = 2σ(2z) − 1."""
    k = xp.ones(4 * n, dtype)
    k[2 * n : 3 * n] = 2
    return k


def _lstm_step(xp, gate, c, c_out, tc_out, h_out):
    """One LSTM step on arrays, in place: ``gate`` holds k·z (see ``_lstm_gate_scale``) and
    becomes the gates (i, f, g, o); writes c' = f ⊙ c + i ⊙ g, tanh(c') and h' = o ⊙ tanh(c') into
    the ``*_out`` arrays and returns h'. The single array form of the LSTM's forward math."""
    n = c.shape[-1]
    _sigmoid_(xp, gate)
    i, f, g, o = (gate[:, j * n : (j + 1) * n] for j in range(4))
    g *= 2  # tanh(z) = 2σ(2z) − 1
    g -= 1
    c_new = xp.multiply(f, c, out=c_out)
    c_new += i * g
    tc_out[...] = c_new
    _tanh_(xp, tc_out)
    return xp.multiply(o, tc_out, out=h_out)


def _lstm_step_backward(xp, gate, c, tc, dh, dc, gz, deriv, tmp):
    """Back through one LSTM step on arrays (the single array form of its backward math).

    In: the step's gates (i, f, g, o), the previous c, tanh(c'), ∂L/∂h' (``dh``) and ∂L/∂c'
    (``dc``, to which the path through h' is added in place). Out: ∂L/∂z in ``gz`` (which may be
    ``gate`` itself: it is read first) and ∂L/∂c = ∂L/∂c' ⊙ f in ``tmp``. ``deriv`` is scratch.
    """
    n = c.shape[-1]
    i, f, g, o = (gate[:, j * n : (j + 1) * n] for j in range(4))
    xp.multiply(tc, tc, out=tmp)  # ∂L/∂c' += ∂L/∂h' ⊙ o ⊙ (1 − tanh²c')
    xp.subtract(1, tmp, out=tmp)
    tmp *= o
    tmp *= dh
    dc += tmp
    xp.subtract(1, gate, out=deriv)  # each gate's slope: σ' = σ(1 − σ), tanh' = 1 − tanh²
    deriv *= gate
    dg = deriv[:, 2 * n : 3 * n]
    xp.multiply(g, g, out=dg)
    xp.subtract(1, dg, out=dg)
    deriv[:, :n] *= g  # × what each gate multiplies: ∂c'/∂i = g, ∂c'/∂f = c, ...
    deriv[:, n : 2 * n] *= c
    deriv[:, 2 * n : 3 * n] *= i
    deriv[:, 3 * n :] *= tc
    xp.multiply(dc, f, out=tmp)  # ∂L/∂c (read f before gz may overwrite it)
    by_gate, gz_by_gate = deriv.reshape(-1, 4, n), gz.reshape(-1, 4, n)
    # ∂L/∂z = (∂L/∂c' for i, f, g; ∂L/∂h' for o) ⊙ deriv
    xp.multiply(by_gate[:, :3], dc[:, None], out=gz_by_gate[:, :3])
    xp.multiply(by_gate[:, 3], dh, out=gz_by_gate[:, 3])


def lstm_gates(z, c, activation=None, recurrent_activation=None):
    """The LSTM step with differentiable ops (the form of second derivatives and of custom
    activations): from z = x·W + h·U + b (B, 4H), gates (i, f, c, o),
    c' = σ(z_f) ⊙ c + σ(zᵢ) ⊙ tanh(z_c),  h' = σ(z_o) ⊙ tanh(c').  Returns (h', c')."""
    act, rec = activation or tanh, recurrent_activation or sigmoid
    zi, zf, zc, zo = split(z, 4, axis=-1)
    c_new = rec(zf) * c + rec(zi) * act(zc)
    return rec(zo) * act(c_new), c_new


class LSTMGates(FusedFunction):
    """One LSTM step from z = x·W + h·U + b (B, 4H) and c: returns (h', c') (see
    ``lstm_gates``); arrays through ``_lstm_step`` and ``_lstm_step_backward``."""

    def forward(self, z, c):
        xp = array_module(z)
        gate = xp.multiply(z, _lstm_gate_scale(xp, c.shape[-1], z.dtype), order="C")
        c_new, tc, h = (xp.empty_like(c) for _ in range(3))
        jit = _jit_kernels(gate)
        if jit is not None:
            jit.lstm_step(gate, None, c, c_new, tc, h)
        else:
            _lstm_step(xp, gate, c, c_new, tc, h)
        self.saved = (gate, tc)
        return h, c_new

    def backward_arrays(self, gh, gc):
        xp = array_module(gh)
        gate, tc = self.saved
        c = self.inputs[1].data
        gz = gate if self.saved_reusable else xp.empty_like(gate)
        tmp = xp.empty_like(gc)
        jit = _jit_kernels(gate)
        if jit is not None:
            jit.lstm_step_backward(gate, c, tc, gh, gc, gz, tmp)
        else:
            _lstm_step_backward(xp, gate, c, tc, gh, gc.copy(), gz, xp.empty_like(gate), tmp)
        return gz, tmp

    @staticmethod
    def composed(z, c):
        return lstm_gates(z, c)


def _gru_step(xp, gate, hz, h, hz_h_out, h_out):
    """One GRU step on arrays, in place: ``gate`` holds xz = x·W + b_in and becomes (z, r, ĥ);
    ``hz`` = h·U + b_rec (read only); writes its ĥ columns hz_h and
    h' = z ⊙ h + (1 − z) ⊙ ĥ into the ``*_out`` arrays and returns h'. The single array form of
    the GRU's forward math."""
    n = h.shape[-1]
    zr = gate[:, : 2 * n]
    zr += hz[:, : 2 * n]
    _sigmoid_(xp, zr)  # z, r = σ(xz + hz)
    r, hh = gate[:, n : 2 * n], gate[:, 2 * n :]
    hz_h_out[...] = hz[:, 2 * n :]
    hh += r * hz_h_out
    _tanh_(xp, hh)  # ĥ = tanh(xz_h + r ⊙ hz_h)
    h_new = xp.subtract(h, hh, out=h_out)  # h' = ĥ + z ⊙ (h − ĥ)
    h_new *= gate[:, :n]
    h_new += hh
    return h_new


def _gru_step_backward(xp, gate, h, hz_h, dh, gx, gh, deriv, tmp):
    """Back through one GRU step on arrays (the single array form of its backward math).

    In: the step's (z, r, ĥ), the previous h, hz_h and ∂L/∂h' (``dh``). Out: ∂L/∂xz in ``gx``,
    ∂L/∂hz in ``gh``, and ``dh`` becomes the direct part of ∂L/∂h, ∂L/∂h' ⊙ z (the caller adds
    gh·Uᵀ). ``deriv`` and ``tmp`` are scratch."""
    n = h.shape[-1]
    z, r, hh = gate[:, :n], gate[:, n : 2 * n], gate[:, 2 * n :]
    dz, dr, dhh = gx[:, :n], gx[:, n : 2 * n], gx[:, 2 * n :]
    xp.subtract(h, hh, out=dz)  # ∂L/∂z before σ': dh ⊙ (h − ĥ)
    dz *= dh
    xp.multiply(hh, hh, out=dhh)  # ∂L/∂(ĥ's input) = dh ⊙ (1 − z) ⊙ (1 − ĥ²)
    xp.subtract(1, dhh, out=dhh)
    dhh *= dh
    xp.subtract(1, z, out=tmp)
    dhh *= tmp
    xp.multiply(dhh, hz_h, out=dr)  # ∂L/∂r before σ': dhh ⊙ hz_h
    xp.subtract(1, gate[:, : 2 * n], out=deriv)  # σ' = σ(1 − σ)
    deriv *= gate[:, : 2 * n]
    gx[:, : 2 * n] *= deriv
    gh[:, : 2 * n] = gx[:, : 2 * n]
    xp.multiply(dhh, r, out=gh[:, 2 * n :])
    dh *= z


def gru_gates(xz, hz, h, activation=None, recurrent_activation=None):
    """The GRU step (reset_after) with differentiable ops (the form of second derivatives):
    z = σ(xz_z + hz_z), r = σ(xz_r + hz_r), ĥ = tanh(xz_h + r ⊙ hz_h), h' = z ⊙ h + (1 − z) ⊙ ĥ."""
    act, rec = activation or tanh, recurrent_activation or sigmoid
    xz_z, xz_r, xz_h = split(xz, 3, axis=-1)
    hz_z, hz_r, hz_h = split(hz, 3, axis=-1)
    z = rec(xz_z + hz_z)
    hh = act(xz_h + rec(xz_r + hz_r) * hz_h)
    return z * h + (1 - z) * hh


class GRUGates(FusedFunction):
    """One GRU step from xz = x·W + b_in, hz = h·U + b_rec (both (B, 3H)) and h: returns h' (see
    ``gru_gates``); arrays through ``_gru_step`` and ``_gru_step_backward``."""

    def forward(self, xz, hz, h):
        xp = array_module(xz)
        gate, hz_h, h_new = xz.copy(), xp.empty_like(h), xp.empty_like(h)
        jit = _jit_kernels(gate, hz, h)
        if jit is not None:
            jit.gru_step(gate, hz, h, hz_h, h_new)
        else:
            _gru_step(xp, gate, hz, h, hz_h, h_new)
        self.saved = (gate, hz_h)
        return h_new

    def backward_arrays(self, gy):
        xp = array_module(gy)
        gate, hz_h = self.saved
        h = self.inputs[2].data
        gx, gh, dh = xp.empty_like(gate), xp.empty_like(gate), gy.copy()
        jit = _jit_kernels(gate, h)
        if jit is not None:
            jit.gru_step_backward(gate, h, hz_h, dh, gx, gh)
            return gx, gh, dh
        deriv = xp.empty_like(gate[:, : 2 * h.shape[-1]])
        _gru_step_backward(xp, gate, h, hz_h, dh, gx, gh, deriv, xp.empty_like(h))
        return gx, gh, dh

    @staticmethod
    def composed(xz, hz, h):
        return gru_gates(xz, hz, h)


def _project(x, kernel, bias):
    """x·W + b for every time step at once: (B, T, D) → T tensors of shape (B, k). One Dense op
    over the 3-D input (one GEMM on the B·T rows), whose per-example rule sums each example's
    own T rows (DP-SGD through a SimpleRNN)."""
    return unstack(dense(x, kernel, bias), axis=1)


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


def _matmul_rows(a, b, bias=None):
    """a·b (+ bias) for 2-D arrays, chunks of a's rows on ``backend.threads``'s workers, each GEMM
    single-threaded: a core busy elsewhere slows the product down instead of stalling it (a
    GEMM cut in equal halves by BLAS waits for the half that lost its core). Each chunk adds the
    bias while its rows are still in the cache (a separate pass over an LSTM's x·W of 7 MB cost
    0.35 ms)."""
    xp = array_module(a)
    if xp.__name__ != "numpy":
        return a @ b if bias is None else a @ b + bias
    out = xp.empty((a.shape[0], b.shape[1]), xp.result_type(a, b))

    def rows(i, j):
        xp.matmul(a[i:j], b, out=out[i:j])
        if bias is not None:
            out[i:j] += bias

    threads.parallel_for(rows, a.shape[0], threads.chunk_size(a.shape[0], a.shape[1] + b.shape[1]))
    return out


def _matmul_t_rows(a, b):
    """aᵀ·b for a (m, p) and b (m, q): the sum over chunks of the m rows of their GEMMs, on
    ``backend.threads``'s workers (see ``_matmul_rows``)."""
    if array_module(a).__name__ != "numpy" or a.shape[0] == 0:
        return a.T @ b
    return threads.parallel_sum(lambda i, j: a[i:j].T @ b[i:j], a.shape[0],
                                threads.chunk_size(a.shape[0], a.shape[1] + b.shape[1]))


def _recurrent_grads(h0, hs, gz):
    """∂L/∂U = Σₜ hₜ₋₁ᵀ · ∂L/∂zₜ (with h₋₁ = h0; None: a zero initial state, whose product is
    skipped) and Σₜ Σ_rows ∂L/∂zₜ (the bias's), together: chunks of steps on
    ``backend.threads``'s workers, each one GEMM over its steps' rows (without concatenating h0)
    and the sum of the same rows of ∂L/∂z while they are in the cache. (Before: a GEMM, then
    step 0's product with BLAS's two threads and a sum over all of ∂L/∂z on the calling thread,
    together about 5 % of an LSTM(128) step in py-spy's profile.)"""
    xp = array_module(gz)
    t, rows, k = gz.shape
    n = hs.shape[-1]
    if t == 0:
        return xp.zeros((n, k), gz.dtype), xp.zeros(k, gz.dtype)

    def steps(s0, s1):
        out = xp.empty((n + 1, k), gz.dtype)  # ∂L/∂U, then the bias's row
        g = gz[s0:s1].reshape(-1, k)
        if s1 > max(s0, 1):  # the steps ≥ 1 of the chunk: hₜ₋₁ from hs
            xp.matmul(hs[max(s0, 1) - 1 : s1 - 1].reshape(-1, n).T,
                      gz[max(s0, 1) : s1].reshape(-1, k), out=out[:n])
        else:
            out[:n] = 0
        if s0 == 0 and h0 is not None:
            out[:n] += h0.T @ gz[0]
        g.sum(axis=0, out=out[n])
        return out

    if xp.__name__ != "numpy":
        total = steps(0, t)
    else:
        total = threads.parallel_sum(steps, t, threads.chunk_size(t, rows * (n + k)))
    return total[:n], total[n]


def _grad_or_zeros(g, like):
    """A copy of the gradient ``g`` of a state (to accumulate into), zeros when it is None."""
    return array_module(like).zeros_like(like) if g is None else g.copy()


class _SequenceOp(FusedFunction):
    """A whole recurrent loop as one node of the graph. Forward loops over the time steps on
    arrays (one GEMM h·U per step; x·W for all steps at once); backward goes back through time on
    arrays (one GEMM per step for ∂L/∂h, with a C-ordered copy of Uᵀ: OpenBLAS's GEMM with
    the transposed view took 119 µs instead of 92 µs at the LSTM(128)'s 64-row chunks), then
    gets ∂L/∂W, then ∂L/∂U with the bias's, in a pass over all steps each. Second derivatives
    use the step-by-step graph (``composed``). An unused output's gradient arrives as None (no
    zeros: a classifier reads the last h only, and adding the zeros of every step cost ~2 % of
    an LSTM(128)'s training step)."""

    missing_grads_as_none = True

    def __init__(self, go_backwards):
        self.go_backwards = go_backwards

    def order(self, t):
        return list(range(t - 1, -1, -1)) if self.go_backwards else list(range(t))

    def project(self, x, w, b):
        """x·W + b for all steps, as (T, B, k) in processing order."""
        n, t, d = x.shape
        x_steps = x.transpose(1, 0, 2)[self.order(t)]  # small (D ≪ k): reorder x, not x·W
        return _matmul_rows(x_steps.reshape(t * n, d), w, b).reshape(t, n, -1)

    @staticmethod
    def rows(fn, n, jit):
        """Call ``fn(r0, r1)`` on the batch rows [r0, r1), which go through time independently
        of each other: with the compiled kernels (which release the GIL, as BLAS does), one
        chunk per worker of ``backend.threads``'s pool; otherwise all the rows at once."""
        per = -(-n // threads.num_workers()) if jit is not None else n
        threads.parallel_for(fn, n, per)

    def weight_grads(self, x, w, g_in):
        """∂L/∂x and ∂L/∂W from the per-step input-projection gradients g_in (T, B, k)."""
        n, t, d = x.shape
        order = self.order(t)
        flat = g_in.reshape(t * n, -1)
        gx = gw = None
        if self.needs_input_grad[0]:
            gx_steps = _matmul_rows(flat, w.T).reshape(t, n, d)
            gx = array_module(x).empty_like(x)
            gx[:, order] = gx_steps.transpose(1, 0, 2)
        if self.needs_input_grad[1]:
            x_steps = x.transpose(1, 0, 2)[order].reshape(t * n, d)
            gw = _matmul_t_rows(x_steps, flat)
        return gx, gw


class LSTMSequence(_SequenceOp):
    """The LSTM over (B, T, D): returns (h of every step (B, T, H), last h, last c).

    Every step works in place on preallocated arrays (about ten NumPy calls besides the GEMM):
    at this size the elementwise passes, not the GEMMs, are what costs. With the compiled
    kernels, the batch rows are cut into one chunk per worker, each running the whole loop over
    time on the pool (see ``_SequenceOp.rows``)."""

    def forward(self, x, w, u, b, h0, c0):
        xp = array_module(x)
        t, n = x.shape[1], u.shape[0]
        k = _lstm_gate_scale(xp, n, x.dtype)  # folded into W, U, b: each step gets k·z
        gates = self.project(x, w * k, b * k)  # k·(x·W + b), then (i, f, g, o) in place
        u = u * k
        cs, tcs, hs = (xp.empty((t, x.shape[0], n), x.dtype) for _ in range(3))
        jit = _jit_kernels(gates)
        h0_zero = self.h0_zero = not h0.any()  # the usual initial state: step 0 has no h·U

        def rows(r0, r1):
            zh = xp.empty_like(gates[0, r0:r1])
            h, c = h0[r0:r1], c0[r0:r1]
            for s in range(t):
                gate = gates[s, r0:r1]
                zh_s = None if s == 0 and h0_zero else xp.matmul(h, u, out=zh)
                if jit is not None:
                    jit.lstm_step(gate, zh_s, c, cs[s, r0:r1], tcs[s, r0:r1], hs[s, r0:r1])
                else:
                    if zh_s is not None:
                        gate += zh_s
                    _lstm_step(xp, gate, c, cs[s, r0:r1], tcs[s, r0:r1], hs[s, r0:r1])
                h, c = hs[s, r0:r1], cs[s, r0:r1]

        self.rows(rows, x.shape[0], jit)
        self.saved = (gates, cs, tcs, hs)
        return hs.transpose(1, 0, 2), (hs[-1] if t else h0), (cs[-1] if t else c0)

    def backward_arrays(self, g_seq, g_h, g_c):
        x, w, u, b, h0, c0 = (t.data for t in self.inputs)
        xp = array_module(x)
        gates, cs, tcs, hs = self.saved
        t = gates.shape[0]
        gz = gates if self.saved_reusable else xp.empty_like(gates)  # gz[s] replaces gates[s]
        dh_out, dc_out = _grad_or_zeros(g_h, h0), _grad_or_zeros(g_c, c0)  # ∂L/∂h0, ∂L/∂c0
        u_t = xp.ascontiguousarray(u.T)  # (see _SequenceOp)
        jit = _jit_kernels(gates)
        need_h0 = self.needs_input_grad[4]  # else step 0's ∂L/∂h0 = ∂L/∂z·Uᵀ is not computed

        def rows(r0, r1):
            dh, dc = dh_out[r0:r1], dc_out[r0:r1]
            tmp = xp.empty_like(dc)
            deriv = xp.empty_like(gates[0, r0:r1]) if jit is None else None  # NumPy's scratch
            for s in range(t - 1, -1, -1):
                if g_seq is not None:
                    dh += g_seq[r0:r1, s]
                c_prev = cs[s - 1, r0:r1] if s > 0 else c0[r0:r1]
                args = (gates[s, r0:r1], c_prev, tcs[s, r0:r1], dh, dc, gz[s, r0:r1])
                if jit is not None:
                    jit.lstm_step_backward(*args, tmp)
                else:
                    _lstm_step_backward(xp, *args, deriv, tmp)
                dc, tmp = tmp, dc
                if s > 0 or need_h0:
                    xp.matmul(gz[s, r0:r1], u_t, out=dh)
            dc_out[r0:r1] = dc  # (``tmp`` after an odd number of steps)

        self.rows(rows, x.shape[0], jit)
        gx, gw = self.weight_grads(x, w, gz)
        gu, gb = _recurrent_grads(None if self.h0_zero else h0, hs, gz)
        return gx, gw, gu, gb, (dh_out if need_h0 else None), dc_out

    def composed(self, x, w, u, b, h0, c0):
        return _lstm_steps(x, w, u, b, h0, c0, self.go_backwards)


class GRUSequence(_SequenceOp):
    """The GRU (reset_after) over (B, T, D): returns (h of every step (B, T, H), last h).
    Steps work in place, and batch chunks run on the pool, as in ``LSTMSequence``."""

    def forward(self, x, w, u, b, h0):
        xp = array_module(x)
        t, n = x.shape[1], u.shape[0]
        gates = self.project(x, w, b[0])  # x·W + b_in, then (z, r, ĥ) in place, step by step
        hz_h, hs = (xp.empty((t, x.shape[0], n), x.dtype) for _ in range(2))
        jit = _jit_kernels(gates)
        step = jit.gru_step if jit is not None else partial(_gru_step, xp)
        h0_zero = self.h0_zero = not h0.any()  # the usual initial state: step 0 has no h·U

        def rows(r0, r1):
            hz = xp.empty_like(gates[0, r0:r1])
            h = h0[r0:r1]
            for s in range(t):
                if s == 0 and h0_zero:
                    hz[...] = b[1]
                else:
                    xp.matmul(h, u, out=hz)
                    hz += b[1]
                step(gates[s, r0:r1], hz, h, hz_h[s, r0:r1], hs[s, r0:r1])
                h = hs[s, r0:r1]

        self.rows(rows, x.shape[0], jit)
        self.saved = (gates, hz_h, hs)
        return hs.transpose(1, 0, 2), (hs[-1] if t else h0)

    def backward_arrays(self, g_seq, g_h):
        x, w, u, b, h0 = (t.data for t in self.inputs)
        xp = array_module(x)
        gates, hz_h, hs = self.saved
        t, n = gates.shape[0], u.shape[0]
        g_xz, g_hz = xp.empty_like(gates), xp.empty_like(gates)
        dh_out = _grad_or_zeros(g_h, h0)  # ∂L/∂h0 at the end
        u_t = xp.ascontiguousarray(u.T)  # (see _SequenceOp)
        jit = _jit_kernels(gates)
        need_h0 = self.needs_input_grad[4]  # else step 0's Uᵀ product is not computed

        def rows(r0, r1):
            dh, dh_rec = dh_out[r0:r1], xp.empty_like(dh_out[r0:r1])
            if jit is None:  # NumPy's scratch
                deriv, tmp = xp.empty_like(gates[0, r0:r1, : 2 * n]), xp.empty_like(dh_rec)
            for s in range(t - 1, -1, -1):
                if g_seq is not None:
                    dh += g_seq[r0:r1, s]
                h_prev = hs[s - 1, r0:r1] if s > 0 else h0[r0:r1]
                args = (gates[s, r0:r1], h_prev, hz_h[s, r0:r1], dh, g_xz[s, r0:r1],
                        g_hz[s, r0:r1])
                if jit is not None:
                    jit.gru_step_backward(*args)
                else:
                    _gru_step_backward(xp, *args, deriv, tmp)
                if s > 0 or need_h0:
                    dh += xp.matmul(g_hz[s, r0:r1], u_t, out=dh_rec)

        self.rows(rows, x.shape[0], jit)
        gx, gw = self.weight_grads(x, w, g_xz)
        gu, gb_h = _recurrent_grads(None if self.h0_zero else h0, hs, g_hz)
        gb = xp.stack([g_xz.sum(axis=(0, 1)), gb_h])
        return gx, gw, gu, gb, (dh_out if need_h0 else None)

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
