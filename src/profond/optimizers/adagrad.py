"""Adagrad: a per-coordinate step that shrinks with the sum of past squared gradients."""

from profond import _validation as check
from profond import backend
from profond.optimizers.base import Optimizer
from profond.registry import register_serializable


@register_serializable()
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011). With ``a`` starting at ``initial_accumulator_value``::

        a ← a + g²
        W ← W − η g / √(a + ε)

    Keras puts ε inside the square root and starts ``a`` at 0.1; ``torch.optim.Adagrad`` uses
    ``√a + ε`` and starts at 0 (its ``initial_accumulator_value`` argument).

    >>> import profond as pf
    >>> w = pf.Variable([1.0])
    >>> _ = Adagrad(learning_rate=0.1).apply_gradients([(pf.constant([2.0]), w)])
    >>> w.numpy().round(5)          # 1 − 0.1 · 2 / √4.1
    array([0.90123], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name="adagrad", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.initial_accumulator_value = check.non_negative_float(
            "initial_accumulator_value", initial_accumulator_value, "Adagrad")
        self.epsilon = check.non_negative_float("epsilon", epsilon, "Adagrad")

    def build(self, var_list):
        super().build(var_list)
        self._accumulators = [
            self.add_variable_from_reference(v, "accumulator",
                                             initializer=self.initial_accumulator_value)
            for v in var_list
        ]

    def update_step(self, gradient, variable, learning_rate):
        xp = backend.array_module(gradient)
        a = self._accumulators[self._index[id(variable)]].data
        tmp = xp.multiply(gradient, gradient, out=xp.empty_like(a))  # (an array even when 0-d)
        a += tmp
        xp.add(a, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        variable.data -= tmp

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
