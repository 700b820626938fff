"""DEC: the Student-t soft assignments (gradient, PyTorch, layer contract), the target
distribution by hand, k-means initialisation, self-training, and bad input."""

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

import profond as pf
from profond.testing import check_against_torch, gradcheck
from profond.testing.layer_test import check_layer_against_torch, run_layer_test
from profond.unsupervised import (
    DEC,
    ClusteringLayer,
    dense_autoencoder,
    soft_assignments,
    target_distribution,
)


def torch_soft_assignments(z, mu, alpha):
    d2 = ((z[:, None, :] - mu[None]) ** 2).sum(-1)
    kernel = (1 + d2 / alpha) ** (-(alpha + 1) / 2)
    return kernel / kernel.sum(-1, keepdim=True)


@pytest.mark.parametrize("alpha", [1.0, 2.5])
def test_soft_assignments_gradient_float64(alpha):
    rng = np.random.default_rng(1)
    z, mu = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    assert gradcheck(lambda a, b: soft_assignments(a, b, alpha), [z, mu])
    check_against_torch(lambda a, b: soft_assignments(a, b, alpha),
                        lambda a, b: torch_soft_assignments(a, b, alpha), [z, mu])


def test_soft_assignments_by_hand():
    z = np.array([[0.0, 0.0], [3.0, 0.0]])
    mu = np.array([[0.0, 0.0], [1.0, 0.0]])
    q = soft_assignments(pf.constant(z), pf.constant(mu), alpha=1.0).numpy()
    # α = 1: kernel 1 / (1 + d²); sample 0: d² = 0, 1 → (1, 1/2); sample 1: d² = 9, 4 → (1/10, 1/5)
    np.testing.assert_allclose(q, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]], rtol=1e-12)


def test_clustering_layer_contract():
    run_layer_test(ClusteringLayer, {"n_clusters": 3, "alpha": 2.0}, (6, 4), (6, 3),
                   expected_num_trainable_weights=1)


def test_clustering_layer_against_torch_float64():
    layer = ClusteringLayer(4, alpha=1.5, dtype="float64")
    x = np.random.default_rng(2).normal(size=(7, 3))
    layer(x)
    check_layer_against_torch(layer, lambda x, w: torch_soft_assignments(x, w[0], 1.5), x)


def test_target_distribution_by_hand():
    q = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    f = q.sum(axis=0)                                     # (1.6, 1.4)
    expected = np.array([[0.25 / f[0], 0.25 / f[1]], [0.81 / f[0], 0.01 / f[1]],
                         [0.04 / f[0], 0.64 / f[1]]])
    expected /= expected.sum(axis=1, keepdims=True)
    p = target_distribution(q)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    # sharper than q: the more probable cluster of each sample gains
    assert np.all(p.max(axis=1) > q.max(axis=1))
    with pytest.raises(ValueError, match="Received: q=\\(3,\\)"):
        target_distribution(np.ones(3))


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [6, 6, 0, 0], [0, 6, 6, 6]], float)
    y = rng.integers(0, 3, n)
    return (centres[y] + rng.normal(size=(n, 4))).astype("float32"), y


def test_initialize_sets_kmeans_centres_and_fit_trains():
    from sklearn.cluster import KMeans

    pf.keras.utils.set_random_seed(0)
    x, y = blobs()
    ae = dense_autoencoder((4,), latent_dim=2, hidden=(16,))
    ae.compile(optimizer="adam", loss="mse")
    ae.fit(x, x, epochs=30, batch_size=32, verbose=0)
    encoder = ae.get_layer("encoder")
    dec = DEC(encoder, n_clusters=3)
    labels = dec.initialize(x, seed=0)
    codes = encoder.predict(x, verbose=0)
    centres = KMeans(3, n_init=20, random_state=0).fit(codes).cluster_centers_
    np.testing.assert_allclose(dec.clustering.get_weights()[0], centres, rtol=1e-5, atol=1e-5)
    assert normalized_mutual_info_score(y, labels) > 0.9
    weights_before = [w.copy() for w in encoder.get_weights()]
    run = dec.fit(x, max_iter=60, batch_size=32, update_interval=10, tol=0.0, seed=0, verbose=0)
    assert run["iterations"] == 60 and len(run["loss"]) == 5 and len(run["delta_label"]) == 5
    assert all(np.isfinite(run["loss"]))
    # the encoder itself is refined, not only the centroids
    assert any(not np.allclose(a, b) for a, b in zip(weights_before, encoder.get_weights()))
    assert normalized_mutual_info_score(y, dec.predict(x)) > 0.9
    q = dec.predict_proba(x)
    assert q.shape == (len(x), 3)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-5)


def test_initialize_from_labels_uses_group_means():
    x, y = blobs(60)
    encoder = dense_autoencoder((4,), latent_dim=2, hidden=(8,)).get_layer("encoder")
    dec = DEC(encoder, n_clusters=3)
    assert np.array_equal(dec.initialize(x, labels=y), y)
    codes = encoder.predict(x, verbose=0)
    np.testing.assert_allclose(dec.clustering.get_weights()[0],
                               [codes[y == j].mean(axis=0) for j in range(3)], rtol=1e-5)


def test_fit_stops_when_labels_settle():
    pf.keras.utils.set_random_seed(0)
    x, _ = blobs(90)
    encoder = dense_autoencoder((4,), latent_dim=2, hidden=(8,)).get_layer("encoder")
    dec = DEC(encoder, n_clusters=3)
    dec.initialize(x, seed=0)
    run = dec.fit(x, max_iter=500, batch_size=30, update_interval=5, tol=0.5, seed=0, verbose=0)
    assert run["iterations"] == 5 and run["delta_label"][-1] < 0.5


def test_dec_model_saves_and_loads(tmp_path):
    x, _ = blobs(30)
    encoder = dense_autoencoder((4,), latent_dim=2, hidden=(8,)).get_layer("encoder")
    dec = DEC(encoder, n_clusters=3)
    dec.initialize(x, seed=0)
    path = tmp_path / "dec.profond"
    dec.model.save(path)
    loaded = pf.keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), dec.predict_proba(x), rtol=1e-6)


def test_bad_input():
    encoder = dense_autoencoder((4,), latent_dim=2, hidden=(8,)).get_layer("encoder")
    with pytest.raises(ValueError, match="n_clusters=0"):
        DEC(encoder, n_clusters=0)
    with pytest.raises(ValueError, match="n_clusters=-2"):
        ClusteringLayer(-2)
    with pytest.raises(ValueError, match="alpha=0"):
        ClusteringLayer(2, alpha=0)
    dec = DEC(encoder, n_clusters=5)
    with pytest.raises(ValueError, match=r"at least n_clusters=5 samples.*shape \(3, 4\)"):
        dec.initialize(np.zeros((3, 4), "float32"))
    with pytest.raises(ValueError, match=r"each of 0..4 used.*values \[0, 1\]"):
        dec.initialize(np.zeros((8, 4), "float32"), labels=[0, 1] * 4)
    with pytest.raises(ValueError, match="update_interval=0"):
        dec.fit(np.zeros((8, 4), "float32"), update_interval=0)
    with pytest.raises(ValueError, match="ClusteringLayer.*input_shape=\\(None, 3, 4\\)"):
        ClusteringLayer(2)(np.zeros((2, 3, 4), "float32"))

