"""Stochastic gradient descent, with optional momentum and Nesterov momentum."""

from profond import _validation as check
from profond import backend
from profond.optimizers.base import Optimizer
from profond.registry import register_serializable


@register_serializable()
class SGD(Optimizer):
    """Gradient descent: ``W ← W − η g``.

    With ``momentum`` μ > 0, a velocity ``v`` (zeros at first) keeps a decaying sum of steps::

        v ← μ v − η g
        W ← W + v                  (nesterov=False)
        W ← W + μ v − η g          (nesterov=True: look one step ahead)

    For a constant η this is exactly ``torch.optim.SGD`` (whose buffer ``b = −v / η``).

    >>> import profond as pf
    >>> w = pf.Variable([1.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(pf.constant([1.0]), w)])
    >>> w.numpy()                   # 1 − 0.1 − (0.9·0.1 + 0.1)
    array([0.71], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.momentum = check.real("momentum", momentum, "SGD", 0, 1)
        self.nesterov = check.boolean("nesterov", nesterov, "SGD")

    def build(self, var_list):
        super().build(var_list)
        self._momentums = []
        if self.momentum != 0:
            self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        xp = backend.array_module(w)
        # η g, the only temporary (``out=``: an array even when the variable is 0-d)
        step = xp.multiply(gradient, learning_rate, out=xp.empty_like(w))
        if self.momentum == 0:
            w -= step
            return
        v = self._momentums[self._index[id(variable)]].data
        v *= self.momentum
        v -= step
        if self.nesterov:
            w -= step
            w += xp.multiply(v, self.momentum, out=step)
        else:
            w += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
