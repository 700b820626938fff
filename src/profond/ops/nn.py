"""Neural-network primitives: activations, softmax, fused losses from logits, dense, dropout.

These are the "fat" ops of the engine: each does in one NumPy pass what would otherwise be several
small ops. Backward formulas use the op's output tensor (``self.output()``) where that is cheaper
than recomputing, and stay differentiable, so second derivatives still work.
"""

import math

import numpy

from profond import random as _random
from profond.autodiff.function import Function, FusedFunction
from profond.autodiff.tensor import Tensor
from profond.backend import array_module, floatx, threads
from profond.backend import jit as _jit
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.elementwise import cast, exp, sqrt, where
from profond.ops.linalg import matmul
from profond.ops.reduction import reduce_mean, reduce_sum
from profond.ops.shape import SumTo, reshape

# --- activations ---------------------------------------------------------------------------------


def _sigmoid_array(x):
    """σ on an array.

    NOTE: with e = e^{−|x|} ≤ 1 (never overflows), σ(x) = 1 / (1 + e) for x ≥ 0 and e / (1 + e)
    for x < 0. Both keep full relative precision in the tails, where ½(1 + tanh(x/2)) rounds
    σ(−20) to 0 in float32 (and σ(−40) in float64) through the cancellation in 1 + tanh.
    """
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    y = xp.where(x >= 0, xp.ones_like(e), e)
    y /= 1 + e
    return y


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e⁻ˣ);  σ' = σ(1 − σ)."""

    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, gy):
        y = self.output()
        return gy * y * (1 - y)


class Tanh(Function):
    """tanh(x);  tanh' = 1 − tanh²."""

    def forward(self, x):
        return array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


class ReLU(Function):
    """relu(x) = max(x, 0);  relu'(x) = 1 if x > 0 else 0 (0 at 0, as PyTorch)."""

    def forward(self, x):
        return array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * Tensor._wrap(self.output().data > 0)


class LeakyReLU(Function):
    """x if x > 0 else αx."""

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = array_module(x)
        if 0 <= self.alpha <= 1:  # max(x, αx): two passes instead of three
            return xp.maximum(x, x * self.alpha)
        return xp.where(x > 0, x, x * self.alpha)

    def backward(self, gy):
        x = self.inputs[0].data
        xp = array_module(x)
        # NOTE: the two slopes as 0-d arrays of gy's dtype, so that `where` writes gy's dtype at
        # once (Python floats would make a float64 array, then a cast).
        slope = xp.where(x > 0, xp.ones((), gy.dtype), xp.asarray(self.alpha, gy.dtype))
        return gy * Tensor._wrap(slope)


class ELU(Function):
    """x if x > 0 else α(eˣ − 1);  derivative 1, or y + α on the negative side."""

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = array_module(x)
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, gy):
        x = self.inputs[0]
        positive = Tensor._wrap(x.data > 0)
        return gy * where(positive, 1.0, self.output() + self.alpha)


def _erf_array(x):
    """erf on an array: SciPy's when installed, else ``math.erf`` element by element."""
    xp = array_module(x)
    if xp is not numpy:
        from cupyx.scipy.special import erf as gpu_erf

        return gpu_erf(x)
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:
        # NOTE: asarray, not .astype: a 0-d input gives back a Python float.
        return numpy.asarray(numpy.frompyfunc(math.erf, 1, 1)(x), dtype=x.dtype)
    return scipy_erf(x).astype(x.dtype, copy=False)


