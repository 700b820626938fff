"""A sum over the processes of data-parallel training, as a differentiable op.

``replica_sum(x)`` returns Σ_r x_r, the sum of ``x`` over every process r of the installed
process group (``profond.backend.replicas``; MPI ranks under
``profond.distribute.MultiWorkerMirroredStrategy``), the same array on every process. It is what
synchronized batch normalization computes its global batch statistics with. Every process must
call it, in the same order, with an array of the same shape (it is a collective operation).

The gradient. Process r's loss L_r enters the common update with a factor c_r
(``group.replica_weight()``: n_r/n, its share of the global batch, in ``fit``; 1 inside
``strategy.run``, where gradients are summed), so the loss trained is L = Σ_s c_s L_s. The sum
feeds every process, hence

    ∂L/∂x_r = Σ_s c_s ∂L_s/∂y_s,     y_s = replica_sum(x) on process s,

and process r, whose own gradients are multiplied by c_r afterwards, returns that divided by
c_r: ``replica_sum(c_r gy) / c_r``. The backward is itself a ``replica_sum``, so second
derivatives work. A process whose slice of the batch is empty (c_r = 0) still takes part in the
sum and returns a zero gradient.

Without a process group (one process), ``replica_sum(x)`` is ``x``.

``global_moments(x, axes)`` is the mean and variance of ``x`` over ``axes`` *and* over the
processes, built on it: the statistics of synchronized batch normalization.
"""

import numpy

from profond.autodiff.function import Function
from profond.backend import replicas
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.reduction import reduce_mean, reduce_sum


class ReplicaSum(Function):
    """y = Σ_r x_r over the processes; gx_r = Σ_s c_s gy_s / c_r (see the module)."""

    def forward(self, x):
        return replicas.group().sum_over_replicas(x)

    def backward(self, gy):
        c = replicas.group().replica_weight()
        total = replica_sum(gy * c)
        return total / c if c else total * 0.0


def replica_sum(x):
    """Σ_r x_r over the processes of the installed group (``x`` itself in one process).

    >>> from profond.ops.collective import replica_sum
    >>> replica_sum([1.0, 2.0]).numpy()  # one process: the sum over one rank
    array([1., 2.], dtype=float32)
    """
    x = as_tensor(x)
    group = replicas.group()
    if group is None or group.size == 1:
        return x
    return ReplicaSum()(x)


def global_moments(x, axes):
    """(μ, σ²) of ``x`` over ``axes`` and over the processes (kept dims, biased variance):

        μ = Σ_r Σ x / m,    σ² = Σ_r Σ (x − μ)² / m,    m = Σ_r m_r

    with m_r the values per entry on process r (0 on a process given no row of a last, small
    batch: its copy of a row does not count). Differentiable (through ``replica_sum``); in
    one process, the plain mean and variance.

    NOTE: two passes (the mean, then the squares around it), as in one process: a single pass
    of Σx and Σx² would lose digits to cancellation when |μ| ≫ σ.
    """
    x = as_tensor(x)
    axes = tuple(normalize_axis(axes, x.ndim))
    group = replicas.group()
    if group is None or group.size == 1:
        mean = reduce_mean(x, axes, keepdims=True)
        centered = x - mean
        return mean, reduce_mean(centered * centered, axes, keepdims=True)
    weight = group.replica_weight()
    count = 1
    for a in axes:
        count *= x.shape[a]
    m = float(group.sum_over_replicas(numpy.array(float(count if weight else 0))))

    def global_sum(t):
        local = reduce_sum(t, axes, keepdims=True)
        return replica_sum(local if weight else local * 0.0)

    mean = global_sum(x) / m
    centered = x - mean
    return mean, global_sum(centered * centered) / m
