"""``Sampling`` (reparameterisation), the VAE's loss terms, its train/test steps and ELBO."""

import numpy as np
import pytest

import profond as pf
from profond.generative import VAE, Sampling, kl_divergence, reconstruction_loss
from profond.testing import check_against_torch, gradcheck, run_layer_test

L = pf.keras.layers


def _eps(shape, seed):
    """The ε a fresh ``Sampling(seed=seed)`` draws first."""
    return np.random.default_rng(seed).standard_normal(shape)


def test_sampling_is_mu_plus_sigma_eps_with_its_seeded_noise():
    rng = np.random.default_rng(1)
    mu, log_var = rng.standard_normal((2, 4, 3)).astype("float32")
    z = Sampling(seed=7)([pf.constant(mu), pf.constant(log_var)]).numpy()
    expected = mu + np.exp(0.5 * log_var) * _eps((4, 3), 7).astype("float32")
    np.testing.assert_allclose(z, expected, rtol=1e-6, atol=1e-6)
    layer = Sampling(seed=7)
    first = layer([pf.constant(mu), pf.constant(log_var)]).numpy()
    second = layer([pf.constant(mu), pf.constant(log_var)]).numpy()
    assert not np.allclose(first, second)  # a fresh ε at every call
    inference = Sampling()([pf.constant(mu), pf.constant(log_var)], training=False).numpy()
    np.testing.assert_array_equal(inference, mu)


def test_sampling_gradient_float64_and_against_torch():
    import torch

    rng = np.random.default_rng(0)
    mu, log_var = rng.standard_normal((2, 5, 3))
    eps = _eps((5, 3), 3)

    def sample(m, lv):
        return Sampling(seed=3, dtype="float64")([m, lv])

    assert gradcheck(sample, [mu, log_var])
    check_against_torch(sample, lambda m, lv: m + torch.exp(0.5 * lv) * torch.from_numpy(eps),
                        [mu, log_var])


def test_sampling_statistics_match_the_gaussian():
    mu = np.full((20000, 2), [1.0, -2.0], dtype="float32")
    log_var = np.log(np.full((20000, 2), [4.0, 0.25], dtype="float32"))
    z = Sampling(seed=0)([pf.constant(mu), pf.constant(log_var)]).numpy()
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [2.0, 0.5], rtol=0.03)


def test_sampling_layer_contract():
    run_layer_test(Sampling, {"seed": 1}, [(4, 3), (4, 3)], (4, 3))


def test_sampling_bad_input():
    with pytest.raises(ValueError, match=r"latent size of at least 1.*latent_dim=0"):
        Sampling()([pf.zeros((2, 0)), pf.zeros((2, 0))])
    with pytest.raises(ValueError, match=r"same shape.*\(None, 3\).*\(None, 4\)"):
        Sampling()([pf.zeros((2, 3)), pf.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"two inputs \[z_mean, z_log_var\]"):
        Sampling()(pf.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"seed='a'"):
        Sampling(seed="a")


def test_kl_and_reconstruction_against_torch():
    import torch

    rng = np.random.default_rng(2)
    mu, log_var = rng.standard_normal((2, 6, 4))

    def torch_kl(m, lv):
        q = torch.distributions.Normal(m, torch.exp(0.5 * lv))
        p = torch.distributions.Normal(torch.zeros_like(m), torch.ones_like(m))
        return torch.distributions.kl_divergence(q, p).sum(-1)

    check_against_torch(kl_divergence, torch_kl, [mu, log_var])
    x = rng.random((6, 3, 3, 1))
    p = rng.uniform(0.05, 0.95, (6, 3, 3, 1))
    check_against_torch(
        reconstruction_loss,
        lambda a, b: torch.nn.functional.binary_cross_entropy(b, a, reduction="none")
        .reshape(6, -1).sum(-1), [x, p], nondiff=(0,), rtol=1e-6, atol=1e-6)
    check_against_torch(lambda a, b: reconstruction_loss(a, b, "mean_squared_error"),
                        lambda a, b: 0.5 * ((a - b) ** 2).reshape(6, -1).sum(-1), [x, p])
    assert gradcheck(kl_divergence, [mu, log_var])


def _small_vae(latent_dim=2, beta=1.0, seed=0):
    pf.set_seed(seed)
    x_in = L.Input((6,))
    h = L.Dense(8, activation="tanh")(x_in)
    encoder = pf.keras.Model(x_in, [L.Dense(latent_dim)(h), L.Dense(latent_dim)(h)])
    decoder = pf.keras.Sequential([L.Input((latent_dim,)), L.Dense(8, activation="tanh"),
                                   L.Dense(6, activation="sigmoid")])
    return VAE(encoder, decoder, beta=beta, seed=seed)


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((n, 2))
    return (1 / (1 + np.exp(-codes @ rng.standard_normal((2, 6)) * 2))).astype("float32")


def test_vae_step_reports_the_loss_terms_and_training_raises_the_elbo():
    x = _data()
    vae = _small_vae()
    vae.compile(optimizer=pf.keras.optimizers.Adam(0.01))
    before = vae.elbo(x, samples=4).mean()
    logs = vae.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + logs["kl_loss"], rel=1e-5)
    history = vae.fit(x, epochs=15, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0] - 0.3
    after = vae.elbo(x, samples=4)
    assert after.shape == (256,)
    assert after.mean() > before + 0.3
    assert vae(x[:5]).shape == (5, 6)


