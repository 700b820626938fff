"""Losses: values and gradients against PyTorch, central differences, the fused softmax / sigmoid
path (stability), sample weights, label smoothing, ignore_class, errors, get / serialize."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import losses, registry
from profond.testing import check_against_torch, gradcheck

RNG = np.random.default_rng(3)
N, K = 7, 5


def CE(t, q):  # noqa: N802 - torch's argument order is (input, target)
    return F.cross_entropy(q, t)


def probs(shape):
    return RNG.uniform(0.05, 0.95, shape)


def one_hot(labels, k=K):
    return np.eye(k)[labels]


# --- against PyTorch, values and gradients -------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_crossentropy_matches_torch(dtype):
    y, p, z = RNG.integers(0, 2, (N, 3)).astype(float), probs((N, 3)), RNG.normal(0, 3, (N, 3))
    check_against_torch(lambda t, q: losses.BinaryCrossentropy()(t, q),
                        lambda t, q: F.binary_cross_entropy(q, t), [y, p], dtype, nondiff=(0,))
    check_against_torch(lambda t, q: losses.BinaryCrossentropy(from_logits=True)(t, q),
                        lambda t, q: F.binary_cross_entropy_with_logits(q, t), [y, z], dtype,
                        nondiff=(0,))
    # the sigmoid op's output takes the fused path: same as torch's with-logits form
    check_against_torch(lambda t, q: losses.BinaryCrossentropy()(t, pf.sigmoid(q)),
                        lambda t, q: F.binary_cross_entropy_with_logits(q, t), [y, z], dtype,
                        nondiff=(0,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparse_categorical_crossentropy_matches_torch(dtype):
    labels, z, p = RNG.integers(0, K, N), RNG.normal(0, 2, (N, K)), probs((N, K))
    check_against_torch(lambda t, q: losses.SparseCategoricalCrossentropy(from_logits=True)(t, q),
                        CE, [labels, z], dtype)
    check_against_torch(lambda t, q: losses.SparseCategoricalCrossentropy()(t, pf.softmax(q)),
                        CE, [labels, z], dtype)
    # plain probabilities: Keras normalises them to sum to 1 before the log
    check_against_torch(lambda t, q: losses.SparseCategoricalCrossentropy()(t, q),
                        lambda t, q: F.nll_loss(torch.log(q / q.sum(-1, keepdim=True)), t),
                        [labels, p], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_crossentropy_matches_torch(dtype):
    y, z, p = one_hot(RNG.integers(0, K, N)), RNG.normal(0, 2, (N, K)), probs((N, K))
    check_against_torch(lambda t, q: losses.CategoricalCrossentropy(from_logits=True)(t, q),
                        CE, [y, z], dtype, nondiff=(0,))
    check_against_torch(lambda t, q: losses.CategoricalCrossentropy()(t, pf.softmax(q)),
                        CE, [y, z], dtype, nondiff=(0,))
    check_against_torch(
        lambda t, q: losses.CategoricalCrossentropy()(t, q),
        lambda t, q: -(t * torch.log(q / q.sum(-1, keepdim=True))).sum(-1).mean(), [y, p], dtype,
        nondiff=(0,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regression_losses_match_torch(dtype):
    y, p = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3)) * 2
    check_against_torch(lambda t, q: losses.MeanSquaredError()(t, q),
                        lambda t, q: F.mse_loss(q, t), [y, p], dtype, nondiff=(0,))
    check_against_torch(lambda t, q: losses.MeanAbsoluteError()(t, q),
                        lambda t, q: F.l1_loss(q, t), [y, p], dtype, nondiff=(0,))
    for delta in (1.0, 0.5):
        check_against_torch(lambda t, q, d=delta: losses.Huber(d)(t, q),
                            lambda t, q, d=delta: F.huber_loss(q, t, delta=d), [y, p], dtype,
                            nondiff=(0,))
        # smooth L1 with β is the Huber loss with δ = β, divided by β
        check_against_torch(lambda t, q, d=delta: losses.Huber(d)(t, q) / d,
                            lambda t, q, d=delta: F.smooth_l1_loss(q, t, beta=d), [y, p], dtype,
                            nondiff=(0,))


def test_kl_divergence_matches_torch():
    t, p = RNG.dirichlet(np.ones(K), N), RNG.dirichlet(np.ones(K), N)
    check_against_torch(lambda a, b: losses.KLDivergence()(a, b),
                        lambda a, b: F.kl_div(torch.log(b), a, reduction="batchmean"), [t, p],
                        nondiff=(0,))


# --- central differences in float64 --------------------------------------------------------------

GRADCHECK_CASES = {
    "bce": (lambda: (RNG.integers(0, 2, (N, 2)).astype(float), probs((N, 2))),
            losses.BinaryCrossentropy(label_smoothing=0.1)),
    "bce_logits": (lambda: (RNG.integers(0, 2, (N, 2)).astype(float), RNG.normal(size=(N, 2))),
                   losses.BinaryCrossentropy(from_logits=True)),
    "cce": (lambda: (one_hot(RNG.integers(0, K, N)), probs((N, K))),
            losses.CategoricalCrossentropy(label_smoothing=0.2)),
    "cce_logits": (lambda: (one_hot(RNG.integers(0, K, N)), RNG.normal(size=(N, K))),
                   losses.CategoricalCrossentropy(from_logits=True)),
    "scce": (lambda: (RNG.integers(0, K, N), probs((N, K))),
             losses.SparseCategoricalCrossentropy()),
    "scce_logits": (lambda: (RNG.integers(0, K, N), RNG.normal(size=(N, K))),
                    losses.SparseCategoricalCrossentropy(from_logits=True)),
    "mse": (lambda: (RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))), losses.MeanSquaredError()),
    "mae": (lambda: (RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))),
            losses.MeanAbsoluteError()),
    "mape": (lambda: (RNG.uniform(1, 2, (N, 3)), RNG.normal(size=(N, 3))),
             losses.MeanAbsolutePercentageError()),
    "msle": (lambda: (RNG.uniform(0, 2, (N, 3)), RNG.uniform(0, 2, (N, 3))),
             losses.MeanSquaredLogarithmicError()),
    "huber": (lambda: (RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3)) * 2), losses.Huber(0.7)),
    "hinge": (lambda: (RNG.choice([-1.0, 1.0], (N, 3)), RNG.normal(size=(N, 3))),
              losses.Hinge()),
    "squared_hinge": (lambda: (RNG.choice([-1.0, 1.0], (N, 3)), RNG.normal(size=(N, 3))),
                      losses.SquaredHinge()),
    "kld": (lambda: (RNG.dirichlet(np.ones(K), N), RNG.dirichlet(np.ones(K), N)),
            losses.KLDivergence()),
    "poisson": (lambda: (RNG.poisson(2, (N, 3)).astype(float), RNG.uniform(0.5, 3, (N, 3))),
                losses.Poisson()),
}


@pytest.mark.parametrize("case", sorted(GRADCHECK_CASES))
def test_gradcheck(case):
    make, loss = GRADCHECK_CASES[case]
    y, p = make()
    w = RNG.uniform(0.5, 2, N)
    assert gradcheck(lambda t, q: loss(t, q), [y, p], nondiff=(0,))
    assert gradcheck(lambda t, q: loss(t, q, sample_weight=w), [y, p], nondiff=(0,))


def test_gradcheck_through_softmax_and_sigmoid():
    labels, z = RNG.integers(0, K, N), RNG.normal(size=(N, K))
    assert gradcheck(lambda q: losses.sparse_categorical_crossentropy(labels, pf.softmax(q)), [z])
    y = RNG.integers(0, 2, (N, 1)).astype(float)
    assert gradcheck(lambda q: losses.binary_crossentropy(y, pf.sigmoid(q)), [z[:, :1]])


# --- stability: softmax / sigmoid output followed by cross-entropy ------------------------------


def test_softmax_output_with_huge_logits_is_as_stable_as_from_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [0.0, 0.0, 1000.0]], "float32")
    labels = np.array([1, 1, 0])  # rows 0 and 2 put ~all mass on a wrong class
    x = pf.Variable(z)
    with pf.GradientTape() as tape:
        loss = losses.SparseCategoricalCrossentropy()(labels, pf.softmax(x))
    (g,) = tape.gradient(loss, [x])
    ref = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, pf.constant(z))
    assert np.isfinite(float(loss)) and float(loss) == pytest.approx(float(ref))
    assert float(loss) == pytest.approx((2000.0 + 0.0 + 1000.0) / 3, rel=1e-6)
    assert np.all(np.isfinite(g.numpy()))
    np.testing.assert_allclose(g.numpy(), (pf.softmax(z).numpy() - np.eye(3)[labels]) / 3,
                               atol=1e-7)
    # the categorical form too
    with pf.GradientTape() as tape:
        loss = losses.CategoricalCrossentropy()(np.eye(3)[labels], pf.softmax(x))
    assert float(loss) == pytest.approx(float(ref))
    assert np.all(np.isfinite(tape.gradient(loss, [x])[0].numpy()))


def test_softmax_inside_a_dense_model_takes_the_fused_path():
    x, w, b = RNG.normal(size=(N, 4)), pf.Variable(RNG.normal(size=(4, K)) * 500), pf.Variable(
        np.zeros(K))
    labels = RNG.integers(0, K, N)
    with pf.GradientTape() as tape:
        loss = losses.get("sparse_categorical_crossentropy")(
            labels, pf.softmax(pf.dense(pf.constant(x), w, b)))
    with pf.GradientTape() as tape2:
        ref = losses.SparseCategoricalCrossentropy(from_logits=True)(
            labels, pf.dense(pf.constant(x), w, b))
    assert float(loss) == pytest.approx(float(ref), rel=1e-6) and float(loss) > 100
    for g, r in zip(tape.gradient(loss, [w, b]), tape2.gradient(ref, [w, b])):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-6)


def test_sigmoid_output_with_extreme_logits_is_finite():
    z = np.array([[100.0], [-100.0], [30.0], [-30.0]], "float32")
    y = np.array([[0.0], [1.0], [1.0], [0.0]], "float32")
    x = pf.Variable(z)
    with pf.GradientTape() as tape:
        loss = losses.BinaryCrossentropy()(y, pf.sigmoid(x))
    (g,) = tape.gradient(loss, [x])
    ref = losses.BinaryCrossentropy(from_logits=True)(y, z)
    assert float(loss) == pytest.approx(float(ref)) and float(loss) == pytest.approx(50, rel=1e-4)
    assert np.all(np.isfinite(g.numpy()))


def test_probabilities_without_a_softmax_are_clipped():
    p = pf.constant([[1.0, 0.0], [0.0, 1.0]])
    value = float(losses.SparseCategoricalCrossentropy()([1, 1], p))
    assert value == pytest.approx(-np.log(1e-7) / 2, rel=1e-3)
    with pf.no_grad():  # no recorded softmax: the clipped path, still finite
        q = pf.softmax(pf.constant([[1000.0, -1000.0]]))
        assert np.isfinite(float(losses.sparse_categorical_crossentropy([1], q)[0]))
    assert np.isfinite(float(losses.BinaryCrossentropy()([[1.0], [0.0]], [[0.0], [1.0]])))


# --- options -------------------------------------------------------------------------------------


def test_sample_weight_and_reductions():
    y, p = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))
    per = ((y - p) ** 2).mean(-1)
    w = RNG.uniform(0, 2, N)
    mse = losses.MeanSquaredError()
    assert float(mse(y, p)) == pytest.approx(per.mean(), rel=1e-6)
    assert float(mse(y, p, sample_weight=w)) == pytest.approx((w * per).sum() / N, rel=1e-5)
    assert float(mse(y, p, sample_weight=w[:, None])) == pytest.approx((w * per).sum() / N,
                                                                       rel=1e-5)
    assert float(losses.MeanSquaredError(reduction="sum")(y, p)) == pytest.approx(per.sum(),
                                                                                rel=1e-5)
    assert float(losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        y, p, sample_weight=w)) == pytest.approx((w * per).sum() / w.sum(), rel=1e-5)
    none = losses.MeanSquaredError(reduction="none")(y, p, sample_weight=w)
    np.testing.assert_allclose(none.numpy(), w * per, rtol=1e-5)
    with pytest.raises(ValueError, match="sample_weight"):
        mse(y, p, sample_weight=np.ones(N + 1))
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_label_smoothing():
    labels, z = RNG.integers(0, K, N), RNG.normal(size=(N, K))
    got = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(one_hot(labels),
                                                                                 z)
    ref = F.cross_entropy(torch.tensor(z), torch.tensor(labels), label_smoothing=0.1)
    assert float(got) == pytest.approx(ref.item(), rel=1e-6)
    y, q = RNG.integers(0, 2, (N, 1)).astype(float), probs((N, 1))
    smooth = y * 0.8 + 0.1
    got = losses.BinaryCrossentropy(label_smoothing=0.2)(y, q)
    ref = -(smooth * np.log(q) + (1 - smooth) * np.log(1 - q)).mean()
    assert float(got) == pytest.approx(ref, rel=1e-5)


def test_ignore_class_matches_torch_ignore_index():
    labels, z = RNG.integers(0, K, N), RNG.normal(size=(N, K))
    labels[[1, 4]] = -1
    check_against_torch(
        lambda t, q: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(t, q),
        lambda t, q: F.cross_entropy(q, t, ignore_index=-1), [labels, z])
    per = losses.sparse_categorical_crossentropy(labels, z, from_logits=True, ignore_class=-1)
    assert per.numpy()[1] == 0 and per.numpy()[4] == 0


def test_label_shapes_accepted_as_keras_does():
    labels, z = RNG.integers(0, K, N), RNG.normal(size=(N, K)).astype("float32")
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert float(scce(labels[:, None], z)) == pytest.approx(float(scce(labels, z)))
    assert float(scce(labels.astype("float32"), z)) == pytest.approx(float(scce(labels, z)))
    y, p = RNG.normal(size=N), RNG.normal(size=(N, 1))
    assert float(losses.mse(y, p).mean()) == pytest.approx(((y - p[:, 0]) ** 2).mean(), rel=1e-5)
    assert losses.mean_squared_error(y[:, None], p[:, 0]).shape == (N,)


def test_function_forms_return_one_loss_per_sample():
    y, p = RNG.integers(0, 2, (N, 3)).astype(float), probs((N, 3))
    assert losses.binary_crossentropy(y, p).shape == (N,)
    assert losses.mean_absolute_error(y, p).shape == (N,)
    assert losses.categorical_crossentropy(one_hot([0, 1]), probs((2, K))).shape == (2,)
    assert losses.huber(y, p, delta=2.0).shape == (N,)


def test_categorical_crossentropy_along_another_axis():
    z = RNG.normal(size=(K, N))
    y = one_hot(RNG.integers(0, K, N)).T
    got = losses.CategoricalCrossentropy(from_logits=True, axis=0)(y, z)
    ref = losses.CategoricalCrossentropy(from_logits=True)(y.T, z.T)
    assert float(got) == pytest.approx(float(ref), rel=1e-6)
    got = losses.categorical_crossentropy(y, pf.softmax(z, axis=0), axis=0)
    np.testing.assert_allclose(got.numpy(), losses.categorical_crossentropy(
        y.T, z.T, from_logits=True).numpy(), rtol=1e-5)


# --- errors --------------------------------------------------------------------------------------


def test_errors_name_the_loss_and_the_shapes():
    z = RNG.normal(size=(N, K))
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*label value of 5"):
        scce(np.full(N, K), z)
    with pytest.raises(ValueError, match="label value of -1"):
        losses.SparseCategoricalCrossentropy()(np.full(N, -1), probs((N, K)))
    with pytest.raises(ValueError, match="one-hot"):
        scce(one_hot(RNG.integers(0, K, N)), z)
    with pytest.raises(ValueError, match="integer class labels"):
        scce(np.full(N, 0.5), z)
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(7,\).*\(7, 5\).*Sparse"):
        losses.CategoricalCrossentropy()(RNG.integers(0, K, N), z)
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(7, 2\).*\(7, 3\)"):
        losses.MeanSquaredError()(np.zeros((N, 2)), np.zeros((N, 3)))
    with pytest.raises(ValueError, match="binary_crossentropy"):
        losses.BinaryCrossentropy()(np.zeros((N, 2)), np.full((N, 3), 0.5))


# --- get / serialize -----------------------------------------------------------------------------


@pytest.mark.parametrize("name,cls", [
    ("mse", losses.MeanSquaredError), ("mae", losses.MeanAbsoluteError),
    ("mean_squared_error", losses.MeanSquaredError), ("huber", losses.Huber),
    ("binary_crossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
    ("kld", losses.KLDivergence), ("hinge", losses.Hinge),
])
def test_get_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_other_identifiers():
    loss = losses.Huber(2.0)
    assert losses.get(loss) is loss and losses.get(None) is None
    assert isinstance(losses.get(losses.MeanSquaredError), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.mean_squared_error), losses.MeanSquaredError)
    custom = losses.get(lambda t, q: pf.reduce_mean(pf.abs(q - t) ** 3, -1))
    assert float(custom([[0.0, 0.0]], [[1.0, 2.0]])) == pytest.approx(4.5)
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get("msee")


@pytest.mark.parametrize("loss", [
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.CategoricalCrossentropy(axis=1, name="cce"),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
    losses.Huber(delta=2.5, reduction="sum"),
    losses.MeanSquaredError(), losses.KLDivergence(),
    losses.LossFunctionWrapper(losses.mean_absolute_error, name="l1"),
])
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == "losses." + type(loss).__name__
    for back in (losses.deserialize(config), registry.deserialize(config), losses.get(config)):
        assert type(back) is type(loss) and back.get_config() == loss.get_config()
    y, z = one_hot(RNG.integers(0, 3, 4), 4), probs((4, 4))
    if not isinstance(loss, losses.SparseCategoricalCrossentropy):
        assert float(back(y, z)) == pytest.approx(float(loss(y, z)))


def test_softmax_output_uses_logits_form_without_recording_too():
    """evaluate/predict run under no_grad: the stable form must not depend on the graph."""
    z = pf.constant([[1000.0, -1000.0, 0.0]])
    with pf.no_grad():
        sparse = losses.SparseCategoricalCrossentropy()(np.array([1]), pf.softmax(z))
        binary = losses.BinaryCrossentropy()(np.array([[1.0]]), pf.sigmoid(pf.constant([[-500.0]])))
    assert float(sparse) == 2000.0
    assert float(binary) == 500.0
