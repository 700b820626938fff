"""Optimizers: each update rule against an independent NumPy formula and against PyTorch, plus
clipping, weight decay, the learning-rate property, configs and state round-trips."""

import math
import warnings

import numpy as np
import pytest

import profond as pf
from profond import optimizers
from profond.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop

STEPS = 20


def _gradients(shape, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


# --- reference formulas, written from the papers / Keras docs in plain NumPy (float64) -------
def ref_sgd(w, grads, lr, momentum=0.0, nesterov=False, **_):
    v = np.zeros_like(w)
    for g in grads:
        if momentum == 0:
            w = w - lr * g
            continue
        v = momentum * v - lr * g
        w = w + (momentum * v - lr * g if nesterov else v)
    return w


def ref_adagrad(w, grads, lr, initial_accumulator_value=0.1, epsilon=1e-7, **_):
    acc = np.full_like(w, initial_accumulator_value)
    for g in grads:
        acc = acc + g**2
        w = w - lr * g / np.sqrt(acc + epsilon)
    return w


def ref_rmsprop(w, grads, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **_):
    s, g_avg, mom = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        s = rho * s + (1 - rho) * g**2
        if centered:
            g_avg = rho * g_avg + (1 - rho) * g
        delta = lr * g / np.sqrt(s - g_avg**2 + epsilon)
        mom = momentum * mom + delta
        w = w - mom
    return w


def ref_adadelta(w, grads, lr, rho=0.95, epsilon=1e-7, **_):
    s, u = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        s = rho * s + (1 - rho) * g**2
        delta = -np.sqrt(u + epsilon) / np.sqrt(s + epsilon) * g
        u = rho * u + (1 - rho) * delta**2
        w = w + lr * delta
    return w


def ref_adam(w, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
             weight_decay=0.0, **_):
    """The paper's form with bias-corrected m̂, v̂; Keras's ε sits on √v, i.e. ε/√(1 − β₂ᵗ) here."""
    m, v, v_max = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - lr * weight_decay * w
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta_1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta_2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + epsilon / math.sqrt(1 - beta_2**t))
    return w