def test_vae_loss_is_reconstruction_plus_beta_kl():
    x = _data(64)
    vae = _small_vae(beta=0.0)
    vae.compile(optimizer="adam")
    logs = vae.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    assert logs["kl_loss"] > 0
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"], rel=1e-6)
    # the KL term does not depend on the sampled z: it equals the closed form at the encoder's
    # (μ, log σ²)
    z_mean, z_log_var = vae.encode(pf.constant(x), training=False)
    kl = kl_divergence(z_mean, z_log_var).numpy().mean()
    assert logs["kl_loss"] == pytest.approx(float(kl), rel=1e-5)


def test_vae_bad_input():
    x_in = L.Input((6,))
    h = L.Dense(4)(x_in)
    encoder = pf.keras.Model(x_in, [h[:, :0], h[:, :0]])  # codes of width 0
    decoder = pf.keras.Sequential([L.Input((2,)), L.Dense(6)])
    with pytest.raises(ValueError, match=r"VAE: Expected a latent size of at least 1.*"
                                         r"latent_dim=0"):
        VAE(encoder, decoder)
    good = _small_vae()
    with pytest.raises(ValueError, match=r"decoder taking codes of shape \(None, 2\).*"
                                         r"\(None, 3\)"):
        VAE(good.encoder, pf.keras.Sequential([L.Input((3,)), L.Dense(6)]))
    with pytest.raises(ValueError, match=r"reconstruction='bce'"):
        VAE(good.encoder, good.decoder, reconstruction="bce")
    with pytest.raises(ValueError, match=r"beta=-1"):
        VAE(good.encoder, good.decoder, beta=-1)
    with pytest.raises(ValueError, match=r"samples=0"):
        good.elbo(_data(4), samples=0)
    with pytest.raises(ValueError, match=r"reconstruction_loss: .*kind='l1'"):
        reconstruction_loss(pf.zeros((2, 3)), pf.zeros((2, 3)), "l1")


def test_vae_save_and_load_round_trip(tmp_path):
    x = _data(32)
    vae = _small_vae(beta=0.5)
    vae.compile(optimizer=pf.keras.optimizers.Adam(0.01))
    vae.fit(x, epochs=1, batch_size=16, verbose=0)
    vae.save(tmp_path / "vae.profond")
    loaded = pf.keras.models.load_model(tmp_path / "vae.profond")
    assert type(loaded) is VAE and loaded.beta == 0.5
    np.testing.assert_allclose(loaded.predict(x, verbose=0), vae.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    logs = loaded.evaluate(x, verbose=0, return_dict=True)  # compiled again from the file
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