class Erf(Function):
    """erf(x) = 2/√π ∫₀ˣ e^{−t²} dt;  erf'(x) = 2/√π e^{−x²}."""

    def forward(self, x):
        return _erf_array(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * exp(-(x * x)) * (2.0 / math.sqrt(math.pi))


def _import_gelu_kernels():
    from profond.ops import gelu_jit

    return gelu_jit


class Gelu(FusedFunction):
    """GELU(x) = x Φ(x), Φ(x) = ½ (1 + erf(x/√2)) the normal CDF;  ∂y/∂x = Φ(x) + x φ(x),
    φ(x) = e^{−x²/2}/√(2π). One op instead of five: the forward keeps the slope, the backward
    multiplies by it (with numba, one compiled pass, see ``gelu_jit``)."""

    def forward(self, x):
        kernels = _jit.kernels(_import_gelu_kernels, x)
        if kernels is not None:
            flat = numpy.ascontiguousarray(x).reshape(-1)
            y, slope = numpy.empty_like(flat), numpy.empty_like(flat)
            run = kernels.forward32 if x.dtype == numpy.float32 else kernels.forward64
            threads.parallel_for(lambda a, b: run(flat[a:b], y[a:b], slope[a:b]), flat.size,
                                 threads.light_chunk_size(flat.size, 1))
            self.saved = slope.reshape(x.shape)
            return y.reshape(x.shape)
        xp = array_module(x)
        cdf = _erf_array(x * x.dtype.type(1.0 / math.sqrt(2.0)))
        cdf += 1
        cdf *= 0.5
        slope = xp.exp(x * x * -0.5)
        slope *= x.dtype.type(1.0 / math.sqrt(2.0 * math.pi))
        slope *= x
        slope += cdf
        self.saved = slope
        return x * cdf

    def backward_arrays(self, gy):
        return (gy * self.saved,)  # one pass, memory-bound: no faster split over the workers

    @staticmethod
    def composed(x):
        return x * (erf(x * (1.0 / math.sqrt(2.0))) + 1) * 0.5


# --- softmax family ------------------------------------------------------------------------------


def _log_softmax_array(x, axis):
    """x − logsumexp(x). NOTE: the max is subtracted first so exp() cannot overflow."""
    xp = array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class Softmax(Function):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ};  ∂L/∂x = y ⊙ (g − Σ g ⊙ y)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.output()
        return y * (gy - reduce_sum(gy * y, self.axis, keepdims=True))


