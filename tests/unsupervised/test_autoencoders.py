"""The autoencoder builders: shapes, the encoder as its own model, training lowers the
reconstruction error, the denoising noise only while training, and bad arguments."""

import numpy as np
import pytest

import profond as pf
from profond.unsupervised import (
    conv_autoencoder,
    denoising_autoencoder,
    dense_autoencoder,
    lstm_autoencoder,
)


def fit_lowers_loss(model, x, epochs=8, learning_rate=3e-3):
    model.compile(optimizer=pf.keras.optimizers.Adam(learning_rate), loss="mse")
    loss = model.fit(x, x, epochs=epochs, batch_size=8, verbose=0).history["loss"]
    assert loss[-1] < 0.8 * loss[0], loss
    return loss


def test_dense_autoencoder_shapes_and_training():
    pf.keras.utils.set_random_seed(0)
    ae = dense_autoencoder((6, 2), latent_dim=3, hidden=(16, 8))
    encoder, decoder = ae.get_layer("encoder"), ae.get_layer("decoder")
    assert encoder.output_shape == (None, 3) and decoder.output_shape == (None, 6, 2)
    assert [layer.units for layer in encoder.layers if hasattr(layer, "units")] == [16, 8, 3]
    assert encoder.layers[-1].activation.__name__ == "linear"
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 3)) @ rng.normal(size=(3, 12))).reshape(64, 6, 2).astype("float32")
    fit_lowers_loss(ae, x)
    np.testing.assert_allclose(decoder.predict(encoder.predict(x, verbose=0), verbose=0),
                               ae.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_conv_autoencoder_shapes_and_training():
    pf.keras.utils.set_random_seed(0)
    ae = conv_autoencoder((8, 12, 2), latent_dim=4, filters=(4, 8), output_activation="sigmoid")
    assert ae.output_shape == (None, 8, 12, 2)
    assert ae.get_layer("encoder").output_shape == (None, 4)
    x = np.random.default_rng(0).uniform(size=(32, 8, 12, 2)).astype("float32")
    x[:, :4] = 0.0
    fit_lowers_loss(ae, x, epochs=10, learning_rate=1e-2)


def test_denoising_autoencoder_adds_noise_only_while_training():
    pf.keras.utils.set_random_seed(0)
    ae = denoising_autoencoder((5,), noise_stddev=0.5, hidden=(4,))
    noise = ae.get_layer("noise")
    x = np.ones((3, 5), "float32")
    assert np.array_equal(noise(x, training=False).numpy(), x)
    assert not np.allclose(noise(x, training=True).numpy(), x)
    np.testing.assert_allclose(ae(x, training=False).numpy(), ae(x, training=False).numpy())
    conv = denoising_autoencoder((8, 8, 1), noise_stddev=0.1, kind="conv", filters=(4,))
    assert conv.output_shape == (None, 8, 8, 1) and conv.layers[0].stddev == 0.1


def test_lstm_autoencoder_shapes_and_training():
    pf.keras.utils.set_random_seed(0)
    ae = lstm_autoencoder(10, 3, units=(8, 4))
    assert ae.get_layer("encoder").output_shape == (None, 4)
    t = np.linspace(0, 2 * np.pi, 10)
    phase = np.random.default_rng(0).uniform(0, 2 * np.pi, (48, 1, 1))
    x = np.sin(t[None, :, None] + phase + np.arange(3)).astype("float32")
    fit_lowers_loss(ae, x, epochs=15, learning_rate=1e-2)


def test_autoencoder_saves_and_loads(tmp_path):
    ae = dense_autoencoder((4,), latent_dim=2, hidden=(3,))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    ae.save(tmp_path / "ae.profond")
    loaded = pf.keras.models.load_model(tmp_path / "ae.profond")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ae.predict(x, verbose=0), rtol=1e-6)
    assert loaded.get_layer("encoder").output_shape == (None, 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="dense_autoencoder.*latent_dim=0"):
        dense_autoencoder((4,), latent_dim=0)
    with pytest.raises(ValueError, match="input_shape=784"):
        dense_autoencoder(784)
    with pytest.raises(ValueError, match=r"hidden=\(8, -1\)"):
        dense_autoencoder((4,), hidden=(8, -1))
    with pytest.raises(ValueError, match=r"divisible by 2\*\*len\(filters\)=4.*\(30, 30, 1\)"):
        conv_autoencoder((30, 30, 1), filters=(8, 16))
    with pytest.raises(ValueError, match=r"input_shape=\(28, 28\)"):
        conv_autoencoder((28, 28))
    with pytest.raises(ValueError, match="noise_stddev=0"):
        denoising_autoencoder((4,), noise_stddev=0)
    with pytest.raises(ValueError, match="kind='rnn'"):
        denoising_autoencoder((4,), kind="rnn")
    with pytest.raises(ValueError, match="units=\\(\\)"):
        lstm_autoencoder(10, 3, units=())
