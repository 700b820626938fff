"""BatchNormalization(synchronized=True) in one process (the MPI runs are in test_mpi.py):
without a process group it is plain batch normalization; with two ranks played by two threads
of this process, its outputs, gradients and moving statistics are those of the global batch;
under two identical ranks its gradients pass a numerical check through ``replica_sum``."""

import threading

import numpy as np
import pytest

import profond as tf
from profond.backend import replicas
from profond.layers import BatchNormalization
from profond.ops.collective import replica_sum
from profond.testing import gradcheck
from profond.testing.layer_test import run_layer_test


class Twins:
    """A process group of two ranks holding the same data: a sum over the ranks doubles, and
    each rank carries half of the step (c_r = 1/2, as ``fit`` gives two equal slices)."""

    size = 2

    def sum_over_replicas(self, array):
        return np.asarray(array) * 2

    def replica_weight(self):
        return 0.5


class ThreadRanks:
    """Two ranks played by two threads: each sum over the ranks meets at a barrier. Rank r
    carries c_r = rows_r / rows of the step, as in ``fit``."""

    size = 2

    def __init__(self, rows):
        self.weights = [r / sum(rows) for r in rows]
        self.barrier = threading.Barrier(2, timeout=30)
        self.slots = [None, None]
        self.local = threading.local()

    def sum_over_replicas(self, array):
        self.slots[self.local.rank] = np.asarray(array)
        self.barrier.wait()
        total = self.slots[0] + self.slots[1]
        self.barrier.wait()
        return total

    def replica_weight(self):
        return self.weights[self.local.rank]

    def run(self, fn, *per_rank):
        """``fn(*args)`` on both ranks at once; their results, rank 0's first."""
        results, errors = [None, None], []

        def rank(r):
            self.local.rank = r
            try:
                results[r] = fn(*[args[r] for args in per_rank])
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                self.barrier.abort()

        threads = [threading.Thread(target=rank, args=(r,)) for r in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results


def test_two_ranks_of_unequal_slices_see_the_global_batch():
    """Rows 0-4 on rank 0, 5-7 on rank 1; rank r's loss L_r = Σ u_r ⊙ y_r / c_r, so that
    Σ_r c_r L_r is the global loss Σ u ⊙ y. Outputs, moving statistics, c_r ∂L_r/∂x_r and
    Σ_r c_r ∂L_r/∂γ (what the gradient all-reduce forms) equal one process's on all 8 rows."""
    x, u = data((8, 3, 2, 4))
    plain = train_step(BatchNormalization(momentum=0.5, dtype="float64"), x, u)
    group = ThreadRanks([5, 3])
    parts = ([x[:5], x[5:]], [u[:5] / group.weights[0], u[5:] / group.weights[1]])
    replicas.install(group)
    try:
        ranks = group.run(lambda x, u: train_step(
            BatchNormalization(momentum=0.5, synchronized=True, dtype="float64"), x, u), *parts)
        moments = group.run(lambda x: [t.numpy() for t in tf.keras.ops.moments(
            x, axes=[0, 1, 2], synchronized=True)], parts[0])
    finally:
        replicas.install(None)
    (y0, gx0, gg0, gb0, mm0, mv0), (y1, gx1, gg1, gb1, mm1, mv1) = ranks
    c0, c1 = group.weights
    np.testing.assert_allclose(np.concatenate([y0, y1]), plain[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([c0 * gx0, c1 * gx1]), plain[1], rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(c0 * gg0 + c1 * gg1, plain[2], rtol=1e-10)
    np.testing.assert_allclose(c0 * gb0 + c1 * gb1, plain[3], rtol=1e-10)
    for got in ((mm0, mv0), (mm1, mv1)):
        np.testing.assert_allclose(got[0], plain[4], rtol=1e-10)
        np.testing.assert_allclose(got[1], plain[5], rtol=1e-10)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    for m, v in moments:  # keras.ops.moments(synchronized=True): the global batch's
        np.testing.assert_allclose(m, mean, rtol=1e-10)
        np.testing.assert_allclose(v, var, rtol=1e-10)


@pytest.fixture
def twins():
    replicas.install(Twins())
    yield
    replicas.install(None)


def train_step(layer, x, u):
    """One training forward pass with upstream gradient ``u``: y, [∂x, ∂γ, ∂β], moving stats."""
    xt = tf.Variable(x, dtype="float64")
    with tf.GradientTape() as tape:
        y = layer(xt, training=True)
        loss = tf.reduce_sum(y * u)
    grads = tape.gradient(loss, [xt, layer.gamma, layer.beta])
    return ([y.numpy()] + [g.numpy() for g in grads]
            + [layer.moving_mean.numpy(), layer.moving_variance.numpy()])


def data(shape=(5, 3, 2, 4)):
    rng = np.random.default_rng(0)
    return rng.normal(1.5, 2.0, shape), rng.normal(size=shape)


def test_without_a_process_group_it_is_plain_batch_norm():
    x, u = data()
    plain = train_step(BatchNormalization(momentum=0.5, dtype="float64"), x, u)
    synced = train_step(BatchNormalization(momentum=0.5, synchronized=True, dtype="float64"),
                        x, u)
    for a, b in zip(plain, synced):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_two_identical_ranks_see_the_global_batch(twins):
    """The global batch is x twice: the same statistics as x alone, so the outputs, moving
    statistics and gradients are plain BN's on x. A backward that forgot to sum over the ranks
    (or to divide by c_r) would be off by a factor 2."""
    x, u = data()
    synced = train_step(BatchNormalization(momentum=0.5, synchronized=True, dtype="float64"),
                        x, u)
    replicas.install(None)
    plain = train_step(BatchNormalization(momentum=0.5, dtype="float64"), x, u)
    for a, b in zip(plain, synced):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_gradcheck_through_the_sum_over_ranks(twins):
    """Moving x moves both twins' data: the numerical derivative is Σ_s c_s ∂L_s/∂x / c_r,
    what the backward of replica_sum computes."""
    x, _ = data((4, 3))
    gamma = np.random.default_rng(1).normal(size=(3,))
    layer = BatchNormalization(synchronized=True, dtype="float64")
    layer.build((4, 3))

    assert gradcheck(lambda x: layer._synchronized(x, None, None)[0], [x])
    assert gradcheck(lambda x: replica_sum(x * x), [x])
    assert gradcheck(lambda x, g: layer._synchronized(x, g, None)[0],
                     [x, gamma])


def test_second_order_through_replica_sum(twins):
    x = tf.Variable(np.array([1.0, -2.0, 3.0]), dtype="float64")
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(replica_sum(x * x * x))
        g = inner.gradient(y, x)  # (Σ_s c_s 3x²) / c_r = 2 · 3x² for twins
        z = tf.reduce_sum(g)
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy() ** 2)
    np.testing.assert_allclose(outer.gradient(z, x).numpy(), 12 * x.numpy())


def test_the_layer_contract_and_config_with_synchronized():
    run_layer_test(BatchNormalization, {"synchronized": True, "momentum": 0.5}, (4, 3, 3, 2),
                   (4, 3, 3, 2), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=2)
    layer = BatchNormalization(synchronized=True)
    assert layer.get_config()["synchronized"] is True
    assert BatchNormalization.from_config(layer.get_config()).synchronized is True


def test_synchronized_must_be_a_boolean():
    with pytest.raises(ValueError, match="synchronized"):
        BatchNormalization(synchronized="yes")