class LogSoftmax(Function):
    """log softmax(x) = x − logsumexp(x);  ∂L/∂x = g − softmax(x) Σ g."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return _log_softmax_array(x, self.axis)

    def backward(self, gy):
        return gy - exp(self.output()) * reduce_sum(gy, self.axis, keepdims=True)


class SoftmaxCrossEntropy(FusedFunction):
    """Per-example L = −Σₖ yₖ log softmax(z)ₖ from logits z and one-hot (or soft) labels y.

    ∂L/∂z = softmax(z) Σₖ yₖ − y ;  ∂L/∂y = −log softmax(z).
    """

    def forward(self, labels, logits):
        logp = _log_softmax_array(logits, -1)
        self.saved = logp
        return -(labels * logp).sum(axis=-1)

    def backward_arrays(self, gy):
        labels = self.inputs[0].data
        logp, gy = self.saved, gy[..., None]
        g_labels = -logp * gy if self.needs_input_grad[0] else None
        g_logits = None
        if self.needs_input_grad[1]:
            g_logits = (array_module(logp).exp(logp) * labels.sum(axis=-1, keepdims=True)
                        - labels) * gy
        return g_labels, g_logits

    @staticmethod
    def composed(labels, logits):
        return -reduce_sum(labels * log_softmax(logits), -1)


class SparseSoftmaxCrossEntropy(FusedFunction):
    """Per-example L = −log softmax(z)[y] = logsumexp(z) − z_y, for integer labels y.

    ∂L/∂z = softmax(z) − one_hot(y).
    """

    def __init__(self, labels):
        self.labels = labels

    def _at_labels(self, a):
        """The rows of ``a`` (any leading shape, classes last) as (n, k), and the index of each
        row's label entry: ``rows[index]`` is a[..., y] (plain indexing, cheaper than NumPy's
        ``take_along_axis``)."""
        rows = a.reshape(-1, a.shape[-1])
        return rows, (array_module(a).arange(rows.shape[0]), self.labels.reshape(-1))

    def forward(self, logits):
        logp = _log_softmax_array(logits, -1)
        self.saved = logp
        rows, index = self._at_labels(logp)
        return -rows[index].reshape(self.labels.shape)

    def _one_hot(self, like):
        hot = array_module(like).zeros(like.shape, dtype=like.dtype)
        rows, index = self._at_labels(hot)
        rows[index] = 1
        return hot

    def backward_arrays(self, gy):
        g = array_module(self.saved).exp(self.saved)  # softmax(z), then − one_hot(y)
        rows, index = self._at_labels(g)
        rows[index] -= 1
        g *= gy[..., None]
        return (g,)

    def composed(self, logits):
        hot = Tensor._wrap(self._one_hot(logits.data))
        return -reduce_sum(hot * log_softmax(logits), -1)


class SigmoidCrossEntropy(Function):
    """Per-element L = −[y log σ(z) + (1 − y) log(1 − σ(z))] from logits z.

    NOTE: computed as max(z, 0) − z·y + log(1 + e^{−|z|}), which never takes log(0) nor
    overflows. ∂L/∂z = σ(z) − y ;  ∂L/∂y = −z.
    """

    def forward(self, labels, logits):
        xp = array_module(logits)
        return xp.maximum(logits, 0) - logits * labels + xp.log1p(xp.exp(-xp.abs(logits)))

    def backward(self, gy):
        labels, logits = self.inputs
        g_labels = -logits * gy if self.needs_input_grad[0] else None
        g_logits = (sigmoid(logits) - labels) * gy if self.needs_input_grad[1] else None
        return g_labels, g_logits


# --- normalization -------------------------------------------------------------------------------


def _import_norm_kernels():
    from profond.ops import norm_jit

    return norm_jit


def _norm_kernels(x, axes, *params):
    """``norm_jit`` when it applies (see ``profond.backend.jit``): float32/float64 x normalized
    over every axis but the last (batch norm) or over the last axis alone (layer norm), γ and β
    of that dtype with one value per feature."""
    if x.ndim < 2 or tuple(axes) not in (tuple(range(x.ndim - 1)), (x.ndim - 1,)) or any(
            getattr(p, "size", None) != x.shape[-1] for p in params):
        return None
    return _jit.kernels(_import_norm_kernels, x, *params)


class Normalize(FusedFunction):
    """y = γ ⊙ (x − μ) / √(σ² + ε) + β, with μ and σ² the mean and (biased) variance of x over
    ``axes`` (batch normalization: all axes but the channels; layer normalization: the features).

    With x̂ = (x − μ)/√(σ² + ε), g = ∂L/∂y ⊙ γ and m the number of values averaged:
    ∂L/∂x = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / √(σ² + ε),  ∂L/∂γ = Σ ∂L/∂y ⊙ x̂,  ∂L/∂β = Σ ∂L/∂y.
    The batch statistics are kept in ``self.mean`` and ``self.var`` (for moving averages).
    """

    def __init__(self, axes, epsilon):
        self.axes, self.epsilon = axes, epsilon

    def forward(self, x, gamma, beta):
        kernels = _norm_kernels(x, self.axes, gamma, beta)
        if kernels is not None and tuple(self.axes) == (x.ndim - 1,):  # layer norm
            stat = x.shape[:-1] + (1,)
            x2 = numpy.ascontiguousarray(x).reshape(-1, x.shape[-1])
            xhat, y = numpy.empty_like(x2), numpy.empty_like(x2)
            mean, var, inv = kernels.rows_forward(x2, gamma.reshape(-1), beta.reshape(-1),
                                                  float(self.epsilon), xhat, y)
            self.mean = mean.astype(x.dtype).reshape(stat)
            self.var = var.astype(x.dtype).reshape(stat)
            self.saved = (xhat.reshape(x.shape), inv.astype(x.dtype).reshape(stat))
            return y.reshape(x.shape)
        if kernels is not None:
            stat = (1,) * (x.ndim - 1) + (x.shape[-1],)
            x2 = numpy.ascontiguousarray(x).reshape(-1, x.shape[-1])
            xhat, y = numpy.empty_like(x2), numpy.empty_like(x2)
            mean, var, inv = kernels.forward(x2, gamma.reshape(-1), beta.reshape(-1),
                                             float(self.epsilon), xhat, y)
            self.mean = mean.astype(x.dtype).reshape(stat)
            self.var = var.astype(x.dtype).reshape(stat)
            self.saved = (xhat.reshape(x.shape), inv.astype(x.dtype).reshape(stat))
            return y.reshape(x.shape)
        xp = array_module(x)
        self.mean = x.mean(axis=self.axes, keepdims=True)
        xhat = x - self.mean
        self.var = xp.square(xhat).mean(axis=self.axes, keepdims=True)
        inv = 1.0 / xp.sqrt(self.var + self.epsilon)
        xhat *= inv
        self.saved = (xhat, inv)
        return xhat * gamma + beta

    def backward_arrays(self, gy):
        xhat, inv = self.saved
        x, gamma, beta = self.inputs
        gamma = gamma.data
        lead = (1,) * (xhat.ndim - gamma.ndim)
        kernels = _norm_kernels(xhat, self.axes, gamma, beta.data)
        if kernels is not None and type(gy) is numpy.ndarray and gy.dtype == xhat.dtype \
                and gy.shape == xhat.shape:
            c = xhat.shape[-1]
            gx = numpy.empty(xhat.shape, xhat.dtype)
            if tuple(self.axes) == (xhat.ndim - 1,):  # layer norm
                sum_gx, sum_g = kernels.rows_backward(
                    numpy.ascontiguousarray(gy).reshape(-1, c), xhat.reshape(-1, c),
                    gamma.reshape(-1), inv.reshape(-1), gx.reshape(-1, c))
                return (gx, sum_gx.astype(gx.dtype).reshape(gamma.shape),
                        sum_g.astype(gx.dtype).reshape(beta.shape))
            sum_gx, sum_g = kernels.backward(
                numpy.ascontiguousarray(gy).reshape(-1, c), xhat.reshape(-1, c),
                gamma.reshape(-1), inv.reshape(-1), gx.reshape(-1, c))
            stat = inv.shape
            return (gx, SumTo(gamma.shape).forward(sum_gx.astype(gx.dtype).reshape(stat)),
                    SumTo(beta.shape).forward(sum_g.astype(gx.dtype).reshape(stat)))
        if all((lead + gamma.shape)[a] == 1 for a in self.axes):
            # γ constant over the averaged axes (batch norm): mean(g) = γ mean(∂L/∂y), and the
            # same for g ⊙ x̂, so the two sums that ∂L/∂γ and ∂L/∂β need give ∂L/∂x too:
            # ∂L/∂x = γ/√(σ² + ε) ⊙ (∂L/∂y − Σ∂L/∂y / m − x̂ ⊙ Σ(∂L/∂y ⊙ x̂) / m).
            gx = gy * xhat
            sum_gx = gx.sum(axis=self.axes, keepdims=True)
            sum_g = gy.sum(axis=self.axes, keepdims=True)
            ggamma = SumTo(gamma.shape).forward(sum_gx)
            gbeta = SumTo(beta.shape).forward(sum_g)
            m = xhat.size // sum_g.size
            array_module(gx).multiply(xhat, sum_gx / -m, out=gx)
            gx += gy
            gx -= sum_g / m
            gx *= gamma * inv
            return gx, ggamma, gbeta
        g = gy * gamma
        gx = g - g.mean(axis=self.axes, keepdims=True)
        gx -= xhat * (g * xhat).mean(axis=self.axes, keepdims=True)
        gx *= inv
        ggamma = SumTo(gamma.shape).forward(gy * xhat)
        gbeta = SumTo(beta.shape).forward(gy)
        return gx, ggamma, gbeta

    def per_example(self, gy, i):
        """Example n's gradients of γ and β (layer normalization only): gₙ(γ) = Σ ∂Lₙ/∂yₙ ⊙ x̂ₙ
        and gₙ(β) = Σ ∂Lₙ/∂yₙ over the axes γ is broadcast along. Normalizing over the batch
        axis mixes the examples (x̂ₙ depends on the others): refused."""
        from profond.autodiff.per_example import sum_to_example

        if 0 in self.axes:
            raise ValueError("per_example_gradients: batch normalization (the op Normalize over "
                             "the batch axis) mixes examples, so per-example gradients do not "
                             "exist (DP-SGD cannot bound one example's influence). Use "
                             "LayerNormalization instead, or freeze the layer.")
        g = gy * self.saved[0] if i == 1 else gy
        return sum_to_example(g, self.inputs[i].shape)

    def composed(self, x, gamma, beta):
        mean = reduce_mean(x, self.axes, keepdims=True)
        centered = x - mean
        var = reduce_mean(centered * centered, self.axes, keepdims=True)
        return centered / sqrt(var + self.epsilon) * gamma + beta


def normalize(x, axes, gamma=None, beta=None, epsilon=1e-3):
    """Normalize ``x`` over ``axes`` to mean 0 and variance 1, then scale by γ and shift by β
    (both broadcastable to x, e.g. of shape (1, 1, 1, C)). Returns (y, batch mean, batch var);
    the statistics are arrays, outside the graph."""
    x = as_tensor(x)
    axes = normalize_axis(axes, x.ndim)
    xp = array_module(x.data)
    stat_shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    gamma = Tensor._wrap(xp.ones(stat_shape, x.dtype)) if gamma is None else as_tensor(gamma)
    beta = Tensor._wrap(xp.zeros(stat_shape, x.dtype)) if beta is None else as_tensor(beta)
    op = Normalize(axes, epsilon)
    y = op(x, gamma, beta)
    return y, op.mean, op.var


# --- dense and dropout ---------------------------------------------------------------------------

_DENSE_ACTIVATIONS = (None, "linear", "relu", "sigmoid", "tanh")


def activate_inplace(y, activation):
    """g(y) for a fused activation ("relu", "sigmoid", "tanh" or None), in place where it can."""
    xp = array_module(y)
    if activation == "relu":
        xp.maximum(y, 0, out=y)
    elif activation == "sigmoid":
        y = _sigmoid_array(y)
    elif activation == "tanh":
        xp.tanh(y, out=y)
    return y


def through_activation(fn, gy, activation):
    """G = ∂L/∂ŷ ⊙ g'(ŷ), with g' read from the op's output ŷ: relu → ŷ > 0, sigmoid → ŷ(1 − ŷ),
    tanh → 1 − ŷ²."""
    if activation == "relu":
        return gy * Tensor._wrap(fn.output().data > 0)
    if activation == "sigmoid":
        y = fn.output()
        return gy * y * (1 - y)
    if activation == "tanh":
        y = fn.output()
        return gy * (1 - y * y)
    return gy


def activation_grad_array(y, gy, activation):
    """``through_activation`` on arrays: ∂L/∂ŷ ⊙ g'(ŷ) from the output ŷ (a new array)."""
    if activation == "relu":
        return gy * (y > 0)
    if activation == "sigmoid":
        return gy * y * (1 - y)
    if activation == "tanh":
        return gy * (1 - y * y)
    return gy


