"""Per-example gradients through the fused recurrent ops (LSTM, GRU), for DP-SGD.

``LSTMSequence`` and ``GRUSequence`` run a whole sequence as one node whose backward sums the
weight gradients over the batch and the time steps together. For per-example gradients they are
expanded (``profond.autodiff.per_example.register_expansion``) into the same recurrence written
one time step at a time with ops that have rules:

    zₜ = xₜ W + hₜ₋₁ U + b,   (hₜ, cₜ) = LSTM gates(zₜ, cₜ₋₁),

so that example n's gradient is gₙ(W) = Σₜ xₙ,ₜᵀ ∂Lₙ/∂zₙ,ₜ, gₙ(U) = Σₜ hₙ,ₜ₋₁ᵀ ∂Lₙ/∂zₙ,ₜ and
gₙ(b) = Σₜ ∂Lₙ/∂zₙ,ₜ (each step's matmul and bias add contribute their term). Slower than the
fused op (one small product per step), exact to rounding.
"""

from profond.autodiff.per_example import register_expansion
from profond.ops.linalg import matmul
from profond.ops.recurrent import GRUGates, GRUSequence, LSTMGates, LSTMSequence
from profond.ops.shape import stack


def _steps(node, x):
    t = x.shape[1]
    return range(t - 1, -1, -1) if node.go_backwards else range(t)


def _lstm(node, x, w, u, b, h0, c0):
    h, c, outs = h0, c0, []
    for t in _steps(node, x):
        h, c = LSTMGates()(matmul(x[:, t], w) + matmul(h, u) + b, c)
        outs.append(h)
    return stack(outs, axis=1), h, c


def _gru(node, x, w, u, b, h0):
    h, outs = h0, []
    for t in _steps(node, x):
        h = GRUGates()(matmul(x[:, t], w) + b[0], matmul(h, u) + b[1], h)
        outs.append(h)
    return stack(outs, axis=1), h


register_expansion(LSTMSequence, _lstm)
register_expansion(GRUSequence, _gru)
