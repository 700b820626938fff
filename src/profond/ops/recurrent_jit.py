"""Compiled kernels (numba) for one LSTM or GRU step, forward and backward.

The same math as ``_lstm_step``, ``_lstm_step_backward``, ``_gru_step`` and ``_gru_step_backward``
in ``recurrent.py``, written as loops over the elements: one kernel call per step replaces ten to
twenty NumPy passes (each of which reads and writes a whole (B, 4H) or (B, H) array), and the
exponentials are computed with vector instructions. This module is optional: ``recurrent.py``
imports it only when numba is installed, and keeps its NumPy path otherwise (``PROFOND_JIT=0``
selects that path too).

The LSTM forward, from the pre-activations z = x·W + b + h·U (in two parts: ``gate``, ``zh``),
with Keras's gate order (i, f, c, o) and σ the logistic function::

    i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_c)          (written over ``gate``)
    c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

The LSTM backward, from ∂L/∂h' and ∂L/∂c'::

    δ = ∂L/∂c' + ∂L/∂h' ⊙ o ⊙ (1 − tanh²c')
    ∂L/∂z_i = δ g σ'(z_i),  ∂L/∂z_f = δ c σ'(z_f),  ∂L/∂z_c = δ i (1 − g²),
    ∂L/∂z_o = ∂L/∂h' ⊙ tanh c' ⊙ σ'(z_o),   ∂L/∂c = δ ⊙ f,    with σ' = σ(1 − σ).
"""

import math

import numba
import numpy as np
from numba import types
from numba.extending import overload

# Constants are float32 so that float32 arrays are computed in float32 (a float64 constant
# would promote every operation); with float64 arrays they promote to float64 exactly.
_ONE, _TWO, _HALF = np.float32(1), np.float32(2), np.float32(0.5)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI, _LN2_LO = np.float32(0.693359375), np.float32(-2.12194440e-4)
_EXP_LO, _EXP_HI = np.float32(-87.3), np.float32(88.3)
_P = tuple(np.float32(p) for p in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                   4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))


def _exp(x):
    """eˣ (replaced, inside compiled code, by ``_exp_float32`` or ``math.exp``)."""
    return math.exp(x)


