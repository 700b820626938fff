"""Compiled update kernels (numba): Adam's step in one pass over a variable.

``Adam.update_step`` written with NumPy reads and writes the variable's size about ten times
(one pass per operation, through a temporary); this kernel does the same operations, in the same
order and the same precision, element by element, so it gives bitwise the same result (no
fused multiply-add: numba compiles without ``fastmath``). Optional: ``adam.py`` imports it only
when numba is installed, and keeps its NumPy path otherwise (``PROFOND_JIT=0`` selects that path).
"""

import math

import numba


@numba.njit(nogil=True, cache=True, error_model="numpy")
def adam_update(w, g, m, v, v_hat, c1, c2, alpha, eps, amsgrad):
    """One Adam step on flat arrays of one dtype, in place (scalars of that dtype too)::

        m ← m + c1 (g − m),   v ← v + c2 (g² − v),   v̂ ← max(v̂, v) (amsgrad),
        w ← w − α m / (√v + ε)          with c1 = 1 − β₁, c2 = 1 − β₂.
    """
    for j in range(w.size):
        gj = g[j]
        mj = m[j] + (gj - m[j]) * c1
        vj = v[j] + (gj * gj - v[j]) * c2
        m[j] = mj
        v[j] = vj
        if amsgrad:  # v̂ ← max(v̂, v), a NaN in either giving NaN (as np.maximum)
            if vj < v_hat[j] or math.isnan(v_hat[j]):
                vj = v_hat[j]
            v_hat[j] = vj
        w[j] -= mj / (math.sqrt(vj) + eps) * alpha
