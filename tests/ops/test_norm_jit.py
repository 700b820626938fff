"""The compiled batch normalization (``ops/norm_jit``) against the NumPy form it replaces and
against PyTorch, in float64 and float32, forward and backward."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.backend import jit as backend_jit
from profond.ops import nn as N
from profond.testing import gradcheck

pytest.importorskip("numba")


def _bn_grads(x, jit, seed=1):
    """Output and gradients (x, γ, β) of a BatchNormalization in training, the compiled kernels
    on or off."""
    old = backend_jit.ENABLED
    backend_jit.ENABLED = jit
    try:
        pf.set_seed(0)
        layer = pf.keras.layers.BatchNormalization(
            dtype=str(x.dtype), gamma_initializer="he_normal", beta_initializer="he_normal")
        xv = pf.Variable(x)
        layer(xv)
        w = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
        with pf.GradientTape() as tape:
            y = layer(xv, training=True)
            loss = pf.reduce_sum(y * w)
        grads = tape.gradient(loss, [xv, layer.gamma, layer.beta])
        stats = [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
        return [y.numpy()] + [g.numpy() for g in grads] + stats
    finally:
        backend_jit.ENABLED = old


@pytest.mark.parametrize("shape", [(16, 5, 5, 3), (64, 7), (4, 3, 2, 5, 6)])
def test_kernels_equal_the_numpy_form_in_float64(shape):
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    for got, want in zip(_bn_grads(x, True), _bn_grads(x, False)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_float32_kernels_are_as_close_to_float64_as_numpy_is():
    x = np.random.default_rng(0).standard_normal((128, 13, 13, 32)) * 2 + 5
    exact = _bn_grads(x, False)
    jit = _bn_grads(x.astype(np.float32), True)
    plain = _bn_grads(x.astype(np.float32), False)
    for e, j, p in zip(exact, jit, plain):
        scale = np.abs(e).max() + 1e-3
        assert np.abs(j - e).max() / scale < 1e-5
        assert np.abs(j - e).max() <= 2 * np.abs(p - e).max() + 1e-6 * scale


def test_non_contiguous_input_and_gradcheck_with_kernels():
    x = np.random.default_rng(2).standard_normal((6, 4, 3, 5)).transpose(0, 2, 1, 3)
    assert not x.flags.c_contiguous
    for got, want in zip(_bn_grads(x, True), _bn_grads(np.ascontiguousarray(x), False)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    gamma = np.random.default_rng(3).standard_normal(5)
    beta = np.random.default_rng(4).standard_normal(5)
    gradcheck(lambda a, g, b: N.normalize(a, (0, 1, 2), g, b)[0], [x, gamma, beta])


def test_batchnorm_training_matches_torch_with_kernels():
    x = np.random.default_rng(5).standard_normal((8, 6, 6, 4))
    y, gx, ggamma, gbeta, *_ = _bn_grads(x, True)
    pf.set_seed(0)
    layer = pf.keras.layers.BatchNormalization(dtype="float64", gamma_initializer="he_normal",
                                               beta_initializer="he_normal")
    layer(pf.constant(x))
    bn = torch.nn.BatchNorm2d(4, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(layer.gamma.numpy()))
        bn.bias.copy_(torch.from_numpy(layer.beta.numpy()))
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_()
    w = np.random.default_rng(1).standard_normal(x.shape)
    out = bn(xt)
    (out * torch.from_numpy(w.transpose(0, 3, 1, 2).copy())).sum().backward()
    np.testing.assert_allclose(y, out.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(ggamma, bn.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(gbeta, bn.bias.grad.numpy(), atol=1e-10)


def _ln_grads(x, jit, seed=1):
    """Output and gradients (x, γ, β) of a LayerNormalization, the compiled kernels on or off."""
    old = backend_jit.ENABLED
    backend_jit.ENABLED = jit
    try:
        pf.set_seed(0)
        layer = pf.keras.layers.LayerNormalization(
            epsilon=1e-5, dtype=str(x.dtype), gamma_initializer="he_normal",
            beta_initializer="he_normal")
        xv = pf.Variable(x)
        w = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
        with pf.GradientTape() as tape:
            y = layer(xv)
            loss = pf.reduce_sum(y * w)
        grads = tape.gradient(loss, [xv, layer.gamma, layer.beta])
        return [y.numpy()] + [g.numpy() for g in grads] + [layer.gamma.numpy(),
                                                           layer.beta.numpy(), w]
    finally:
        backend_jit.ENABLED = old


def test_layer_normalization_kernels_choose_the_last_axis_only():
    x = np.ones((3, 4, 5))
    assert N._norm_kernels(x, (2,), np.ones(5), np.ones(5)) is not None
    assert N._norm_kernels(x, (0, 1), np.ones(5), np.ones(5)) is not None
    assert N._norm_kernels(x, (1, 2), np.ones((4, 5)), np.ones((4, 5))) is None
    assert N._norm_kernels(x, (1,), np.ones(5), np.ones(5)) is None


@pytest.mark.parametrize("shape", [(16, 7), (4, 9, 33), (2, 3, 4, 6)])
def test_layer_norm_kernels_equal_the_numpy_form_and_torch(shape):
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    jit, plain = _ln_grads(x, True), _ln_grads(x, False)
    for got, want in zip(jit[:4], plain[:4]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    gamma, beta, w = (torch.from_numpy(a).requires_grad_() for a in jit[4:])
    xt = torch.from_numpy(x).requires_grad_()
    out = torch.nn.functional.layer_norm(xt, (shape[-1],), gamma, beta, 1e-5)
    (out * w).sum().backward()
    for got, want in zip(jit[:4], (out.detach(), xt.grad, gamma.grad, beta.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


def test_layer_norm_float32_kernels_and_gradcheck():
    x = np.random.default_rng(1).standard_normal((64, 32, 128)) * 2 + 5
    exact = _ln_grads(x, False)
    jit = _ln_grads(x.astype(np.float32), True)
    for e, j in zip(exact[:4], jit[:4]):
        assert np.abs(j - e).max() / (np.abs(e).max() + 1e-3) < 1e-5
    xn = np.random.default_rng(2).standard_normal((5, 3, 4)).transpose(0, 2, 1)
    assert not xn.flags.c_contiguous
    gamma = np.random.default_rng(3).standard_normal(3)
    beta = np.random.default_rng(4).standard_normal(3)
    gradcheck(lambda a, g, b: N.normalize(a, (2,), g, b)[0], [xn, gamma, beta])
