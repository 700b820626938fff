"""profond.explain: the properties each method is defined by, and its errors."""

import numpy as np
import pytest

import profond as tf
from profond import backend
from profond.explain import grad_cam, integrated_gradients, occlusion, saliency, smooth_grad

L = tf.keras.layers


@pytest.fixture(scope="module")
def cnn():
    tf.keras.utils.set_random_seed(1)
    return tf.keras.Sequential([
        L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="conv"), L.Flatten(),
        L.Dense(3, activation="softmax")])


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")


def linear(weights):
    """f(x) = x · W: its gradient with respect to x is W's column, everywhere."""
    model = tf.keras.Sequential([L.Input((weights.shape[0],)),
                                 L.Dense(weights.shape[1], use_bias=False)])
    model.layers[0].kernel.assign(weights)
    return model


def test_gradients_of_a_linear_model_are_its_weights():
    w = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    model = linear(w)
    x = np.random.default_rng(2).normal(size=(4, 5)).astype("float32")
    target = np.array([0, 1, 2, 1])
    np.testing.assert_allclose(saliency(model, x, target, absolute=False), w[:, target].T,
                               rtol=1e-6)
    np.testing.assert_allclose(smooth_grad(model, x, target, samples=7, seed=0), w[:, target].T,
                               rtol=1e-5)
    # Integrated Gradients of a linear function: exactly (x − x')·w.
    np.testing.assert_allclose(integrated_gradients(model, x, target, steps=3),
                               x * w[:, target].T, rtol=1e-5)


def test_integrated_gradients_are_complete(cnn, x):
    """Σ IG(x) = f_c(x) − f_c(x') within 1% of the score difference."""
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        attributions, delta = integrated_gradients(cnn, x.astype("float64"), steps=64,
                                                   batch_size=50, return_convergence_delta=True)
    finally:
        backend.set_floatx(previous)
    out = np.asarray(cnn(x).numpy())
    chosen = out.argmax(axis=1)
    gap = out[np.arange(3), chosen] - np.asarray(cnn(np.zeros_like(x)).numpy())[np.arange(3),
                                                                             chosen]
    assert np.all(np.abs(delta) <= 0.01 * np.abs(gap)), (delta, gap)
    np.testing.assert_allclose(attributions.reshape(3, -1).sum(axis=1), gap, rtol=0.01)


def test_target_none_is_the_predicted_class_and_batching_changes_nothing(cnn, x):
    chosen = np.asarray(cnn(x).numpy()).argmax(axis=1)
    np.testing.assert_array_equal(saliency(cnn, x), saliency(cnn, x, target=chosen))
    np.testing.assert_allclose(integrated_gradients(cnn, x, steps=8, batch_size=5),
                               integrated_gradients(cnn, x, steps=8), rtol=1e-5, atol=1e-7)


def test_smooth_grad_without_noise_is_the_gradient(cnn, x):
    np.testing.assert_allclose(smooth_grad(cnn, x, target=1, samples=3, noise_level=0.0),
                               saliency(cnn, x, target=1, absolute=False), rtol=1e-6)
    a = smooth_grad(cnn, x, target=1, samples=4, seed=5)
    np.testing.assert_array_equal(a, smooth_grad(cnn, x, target=1, samples=4, seed=5))
    assert not np.allclose(a, saliency(cnn, x, target=1, absolute=False))


def test_grad_cam_and_occlusion_shapes(cnn, x):
    assert grad_cam(cnn, x, "conv").shape == (3, 8, 8)
    assert grad_cam(cnn, x, "conv", resize=False).shape == (3, 6, 6)
    assert (grad_cam(cnn, x, "conv") >= 0).all()
    assert occlusion(cnn, x, window=(2, 2)).shape == x.shape


def test_occlusion_finds_the_only_pixel_that_counts():
    w = np.zeros((16, 1), "float32")
    w[5, 0] = 2.0  # f(x) = 2·x₅: only feature 5 matters
    model = linear(w)
    x = np.ones((1, 16), "float32")
    got = occlusion(model, x, target=0, window=1)
    expected = np.zeros((1, 16), "float32")
    expected[0, 5] = 2.0
    np.testing.assert_allclose(got, expected)


def test_bad_input_names_the_argument_expected_and_received(cnn, x):
    with pytest.raises(ValueError, match=r"Expected target between 0 and 2 .*Received: target=3"):
        saliency(cnn, x, target=3)
    with pytest.raises(ValueError, match=r"Expected target to be an int or 3 ints"):
        saliency(cnn, x, target=[0, 1])
    with pytest.raises(ValueError, match=r"floating-point inputs.*Received: dtype=int64"):
        saliency(cnn, np.zeros((2, 8, 8, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"samples to be a positive integer. Received: samples=0"):
        smooth_grad(cnn, x, samples=0)
    with pytest.raises(ValueError, match=r"baseline that broadcasts .*Received: shape \(2,\)"):
        integrated_gradients(cnn, x, baseline=np.zeros(2))
    with pytest.raises(ValueError, match=r"Expected method to be one of"):
        integrated_gradients(cnn, x, method="simpson")
    with pytest.raises(ValueError, match=r"Expected a convolutional layer.*dense"):
        grad_cam(cnn, x, cnn.layers[-1])
    with pytest.raises(ValueError, match=r"window no larger than the input"):
        occlusion(cnn, x, window=(9, 9))
    with pytest.raises(ValueError, match=r"Expected a batch of inputs"):
        saliency(cnn, np.zeros((0, 8, 8, 1), "float32"))


def test_grad_cam_needs_a_model_with_symbolic_inputs(x):
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = L.Conv2D(2, 3)
            self.flat = L.Flatten()
            self.out = L.Dense(2)

        def call(self, inputs):
            return self.out(self.flat(self.conv(inputs)))

    net = Net()
    net(x)
    with pytest.raises(ValueError, match=r"Expected a functional or Sequential model"):
        grad_cam(net, x, net.conv)
    assert saliency(net, x).shape == x.shape  # the gradient methods need no graph


def test_show_attributions_draws_image_and_map(cnn, x):
    pytest.importorskip("matplotlib")
    from profond.viz import show_attributions

    fig = show_attributions(x, integrated_gradients(cnn, x, steps=4), titles=["a", "b", "c"])
    assert len([ax for ax in fig.axes if ax.images]) == 6
    assert len(fig.axes[3].images) == 2  # the bottom row: the image, then the map over it
    with pytest.raises(ValueError, match=r"one map per image"):
        show_attributions(x, np.zeros((2, 8, 8)))
