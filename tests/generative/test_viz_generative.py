"""``profond.viz``'s latent-space plots on a small VAE-shaped encoder/decoder pair."""

import numpy as np
import pytest

import profond as pf
from profond import viz

pytest.importorskip("matplotlib")
L = pf.keras.layers


def _pair(latent_dim=2):
    pf.set_seed(0)
    x_in = L.Input((4, 4, 1))
    h = L.Flatten()(x_in)
    encoder = pf.keras.Model(x_in, [L.Dense(latent_dim)(h), L.Dense(latent_dim)(h)])
    decoder = pf.keras.Sequential([L.Input((latent_dim,)), L.Dense(16, activation="sigmoid"),
                                   L.Reshape((4, 4, 1))])
    return encoder, decoder


def test_latent_space_scatter_has_one_group_per_class():
    encoder, _ = _pair()
    x = np.random.default_rng(0).random((60, 4, 4, 1)).astype("float32")
    labels = np.repeat([0, 3, 5], 20)
    fig = viz.plot_latent_space(encoder, x, labels, class_names=["a", "b", "c", "d", "e", "f"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "d", "f"]
    codes = encoder.predict(x, verbose=0)[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), codes[:20], rtol=1e-6)
    with pytest.raises(ValueError, match=r"one label per sample.*60 samples and 3 labels"):
        viz.plot_latent_space(encoder, x, labels[:3])
    with pytest.raises(ValueError, match=r"2-D codes.*\(60, 3\)"):
        viz.plot_latent_space(_pair(3)[0], x)


def test_latent_grid_is_the_mosaic_of_decoded_codes():
    _, decoder = _pair()
    fig = viz.plot_latent_grid(decoder, n=3, scale=1.0)
    picture = fig.axes[0].get_images()[0].get_array()
    assert picture.shape == (12, 12)
    top_left = decoder.predict(np.array([[-1.0, 1.0]], "float32"), verbose=0)[0, ..., 0]
    bottom_right = decoder.predict(np.array([[1.0, -1.0]], "float32"), verbose=0)[0, ..., 0]
    np.testing.assert_allclose(picture[:4, :4], top_left, rtol=1e-6)
    np.testing.assert_allclose(picture[-4:, -4:], bottom_right, rtol=1e-6)
    with pytest.raises(ValueError, match=r"2-D codes.*size 3"):
        viz.plot_latent_grid(_pair(3)[1])
    with pytest.raises(ValueError, match=r"n=1"):
        viz.plot_latent_grid(decoder, n=1)


def test_interpolation_goes_from_start_to_end():
    z = viz.interpolate([0.0, 2.0, 4.0], [1.0, 0.0, 4.0], steps=3)
    np.testing.assert_allclose(z, [[0, 2, 4], [0.5, 1, 4], [1, 0, 4]])
    _, decoder = _pair(3)
    fig = viz.plot_interpolation(decoder, np.zeros((2, 3)), np.ones((2, 3)), steps=5)
    assert len(fig.axes) == 10
    last = decoder.predict(np.ones((1, 3), "float32"), verbose=0)[0, ..., 0]
    np.testing.assert_allclose(fig.axes[4].get_images()[0].get_array(), last, rtol=1e-6)
    with pytest.raises(ValueError, match=r"steps=1"):
        viz.interpolate([0.0], [1.0], steps=1)
    with pytest.raises(ValueError, match=r"same size.*2 and 3"):
        viz.interpolate([0.0, 1.0], [1.0, 2.0, 3.0])
