"""FedAvg / FedProx: a round is the size-weighted average of the client models (checked against
client steps computed by hand), FedProx's proximal term, client sampling, DP clipping and noise,
the MPI run equal to the simulated one, and bad input."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import profond as tf
from profond.distribute.mpi import find_mpiexec
from profond.federated import FedAvg, FedProx, iid_split

HERE = pathlib.Path(__file__).parent
RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * RNG.normal(size=(40, 1))).astype("float32")
CLIENTS = [np.arange(0, 7), np.arange(7, 20), np.arange(20, 40)]  # sizes 7, 13, 20
LR = 0.1


def linear_model(units=1, inputs=3):
    tf.set_seed(1)
    model = tf.keras.Sequential([tf.keras.Input((inputs,)), tf.keras.layers.Dense(units)])
    model.compile(optimizer=tf.keras.optimizers.SGD(LR), loss="mse")
    return model


def gd_steps(w, b, x, y, steps, mu=0.0):
    """``steps`` full-batch steps of SGD on the MSE of x @ w + b (+ μ/2 ‖(w, b) − start‖²),
    by hand in float64."""
    w0, b0 = w.copy(), b.copy()
    for _ in range(steps):
        r = x @ w + b - y
        gw = 2 * x.T @ r / r.size + mu * (w - w0)
        gb = 2 * r.sum(axis=0) / r.size + mu * (b - b0)
        w, b = w - LR * gw, b - LR * gb
    return w, b


def by_hand(model, clients, steps, mu=0.0, weights=None):
    """The size-weighted average of the client models, each trained by hand."""
    w, b = (a.astype(np.float64) for a in model.get_weights())
    trained = [gd_steps(w, b, X[c].astype(np.float64), Y[c].astype(np.float64), steps, mu)
               for c in clients]
    n = np.array([len(c) for c in clients], dtype=np.float64) if weights is None else weights
    return [sum(k * t[i] for k, t in zip(n, trained)) / n.sum() for i in range(2)]


@pytest.mark.parametrize("local_epochs", [1, 3])
def test_one_round_is_the_size_weighted_average_of_the_client_models(local_epochs):
    model = linear_model()
    expected = by_hand(model, CLIENTS, local_epochs)
    # batch_size ≥ every client's size: each local epoch is one full-batch step
    FedAvg(model, local_epochs=local_epochs, batch_size=64, seed=0).fit(X, Y, CLIENTS, rounds=1)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if local_epochs == 1:  # FedSGD: one full-batch gradient step on all the data
        w, b = by_hand(linear_model(), [np.arange(40)], 1)
        np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)


def test_client_sampling_averages_only_the_sampled_clients():
    model = linear_model()
    fed = FedAvg(model, clients_per_round=2, batch_size=64, seed=7)
    picked = [tuple(fed.sample_clients(r, 3)) for r in range(12)]
    assert all(len(set(p)) == 2 for p in picked) and len(set(picked)) > 1  # varies by round
    assert picked == [tuple(FedAvg(model, clients_per_round=2, seed=7).sample_clients(r, 3))
                      for r in range(12)]
    expected = by_hand(model, [CLIENTS[k] for k in picked[0]], 1)
    fed.fit(X, Y, CLIENTS, rounds=1)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_fedprox_adds_the_proximal_term_to_the_clients_cost():
    model = linear_model()
    expected = by_hand(model, CLIENTS, 3, mu=0.5)
    assert not np.allclose(expected[0], by_hand(model, CLIENTS, 3)[0], atol=1e-4)  # μ matters
    FedProx(model, mu=0.5, local_epochs=3, batch_size=64, seed=0).fit(X, Y, CLIENTS, rounds=1)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_fedprox_term_value_and_mu_zero_is_fedavg():
    model = linear_model()
    fed = FedProx(model, mu=0.3)
    anchor = [v.numpy() + 1.5 for v in model.trainable_variables]  # 4 weights, each 1.5 away
    value = fed._proximal(model.trainable_variables, anchor)
    np.testing.assert_allclose(float(value.numpy()), 0.3 / 2 * 4 * 1.5**2, rtol=1e-6)
    a, b = linear_model(), linear_model()
    FedProx(a, mu=0.0, local_epochs=2, batch_size=8, seed=3).fit(X, Y, CLIENTS, rounds=2)
    FedAvg(b, local_epochs=2, batch_size=8, seed=3).fit(X, Y, CLIENTS, rounds=2)
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(p, q)


def test_fedavg_learns_and_reports_validation_metrics():
    model = linear_model()
    fed = FedAvg(model, local_epochs=2, batch_size=5, seed=0)
    history = fed.fit(X, Y, iid_split(Y, 4, seed=0), rounds=10, validation_data=(X, Y))
    assert sorted(history.history) == ["loss", "val_loss"]
    assert len(history.history["loss"]) == 10 and fed.round == 10
    assert history.history["val_loss"][-1] < 0.05 < history.history["val_loss"][0]


def test_dp_clips_each_client_update():
    model = linear_model()
    fed = FedAvg(model, local_epochs=3, batch_size=64, clip_norm=0.05, noise_multiplier=1.0)
    raw = FedAvg(model, local_epochs=3, batch_size=64)
    weights = model.get_weights()
    update, _ = fed.client_update(weights, X[:20], Y[:20], 0, 0)
    plain, _ = raw.client_update(weights, X[:20], Y[:20], 0, 0)
    norm = np.sqrt(sum((u**2).sum() for u in plain))
    assert norm > 0.05
    np.testing.assert_allclose(np.sqrt(sum((u**2).sum() for u in update)), 0.05, rtol=1e-9)
    for u, p in zip(update, plain):  # same direction
        np.testing.assert_allclose(u, p * 0.05 / norm, rtol=1e-6)


def test_dp_adds_gaussian_noise_of_std_z_s_over_m_to_the_uniform_average():
    model = linear_model(units=40, inputs=25)  # 1,040 weights
    x = RNG.normal(size=(30, 25)).astype("float32")
    y = RNG.normal(size=(30, 40)).astype("float32")
    clients = [np.arange(0, 5), np.arange(5, 30)]
    start = model.get_weights()
    fed = FedAvg(model, batch_size=64, clip_norm=1e6, noise_multiplier=2e-8, seed=0)
    updates = [fed.client_update(start, x[c], y[c], 0, k)[0] for k, c in enumerate(clients)]
    model.set_weights(start)
    fed.fit(x, y, clients, rounds=1)
    # uniform weights (1/m, not n_k / n) and noise of standard deviation z·S/m = 0.01
    noise = np.concatenate([(w - s - (u0 + u1) / 2).ravel() for w, s, u0, u1
                            in zip(model.get_weights(), start, *updates)])
    assert abs(noise.std() - 0.01) < 0.001 and abs(noise.mean()) < 0.001


def test_bad_arguments_are_named():
    model = linear_model()
    with pytest.raises(ValueError, match=r"FedAvg: Expected a model compiled"):
        FedAvg(tf.keras.Sequential([tf.keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match=r"Expected clip_norm and noise_multiplier together"):
        FedAvg(model, clip_norm=1.0)
    with pytest.raises(ValueError, match=r"Expected noise_multiplier > 0.*=0"):
        FedAvg(model, clip_norm=1.0, noise_multiplier=0)
    with pytest.raises(ValueError, match=r"Expected clip_norm > 0.*=-1"):
        FedAvg(model, clip_norm=-1, noise_multiplier=1.0)
    with pytest.raises(ValueError, match=r"Expected local_epochs a positive integer.*=0"):
        FedAvg(model, local_epochs=0)
    with pytest.raises(ValueError, match=r"Expected seed a non-negative integer.*seed=1.5"):
        FedAvg(model, seed=1.5)
    with pytest.raises(ValueError, match=r"FedProx: Expected mu >= 0.*mu=-0.1"):
        FedProx(model, mu=-0.1)
    fed = FedAvg(model, clients_per_round=4)
    with pytest.raises(ValueError, match=r"clients_per_round <= the number of clients \(3\)"):
        fed.fit(X, Y, CLIENTS)
    with pytest.raises(ValueError, match=r"non-empty index arrays"):
        FedAvg(model).fit(X, Y, [np.arange(3), np.array([], dtype=int)])
    with pytest.raises(ValueError, match=r"Expected rounds a positive integer.*rounds=0"):
        FedAvg(model).fit(X, Y, CLIENTS, rounds=0)


MPIEXEC = find_mpiexec()


@pytest.mark.slow
@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (the mpi extra installs mpich)")
@pytest.mark.parametrize("clients,strategy", [(2, False), (3, False), (2, True)])
def test_mpi_ranks_as_clients_equal_the_simulated_clients(tmp_path, clients, strategy):
    """FedProx with dropout, 3 rounds; with 3 clients 2 are sampled per round. Each rank starts
    from other weights: fit_mpi must start everyone from rank 0's. Under a
    MultiWorkerMirroredStrategy each client still trains alone."""
    pytest.importorskip("mpi4py")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    script = [sys.executable, str(HERE / "mpi_fedavg.py"), "--clients", str(clients)]
    one, many = tmp_path / "one.npz", tmp_path / "many.npz"
    for command in (script + ["--out", str(one)],
                    [MPIEXEC, "-n", str(clients), *script, "--mpi", "--out", str(many)]
                    + ["--strategy"] * strategy):
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    with np.load(one) as a, np.load(many) as b:
        assert len(a.files) == 4
        for k in a.files:
            np.testing.assert_allclose(b[k], a[k], atol=1e-6, rtol=0)
    h1, h2 = (json.loads(pathlib.Path(f"{p}.json").read_text()) for p in (one, many))
    assert sorted(h1) == ["loss", "val_accuracy", "val_loss"] and len(h1["loss"]) == 3
    for key in h1:
        np.testing.assert_allclose(h2[key], h1[key], rtol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (the mpi extra installs mpich)")
def test_a_failing_client_rank_stops_the_others(tmp_path):
    pytest.importorskip("mpi4py")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = tmp_path / "x.npz"
    done = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(HERE / "mpi_fedavg.py"),
                           "--mpi", "--fail-rank", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert "rank 1 of 2 failed in FedProx.fit_mpi: stopping every rank" in done.stderr
    assert not out.exists()
