"""conv2d, conv2d_transpose and pooling against torch (NHWC ↔ NCHW mapped), gradcheck, 2nd order."""

import numpy as np
import pytest
import torch.nn.functional as F

import profond as pf
from profond.ops.conv import conv2d, conv2d_transpose
from profond.ops.pooling import avg_pool2d, max_pool2d
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def nhwc(f):
    return lambda x: f(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


def torch_conv(x, w, stride, padding, dilation):
    y = F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=stride, padding=padding,
                 dilation=dilation)
    return y.permute(0, 2, 3, 1)


CONV_CASES = [(1, "valid", 1, 3), (2, "valid", 1, 3), (1, "same", 1, 3), (1, "same", 2, 3),
              (2, "valid", 1, 1), (1, "valid", 1, 2), (1, "same", 1, 1), (3, "valid", 1, 2)]


@pytest.mark.parametrize("stride,padding,dilation,k", CONV_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_matches_torch(stride, padding, dilation, k, dtype):
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((k, k, 3, 4))
    check_against_torch(lambda x, w: conv2d(x, w, stride, padding, dilation),
                        lambda x, w: torch_conv(x, w, stride, padding, dilation),
                        [x, w], dtype=dtype, rtol=1e-4 if dtype == "float32" else None)


@pytest.mark.parametrize("stride,padding,dilation,k", CONV_CASES)
def test_conv2d_gradcheck(stride, padding, dilation, k):
    gradcheck(lambda x, w: conv2d(x, w, stride, padding, dilation),
              [rng.standard_normal((2, 5, 6, 2)), rng.standard_normal((k, k, 2, 3))])


def test_conv2d_same_with_stride_pads_like_tf():
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 3, 3, 4))

    def torch_same(x, w):  # TF puts the odd padding pixel after: H (1, 1), W (0, 1)
        xp = F.pad(x.permute(0, 3, 1, 2), (0, 1, 1, 1))
        return F.conv2d(xp, w.permute(3, 2, 0, 1), stride=2).permute(0, 2, 3, 1)

    check_against_torch(lambda x, w: conv2d(x, w, 2, "same"), torch_same, [x, w])


def test_conv2d_second_order_and_noncontiguous():
    x = pf.testing.noncontiguous(rng.standard_normal((2, 5, 6, 2)))
    gradgradcheck(lambda x, w: conv2d(x, w, 2, "same"), [x, rng.standard_normal((3, 3, 2, 3))])


def test_conv2d_transpose_matches_torch_and_second_order():
    x, w = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((3, 3, 5, 4))
    check_against_torch(
        lambda x, w: conv2d_transpose(x, w, (7, 7), 2, "valid"),
        lambda x, w: F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1),
                                        stride=2).permute(0, 2, 3, 1),
        [x, w])
    gradgradcheck(lambda x, w: conv2d_transpose(x, w, (7, 7), 2, "valid"), [x, w])


def test_conv2d_errors_name_shapes():
    with pytest.raises(ValueError, match=r"3 channels.*expects 2"):
        conv2d(np.zeros((1, 5, 5, 3), "float32"), np.zeros((3, 3, 2, 4), "float32"))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(np.zeros((1, 2, 2, 1), "float32"), np.zeros((3, 3, 1, 1), "float32"))
    with pytest.raises(ValueError, match="padding"):
        conv2d(np.zeros((1, 5, 5, 1), "float32"), np.zeros((3, 3, 1, 1), "float32"), 1, "full")


POOL_CASES = [(2, None, (2, 6, 6, 3)), (2, None, (2, 7, 5, 3)), (3, 2, (2, 7, 7, 2)),
              (3, 1, (1, 5, 6, 2)), (2, 1, (2, 4, 4, 3))]


@pytest.mark.parametrize("k,s,shape", POOL_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pooling_matches_torch(k, s, shape, dtype):
    x = rng.standard_normal(shape)
    check_against_torch(lambda x: max_pool2d(x, k, s), nhwc(lambda x: F.max_pool2d(x, k, s)),
                        [x], dtype=dtype)
    check_against_torch(lambda x: avg_pool2d(x, k, s), nhwc(lambda x: F.avg_pool2d(x, k, s)),
                        [x], dtype=dtype)


@pytest.mark.parametrize("k,s,shape", POOL_CASES)
def test_pooling_gradcheck_and_second_order(k, s, shape):
    x = rng.standard_normal(shape)
    for pool in (max_pool2d, avg_pool2d):
        gradcheck(lambda x, pool=pool: pool(x, k, s), [x])
        gradgradcheck(lambda x, pool=pool: pool(x, k, s), [x])


def test_same_pooling_follows_tf():
    x = rng.standard_normal((2, 5, 5, 2))
    mean_ref, max_ref = np.zeros((2, 3, 3, 2)), np.zeros((2, 3, 3, 2))
    for i in range(3):
        for j in range(3):
            window = x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]  # pads are not counted
            mean_ref[:, i, j], max_ref[:, i, j] = window.mean(axis=(1, 2)), window.max(axis=(1, 2))
    np.testing.assert_allclose(avg_pool2d(x, 2, 2, "same").numpy(), mean_ref, rtol=1e-12)
    np.testing.assert_allclose(max_pool2d(x, 2, 2, "same").numpy(), max_ref, rtol=1e-12)
    gradcheck(lambda x: max_pool2d(x, 2, 2, "same"), [x])
    gradcheck(lambda x: avg_pool2d(x, 3, 2, "same"), [x])


def test_max_pool_sends_tied_gradient_to_one_element():
    x = pf.tensor(np.zeros((1, 2, 2, 1)), requires_grad=True)  # all tied, as after ReLU
    (g,) = pf.grad(max_pool2d(x), [x])
    np.testing.assert_array_equal(g.numpy().ravel(), [1, 0, 0, 0])


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh"])
def test_conv2d_with_fused_bias_and_activation_matches_torch(activation):
    act = {None: lambda v: v, "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh}[activation]
    x, w, b = (rng.standard_normal((2, 6, 5, 3)), rng.standard_normal((3, 3, 3, 4)),
               rng.standard_normal(4))
    check_against_torch(
        lambda x, w, b: conv2d(x, w, 1, "same", bias=b, activation=activation),
        lambda x, w, b: act(torch_conv(x, w, 1, 1, 1) + b), [x, w, b])
    gradcheck(lambda x, w, b: conv2d(x, w, 2, "valid", bias=b, activation=activation), [x, w, b])
    with pytest.raises(ValueError, match="bias of shape"):
        conv2d(x, w, bias=np.zeros(3))
