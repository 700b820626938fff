"""BatchNormalization and LayerNormalization against torch, and Keras's momentum semantics."""

import numpy as np
import pytest
import torch.nn.functional as F

from profond.layers.normalization import BatchNormalization, LayerNormalization
from profond.testing import gradcheck
from profond.testing.layer_test import check_layer_against_torch

DTYPES = ["float32", "float64"]


def _randomize(layer, rng):
    ws = [rng.standard_normal(w.shape) for w in layer.get_weights()]
    ws[-1] = np.abs(ws[-1]) + 0.5  # a moving variance is positive
    layer.set_weights([w.astype(layer.dtype) for w in ws])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape,axis", [((6, 4, 5, 3), -1), ((8, 3), -1), ((5, 3, 7), 1)])
def test_batch_norm_matches_torch(dtype, training, shape, axis):
    rng = np.random.default_rng(0)
    layer = BatchNormalization(axis=axis, dtype=dtype)
    x = rng.standard_normal(shape) * 2 + 1
    layer(x.astype(dtype))
    _randomize(layer, rng)
    c_last = axis == -1 and len(shape) > 2

    def torch_fn(xt, ws):
        if c_last:  # torch normalizes axis 1
            xt = xt.movedim(-1, 1)
        # NOTE: torch momentum = 1 − Keras momentum; running stats are cloned (not compared here).
        y = F.batch_norm(xt, ws[2].detach().clone(), ws[3].detach().clone(), ws[0], ws[1],
                         training=training, momentum=1 - layer.momentum, eps=layer.epsilon)
        return y.movedim(1, -1) if c_last else y

    check_layer_against_torch(layer, torch_fn, x, training=training)


def test_batch_norm_moving_statistics_follow_keras_momentum():
    rng = np.random.default_rng(1)
    layer = BatchNormalization(momentum=0.9)
    x = rng.standard_normal((16, 3)).astype("float32") * 3 + 2
    layer(x, training=True)
    mean, var = x.mean(0), x.var(0)  # biased variance, as Keras
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    before = layer.moving_mean.numpy().copy()
    y = layer(x).numpy()  # inference: moving statistics, not updated
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before)
    expected = (x - before) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_frozen_batch_norm_runs_in_inference_mode():
    layer = BatchNormalization()
    x = np.random.default_rng(2).standard_normal((8, 2)).astype("float32")
    layer(x)
    layer.trainable = False
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs,norm_dims", [({}, 1), ({"axis": [1, 2]}, 2),
                                               ({"center": False}, 1)])
def test_layer_norm_matches_torch(dtype, kwargs, norm_dims):
    rng = np.random.default_rng(3)
    layer = LayerNormalization(dtype=dtype, **kwargs)
    x = rng.standard_normal((4, 5, 6)) * 3
    layer(x.astype(dtype))
    layer.set_weights([rng.standard_normal(w.shape).astype(dtype) for w in layer.get_weights()])

    def torch_fn(xt, ws):
        bias = ws[1] if layer.center else None
        return F.layer_norm(xt, xt.shape[-norm_dims:], ws[0], bias, eps=layer.epsilon)

    check_layer_against_torch(layer, torch_fn, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_scaling_matches_torch(dtype):
    rng = np.random.default_rng(4)
    layer = LayerNormalization(rms_scaling=True, dtype=dtype)
    x = rng.standard_normal((4, 6))
    layer(x.astype(dtype))
    layer.set_weights([rng.standard_normal((6,)).astype(dtype)])
    check_layer_against_torch(
        layer, lambda xt, ws: F.rms_norm(xt, (6,), ws[0], eps=layer.epsilon), x)


def test_batch_norm_input_gradcheck():
    layer = BatchNormalization(dtype="float64")
    x = np.random.default_rng(5).standard_normal((5, 3))
    assert gradcheck(lambda t: layer(t, training=True), [x])


def test_batch_norm_bad_momentum():
    with pytest.raises(ValueError, match="Received: momentum=1.5"):
        BatchNormalization(momentum=1.5)


@pytest.mark.parametrize("center, scale", [(False, False), (True, False), (False, True)])
def test_batch_norm_inference_without_center_or_scale(center, scale):
    """Inference folds the statistics, γ and β into one scale and shift per feature."""
    rng = np.random.default_rng(3)
    layer = BatchNormalization(center=center, scale=scale, dtype="float64")
    x = rng.standard_normal((6, 4)) * 3 + 2
    layer(x)
    _randomize(layer, rng)
    mean, var = layer.moving_mean.numpy(), layer.moving_variance.numpy()
    want = (x - mean) / np.sqrt(var + layer.epsilon)
    if scale:
        want = want * layer.gamma.numpy()
    if center:
        want = want + layer.beta.numpy()
    np.testing.assert_allclose(layer(x, training=False).numpy(), want, rtol=1e-12, atol=1e-12)
