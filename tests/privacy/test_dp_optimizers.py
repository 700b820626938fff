"""DP-SGD optimizers: the step is (Σ clip(gᵢ, C) + N(0, σ²C²)) / B computed by hand from a loop
of one-example gradients; it trains with compile/fit and in GradientTape loops; the callbacks
log ε and stop at a target; bad input is named."""

import numpy as np
import pytest

import profond as pf
from profond.keras import Sequential, layers, losses, optimizers
from profond.privacy import (
    DPKerasAdamOptimizer,
    DPKerasSGDOptimizer,
    EpsilonStopping,
    PrivacyAccountant,
    compute_epsilon,
)

pytest.importorskip("dp_accounting")

PER_EXAMPLE = dict(from_logits=True, reduction="none")


def _by_hand(model, x, y, clip, sigma, micro, state):
    """The DP-SGD gradient from one-example backward passes and the replayed noise."""
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    variables = model.trainable_variables
    per = []
    for i in range(len(x)):
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(loss_fn(y[i:i + 1], model(pf.constant(x[i:i + 1]))))
        per.append([g.numpy() for g in tape.gradient(loss, variables)])
    groups = [[np.mean([per[i][j] for i in idx], axis=0) for j in range(len(variables))]
              for idx in np.array_split(np.arange(len(x)), micro)]
    pf.random.set_state(state)
    rng = pf.random.generator()
    out = []
    for j, v in enumerate(variables):
        total = 0
        for g in groups:
            norm = np.sqrt(sum(np.sum(a ** 2) for a in g))
            total = total + g[j] * min(1.0, clip / norm)
        out.append((total + rng.normal(0, sigma * clip, size=v.shape)) / micro)
    return out


@pytest.mark.parametrize("micro", [None, 4])
def test_the_step_clips_each_example_adds_noise_and_averages(float64, micro, make_data, make_model):
    x, y = make_data(16)
    model = make_model()
    model(pf.constant(x[:1]))
    opt = DPKerasSGDOptimizer(l2_norm_clip=0.3, noise_multiplier=0.7, num_microbatches=micro,
                              learning_rate=0.1)
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    state = pf.random.get_state()
    with pf.GradientTape() as tape:
        per_example = loss_fn(y, model(pf.constant(x)))
    pairs = opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
    expected = _by_hand(model, x, y, 0.3, 0.7, micro or len(x), state)
    for (g, v), e in zip(pairs, expected):
        assert g.shape == v.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)
    before = [v.numpy().copy() for v in model.trainable_variables]
    opt.apply_gradients(pairs)
    for b, v, e in zip(before, model.trainable_variables, expected):
        np.testing.assert_allclose(v.numpy(), b - 0.1 * e, atol=1e-12)


def test_fit_learns_and_logs_epsilon_each_epoch_in_history(make_data, make_model):
    x, y = make_data(256)
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 0.8, learning_rate=0.5),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0,
                        callbacks=[PrivacyAccountant(256, 32, delta=1e-5)])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.6
    expected = [compute_epsilon(32 / 256, 0.8, 8 * (e + 1), 1e-5) for e in range(4)]
    np.testing.assert_allclose(history.history["epsilon"], expected, rtol=1e-12)


def test_adam_variant_with_a_weight_penalty_trains_in_fit(make_data):
    x, y = make_data(128)
    pf.set_seed(0)
    model = Sequential([layers.Input((6,)),
                        layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
                        layers.Dense(3)])
    model.compile(optimizer=DPKerasAdamOptimizer(1.0, 0.5, learning_rate=0.02),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(model.optimizer.iterations) == 20


def test_a_gradient_tape_loop_with_minimize(make_data, make_model):
    x, y = make_data(128)
    model = make_model()
    opt = DPKerasSGDOptimizer(l2_norm_clip=1.0, noise_multiplier=0.5, learning_rate=0.5)
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    first = float(pf.reduce_mean(loss_fn(y, model(pf.constant(x)))))
    for _ in range(3):
        for i in range(0, 128, 32):
            with pf.GradientTape() as tape:
                per_example = loss_fn(y[i:i + 32], model(pf.constant(x[i:i + 32]),
                                                         training=True))
            opt.minimize(per_example, model.trainable_variables, tape=tape)
    loss = float(pf.reduce_mean(loss_fn(y, model(pf.constant(x)))))
    assert loss < first - 0.1
    assert int(opt.iterations) == 12


def test_epsilon_stopping_stops_before_passing_the_target(make_data, make_model):
    x, y = make_data(256)
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0, learning_rate=0.1),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    stop = EpsilonStopping(3.0, 256, 32)
    history = model.fit(x, y, batch_size=32, epochs=50, verbose=0, callbacks=[stop])
    steps = int(model.optimizer.iterations)
    assert steps == stop.max_steps and 0 < steps < 50 * 8
    assert compute_epsilon(32 / 256, 1.0, steps, 1e-5) <= 3.0
    assert compute_epsilon(32 / 256, 1.0, steps + 1, 1e-5) > 3.0
    assert history.history["epsilon"][-1] <= 3.0
    with pytest.raises(ValueError, match=r"EpsilonStopping: the target cannot be reached.*"
                                         r"target_epsilon=0.01"):
        model.fit(x, y, batch_size=32, epochs=1, verbose=0,
                  callbacks=[EpsilonStopping(0.01, 256, 32)])


