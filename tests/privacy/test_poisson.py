"""Poisson sampling (issue 19): ``poisson_batches`` draws each example with probability q at
every step; the DP step then divides by the expected batch size q·n (by hand in float64, and
as Opacus's DPOptimizer does); the accountant states the sampling it assumes."""

import numpy as np
import pytest

import profond as pf
from profond.keras import losses
from profond.privacy import (
    DPKerasSGDOptimizer,
    EpsilonStopping,
    PrivacyAccountant,
    compute_epsilon,
    poisson_batches,
)

pytest.importorskip("dp_accounting")

PER_EXAMPLE = dict(from_logits=True, reduction="none")


def test_each_example_joins_each_batch_with_probability_q():
    n, q, steps = 40, 0.25, 4000
    x = np.arange(n, dtype="float64")[:, None] * np.ones((1, 2))
    y = np.arange(n)
    data = poisson_batches(x, y, sampling_rate=q, seed=3, steps_per_epoch=steps)
    seen, sizes = np.zeros(n), []
    for xb, yb in data.as_numpy_iterator():
        np.testing.assert_array_equal(xb[:, 0], yb)  # rows stay paired, in order, no repeats
        assert len(np.unique(yb)) == len(yb)
        seen[yb] += 1
        sizes.append(len(yb))
    # inclusion frequency q for every example (4 standard errors), sizes Binomial(n, q)
    assert np.abs(seen / steps - q).max() < 4 * np.sqrt(q * (1 - q) / steps)
    assert abs(np.mean(sizes) - n * q) < 4 * np.sqrt(n * q * (1 - q) / steps)
    assert abs(np.var(sizes) / (n * q * (1 - q)) - 1) < 0.1
    assert len(set(sizes)) > 5


def test_epochs_differ_a_seed_repeats_them_and_an_epoch_is_one_over_q_steps(make_data):
    x, y = make_data(50)
    data = poisson_batches(x, y, sampling_rate=0.3, seed=7)
    first = [b for _, b in data.as_numpy_iterator()]
    second = [b for _, b in data.as_numpy_iterator()]
    assert len(first) == len(second) == 4  # ⌈1/0.3⌉
    assert any(len(a) != len(b) or (a != b).any() for a, b in zip(first, second))
    again = [b for _, b in poisson_batches(x, y, sampling_rate=0.3, seed=7).as_numpy_iterator()]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    weighted = poisson_batches({"a": x}, y, sampling_rate=0.5, seed=0,
                               sample_weight=np.arange(50.0))
    xb, yb, wb = next(weighted.as_numpy_iterator())
    np.testing.assert_array_equal(xb["a"], x[wb.astype(int)])


def _clipped_sum(model, x, y, clip):
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    variables = model.trainable_variables
    total = [np.zeros(v.shape) for v in variables]
    for i in range(len(x)):
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(loss_fn(y[i:i + 1], model(pf.constant(x[i:i + 1]))))
        g = [a.numpy() for a in tape.gradient(loss, variables)]
        norm = np.sqrt(sum(np.sum(a ** 2) for a in g))
        total = [t + a * min(1.0, clip / norm) for t, a in zip(total, g)]
    return total


def test_the_step_divides_by_the_expected_batch_size_not_the_drawn_one(
        float64, make_data, make_model):
    x, y = make_data(64)
    model = make_model()
    model(pf.constant(x[:1]))
    q = 0.2
    opt = DPKerasSGDOptimizer(0.4, 0.9, learning_rate=0.1, expected_batch_size=q * 64)
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    xb, yb = next(poisson_batches(x, y, sampling_rate=q, seed=1).as_numpy_iterator())
    assert len(xb) != q * 64
    state = pf.random.get_state()
    with pf.GradientTape() as tape:
        per_example = loss_fn(yb, model(pf.constant(xb)))
    pairs = opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
    pf.random.set_state(state)
    rng = pf.random.generator()
    sums = _clipped_sum(model, xb, yb, 0.4)
    for (g, v), s in zip(pairs, sums):
        expected = (s + rng.normal(0, 0.9 * 0.4, size=v.shape)) / (q * 64)
        np.testing.assert_allclose(g, expected, rtol=0, atol=1e-12)
    # an empty batch: noise alone, over q·n
    state = pf.random.get_state()
    with pf.GradientTape() as tape:
        empty = loss_fn(y[:0], model(pf.constant(x[:0])))
    pairs = opt.compute_gradients(empty, model.trainable_variables, tape=tape)
    pf.random.set_state(state)
    rng = pf.random.generator()
    for g, v in pairs:
        np.testing.assert_allclose(g, rng.normal(0, 0.36, size=v.shape) / 12.8, atol=1e-15)


