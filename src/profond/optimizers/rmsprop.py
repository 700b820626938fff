"""RMSprop: divide the step by a running root-mean-square of the gradients."""

from profond import _validation as check
from profond import backend
from profond.optimizers.base import Optimizer
from profond.registry import register_serializable


@register_serializable()
class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012). With ``s`` (and ``ḡ``, ``m``) starting at zero::

        s ← ρ s + (1 − ρ) g²
        ḡ ← ρ ḡ + (1 − ρ) g                 (centered only)
        δ ← η g / √(s − ḡ² + ε)             (centered; else √(s + ε))
        m ← μ m + δ;  W ← W − m             (momentum μ > 0; else W ← W − δ)

    ``torch.optim.RMSprop`` (``alpha`` = ρ) is the same with ε outside the root, ``√s + ε``.
    Keras 3 starts ``s`` at zero like PyTorch (the TF 1 optimizer started it at one).

    >>> import profond as pf
    >>> w = pf.Variable([1.0])
    >>> _ = RMSprop(learning_rate=0.1).apply_gradients([(pf.constant([2.0]), w)])
    >>> w.numpy().round(5)          # 1 − 0.1 · 2 / √(0.1 · 4)
    array([0.68377], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        where = type(self).__name__
        self.rho = check.real("rho", rho, where, 0, 1, high_open=True)
        self.momentum = check.real("momentum", momentum, where, 0, 1)
        self.epsilon = check.non_negative_float("epsilon", epsilon, where)
        self.centered = check.boolean("centered", centered, where)

    def build(self, var_list):
        super().build(var_list)
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._momentums = []
        if self.momentum > 0:
            self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._average_gradients = []
        if self.centered:
            self._average_gradients = [self.add_variable_from_reference(v, "average_gradient")
                                       for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        xp = backend.array_module(gradient)
        i = self._index[id(variable)]
        rho = self.rho
        s = self._velocities[i].data
        tmp = xp.multiply(gradient, gradient, out=xp.empty_like(s))  # (an array even when 0-d)
        tmp *= 1.0 - rho
        s *= rho
        s += tmp
        if self.centered:
            g_avg = self._average_gradients[i].data
            g_avg *= rho
            xp.multiply(gradient, 1.0 - rho, out=tmp)
            g_avg += tmp
            xp.multiply(g_avg, g_avg, out=tmp)
            xp.subtract(s, tmp, out=tmp)
            tmp += self.epsilon
        else:
            xp.add(s, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        if self.momentum > 0:
            m = self._momentums[i].data
            m *= self.momentum
            m += tmp
            variable.data -= m
        else:
            variable.data -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


RMSProp = RMSprop  # the other spelling Keras accepts
