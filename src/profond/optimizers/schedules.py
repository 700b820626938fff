"""Learning-rate schedules: ``η(step)``, called by the optimizer with its ``iterations``.

Pass one as ``learning_rate`` (``Adam(learning_rate=CosineDecay(1e-3, 1000))``): step ``t``
(counting from 0) then uses ``η(t)``. A schedule also takes an array of steps, which makes
plotting it one line: ``plt.plot(schedule(np.arange(1000)))``. Formulas are Keras's.
"""

import math

from profond import _validation as check
from profond import backend
from profond.autodiff.tensor import Tensor
from profond.registry import deserialize as _deserialize
from profond.registry import register_serializable
from profond.registry import serialize as _serialize


def _steps(step):
    """``step`` (int, array, Tensor or the optimizer's counter) as a float64 array, and its xp."""
    data = step.data if isinstance(step, Tensor) else step
    xp = backend.array_module(data)
    return xp.asarray(data, dtype="float64"), xp


def _result(value):
    return Tensor(value.astype(backend.floatx()))


def _check_decay_steps(decay_steps, where):
    return check.positive_float("decay_steps", decay_steps, where)


class LearningRateSchedule:
    """Base class: ``__call__(step)`` returns the learning rate at ``step`` (a float Tensor).

    A new schedule implements ``__call__`` and ``get_config`` and is registered with
    ``@profond.saving.register_serializable()`` so optimizers using it can be saved.
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_serializable()
class ExponentialDecay(LearningRateSchedule):
    """``η(t) = η₀ · r^(t / T)``, with ``⌊t / T⌋`` when ``staircase`` (drop by ``r`` every ``T``).

    >>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(s(10)), 6), round(float(s(20)), 6)
    (0.05, 0.025)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        where = "ExponentialDecay"
        _check_decay_steps(decay_steps, where)
        check.non_negative_float("initial_learning_rate", initial_learning_rate, where)
        check.non_negative_float("decay_rate", decay_rate, where)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = check.boolean("staircase", staircase, where)
        self.name = name

    def __call__(self, step):
        t, xp = _steps(step)
        p = t / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return _result(self.initial_learning_rate * xp.power(self.decay_rate, p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@register_serializable()
class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then half a cosine from the peak down to ``alpha · peak``.

    Without warmup (``warmup_target=None``), with ``s = min(t, T)``::

        η(t) = η₀ · ((1 − α) · ½(1 + cos(π s / T)) + α)

    With warmup, ``η`` climbs linearly from ``η₀`` to ``warmup_target`` over ``warmup_steps``
    steps, then decays from ``warmup_target`` as above over the next ``decay_steps``.

    >>> s = CosineDecay(0.1, decay_steps=100)
    >>> round(float(s(0)), 6), round(float(s(50)), 6), round(float(s(500)), 6)
    (0.1, 0.05, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        where = "CosineDecay"
        _check_decay_steps(decay_steps, where)
        check.non_negative_float("initial_learning_rate", initial_learning_rate, where)
        check.real("alpha", alpha, where, 0, 1)
        check.non_negative_float("warmup_target", warmup_target, where, allow_none=True)
        check.non_negative_int("warmup_steps", warmup_steps, where)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, t, peak, xp):
        cosine = 0.5 * (1.0 + xp.cos(math.pi * t / self.decay_steps))
        return peak * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        t, xp = _steps(step)
        if self.warmup_target is None:
            return _result(self._decay(xp.minimum(t, self.decay_steps),
                                       self.initial_learning_rate, xp))
        t = xp.minimum(t, self.decay_steps + self.warmup_steps)
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
            t / max(self.warmup_steps, 1))
        decay = self._decay(t - self.warmup_steps, self.warmup_target, xp)
        return _result(xp.where(t < self.warmup_steps, warm, decay))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


@register_serializable()
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``t ≤ boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < t ≤ boundaries[i]``, ``values[-1]`` after the last boundary.

    >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> [float(s(t)) for t in (100, 101, 201)]
    [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        t, xp = _steps(step)
        index = xp.searchsorted(xp.asarray(self.boundaries, dtype="float64"), t, side="left")
        return _result(xp.asarray(self.values, dtype="float64")[index])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


def serialize(learning_rate_schedule):
    """``{"class_name": ..., "config": ...}`` for a registered schedule."""
    return _serialize(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from ``serialize``'s dict (registered classes only)."""
    schedule = _deserialize(config, custom_objects)
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"Expected a LearningRateSchedule. Received: {config!r:.200}")
    return schedule
