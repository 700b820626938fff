"""Action distributions of stochastic policies, written with profond ops so gradients flow.

A policy network outputs the parameters of a distribution over actions; the agent samples an
action from it, and the policy-gradient losses need log π(a|s) and the entropy H(π(·|s)) as
differentiable functions of those parameters.

- ``Categorical(logits)``: discrete actions, π(a|s) = softmax(z)ₐ.
- ``DiagGaussian(mean, log_std)``: continuous actions, a ~ 𝒩(μ, diag σ²) with σ = e^{log σ}.

``sample`` and ``mode`` return NumPy arrays (actions are data, not part of the graph);
``log_prob`` and ``entropy`` return Tensors, one value per row of the batch.

>>> import numpy as np
>>> from profond.rl.distributions import Categorical
>>> d = Categorical(np.log(np.array([[0.25, 0.75]])))
>>> np.round(d.log_prob(np.array([1])).numpy(), 4)
array([-0.2877])
"""

import math

import numpy as np

from profond.autodiff.tensor import Tensor
from profond.ops import exp, log_softmax, reduce_sum, square, zeros_like
from profond.ops.nn import sparse_softmax_cross_entropy_with_logits

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Categorical:
    """π(a) = softmax(z)ₐ over n actions, from logits z of shape (batch, n).

    log π(a) = zₐ − logsumexp(z)   (the fused sparse cross-entropy, stable for any z)
    H(π) = −Σₐ π(a) log π(a)
    """

    def __init__(self, logits):
        self.logits = _tensor(logits)
        if self.logits.ndim < 1:
            raise ValueError("Categorical expects logits of shape (batch, n_actions). "
                             f"Received: shape={self.logits.shape}")

    @property
    def probs(self):
        """π(·) as a NumPy array (no gradient)."""
        z = self.logits.numpy()
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def log_prob(self, actions):
        """log π(aᵢ) for each row i; ``actions`` are integers of the batch shape."""
        actions = np.asarray(actions.numpy() if isinstance(actions, Tensor) else actions)
        return -sparse_softmax_cross_entropy_with_logits(actions.astype(np.int64), self.logits)

    def entropy(self):
        """H = −Σₐ π(a) log π(a) for each row."""
        logp = log_softmax(self.logits)
        return -reduce_sum(exp(logp) * logp, axis=-1)

    def sample(self, rng=None):
        """One action per row, drawn by inverse CDF from uniform numbers of ``rng``."""
        p = self.probs
        u = _rng(rng).random(p.shape[:-1] + (1,))
        cdf = np.cumsum(p, axis=-1)
        # NOTE: the last CDF entry may round below u; clamping keeps the index in range.
        return np.minimum((cdf < u).sum(axis=-1), p.shape[-1] - 1).astype(np.int64)

    def mode(self):
        """The most likely action of each row."""
        return self.logits.numpy().argmax(axis=-1).astype(np.int64)


class DiagGaussian:
    """a ~ 𝒩(μ, diag σ²) in d dimensions, from μ of shape (batch, d) and log σ broadcastable to it
    (a state-independent log σ of shape (d,) is the usual choice).

    log π(a) = Σⱼ [ −(aⱼ − μⱼ)² / (2σⱼ²) − log σⱼ − ½ log 2π ]
    H(π) = Σⱼ [ ½ + ½ log 2π + log σⱼ ]
    """

    def __init__(self, mean, log_std):
        self.mean = _tensor(mean)
        self.log_std = _tensor(log_std)
        if self.mean.ndim < 1:
            raise ValueError("DiagGaussian expects a mean of shape (batch, action_dim). "
                             f"Received: shape={self.mean.shape}")
        try:
            np.broadcast_shapes(self.log_std.shape, self.mean.shape)
        except ValueError:
            raise ValueError("DiagGaussian expects log_std broadcastable to the mean's shape "
                             f"{self.mean.shape}. Received: log_std.shape={self.log_std.shape}"
                             ) from None

    def _full_log_std(self):
        """log σ broadcast to the mean's shape (a sum over it then counts every row)."""
        return self.log_std + zeros_like(self.mean)

    def log_prob(self, actions):
        """log π(aᵢ) for each row i (summed over the d action dimensions)."""
        a = np.asarray(actions.numpy() if isinstance(actions, Tensor) else actions)
        a = Tensor(a.astype(self.mean.dtype, copy=False).reshape(self.mean.shape))
        log_std = self._full_log_std()
        z2 = square(a - self.mean) * exp(-2.0 * log_std)
        return reduce_sum(-0.5 * z2 - log_std - _HALF_LOG_2PI, axis=-1)

    def entropy(self):
        """H = Σⱼ (½ + ½ log 2π + log σⱼ) for each row."""
        return reduce_sum(self._full_log_std() + (0.5 + _HALF_LOG_2PI), axis=-1)

    def sample(self, rng=None):
        """μ + σ ⊙ ε with ε ~ 𝒩(0, I) drawn from ``rng``."""
        mean = self.mean.numpy()
        std = np.exp(np.broadcast_to(self.log_std.numpy(), mean.shape))
        return (mean + std * _rng(rng).standard_normal(mean.shape)).astype(mean.dtype)

    def mode(self):
        """The mean μ: the most likely action."""
        return self.mean.numpy().copy()