def _identity(x):
    return x


class Dense(FusedFunction):
    """The layer of the course in one op: ŷ = g(b + X W) for X of shape (..., n_in).

    With G = ∂L/∂ŷ ⊙ g'(ŷ):  ∂L/∂X = G Wᵀ,  ∂L/∂W = Xᵀ G,  ∂L/∂b = Σ_rows G.
    """

    def __init__(self, activation):
        self.activation = activation

    def forward(self, x, w, b=None):
        # NOTE: (batch, T, n_in) inputs as one 2-D product: NumPy's stacked (3-D @ 2-D) matmul
        # is about 1.4x slower than the same GEMM on the flattened rows.
        y = (x.reshape(-1, x.shape[-1]) if x.ndim > 2 else x) @ w
        if b is not None:
            y += b
        y = activate_inplace(y, self.activation)
        return y.reshape(x.shape[:-1] + y.shape[-1:]) if x.ndim > 2 else y

    def backward_arrays(self, gy):
        x, w = self.inputs[0].data, self.inputs[1].data
        g = activation_grad_array(self.output().data, gy, self.activation)
        g2 = g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = (g2 @ w.T).reshape(x.shape)  # 2-D, as in forward
        if self.needs_input_grad[1]:
            gw = x.reshape(-1, x.shape[-1]).T @ g2
        if len(self.inputs) > 2 and self.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb

    def composed(self, x, w, b=None):
        y = matmul(reshape(x, (-1, x.shape[-1])) if x.ndim > 2 else x, w)
        if b is not None:
            y = y + b
        y = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}.get(self.activation, _identity)(y)
        return reshape(y, x.shape[:-1] + y.shape[-1:]) if x.ndim > 2 else y

    def per_example(self, gy, i):
        """Example n's gradients (see ``profond.autodiff.per_example``): gₙ(W) = Xₙᵀ Gₙ and
        gₙ(b) = Σ_t Gₙ,t, with Xₙ the example's (T, n_in) rows (T = 1 for a flat input)."""
        g = activation_grad_array(self.output().data, gy, self.activation)
        n = g.shape[0]
        g = g.reshape(n, -1, g.shape[-1])
        if i == 2:
            return g.sum(axis=1)
        x = self.inputs[0].data
        x = x.reshape(n, -1, x.shape[-1])
        if x.shape[1] == 1:  # one row per example: an outer product, no GEMM
            return x[:, 0, :, None] * g[:, 0, None, :]
        return x.transpose(0, 2, 1) @ g


