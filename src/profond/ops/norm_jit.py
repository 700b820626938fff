"""Compiled batch normalization (numba, optional): ``Normalize`` over every axis but the last,
on the array seen as m rows of C features (an NHWC batch: m = N·H·W).

Forward, in three passes over x instead of about nine NumPy ones:

    μ_c = Σ_i x_ic / m,   σ²_c = Σ_i (x_ic − μ_c)² / m,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

Backward, in two passes (g = ∂L/∂y):

    ∂L/∂β = Σ_i g,   ∂L/∂γ = Σ_i g ⊙ x̂,   ∂L/∂x = γ / √(σ² + ε) ⊙ (g − ∂L/∂β / m − x̂ ⊙ ∂L/∂γ / m)

The sums are accumulated in float64 (for float32 inputs too), so they may differ from NumPy's
pairwise float32 sums in the last bits; tests compare both paths. ``ops/nn.py`` uses these
kernels when numba is installed and ``PROFOND_JIT`` is not ``0``, and its NumPy form otherwise.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def forward(x, gamma, beta, epsilon, xhat, y):
    """x, xhat, y: (m, C); gamma, beta: (C,). Writes x̂ and y; returns (mean, var, inv)."""
    m, c = x.shape
    total = np.zeros(c)
    for i in range(m):
        for j in range(c):
            total[j] += x[i, j]
    mean = total / m
    squares = np.zeros(c)
    for i in range(m):
        for j in range(c):
            d = x[i, j] - mean[j]
            squares[j] += d * d
    var = squares / m
    inv = 1.0 / np.sqrt(var + epsilon)
    mean_x, inv_x = mean.astype(x.dtype), inv.astype(x.dtype)
    for i in range(m):
        for j in range(c):
            h = (x[i, j] - mean_x[j]) * inv_x[j]
            xhat[i, j] = h
            y[i, j] = h * gamma[j] + beta[j]
    return mean, var, inv


@numba.njit(cache=True, nogil=True)
def backward(gy, xhat, gamma, inv, gx):
    """gy, xhat, gx: (m, C); gamma, inv: (C,). Writes ∂L/∂x; returns (∂L/∂γ, ∂L/∂β)."""
    m, c = gy.shape
    sum_g = np.zeros(c)
    sum_gx = np.zeros(c)
    for i in range(m):
        for j in range(c):
            g = gy[i, j]
            sum_g[j] += g
            sum_gx[j] += g * xhat[i, j]
    scale = (gamma * inv).astype(gy.dtype)
    shift = (sum_g / m).astype(gy.dtype)
    slope = (sum_gx / m).astype(gy.dtype)
    for i in range(m):
        for j in range(c):
            gx[i, j] = scale[j] * (gy[i, j] - shift[j] - xhat[i, j] * slope[j])
    return sum_gx, sum_g


# --- layer normalization: each of the m rows over its own C features -----------------------------


@numba.njit(cache=True, nogil=True)
def rows_forward(x, gamma, beta, epsilon, xhat, y):
    """Layer normalization of x (m, C), row by row: μ_i, σ²_i over the C features of row i,
    x̂ = (x − μ_i)/√(σ²_i + ε), y = γ x̂ + β (γ, β: (C,)). Writes x̂ and y; returns (mean, var,
    inv), each (m,), float64."""
    m, c = x.shape
    mean, var, inv = np.empty(m), np.empty(m), np.empty(m)
    for i in range(m):
        total = 0.0
        for j in range(c):
            total += x[i, j]
        mu = total / c
        squares = 0.0
        for j in range(c):
            d = x[i, j] - mu
            squares += d * d
        s = 1.0 / np.sqrt(squares / c + epsilon)
        mean[i], var[i], inv[i] = mu, squares / c, s
        mu_x, s_x = x.dtype.type(mu), x.dtype.type(s)
        for j in range(c):
            h = (x[i, j] - mu_x) * s_x
            xhat[i, j] = h
            y[i, j] = h * gamma[j] + beta[j]
    return mean, var, inv


@numba.njit(cache=True, nogil=True)
def rows_backward(gy, xhat, gamma, inv, gx):
    """With g = ∂L/∂y ⊙ γ, row by row: ∂L/∂x = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / √(σ² + ε).
    Writes ∂L/∂x; returns (∂L/∂γ, ∂L/∂β) = (Σ_i ∂L/∂y ⊙ x̂, Σ_i ∂L/∂y), each (C,), float64."""
    m, c = gy.shape
    sum_gx = np.zeros(c)
    sum_g = np.zeros(c)
    for i in range(m):
        mean_g = 0.0
        mean_gx = 0.0
        for j in range(c):
            g, h = gy[i, j], xhat[i, j]
            sum_g[j] += g
            sum_gx[j] += g * h
            g = g * gamma[j]
            mean_g += g
            mean_gx += g * h
        shift, slope = gy.dtype.type(mean_g / c), gy.dtype.type(mean_gx / c)
        s = gy.dtype.type(inv[i])
        for j in range(c):
            gx[i, j] = (gy[i, j] * gamma[j] - shift - xhat[i, j] * slope) * s
    return sum_gx, sum_g
