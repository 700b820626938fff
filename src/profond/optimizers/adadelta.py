"""Adadelta: steps scaled by the ratio of past update size to past gradient size."""

from profond import _validation as check
from profond import backend
from profond.optimizers.base import Optimizer
from profond.registry import register_serializable


@register_serializable()
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012). With ``s`` and ``u`` starting at zero::

        s ← ρ s + (1 − ρ) g²
        Δ ← −√(u + ε) / √(s + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        W ← W + η Δ

    Exactly ``torch.optim.Adadelta``, but Keras defaults to η = 0.001 and ε = 1e-7 where
    PyTorch uses η = 1.0 (the paper's form) and ε = 1e-6.

    >>> import profond as pf
    >>> w = pf.Variable([1.0])
    >>> _ = Adadelta(learning_rate=1.0).apply_gradients([(pf.constant([1.0]), w)])
    >>> w.numpy()                   # 1 − √1e-7 / √(0.05 + 1e-7)
    array([0.99858576], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adadelta",
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.rho = check.real("rho", rho, "Adadelta", 0, 1, high_open=True)
        self.epsilon = check.non_negative_float("epsilon", epsilon, "Adadelta")

    def build(self, var_list):
        super().build(var_list)
        self._accumulated_grads = [self.add_variable_from_reference(v, "accumulated_grad")
                                   for v in var_list]
        self._accumulated_delta_vars = [
            self.add_variable_from_reference(v, "accumulated_delta_var") for v in var_list
        ]

    def update_step(self, gradient, variable, learning_rate):
        xp = backend.array_module(gradient)
        i = self._index[id(variable)]
        rho, eps = self.rho, self.epsilon
        s = self._accumulated_grads[i].data
        u = self._accumulated_delta_vars[i].data
        tmp = xp.multiply(gradient, gradient, out=xp.empty_like(s))  # (arrays even when 0-d)
        tmp *= 1.0 - rho
        s *= rho
        s += tmp
        step = xp.add(u, eps, out=xp.empty_like(u))  # step = −Δ = √(u + ε) / √(s + ε) · g
        xp.sqrt(step, out=step)
        step *= gradient
        xp.add(s, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        step /= tmp
        xp.multiply(step, step, out=tmp)
        tmp *= 1.0 - rho
        u *= rho
        u += tmp
        step *= learning_rate
        variable.data -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