CASES = [
    (SGD, ref_sgd, {"learning_rate": 0.1}),
    (SGD, ref_sgd, {"learning_rate": 0.1, "momentum": 0.9}),
    (SGD, ref_sgd, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    (Adagrad, ref_adagrad, {"learning_rate": 0.1}),
    (Adagrad, ref_adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5,
                            "epsilon": 1e-3}),
    (RMSprop, ref_rmsprop, {"learning_rate": 0.01}),
    (RMSprop, ref_rmsprop, {"learning_rate": 0.01, "momentum": 0.5}),
    (RMSprop, ref_rmsprop, {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    (RMSprop, ref_rmsprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.9}),
    (Adadelta, ref_adadelta, {"learning_rate": 1.0}),
    (Adadelta, ref_adadelta, {"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-4}),
    (Adam, ref_adam, {"learning_rate": 0.01}),
    (Adam, ref_adam, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3}),
    (Adam, ref_adam, {"learning_rate": 0.01, "amsgrad": True}),
    (AdamW, ref_adam, {"learning_rate": 0.01, "weight_decay": 0.1}),
    (AdamW, ref_adam, {"learning_rate": 0.01, "weight_decay": 0.004, "amsgrad": True}),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, _, kw in CASES]


def _run(opt, inits, grads_per_var, dtype):
    ws = [pf.Variable(w0.astype(dtype), name=f"w{i}") for i, w0 in enumerate(inits)]
    for step in range(len(grads_per_var[0])):
        opt.apply_gradients([(pf.constant(gs[step].astype(dtype)), w)
                             for gs, w in zip(grads_per_var, ws)])
    return ws


@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_update_matches_reference_formula(cls, ref, kwargs, dtype):
    """20 steps on two variables of different shapes with random gradients. In float64 the
    displacement ``w − w₀`` (the part the optimizer computes) must match to 1e-9; in float32
    the weights to 1e-5 relative."""
    rng = np.random.default_rng(1)
    inits = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    grads = [_gradients((3, 4), seed=2), _gradients((5,), seed=3)]
    ws = _run(cls(**kwargs), inits, grads, dtype)
    for w, w0, gs in zip(ws, inits, grads):
        expected = ref(w0, gs, lr=kwargs["learning_rate"], **kwargs)
        assert w.dtype == np.dtype(dtype)
        if dtype == "float64":
            np.testing.assert_allclose(w.numpy() - w0, expected - w0, rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)


# --- PyTorch ------------------------------------------------------------------------------
def _torch_case(name):
    """(profond optimizer, torch optimizer factory, per-step hook), mapped to the same update.

    Keras and PyTorch differences and how they are mapped here:

    * SGD momentum: Keras keeps ``v ← μv − ηg; W ← W + v``, PyTorch ``b ← μb + g; W ← W − ηb``:
      the same for a constant η (``v = −ηb``); Nesterov too. No mapping needed.
    * Adam / AdamW ε placement: Keras adds ε to ``√v`` (bias correction folded into the step
      size), PyTorch to ``√v̂ = √v / √(1 − β₂ᵗ)``. Exactly equal when PyTorch's ε at step t is
      ``ε / √(1 − β₂ᵗ)``, which the hook sets before each step.
    * AdamW decay: both shrink ``W ← W − ηλW`` before the Adam step (decoupled). Same.
    * RMSprop ε: Keras ``√(s + ε)``, PyTorch ``√s + ε`` (no exact mapping): ε = 0 in both. Both
      start ``s`` at zero (Keras 3; TF 1 started it at one).
    * Adagrad: Keras starts the accumulator at 0.1 and uses ``√(a + ε)``, PyTorch at 0 and
      ``√a + ε``: torch gets ``initial_accumulator_value=0.1`` and ε = 0 in both.
    * Adadelta: the same formula; only the defaults differ (η 0.001 vs 1.0, ε 1e-7 vs 1e-6),
      so both are given η = 1.0, ε = 1e-6.
    """
    import torch

    b2 = 0.999
    adam_eps = 1e-7

    def adam_hook(topt, t):  # PyTorch's ε at step t that equals Keras's ε
        for group in topt.param_groups:
            group["eps"] = adam_eps / math.sqrt(1 - b2**t)

    table = {
        "sgd": (SGD(learning_rate=0.1), lambda p: torch.optim.SGD(p, lr=0.1), None),
        "sgd_momentum": (SGD(learning_rate=0.1, momentum=0.9),
                         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), None),
        "sgd_nesterov": (SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                         None),
        "adam": (Adam(learning_rate=0.01, epsilon=adam_eps),
                 lambda p: torch.optim.Adam(p, lr=0.01), adam_hook),
        "adam_amsgrad": (Adam(learning_rate=0.01, epsilon=adam_eps, amsgrad=True),
                         lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True), adam_hook),
        "adamw": (AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=adam_eps),
                  lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), adam_hook),
        "rmsprop": (RMSprop(learning_rate=0.01, epsilon=0.0),
                    lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0), None),
        "rmsprop_centered_momentum": (
            RMSprop(learning_rate=0.01, epsilon=0.0, centered=True, momentum=0.9),
            lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0, centered=True,
                                          momentum=0.9), None),
        "adagrad": (Adagrad(learning_rate=0.1, epsilon=0.0),
                    lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1,
                                                  eps=0.0), None),
        "adadelta": (Adadelta(learning_rate=1.0, epsilon=1e-6),
                     lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6), None),
    }
    return table[name]


TORCH_CASES = ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_amsgrad", "adamw", "rmsprop",
               "rmsprop_centered_momentum", "adagrad", "adadelta"]