def test_plain_gradients_are_refused_so_a_step_is_never_silently_not_private(make_data, make_model):
    model = make_model()
    x, y = make_data(8)
    opt = DPKerasSGDOptimizer(1.0, 1.0)
    with pf.GradientTape() as tape:
        loss = pf.reduce_mean(losses.sparse_categorical_crossentropy(
            y, model(pf.constant(x)), from_logits=True))
    grads = tape.gradient(loss, model.trainable_variables)
    with pytest.raises(RuntimeError, match="not clipped nor noised"):
        opt.apply_gradients(zip(grads, model.trainable_variables))


@pytest.mark.parametrize("kwargs,message", [
    (dict(l2_norm_clip=0, noise_multiplier=1.0), r"Expected l2_norm_clip > 0.*l2_norm_clip=0"),
    (dict(l2_norm_clip=-1.0, noise_multiplier=1.0), r"l2_norm_clip=-1.0"),
    (dict(l2_norm_clip=1.0, noise_multiplier=0.0),
     r"Expected noise_multiplier > 0.*noise_multiplier=0.0"),
    (dict(l2_norm_clip=1.0, noise_multiplier=-2), r"noise_multiplier=-2"),
    (dict(l2_norm_clip=1.0, noise_multiplier=1.0, num_microbatches=0), r"num_microbatches=0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=rf"DPKerasSGDOptimizer: .*{message}"):
        DPKerasSGDOptimizer(**kwargs)


def test_a_loss_that_is_not_per_example_is_refused_in_fit(make_data, make_model):
    x, y = make_data(32)
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"Expected one loss per example.*reduction='none'"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)


def test_microbatches_must_divide_the_batch(make_data, make_model):
    x, y = make_data(30)
    model = make_model()
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0, num_microbatches=4),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    with pytest.raises(ValueError, match=r"divisible by num_microbatches=4.*10 examples"):
        model.fit(x, y, batch_size=10, epochs=1, verbose=0)


def test_batch_normalization_is_refused_naming_the_layer(make_data):
    x, y = make_data(32)
    pf.set_seed(0)
    model = Sequential([layers.Input((6,)), layers.Dense(8),
                        layers.BatchNormalization(name="bn"), layers.Dense(3)])
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    with pytest.raises(ValueError, match=r"the layer 'bn' \(BatchNormalization\) normalizes "
                                         r"over the batch.*LayerNormalization"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.get_layer("bn").trainable = False  # frozen: its moving statistics, no mixing
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 4


def test_callbacks_name_bad_input(make_data, make_model):
    with pytest.raises(ValueError, match=r"PrivacyAccountant: Expected batch_size <= "
                                         r"num_examples=10.*batch_size=20"):
        PrivacyAccountant(10, 20)
    with pytest.raises(ValueError, match=r"Expected 0 < delta < 1.*delta=2"):
        PrivacyAccountant(100, 10, delta=2)
    with pytest.raises(ValueError, match=r"EpsilonStopping: Expected target_epsilon > 0.*"
                                         r"target_epsilon=-1"):
        EpsilonStopping(-1, 100, 10)
    x, y = make_data(32)
    model = make_model()
    model.compile(optimizer=optimizers.SGD(), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="is not a DP optimizer"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[PrivacyAccountant(32, 8)])


def test_config_round_trip():
    opt = DPKerasSGDOptimizer(0.5, 1.3, num_microbatches=8, learning_rate=0.2, momentum=0.9)
    config = opt.get_config()
    again = DPKerasSGDOptimizer.from_config(config)
    assert (again.l2_norm_clip, again.noise_multiplier, again.num_microbatches) == (0.5, 1.3, 8)
    assert again.momentum == 0.9 and again.learning_rate == pytest.approx(0.2)
    assert type(again).__name__ == "DPKerasSGDOptimizer"
    assert isinstance(again, optimizers.SGD)


def test_gradient_accumulation_makes_one_step_of_the_whole_lot(float64, make_data, make_model):
    x, y = make_data(16)
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    weights = []
    for k, batch in ((1, 16), (4, 4)):
        model = make_model()
        model(pf.constant(x[:1]))
        opt = DPKerasSGDOptimizer(0.3, 0.7, None, k, learning_rate=0.1, momentum=0.5)
        pf.set_seed(5)
        for i in range(0, 16, batch):
            with pf.GradientTape() as tape:
                per_example = loss_fn(y[i:i + batch], model(pf.constant(x[i:i + batch])))
            opt.minimize(per_example, model.trainable_variables, tape=tape)
        assert int(opt.iterations) == 1
        weights.append([v.numpy() for v in model.trainable_variables])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert DPKerasSGDOptimizer(1.0, 1.0, gradient_accumulation_steps=3).get_config()[
        "gradient_accumulation_steps"] == 3
    with pytest.raises(ValueError, match=r"gradient_accumulation_steps=0"):
        DPKerasSGDOptimizer(1.0, 1.0, gradient_accumulation_steps=0)


def test_a_saved_model_keeps_its_dp_optimizer_and_its_step_count(tmp_path, make_data, make_model):
    x, y = make_data(32)
    model = make_model()
    model.compile(optimizer=DPKerasAdamOptimizer(1.0, 1.2, None, 2, learning_rate=0.01),
                  loss=losses.SparseCategoricalCrossentropy(**PER_EXAMPLE))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "dp.keras")
    again = pf.keras.models.load_model(tmp_path / "dp.keras")
    opt = again.optimizer
    assert type(opt).__name__ == "DPKerasAdamOptimizer" and int(opt.iterations) == 2
    assert (opt.l2_norm_clip, opt.noise_multiplier, opt.gradient_accumulation_steps) == \
        (1.0, 1.2, 2)
    again.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(opt.iterations) == 4


class _FakeRank1:
    """Rank 1 of 2 (``profond.backend.replicas``'s group) whose peer holds ``other`` examples."""
    rank, size = 1, 2

    def __init__(self, weight, other):
        self.weight, self.other = weight, other

    def replica_weight(self):
        return self.weight

    def sum_over_replicas(self, array):
        return array + self.other


def test_a_rank_other_than_0_adds_no_noise_and_divides_by_all_examples(
        float64, make_data, make_model):
    from profond.backend import replicas

    x, y = make_data(8)
    model = make_model()
    model(pf.constant(x[:1]))
    loss_fn = losses.SparseCategoricalCrossentropy(**PER_EXAMPLE)
    opt = DPKerasSGDOptimizer(0.3, 5.0, gradient_accumulation_steps=2, learning_rate=0.1)
    replicas.install(_FakeRank1(weight=0.25, other=12))
    try:
        for rows in (slice(0, 4), slice(4, 8)):
            with pf.GradientTape() as tape:
                per_example = loss_fn(y[rows], model(pf.constant(x[rows])))
            pairs = opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
        # (clipped sum of its 8 examples) / (20 examples of both ranks · c_r), no noise
        expected = _by_hand(model, x, y, 0.3, 1e-300, 8, pf.random.get_state())  # (Σ clip)/8
        for (g, _), e in zip(pairs, expected):
            np.testing.assert_allclose(g, e * 8 / (20 * 0.25), rtol=0, atol=1e-12)
        for part, weight in ((x[:4], 0.25), (x[:1], 0.0)):  # then a weight-0 copied row
            replicas.install(_FakeRank1(weight=weight, other=12))
            with pf.GradientTape() as tape:
                per_example = loss_fn(y[:len(part)], model(pf.constant(part)))
            if weight:
                opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
        with pytest.raises(ValueError, match="last batch must have at least one row per rank"):
            opt.compute_gradients(per_example, model.trainable_variables, tape=tape)
    finally:
        replicas.install(None)
