"""profond.explain against Captum (PyTorch's attribution library) on the same CNN, same weights,
in float64: saliency, Integrated Gradients (every integration rule), Grad-CAM (at the layer's
resolution and resized) and occlusion agree within 1e-4 relative.

SmoothGrad draws its own noise, so it is checked by its definition instead (``test_explain.py``)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

import profond as tf  # noqa: E402
from profond import backend  # noqa: E402
from profond.explain import (  # noqa: E402
    grad_cam,
    integrated_gradients,
    occlusion,
    saliency,
)

L = tf.keras.layers


@pytest.fixture(scope="module")
def pair():
    """The same CNN in profond (NHWC) and in PyTorch (NCHW, flattened in NHWC order)."""
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        tf.keras.utils.set_random_seed(3)
        model = tf.keras.Sequential([
            L.Input((10, 10, 2)),
            L.Conv2D(4, 3, activation="relu", name="conv1"),
            L.Conv2D(6, 3, activation="relu", name="conv2"),
            L.Flatten(),
            L.Dense(5, activation="softmax"),
        ])
        conv1, conv2, _, dense = model.layers
        tconv1, tconv2 = torch.nn.Conv2d(2, 4, 3), torch.nn.Conv2d(4, 6, 3)
        tdense = torch.nn.Linear(6 * 6 * 6, 5)
        with torch.no_grad():
            for tl, pl in ((tconv1, conv1), (tconv2, conv2)):
                k, b = (np.asarray(v.numpy()) for v in pl.weights)
                tl.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
                tl.bias.copy_(torch.from_numpy(b))
            k, b = (np.asarray(v.numpy()) for v in dense.weights)
            tdense.weight.copy_(torch.from_numpy(k.T.copy()))
            tdense.bias.copy_(torch.from_numpy(b))
        block2 = torch.nn.Sequential(tconv2, torch.nn.ReLU())

        class Twin(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.block1 = torch.nn.Sequential(tconv1, torch.nn.ReLU())
                self.block2 = block2
                self.dense = tdense

            def forward(self, x):
                h = self.block2(self.block1(x))
                h = h.permute(0, 2, 3, 1).reshape(len(x), -1)  # Keras's Flatten order
                return torch.softmax(self.dense(h), dim=1)

        twin = Twin().double().eval()
        rng = np.random.default_rng(0)
        x = rng.random((4, 10, 10, 2))
        yield model, twin, x
    finally:
        backend.set_floatx(previous)


def nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


TARGET = np.array([0, 3, 1, 4])


def test_forward_is_the_same(pair):
    model, twin, x = pair
    close(np.asarray(model(x).numpy()), twin(nchw(x)).detach().numpy())


@pytest.mark.parametrize("absolute", [True, False])
def test_saliency(pair, absolute):
    model, twin, x = pair
    expected = captum_attr.Saliency(twin).attribute(nchw(x), target=torch.from_numpy(TARGET),
                                                    abs=absolute)
    close(saliency(model, x, target=TARGET, absolute=absolute), nhwc(expected))


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_left",
                                    "riemann_right", "riemann_middle"])
def test_integrated_gradients(pair, method):
    model, twin, x = pair
    baseline = np.full_like(x, 0.25)
    expected, delta = captum_attr.IntegratedGradients(twin).attribute(
        nchw(x), baselines=nchw(baseline), target=torch.from_numpy(TARGET), n_steps=20,
        method=method, return_convergence_delta=True)
    got = integrated_gradients(model, x, target=TARGET, baseline=baseline, steps=20,
                               method=method)
    if method == "riemann_trapezoid":
        # NOTE: Captum's trapezoid gives every one of the n points a width 1/n (halved at both
        # ends), so its weights add up to (n − 1)/n; profond's are the trapezoid rule's, 1/(n − 1)
        # (halved at both ends), which add up to 1. Same points, weights in the ratio (n − 1)/n.
        got = got * 19 / 20
    else:
        _, got_delta = integrated_gradients(model, x, target=TARGET, baseline=baseline, steps=20,
                                            method=method, return_convergence_delta=True)
        close(got_delta, delta.detach().numpy())
    close(got, nhwc(expected))


def test_grad_cam(pair):
    model, twin, x = pair
    cam = captum_attr.LayerGradCam(twin, twin.block2).attribute(
        nchw(x), target=torch.from_numpy(TARGET), relu_attributions=True)
    close(grad_cam(model, x, "conv2", target=TARGET, resize=False), cam[:, 0].detach().numpy())
    resized = captum_attr.LayerAttribution.interpolate(cam, (10, 10), interpolate_mode="bilinear")
    close(grad_cam(model, x, "conv2", target=TARGET), resized[:, 0].detach().numpy())
    raw = captum_attr.LayerGradCam(twin, twin.block2).attribute(
        nchw(x), target=torch.from_numpy(TARGET), relu_attributions=False)
    close(grad_cam(model, x, model.get_layer("conv2"), target=TARGET, relu=False, resize=False),
          raw[:, 0].detach().numpy())


@pytest.mark.parametrize("window,strides", [((2, 2), (2, 2)), ((3, 3), (1, 1)),
                                            ((4, 4, 1), (2, 2, 1))])
def test_occlusion(pair, window, strides):
    model, twin, x = pair
    full = tuple(window) if len(window) == 3 else (*window, 2)
    step = tuple(strides) if len(strides) == 3 else (*strides, 2)
    expected = captum_attr.Occlusion(twin).attribute(
        nchw(x), target=torch.from_numpy(TARGET), sliding_window_shapes=(full[2], *full[:2]),
        strides=(step[2], *step[:2]), baselines=0.0)
    close(occlusion(model, x, target=TARGET, window=window, strides=strides), nhwc(expected))