@pytest.mark.parametrize("name", TORCH_CASES)
def test_update_matches_pytorch(name):
    """Same start, same 20 random gradients, float64: the weights agree to 1e-9. The gradients
    are small (~1e-3) so that ε matters: without the Adam ε mapping the weights differ by ~1e-4."""
    torch = pytest.importorskip("torch")
    opt, make_torch, hook = _torch_case(name)
    rng = np.random.default_rng(4)
    w0 = rng.normal(size=(4, 3))
    w = pf.Variable(w0.copy())
    tw = torch.tensor(w0.copy(), requires_grad=True)
    topt = make_torch([tw])
    for t, g in enumerate(_gradients((4, 3), seed=5), start=1):
        g = g * 1e-3
        opt.apply_gradients([(g, w)])
        tw.grad = torch.tensor(g)
        if hook is not None:
            hook(topt, t)
        topt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-9, atol=1e-12)


# --- the loop around update_step ------------------------------------------------------------
def test_updates_in_place_without_recording_a_graph():
    w = pf.Variable(np.ones((2, 3), dtype="float32"))
    data = w.data
    opt = Adam(learning_rate=0.1)
    with pf.GradientTape():
        opt.apply_gradients([(pf.constant(np.ones((2, 3))), w)])
    assert w.data is data and w.creator is None and w.dtype == np.float32
    assert not np.allclose(w.numpy(), 1.0)


def test_iterations_counts_steps_as_int64_variable():
    w = pf.Variable([1.0])
    opt = SGD()
    assert int(opt.iterations) == 0
    for _ in range(3):
        returned = opt.apply_gradients([(pf.constant([1.0]), w)])
    assert int(opt.iterations) == 3 and returned is opt.iterations
    assert isinstance(opt.iterations, pf.Variable) and opt.iterations.dtype == np.int64


def test_none_gradients_are_skipped_with_a_warning():
    a, b = pf.Variable([1.0]), pf.Variable([2.0], name="unused")
    opt = SGD(learning_rate=0.5, momentum=0.5)
    with pytest.warns(UserWarning, match="unused"):
        opt.apply_gradients([(pf.constant([1.0]), a), (None, b)])
    assert a.numpy()[0] == 0.5 and b.numpy()[0] == 2.0
    assert len(opt.variables) == 2 + 2  # built on both variables, as Keras does


def test_gradient_shape_mismatch_names_the_variable():
    w = pf.Variable(np.zeros((2, 3)), name="dense/kernel")
    with pytest.raises(ValueError, match=r"dense/kernel.*\(2, 3\).*\(3, 2\)"):
        Adam().apply_gradients([(np.zeros((3, 2)), w)])


def test_unknown_variable_after_build_is_a_clear_error():
    a, b = pf.Variable([1.0]), pf.Variable([1.0], name="late")
    opt = Adam()
    opt.apply_gradients([(pf.constant([1.0]), a)])
    with pytest.raises(ValueError, match="Unknown variable: 'late'"):
        opt.apply_gradients([(pf.constant([1.0]), b)])


def test_apply_with_and_without_variables():
    w = pf.Variable([1.0, 1.0])
    opt = SGD(learning_rate=0.5)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(2)])
    opt.build([w])
    opt.apply([np.ones(2)])
    opt.apply([np.ones(2)], [w])
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])
    with pytest.raises(ValueError, match="as many gradients as variables"):
        opt.apply([np.ones(2), np.ones(2)], [w])


def test_gradient_arrays_are_not_modified():
    g = np.array([3.0, 4.0], dtype="float32")
    for opt in (Adam(clipnorm=1.0), RMSprop(momentum=0.9, centered=True), Adadelta(),
                Adagrad(), SGD(momentum=0.9, nesterov=True)):
        opt.apply_gradients([(g, pf.Variable([0.0, 0.0]))])
    np.testing.assert_array_equal(g, [3.0, 4.0])


GLOBAL_NORM = math.sqrt(3.0**2 + 4.0**2 + 0.1**2)  # of the two gradients below