@numba.njit
def _exp_float32(x):
    """eˣ in float32 with plain arithmetic, so that loops using it vectorize (libm's expf is a
    call per element). eˣ = 2ᵏ·eʳ with k = round(x / ln 2) and |r| ≤ ln 2 / 2; eʳ by a degree-7
    polynomial (Cephes's ``expf`` coefficients), 2ᵏ by writing k into the float's exponent bits.
    Relative error below 2e-7, as NumPy's own float32 exp.
    """
    # NOTE: x is clamped to [−87.3, 88.3] so that 2ᵏ stays a normal float: e⁻⁸⁷·³ ≈ 1e-38
    # instead of a denormal or 0, e⁸⁸·³ ≈ 2e38 instead of inf; σ and tanh, its only users here,
    # are saturated to float32 precision long before (|x| ≈ 17). A NaN stays NaN.
    x = min(max(x, _EXP_LO), _EXP_HI)
    kf = np.floor(x * _LOG2E + _HALF)  # the nearest integer
    k = np.int32(kf)
    r = x - kf * _LN2_HI  # ln 2 = hi + lo: hi·k is exact, so r keeps its low bits
    r = r - kf * _LN2_LO
    p0, p1, p2, p3, p4, p5 = _P
    p = (((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5) * (r * r) + r + _ONE
    bits = np.int32((k + np.int32(127)) << np.int32(23))  # the float32 2ᵏ
    return p * bits.view(np.float32)


@overload(_exp)
def _exp_typed(x):
    if x == types.float32:
        return lambda x: _exp_float32(x)
    return lambda x: math.exp(x)


@numba.njit
def _sigmoid(x):
    return _ONE / (_ONE + _exp(-x))


@numba.njit
def _tanh(x):
    return _TWO * _sigmoid(_TWO * x) - _ONE  # tanh x = 2σ(2x) − 1, one exponential


@numba.njit(nogil=True, cache=True, error_model="numpy")
def lstm_step(gate, zh, c, c_out, tc_out, h_out):
    """One LSTM step, in place: ``gate`` holds k·(x·W + b) and ``zh`` k·(h·U) (or None when
    ``gate`` holds all of k·z), with k = 2 on the c columns and 1 elsewhere
    (``_lstm_gate_scale``); ``gate`` becomes the gates (i, f, g, o) and c', tanh(c'), h' are
    written into the ``*_out`` arrays (see the module). ``gate`` and ``zh`` are C-ordered.
    """
    b, n = c.shape
    flat = gate.reshape(-1)
    if zh is None:  # (numba compiles one version for None, one for arrays)
        for j in range(flat.size):
            flat[j] = _sigmoid(flat[j])
    else:
        zh_flat = zh.reshape(-1)
        for j in range(flat.size):  # one flat pass of σ over every gate: it vectorizes best
            flat[j] = _sigmoid(flat[j] + zh_flat[j])
    for r in range(b):
        for j in range(2 * n, 3 * n):
            gate[r, j] = _TWO * gate[r, j] - _ONE  # tanh z = 2σ(2z) − 1
        for j in range(n):
            c_out[r, j] = gate[r, n + j] * c[r, j] + gate[r, j] * gate[r, 2 * n + j]
        for j in range(n):
            t = _tanh(c_out[r, j])
            tc_out[r, j] = t
            h_out[r, j] = gate[r, 3 * n + j] * t


@numba.njit(nogil=True, cache=True, error_model="numpy")
def lstm_step_backward(gate, c, tc, dh, dc, gz, dc_prev):
    """Back through one LSTM step: from the gates (i, f, g, o), the previous c, tanh(c'),
    ∂L/∂h' (``dh``) and ∂L/∂c' (``dc``), writes ∂L/∂z into ``gz`` (which may be ``gate``
    itself: each element is read before it is written) and ∂L/∂c into ``dc_prev``."""
    b, n = c.shape
    for r in range(b):
        for j in range(n):
            i, f = gate[r, j], gate[r, n + j]
            g, o = gate[r, 2 * n + j], gate[r, 3 * n + j]
            t, d_h = tc[r, j], dh[r, j]
            delta = dc[r, j] + d_h * o * (_ONE - t * t)
            gz[r, j] = delta * g * i * (_ONE - i)
            gz[r, n + j] = delta * c[r, j] * f * (_ONE - f)
            gz[r, 2 * n + j] = delta * i * (_ONE - g * g)
            gz[r, 3 * n + j] = d_h * t * o * (_ONE - o)
            dc_prev[r, j] = delta * f


@numba.njit(nogil=True, cache=True, error_model="numpy")
def gru_step(gate, hz, h, hz_h_out, h_out):
    """One GRU step (reset_after), in place: ``gate`` holds x·W + b_in and becomes (z, r, ĥ),
    ``hz`` = h·U + b_rec (read only); writes hz's ĥ columns and h' into the ``*_out`` arrays::

        z = σ(xz_z + hz_z),  r = σ(xz_r + hz_r),  ĥ = tanh(xz_h + r ⊙ hz_h),
        h' = ĥ + z ⊙ (h − ĥ)
    """
    b, n = h.shape
    for r in range(b):
        for j in range(2 * n):
            gate[r, j] = _sigmoid(gate[r, j] + hz[r, j])
        for j in range(n):
            hz_h = hz[r, 2 * n + j]
            hz_h_out[r, j] = hz_h
            hh = _tanh(gate[r, 2 * n + j] + gate[r, n + j] * hz_h)
            gate[r, 2 * n + j] = hh
            h_out[r, j] = hh + gate[r, j] * (h[r, j] - hh)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def gru_step_backward(gate, h, hz_h, dh, gx, gh):
    """Back through one GRU step: from (z, r, ĥ), the previous h, hz_h and ∂L/∂h' (``dh``),
    writes ∂L/∂xz into ``gx``, ∂L/∂hz into ``gh``, and ``dh`` becomes the direct part of ∂L/∂h,
    ∂L/∂h' ⊙ z (the caller adds gh·Uᵀ)::

        δĥ = ∂L/∂h' (1 − z)(1 − ĥ²),  ∂L/∂z· = ∂L/∂h' (h − ĥ) σ'(z),  ∂L/∂r· = δĥ hz_h σ'(r),
        ∂L/∂xz = (∂L/∂z·, ∂L/∂r·, δĥ),  ∂L/∂hz = (∂L/∂z·, ∂L/∂r·, δĥ ⊙ r)
    """
    b, n = h.shape
    for r in range(b):
        for j in range(n):
            z, rr, hh = gate[r, j], gate[r, n + j], gate[r, 2 * n + j]
            d = dh[r, j]
            dhh = d * (_ONE - z) * (_ONE - hh * hh)
            dz = d * (h[r, j] - hh) * z * (_ONE - z)
            dr = dhh * hz_h[r, j] * rr * (_ONE - rr)
            gx[r, j] = gh[r, j] = dz
            gx[r, n + j] = gh[r, n + j] = dr
            gx[r, 2 * n + j] = dhh
            gh[r, 2 * n + j] = dhh * rr
            dh[r, j] = d * z
