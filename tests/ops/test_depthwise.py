"""Depthwise and separable convolutions (profond.ops.conv_nd) against torch's grouped
convolutions, float64 gradchecks and second order."""

import numpy as np
import pytest
import torch.nn.functional as F

from profond.ops.conv import _same_pads
from profond.ops.depthwise import depthwise_conv, separable_conv
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(1)
TORCH_CONV = {1: F.conv1d, 2: F.conv2d}


def torch_depthwise(x, w, stride, padding, dilation):
    """Keras depthwise kernel (*k, C, M) → torch grouped weight (C·M, 1, *k), groups = C: output
    channel c·M + m, as Keras's."""
    r = x.ndim - 2
    c, m = w.shape[-2:]
    xt = x.movedim(-1, 1)
    if padding == "same":
        pads = []
        for n, k in reversed(list(zip(x.shape[1:-1], w.shape[:r]))):
            pads += list(_same_pads(n, k, stride, dilation))
        xt = F.pad(xt, pads)
    wt = w.reshape(*w.shape[:r], c * m).movedim(-1, 0).unsqueeze(1)
    return TORCH_CONV[r](xt, wt, stride=stride, dilation=dilation, groups=c).movedim(1, -1)


def torch_pointwise(y, p):
    r = y.ndim - 2
    return TORCH_CONV[r](y.movedim(-1, 1), p.permute(r + 1, r, *range(r))).movedim(1, -1)


# (rank, depth multiplier, stride, dilation, padding); Keras allows strides with dilation here
CASES = [(2, 1, 1, 1, "valid"), (2, 2, 2, 1, "same"), (2, 3, 1, 2, "same"),
         (2, 2, 2, 2, "valid"), (1, 1, 1, 1, "valid"), (1, 2, 2, 1, "same"),
         (1, 2, 1, 2, "valid")]


def _inputs(rank, mult, channels=3):
    x = rng.standard_normal((2,) + (9, 8)[:rank] + (channels,))
    w = rng.standard_normal((3, 2)[:rank] + (channels, mult))
    return x, w


@pytest.mark.parametrize("rank,mult,stride,dilation,padding", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_depthwise_matches_torch(rank, mult, stride, dilation, padding, dtype):
    x, w = _inputs(rank, mult)
    check_against_torch(lambda x, w: depthwise_conv(x, w, stride, padding, dilation),
                        lambda x, w: torch_depthwise(x, w, stride, padding, dilation),
                        [x, w], dtype=dtype, rtol=1e-4 if dtype == "float32" else None)


@pytest.mark.parametrize("rank,mult,stride,dilation,padding", CASES)
def test_separable_matches_torch_and_gradcheck(rank, mult, stride, dilation, padding):
    x, w = _inputs(rank, mult)
    p = rng.standard_normal((1,) * rank + (3 * mult, 4))
    check_against_torch(
        lambda x, w, p: separable_conv(x, w, p, stride, padding, dilation),
        lambda x, w, p: torch_pointwise(torch_depthwise(x, w, stride, padding, dilation), p),
        [x, w, p])
    small = x[:1, :7]
    assert gradcheck(lambda x, w, p: separable_conv(x, w, p, stride, padding, dilation),
                     [small, w, p])


@pytest.mark.parametrize("rank,mult,stride,dilation,padding", CASES)
def test_depthwise_gradcheck(rank, mult, stride, dilation, padding):
    x, w = _inputs(rank, mult)
    assert gradcheck(lambda x, w: depthwise_conv(x, w, stride, padding, dilation), [x[:1], w])


def test_depthwise_second_order():
    x, w = _inputs(2, 2)
    assert gradgradcheck(lambda x, w: depthwise_conv(x, w, 2, "same"), [x[:1, :5, :5], w])


def test_depthwise_channel_order_is_keras():
    """Output channel c·M + m is input channel c filtered by W[..., c, m]."""
    x = rng.standard_normal((1, 4, 4, 2))
    w = rng.standard_normal((1, 1, 2, 3))
    y = depthwise_conv(x, w).numpy()
    np.testing.assert_allclose(y, (x[..., :, None] * w[0, 0]).reshape(1, 4, 4, 6), rtol=1e-12)


def test_depthwise_errors():
    with pytest.raises(ValueError, match=r"depthwise_conv: .*input shape \(1, 5, 5, 3\)"):
        depthwise_conv(np.zeros((1, 5, 5, 3), "float32"), np.zeros((3, 3, 2, 1), "float32"))
    with pytest.raises(ValueError, match="depthwise_conv"):
        depthwise_conv(np.zeros((1, 5, 5, 3), "float32"), np.zeros((3, 3, 1), "float32"))
