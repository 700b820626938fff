"""Learning-rate schedules: Keras's formulas at several steps, arrays of steps, configs."""

import json
import math

import numpy as np
import pytest

import profond as pf
from profond.optimizers import schedules
from profond.optimizers.schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
)

STEPS = [0, 1, 5, 10, 37, 99, 100, 101, 250, 1000]


def _check(schedule, formula):
    for t in STEPS:
        value = schedule(t)
        assert isinstance(value, pf.Tensor) and value.dtype == np.float32
        assert float(value) == pytest.approx(formula(t), rel=1e-6, abs=1e-9), f"step {t}"
    values = schedule(np.array(STEPS)).numpy()  # a whole curve at once, for plotting
    np.testing.assert_allclose(values, [formula(t) for t in STEPS], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    s = ExponentialDecay(0.1, decay_steps=30, decay_rate=0.7, staircase=staircase)
    _check(s, lambda t: 0.1 * 0.7 ** ((t // 30) if staircase else (t / 30)))


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay(alpha):
    def formula(t):
        t = min(t, 200)
        return 0.5 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / 200)) + alpha)

    _check(CosineDecay(0.5, decay_steps=200, alpha=alpha), formula)


def test_cosine_decay_with_warmup():
    def formula(t):
        t = min(t, 20 + 200)
        if t < 20:
            return 0.0 + (1.0 - 0.0) * t / 20
        return 1.0 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * (t - 20) / 200)) + 0.1)

    _check(CosineDecay(0.0, decay_steps=200, alpha=0.1, warmup_target=1.0, warmup_steps=20),
           formula)
    # a warmup target without warmup steps decays from the target at once
    s = CosineDecay(0.0, decay_steps=10, warmup_target=2.0)
    assert float(s(0)) == pytest.approx(2.0) and float(s(10)) == pytest.approx(0.0)


def test_piecewise_constant_decay():
    s = PiecewiseConstantDecay([10, 100], [1.0, 0.5, 0.25])
    _check(s, lambda t: 1.0 if t <= 10 else 0.5 if t <= 100 else 0.25)


def test_schedule_takes_the_optimizer_counter():
    s = ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = pf.optimizers.SGD(learning_rate=s)
    assert float(s(opt.iterations)) == 1.0
    opt.iterations.assign(3)
    assert opt.learning_rate == pytest.approx(0.125)


def test_argument_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        CosineDecay(0.1, decay_steps=-1)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(NotImplementedError):
        LearningRateSchedule()(0)


@pytest.mark.parametrize("s", [
    ExponentialDecay(0.1, 30, 0.7, staircase=True),
    CosineDecay(0.5, 200, alpha=0.1, warmup_target=1.0, warmup_steps=20),
    PiecewiseConstantDecay([10, 100], [1.0, 0.5, 0.25]),
], ids=lambda s: type(s).__name__)
def test_config_round_trip(s):
    spec = json.loads(json.dumps(schedules.serialize(s)))
    clone = schedules.deserialize(spec)
    assert type(clone) is type(s) and clone.get_config() == s.get_config()
    assert type(pf.saving.deserialize(spec)) is type(s)
    np.testing.assert_array_equal(clone(np.array(STEPS)).numpy(), s(np.array(STEPS)).numpy())


def test_custom_schedule_subclass():
    @pf.saving.register_serializable(package="test_schedules")
    class Halving(LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start / 2 ** float(step)

        def get_config(self):
            return {"start": self.start}

    opt = pf.optimizers.Adam(learning_rate=Halving(0.8))
    clone = pf.optimizers.deserialize(pf.optimizers.serialize(opt))
    assert clone.learning_rate == pytest.approx(0.8)
    clone.iterations.assign(2)
    assert clone.learning_rate == pytest.approx(0.2)