@pytest.mark.filterwarnings("ignore:Full backward hook")  # Opacus's hooks on an input tensor
def test_equal_to_opacus_dp_optimizer_with_expected_batch_size(float64, make_data, make_model):
    torch = pytest.importorskip("torch")
    opacus = pytest.importorskip("opacus")
    x, y = make_data(64, seed=2)
    model = make_model(1)
    model(pf.constant(x[:1]))
    xb, yb = next(poisson_batches(x, y, sampling_rate=0.25, seed=4).as_numpy_iterator())
    expected_batch = 16.0
    opt = DPKerasSGDOptimizer(0.5, 1.3, learning_rate=0.1, expected_batch_size=expected_batch)
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    state = pf.random.get_state()
    with pf.GradientTape() as tape:
        per_example = loss_fn(yb, model(pf.constant(xb)))
    pairs = opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
    pf.random.set_state(state)
    rng = pf.random.generator()
    ours = [g - rng.normal(0, 1.3 * 0.5, size=v.shape) / expected_batch for g, v in pairs]

    dense1, dense2 = model.layers
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for t, d in ((net[0], dense1), (net[2], dense2)):
            t.weight.copy_(torch.from_numpy(d.kernel.numpy().T))
            t.bias.copy_(torch.from_numpy(d.bias.numpy()))
    net = opacus.GradSampleModule(net, loss_reduction="mean")
    dp = opacus.optimizers.DPOptimizer(torch.optim.SGD(net.parameters(), lr=0.1),
                                       noise_multiplier=0.0, max_grad_norm=0.5,
                                       expected_batch_size=int(expected_batch),
                                       loss_reduction="mean")
    dp.zero_grad()
    torch.nn.functional.cross_entropy(net(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
    dp.pre_step()
    theirs = [p.grad.numpy() for p in net.parameters()]
    # NOTE: Opacus clips by C / (‖g‖ + 1e-6), profond by C / ‖g‖: 1e-6 of the scale apart.
    for a, b in zip(ours, [theirs[0].T, theirs[1], theirs[2].T, theirs[3]]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5 * np.abs(b).max())
    assert max(np.abs(a).max() for a in ours) > 1e-3


def test_fit_on_poisson_batches_logs_the_exact_epsilon(make_data, make_model):
    x, y = make_data(256)
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 0.8, learning_rate=0.5,
                                                expected_batch_size=32),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE), metrics=["accuracy"])
    accountant = PrivacyAccountant(256, 32, sampling="poisson")
    assert "exact" in accountant.assumption and "32/256" in accountant.assumption
    assert "approximation" in PrivacyAccountant(256, 32).assumption
    data = poisson_batches(x, y, sampling_rate=32 / 256, seed=0)
    history = model.fit(data, epochs=4, verbose=0, callbacks=[accountant])
    assert int(model.optimizer.iterations) == 4 * 8
    assert history.history["loss"][-1] < history.history["loss"][0]
    expected = [compute_epsilon(0.125, 0.8, 8 * (e + 1), 1e-5) for e in range(4)]
    np.testing.assert_allclose(history.history["epsilon"], expected, rtol=1e-12)
    # the config round-trips expected_batch_size
    config = model.optimizer.get_config()
    assert DPKerasSGDOptimizer.from_config(config).expected_batch_size == 32


def test_bad_input_is_named(make_data, make_model):
    x, y = make_data(10)
    for rate in (0, 1.5, -0.1, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match="poisson_batches.*sampling_rate"):
            poisson_batches(x, y, sampling_rate=rate)
    with pytest.raises(ValueError, match="same number of rows"):
        poisson_batches(x, y[:5], sampling_rate=0.1)
    with pytest.raises(ValueError, match="steps_per_epoch=0"):
        poisson_batches(x, y, sampling_rate=0.1, steps_per_epoch=0)
    with pytest.raises(ValueError, match="expected_batch_size=0"):
        DPKerasSGDOptimizer(1.0, 1.0, expected_batch_size=0)
    with pytest.raises(ValueError, match="num_microbatches=2"):
        DPKerasSGDOptimizer(1.0, 1.0, 2, expected_batch_size=8.0)
    with pytest.raises(ValueError, match="gradient_accumulation_steps=2"):
        DPKerasSGDOptimizer(1.0, 1.0, None, 2, expected_batch_size=8.0)
    with pytest.raises(ValueError, match="sampling='uniform'"):
        PrivacyAccountant(100, 10, sampling="uniform")
    with pytest.raises(ValueError, match="batch_size=12.5"):
        PrivacyAccountant(100, 12.5)  # fixed-size batches are whole
    assert PrivacyAccountant(100, 12.5, sampling="poisson").sampling_rate == 0.125
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0), loss=losses.
                  SparseCategoricalCrossentropy(**PER_EXAMPLE))
    data = poisson_batches(x, y, sampling_rate=0.5, seed=0)
    for callback in (PrivacyAccountant(10, 5, sampling="poisson"),
                     EpsilonStopping(5.0, 10, 5, sampling="poisson")):
        with pytest.raises(ValueError, match="expected_batch_size=5"):
            model.fit(data, epochs=1, verbose=0, callbacks=[callback])
    opt = DPKerasSGDOptimizer(1.0, 1.0)
    with pytest.raises(ValueError, match="empty batch"):
        opt.compute_gradients(pf.zeros((0,)), model.trainable_variables)
