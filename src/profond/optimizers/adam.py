"""Adam and AdamW: momentum and RMSprop together, with bias correction."""

import math

from profond import _validation as check
from profond import backend
from profond.backend import jit as _jit
from profond.optimizers.base import Optimizer
from profond.registry import register_serializable


def _import_kernels():
    from profond.optimizers import jit

    return jit


def _jit_kernels(*arrays):
    """The compiled kernels (module ``optimizers.jit``) when they apply to ``arrays`` (C-ordered
    NumPy arrays of one dtype, float32 or float64; see ``profond.backend.jit``), else None."""
    if not all(getattr(a, "flags", None) is not None and a.flags.c_contiguous for a in arrays):
        return None
    return _jit.kernels(_import_kernels, *arrays)


@register_serializable()
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014). With ``m``, ``v`` starting at zero, at step ``t = 1, 2, ...``::

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v)                                  (amsgrad only; then v stands for v̂)
        α ← η √(1 − β₂ᵗ) / (1 − β₁ᵗ)                    (bias correction, one scalar)
        W ← W − α m / (√v + ε)

    This is Keras's placement of ε. The paper and ``torch.optim.Adam`` write
    ``W ← W − η m̂ / (√v̂ + ε')`` with ``m̂ = m/(1 − β₁ᵗ)``, ``v̂ = v/(1 − β₂ᵗ)``: the same
    update when ``ε' = ε / √(1 − β₂ᵗ)``.

    >>> import profond as pf
    >>> w = pf.Variable([1.0, 1.0])
    >>> _ = Adam(learning_rate=0.1).apply_gradients([(pf.constant([3.0, -0.5]), w)])
    >>> w.numpy().round(5)          # the first step moves each weight by η·sign(g)
    array([0.9, 1.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="adam", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        where = type(self).__name__
        self.beta_1 = check.real("beta_1", beta_1, where, 0, 1, high_open=True)
        self.beta_2 = check.real("beta_2", beta_2, where, 0, 1, high_open=True)
        self.epsilon = check.non_negative_float("epsilon", epsilon, where)
        self.amsgrad = check.boolean("amsgrad", amsgrad, where)

    def build(self, var_list):
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = [self.add_variable_from_reference(v, "velocity_hat")
                                   for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        xp = backend.array_module(gradient)
        i = self._index[id(variable)]
        b1, b2 = self.beta_1, self.beta_2
        t = self._current_step
        alpha = learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m = self._momentums[i].data
        v = self._velocities[i].data
        v_hat = self._velocity_hats[i].data if self.amsgrad else v
        w = variable.data
        jit = _jit_kernels(w, gradient, m, v, v_hat)
        if jit is not None:  # one pass, the same operations as below (bitwise the same result)
            scalar = w.dtype.type
            jit.adam_update(w.reshape(-1), gradient.reshape(-1), m.reshape(-1), v.reshape(-1),
                            v_hat.reshape(-1), scalar(1.0 - b1), scalar(1.0 - b2), scalar(alpha),
                            scalar(self.epsilon), self.amsgrad)
            return
        tmp = xp.subtract(gradient, m, out=xp.empty_like(m))  # (an array even when 0-d)
        # m += (1 − β₁)(g − m), the same as β₁ m + (1 − β₁) g
        tmp *= 1.0 - b1
        m += tmp
        xp.multiply(gradient, gradient, out=tmp)
        tmp -= v
        tmp *= 1.0 - b2
        v += tmp
        if self.amsgrad:
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= alpha
        variable.data -= tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@register_serializable()
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): before each Adam step,
    every variable shrinks by ``W ← W − η λ W`` (``λ = weight_decay``), instead of adding
    ``λ W`` to the gradient. The same as ``torch.optim.AdamW`` (ε placed as in ``Adam``).

    >>> import profond as pf
    >>> w = pf.Variable([1.0])
    >>> _ = AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(pf.constant([1.0]), w)])
    >>> w.numpy().round(5)          # (1 − 0.1·0.5) − 0.1
    array([0.85], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. "
                             f"Received: weight_decay={weight_decay}")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