@pytest.mark.parametrize("clip, expected", [
    ({"clipnorm": 1.0}, [[0.6, 0.8], [0.1, 0.0]]),          # each gradient to norm ≤ 1
    ({"clipnorm": 10.0}, [[3.0, 4.0], [0.1, 0.0]]),         # already small: unchanged
    ({"global_clipnorm": 1.0}, [[3.0 / GLOBAL_NORM, 4.0 / GLOBAL_NORM], [0.1 / GLOBAL_NORM, 0.0]]),
    ({"global_clipnorm": 10.0}, [[3.0, 4.0], [0.1, 0.0]]),
    ({"clipvalue": 0.5}, [[0.5, 0.5], [0.1, 0.0]]),
])
def test_gradient_clipping(clip, expected):
    """SGD with η = 1, so the change of each weight is minus its clipped gradient."""
    a, b = pf.Variable([0.0, 0.0]), pf.Variable([0.0, 0.0])
    SGD(learning_rate=1.0, **clip).apply_gradients([([3.0, 4.0], a), ([0.1, 0.0], b)])
    np.testing.assert_allclose(-a.numpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(-b.numpy(), expected[1], rtol=1e-6)


def test_clipnorm_and_global_clipnorm_are_exclusive():
    with pytest.raises(ValueError, match="Only one of `clipnorm` and `global_clipnorm`"):
        Adam(clipnorm=1.0, global_clipnorm=1.0)


def test_weight_decay_is_decoupled_and_can_exclude_variables():
    """Any optimizer's ``weight_decay``: W ← W − η λ W, then the rule's own step."""
    kernel, bias = pf.Variable([2.0], name="dense/kernel"), pf.Variable([2.0], name="dense/bias")
    opt = SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([([1.0], kernel), ([1.0], bias)])
    np.testing.assert_allclose(kernel.numpy(), [2.0 - 0.1 * 0.5 * 2.0 - 0.1])
    np.testing.assert_allclose(bias.numpy(), [2.0 - 0.1])


def test_constraints_are_applied_after_the_update():
    w = pf.Variable([0.5, -0.5], constraint=lambda v: pf.maximum(v, 0.0))
    SGD(learning_rate=1.0).apply_gradients([([1.0, -1.0], w)])
    np.testing.assert_allclose(w.numpy(), [0.0, 0.5])


def test_learning_rate_is_a_settable_float():
    w = pf.Variable([0.0])
    opt = SGD(learning_rate=0.01)
    assert opt.learning_rate == 0.01 and isinstance(opt.learning_rate, float)
    opt.learning_rate = 0.5  # what ReduceLROnPlateau / LearningRateScheduler do
    assert opt.learning_rate == 0.5
    opt.apply_gradients([([1.0], w)])
    np.testing.assert_allclose(w.numpy(), [-0.5])
    opt.learning_rate = pf.constant(0.25)
    assert opt.learning_rate == 0.25
    with pytest.raises(TypeError, match="learning_rate"):
        SGD(learning_rate="fast")


def test_learning_rate_schedule_drives_the_steps():
    schedule = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = SGD(learning_rate=schedule)
    w = pf.Variable([0.0])
    for t in range(4):
        assert opt.learning_rate == pytest.approx(0.5**t)
        opt.apply_gradients([([1.0], w)])
    np.testing.assert_allclose(w.numpy(), [-(1 + 0.5 + 0.25 + 0.125)])
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    assert [v.path for v in opt.variables] == ["SGD/iteration"]  # no learning_rate variable


def test_keras_argument_checks():
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="not recognized"):
        Adam(betas=(0.9, 0.99))
    with pytest.warns(UserWarning, match="learning_rate"):
        assert SGD(lr=0.3).learning_rate == 0.3


