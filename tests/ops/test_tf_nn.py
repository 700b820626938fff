"""``tf.nn`` with TensorFlow's signatures: convolutions and pooling against torch, the small
helpers against NumPy, gradients by central differences."""

import numpy as np
import pytest
import torch.nn.functional as F

import profond as pf
from profond.testing import check_against_torch, gradcheck

RNG = np.random.default_rng(7)


def test_conv1d_against_torch_with_tf_strides():
    x, k = RNG.normal(size=(2, 9, 3)), RNG.normal(size=(3, 3, 4))
    check_against_torch(
        lambda x, k: pf.nn.conv1d(x, k, stride=[1, 2, 1], padding="VALID"),
        lambda x, k: F.conv1d(x.permute(0, 2, 1), k.permute(2, 1, 0), stride=2).permute(0, 2, 1),
        [x, k])


def test_conv3d_and_pool3d_against_torch():
    x, k = RNG.normal(size=(1, 4, 5, 6, 2)), RNG.normal(size=(2, 2, 3, 2, 3))
    check_against_torch(
        lambda x, k: pf.nn.conv3d(x, k, strides=[1, 1, 1, 1, 1], padding="VALID"),
        lambda x, k: F.conv3d(x.permute(0, 4, 1, 2, 3), k.permute(4, 3, 0, 1, 2))
        .permute(0, 2, 3, 4, 1), [x, k])
    y = RNG.normal(size=(1, 4, 4, 6, 2))
    check_against_torch(
        lambda y: pf.nn.max_pool3d(y, 2, 2, "VALID"),
        lambda y: F.max_pool3d(y.permute(0, 4, 1, 2, 3), 2).permute(0, 2, 3, 4, 1), [y])
    check_against_torch(
        lambda y: pf.nn.avg_pool3d(y, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID"),
        lambda y: F.avg_pool3d(y.permute(0, 4, 1, 2, 3), 2).permute(0, 2, 3, 4, 1), [y])


def test_depthwise_conv2d_against_torch():
    x, k = RNG.normal(size=(2, 6, 6, 3)), RNG.normal(size=(3, 3, 3, 2))

    def torch_fn(x, k):  # output channel c·M + m, as TF
        w = k.permute(2, 3, 0, 1).reshape(6, 1, 3, 3)
        return F.conv2d(x.permute(0, 3, 1, 2), w, groups=3).permute(0, 2, 3, 1)

    check_against_torch(lambda x, k: pf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "VALID"),
                        torch_fn, [x, k])


def test_small_helpers():
    v, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4,))
    np.testing.assert_allclose(pf.nn.bias_add(v, b).numpy(), v + b, rtol=1e-6)
    with pytest.raises(ValueError, match="bias of shape"):
        pf.nn.bias_add(v, b[:3])
    np.testing.assert_allclose(pf.nn.l2_loss(pf.constant(v, "float64")).numpy(),
                               0.5 * (v ** 2).sum())
    params = RNG.normal(size=(5, 3))
    ids = np.array([[0, 4], [2, 2]])
    np.testing.assert_array_equal(pf.nn.embedding_lookup(params, ids).numpy(), params[ids])
    clipped = pf.nn.embedding_lookup(params * 10, ids, max_norm=1.0).numpy()
    np.testing.assert_allclose(np.linalg.norm(clipped, axis=-1), 1.0, rtol=1e-6)
    mean, var = pf.nn.moments(pf.constant(v, "float64"), axes=[0, 1])
    np.testing.assert_allclose(mean.numpy(), v.mean((0, 1)))
    np.testing.assert_allclose(var.numpy(), v.var((0, 1)))
    assert pf.nn.moments(v, [1], keepdims=True)[0].shape == (2, 1, 4)
    y = pf.nn.batch_normalization(v, v.mean(0), v.var(0), 0.5, 2.0, 1e-3).numpy()
    np.testing.assert_allclose(y, (v - v.mean(0)) / np.sqrt(v.var(0) + 1e-3) * 2 + 0.5,
                               rtol=1e-5)
    assert float(pf.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=6)) == 1.0
    with pytest.raises(ValueError, match="padding"):
        pf.nn.conv1d(np.ones((1, 4, 1)), np.ones((2, 1, 1)), 1, "CAUSAL")


def test_gradients():
    gradcheck(lambda x, k: pf.nn.conv1d(x, k, 1, "SAME"),
              [RNG.normal(size=(2, 5, 2)), RNG.normal(size=(3, 2, 2))])
    gradcheck(lambda p: pf.nn.embedding_lookup(p, np.array([1, 1, 0]), max_norm=0.5),
              [RNG.normal(size=(3, 4))])
    gradcheck(lambda x: pf.nn.moments(x, [0])[1], [RNG.normal(size=(4, 3))])
    gradcheck(lambda v, b: pf.nn.bias_add(v, b), [RNG.normal(size=(2, 3)), RNG.normal(size=(3,))])
