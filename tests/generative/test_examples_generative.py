"""The DCGAN and VAE examples: their pieces in-process, their ``--quick`` runs end to end."""

import importlib.util
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import profond as tf

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed(before, model):
    return [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]


def test_gan_subclass_step_updates_both_networks():
    dcgan = _example("dcgan_fashion_mnist")
    tf.set_seed(0)
    g, d = dcgan.build_generator(8, width=4), dcgan.build_discriminator(width=4)
    gan = dcgan.GAN(d, g, 8)
    gan.compile(tf.keras.optimizers.Adam(1e-3), tf.keras.optimizers.Adam(1e-3),
                dcgan.discriminator_loss, dcgan.generator_loss)
    g0, d0 = g.get_weights(), d.get_weights()
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    history = gan.fit(x, epochs=1, batch_size=8, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert all(_changed(d0, d))
    # every generator array changed: kernels, biases, γ, β, and BatchNormalization's moving
    # statistics (training=True in the generator's step)
    assert len(g0) > len(g.trainable_variables) and all(_changed(g0, g))


def test_gan_loop_two_tapes_on_one_forward_pass_match_separate_passes():
    dcgan = _example("dcgan_fashion_mnist")
    tf.set_seed(1)
    g, d = dcgan.build_generator(8, width=4), dcgan.build_discriminator(width=4)
    z = tf.random.normal((4, 8))
    real = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 1)).astype("float32"))
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake = g(z, training=False)
        real_logits, fake_logits = d(real, training=False), d(fake, training=False)
        g_loss = dcgan.generator_loss(fake_logits)
        d_loss = dcgan.discriminator_loss(real_logits, fake_logits)
    g_grads = g_tape.gradient(g_loss, g.trainable_variables)
    d_grads = d_tape.gradient(d_loss, d.trainable_variables)
    with tf.GradientTape() as tape:
        loss = dcgan.generator_loss(d(g(z, training=False), training=False))
    for a, b in zip(g_grads, tape.gradient(loss, g.trainable_variables)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
    with tf.GradientTape() as tape:
        loss = dcgan.discriminator_loss(d(real, training=False),
                                        d(tf.stop_gradient(fake), training=False))
    for a, b in zip(d_grads, tape.gradient(loss, d.trainable_variables)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def test_gan_with_mismatched_shapes_fails_at_once():
    dcgan = _example("dcgan_fashion_mnist")
    L = tf.keras.layers
    g = dcgan.build_generator(8, width=4)
    d = tf.keras.Sequential([L.Input((32, 32, 1)), L.Flatten(), L.Dense(1)])
    with pytest.raises(ValueError, match=r"discriminator's input shape \(None, 32, 32, 1\)\. "
                                         r"Received: generator output shape \(None, 28, 28, 1\)"):
        dcgan.GAN(d, g, 8)
    with pytest.raises(ValueError, match=r"latent_dim=0"):
        dcgan.GAN(dcgan.build_discriminator(4), g, 0)


def _run(args, cwd):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=900,
                          check=True, cwd=cwd).stdout


@pytest.mark.slow
@pytest.mark.parametrize("way", ["loop", "subclass"])
def test_dcgan_quick_run_scores_better_than_an_untrained_generator(way, tmp_path):
    args = [str(EXAMPLES / "dcgan_fashion_mnist.py"), "--quick", "--way", way]
    if way == "subclass":  # stopped after 2 of the 4 epochs, then run again: it goes on
        first = _run([*args, "--epochs", "2", "--checkpoint-dir", "ck", "--watch", "100"],
                     tmp_path)
        assert re.findall(r"epoch (\d): mean top-class probability", first) == ["1", "2"]
        args += ["--checkpoint-dir", "ck"]
    out = _run(args, tmp_path)
    if way == "subclass":
        assert "(2 epoch(s) done)" in out and "epochs 3–4 on 2000 images" in out, out
        assert "Epoch 1/4" not in out and "Epoch 3/4" in out, out
    accuracy = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    top = float(re.search(r"mean top-class probability ([\d.]+)", out).group(1))
    fd, best, worst = map(float, re.search(
        r"generated ([\d.]+), train set ([\d.]+) \(best\), untrained generator ([\d.]+)",
        out).groups())
    assert accuracy >= 0.75, out
    assert best < fd < 0.65 * worst, out  # the full run's target is fd < worst / 5
    assert top > 0.2, out  # 0.1 for a classifier that cannot tell
    assert (tmp_path / "dcgan_samples.png").stat().st_size > 1000


@pytest.mark.slow
def test_vae_quick_run_matches_pytorch(tmp_path):
    out = _run([str(EXAMPLES / "vae_fashion_mnist.py"), "--quick"], tmp_path)
    elbo = float(re.search(r"profond dense VAE: .* test ELBO (-[\d.]+)", out).group(1))
    torch_elbo = float(re.search(r"PyTorch dense VAE: test ELBO (-[\d.]+)", out).group(1))
    assert elbo > -340, out  # an untrained VAE: about −550 nats per image
    assert abs(elbo - torch_elbo) < 0.04 * abs(torch_elbo), out
    assert (tmp_path / "vae_latent_space.png").exists()
    assert (tmp_path / "vae_latent_grid.png").exists()