def test_defaults_are_keras_defaults():
    expected = {
        SGD: {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "name": "SGD"},
        Adagrad: {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        RMSprop: {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                  "centered": False},
        Adadelta: {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
        Adam: {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
               "amsgrad": False, "weight_decay": None},
        AdamW: {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
                "epsilon": 1e-7, "amsgrad": False},
    }
    for cls, defaults in expected.items():
        config = cls().get_config()
        assert {k: config[k] for k in defaults} == defaults, cls.__name__


# --- configs and state --------------------------------------------------------------------
CONFIG_CASES = [
    SGD(learning_rate=0.05, momentum=0.8, nesterov=True, clipnorm=2.0, name="sgd_1"),
    Adagrad(learning_rate=0.2, initial_accumulator_value=0.3, epsilon=1e-5, clipvalue=1.0),
    RMSprop(learning_rate=0.02, rho=0.8, momentum=0.1, centered=True, global_clipnorm=3.0),
    Adadelta(learning_rate=0.9, rho=0.5, epsilon=1e-6, weight_decay=0.01),
    Adam(learning_rate=0.003, beta_1=0.5, beta_2=0.9, epsilon=1e-8, amsgrad=True),
    AdamW(learning_rate=optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1), weight_decay=0.2),
    SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5),
]


@pytest.mark.parametrize("opt", CONFIG_CASES,
                         ids=lambda o: type(o).__name__ + ("_ema" if o.use_ema else ""))
def test_config_round_trip(opt):
    config = opt.get_config()
    clone = type(opt).from_config(config)
    assert type(clone) is type(opt) and clone.get_config() == config
    spec = optimizers.serialize(opt)
    for rebuilt in (optimizers.deserialize(spec), optimizers.get(spec),
                    pf.saving.deserialize(spec)):
        assert type(rebuilt) is type(opt) and rebuilt.get_config() == config
    import json

    assert json.loads(json.dumps(spec)) == spec  # plain JSON, schedules included


def test_get_resolves_names_dicts_and_instances():
    assert type(optimizers.get("adam")) is Adam
    assert type(optimizers.get("SGD")) is SGD
    assert type(optimizers.get("rmsprop")) is RMSprop is optimizers.RMSProp
    assert type(optimizers.get("RMSProp")) is RMSprop
    assert type(optimizers.get("adamw")) is AdamW
    assert type(optimizers.get({"class_name": "Adagrad", "config": {}})) is Adagrad
    opt = Adam()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="Unknown optimizer: 'nadamax'"):
        optimizers.get("nadamax")
    # A beginner's typo gets the closest names, and nothing about files or registries.
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'\. Did you mean 'adam'") as e:
        optimizers.get("adamm")
    assert "file" not in str(e.value) and "regist" not in str(e.value)


def _opt_factories():
    return [
        lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        lambda: Adagrad(learning_rate=0.1),
        lambda: RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        lambda: Adadelta(learning_rate=1.0),
        lambda: Adam(learning_rate=0.01, amsgrad=True),
        lambda: AdamW(learning_rate=optimizers.schedules.ExponentialDecay(0.01, 3, 0.9)),
        lambda: Adam(learning_rate=0.01, use_ema=True, ema_momentum=0.9),
    ]


@pytest.mark.parametrize("make", _opt_factories(), ids=["SGD", "Adagrad", "RMSprop", "Adadelta",
                                                        "Adam", "AdamW", "Adam_ema"])