# --- the functions users call --------------------------------------------------------------------


def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), values in (0, 1)."""
    x = as_tensor(x)
    y = Sigmoid()(x)
    y._keras_logits = ("sigmoid", None, x)  # lets a cross-entropy use the stable logits form
    return y


def tanh(x):
    """Hyperbolic tangent, values in (−1, 1)."""
    return Tanh()(as_tensor(x))


def relu(x):
    """max(x, 0)."""
    return ReLU()(as_tensor(x))


def leaky_relu(x, alpha=0.2):
    """x if x > 0 else αx (TF's default α = 0.2)."""
    return LeakyReLU(alpha)(as_tensor(x))


def elu(x, alpha=1.0):
    """x if x > 0 else α(eˣ − 1)."""
    return ELU(alpha)(as_tensor(x))


def erf(x):
    """The error function."""
    return Erf()(as_tensor(x))


def gelu(x, approximate=False):
    """x Φ(x) = ½ x (1 + erf(x/√2)); with ``approximate`` the tanh form of Hendrycks & Gimpel."""
    x = as_tensor(x)
    if approximate:
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (tanh(inner) + 1) * 0.5
    if x.dtype.kind != "f":
        x = cast(x, floatx())
    return Gelu()(x)


def softmax(x, axis=-1):
    """e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis`` (stable: the max is subtracted first)."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    y = Softmax(axis)(x)
    y._keras_logits = ("softmax", axis, x)  # lets a cross-entropy use the stable logits form
    return y


def log_softmax(x, axis=-1):
    """log softmax(x) = x − logsumexp(x) along ``axis``, without forming softmax."""
    x = as_tensor(x)
    return LogSoftmax(normalize_axis(axis, x.ndim)[0])(x)


def softmax_cross_entropy_with_logits(labels, logits):
    """−Σₖ labelsₖ log softmax(logits)ₖ per example (labels: one-hot or probabilities)."""
    logits = as_tensor(logits)
    labels = as_tensor(labels, logits)
    if labels.shape != logits.shape:
        raise ValueError(
            "softmax_cross_entropy_with_logits expects labels of the logits' shape "
            f"{logits.shape}. Received: labels.shape={labels.shape}"
        )
    if labels.dtype != logits.dtype:
        labels = cast(labels, logits.dtype)
    return SoftmaxCrossEntropy()(labels, logits)


def sparse_softmax_cross_entropy_with_logits(labels, logits):
    """−log softmax(logits)[label] per example, for integer class labels."""
    logits = as_tensor(logits)
    y = labels.data if isinstance(labels, Tensor) else array_module(logits.data).asarray(labels)
    if y.shape != logits.shape[:-1]:
        raise ValueError(
            f"sparse_softmax_cross_entropy_with_logits expects integer labels of shape "
            f"{logits.shape[:-1]} for logits of shape {logits.shape}. Received: labels.shape="
            f"{y.shape}" + (" (one-hot labels? use the non-sparse loss)"
                            if y.shape == logits.shape else "")
        )
    if y.dtype.kind == "f":
        if y.size and not (y == y.round()).all():
            raise ValueError("sparse cross-entropy expects integer class labels. Received "
                             f"non-integer values of dtype {y.dtype}")
        y = y.astype("int64")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"sparse cross-entropy expects integer labels. Received dtype {y.dtype}")
    n = logits.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= n):
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise ValueError(
            f"Received a label value of {bad} which is outside the valid range of [0, {n}) "
            f"for logits with {n} classes."
        )
    return SparseSoftmaxCrossEntropy(y)(logits)


def sigmoid_cross_entropy_with_logits(labels, logits):
    """Binary cross-entropy per element from logits, stable for any logit."""
    logits = as_tensor(logits)
    labels = as_tensor(labels, logits)
    if labels.shape != logits.shape:
        raise ValueError(
            f"sigmoid_cross_entropy_with_logits expects labels of shape {logits.shape}. "
            f"Received: labels.shape={labels.shape}"
        )
    if labels.dtype != logits.dtype:
        labels = cast(labels, logits.dtype)
    return SigmoidCrossEntropy()(labels, logits)


def dense(x, kernel, bias=None, activation=None):
    """g(x @ kernel + bias) in one op; activation: None, "linear", "relu", "sigmoid", "tanh"."""
    if activation not in _DENSE_ACTIVATIONS:
        raise ValueError(f"dense: activation must be one of {_DENSE_ACTIVATIONS}. "
                         f"Received: activation={activation!r}")
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"dense: expected inputs with last dimension {kernel.shape[0]} (the kernel's "
            f"{kernel.shape}). Received: inputs.shape={x.shape}"
        )
    act = None if activation == "linear" else activation
    if bias is None:
        return Dense(act)(x, kernel)
    bias = as_tensor(bias)
    if bias.shape != kernel.shape[1:]:
        raise ValueError(
            f"dense: expected a bias of shape {kernel.shape[1:]} (the kernel's {kernel.shape}). "
            f"Received: bias.shape={bias.shape}"
        )
    return Dense(act)(x, kernel, bias)


def dropout(x, rate, training=True, noise_shape=None, seed=None):
    """Inverted dropout: zero each value with probability ``rate``, scale the rest by 1/(1 − rate)
    so the expected value is unchanged; the identity when not training or rate is 0."""
    x = as_tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout expects 0 <= rate < 1. Received: rate={rate}")
    if not training or rate == 0:
        return x
    g = numpy.random.default_rng(seed) if seed is not None else _random.generator()
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    keep = (g.random(shape, dtype=numpy.float32) >= rate).astype(x.dtype) * (1.0 / (1.0 - rate))
    xp = array_module(x.data)
    return x * Tensor._wrap(keep if xp is numpy else xp.asarray(keep))