def test_variables_round_trip_resumes_exactly(make):
    """Save the state after 5 steps, load it into a fresh optimizer: the next 5 steps match."""
    rng = np.random.default_rng(6)
    w0 = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    grads = [[rng.normal(size=w.shape).astype("float32") for w in w0] for _ in range(10)]
    first = [pf.Variable(w.copy(), name=f"v{i}") for i, w in enumerate(w0)]
    opt = make()
    for gs in grads[:5]:
        opt.apply_gradients(zip(gs, first))
    names = [v.path for v in opt.variables]
    assert names[0].endswith("/iteration") and len(set(names)) == len(names)
    store = {}
    opt.save_own_variables(store)

    second = [pf.Variable(w.numpy().copy(), name=f"v{i}") for i, w in enumerate(first)]
    resumed = make()
    resumed.build(second)
    resumed.load_own_variables(store)
    assert int(resumed.iterations) == 5
    for gs in grads[5:]:
        opt.apply_gradients(zip(gs, first))
        resumed.apply_gradients(zip(gs, second))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    third = make()  # the same through `variables` and assign, as a checkpoint would do
    third_vars = [pf.Variable(w.numpy().copy()) for w in first]
    third.build(third_vars)
    assert [v.shape for v in third.variables] == [v.shape for v in opt.variables]
    for mine, theirs in zip(third.variables, opt.variables):
        mine.assign(theirs)
    gs = grads[0]
    opt.apply_gradients(zip(gs, first))
    third.apply_gradients(zip(gs, third_vars))
    for a, b in zip(first, third_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_before_build_warns_and_skips():
    with pytest.warns(UserWarning, match="not been called/built"):
        Adam().load_own_variables({str(i): np.zeros(()) for i in range(6)})


def test_learning_rate_is_part_of_the_state():
    a = SGD(learning_rate=0.1)
    a.learning_rate = 0.02
    store = {}
    a.save_own_variables(store)
    b = SGD(learning_rate=0.1)
    b.load_own_variables(store)
    assert b.learning_rate == 0.02


# --- they all minimize a quadratic ----------------------------------------------------------
@pytest.mark.parametrize("opt", [
    SGD(learning_rate=0.1), SGD(learning_rate=0.05, momentum=0.9),
    SGD(learning_rate=0.05, momentum=0.9, nesterov=True), Adagrad(learning_rate=0.5),
    RMSprop(learning_rate=0.02), RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    Adadelta(learning_rate=1.0, epsilon=1e-4), Adam(learning_rate=0.05),
    Adam(learning_rate=0.05, amsgrad=True), AdamW(learning_rate=0.05, weight_decay=1e-4),
], ids=lambda o: type(o).__name__)
def test_minimizes_a_quadratic(opt):
    """J(w) = ½ Σ aᵢ (wᵢ − cᵢ)², gradients from the tape: every optimizer reaches w ≈ c."""
    a = pf.constant([1.0, 3.0, 0.5])
    c = pf.constant([1.0, -2.0, 0.5])
    w = pf.Variable([0.0, 0.0, 0.0], name="w")
    for _ in range(400):
        with pf.GradientTape() as tape:
            loss = 0.5 * pf.reduce_sum(a * pf.square(w - c))
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    np.testing.assert_allclose(w.numpy(), c.numpy(), atol=0.05)


def test_minimize_with_a_callable_loss():
    w = pf.Variable([3.0])
    opt = SGD(learning_rate=0.25)
    for _ in range(30):
        opt.minimize(lambda: pf.reduce_sum(pf.square(w - 1.0)), [w])
    np.testing.assert_allclose(w.numpy(), [1.0], atol=1e-4)
    with pytest.raises(ValueError, match="tape"):
        opt.minimize(pf.reduce_sum(w), [w])


def test_no_warnings_on_a_normal_step():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Adam().apply_gradients([([1.0], pf.Variable([1.0]))])


def test_read_only_broadcast_gradients_are_fine():
    """The engine may hand back a broadcast view (read-only, zero strides)."""
    g = np.broadcast_to(np.float32(2.0), (3, 4))
    for opt in (SGD(momentum=0.9, clipnorm=1.0), Adam(global_clipnorm=1.0), RMSprop(),
                Adagrad(), Adadelta(), AdamW(clipvalue=0.5)):
        w = pf.Variable(np.ones((3, 4), dtype="float32"))
        opt.apply_gradients([(g, w)])
        assert np.all(w.numpy() < 1.0)


# --- moving averages of the weights (use_ema) -------------------------------------------------
def test_ema_follows_keras_step_by_step():
    """SGD(1.0) on a constant gradient 1 with μ = 0.5, overwriting every 3 steps: the values
    TensorFlow 2.21's Keras gives (W̄ = W at the first step; at step 3, W ← W̄)."""
    v = pf.Variable([1.0])
    opt = SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    seen = []
    for _ in range(4):
        opt.apply_gradients([(pf.constant([1.0]), v)])
        seen.append((float(v.numpy()[0]), float(opt._averages[0].numpy()[0])))
    assert seen == [(0.0, 0.0), (-1.0, -0.5), (-1.25, -1.25), (-2.25, -1.75)]
    opt.finalize_variable_values([v])
    assert v.numpy().tolist() == [-1.75]


def test_ema_matches_the_formula_and_is_kept_before_the_slots():
    rng = np.random.default_rng(3)
    w = pf.Variable(rng.normal(size=(3, 2)))
    opt = Adam(0.05, use_ema=True, ema_momentum=0.8)
    average = None
    for g in _gradients((3, 2), steps=6, seed=4):
        opt.apply_gradients([(g, w)])
        now = w.numpy()
        average = now.copy() if average is None else 0.8 * average + 0.2 * now
    np.testing.assert_allclose(opt._averages[0].numpy(), average, rtol=1e-12)
    names = [v.path.split("/")[-1] for v in opt.variables]
    assert names[0] == "iteration" and names[2].endswith("_average")  # Keras's order
    assert not np.allclose(w.numpy(), average)
    opt.finalize_variable_values([w])
    np.testing.assert_array_equal(w.numpy(), opt._averages[0].numpy())


def test_swap_averages_exchanges_weights_and_averages_and_twice_restores_them():
    w = pf.Variable([1.0, 2.0])
    opt = SGD(0.5, use_ema=True, ema_momentum=0.5)
    opt.swap_averages()  # not built: no averages, nothing to swap
    opt.build([w])
    opt.swap_averages()  # built, no step yet: the averages are not W̄ yet, nothing to swap
    assert w.numpy().tolist() == [1.0, 2.0]
    for g in ([1.0, 0.0], [0.0, 2.0]):
        opt.apply_gradients([(pf.constant(g), w)])
    weights, average = w.numpy().copy(), opt._averages[0].numpy().copy()
    np.testing.assert_allclose(average, 0.5 * np.array([0.5, 2.0]) + 0.5 * weights)
    opt.swap_averages()
    assert w.numpy().tolist() == average.tolist()
    assert opt._averages[0].numpy().tolist() == weights.tolist()
    opt.swap_averages()
    assert w.numpy().tolist() == weights.tolist()
    SGD(0.1).swap_averages()  # without use_ema: nothing to do


def test_fit_ends_with_the_averaged_weights():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(1)])
    opt = SGD(0.1, use_ema=True, ema_momentum=0.7)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    for weight, average in zip(model.trainable_variables, opt._averages):
        np.testing.assert_array_equal(weight.numpy(), average.numpy())
    before = [w.numpy().copy() for w in model.trainable_variables]
    model.fit(x, y, epochs=0, verbose=0)  # no epoch: nothing changes
    for w, b in zip(model.trainable_variables, before):
        np.testing.assert_array_equal(w.numpy(), b)


def test_finalize_without_ema_or_before_a_step_changes_nothing():
    v = pf.Variable([2.0])
    SGD(0.1).finalize_variable_values([v])
    opt = SGD(0.1, use_ema=True)
    opt.build([v])
    opt.finalize_variable_values([v])  # averages not made by a step yet
    assert v.numpy().tolist() == [2.0]
    opt.apply_gradients([(pf.constant([1.0]), v)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.finalize_variable_values([pf.Variable([0.0])])


@pytest.mark.parametrize("kwargs, match", [
    ({"ema_momentum": 1.5}, "ema_momentum"), ({"ema_momentum": -0.1}, "ema_momentum"),
    ({"ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
    ({"ema_overwrite_frequency": 2.5}, "ema_overwrite_frequency"),
    ({"use_ema": "yes"}, "use_ema")])
def test_ema_arguments_are_checked(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Adam(**kwargs)
