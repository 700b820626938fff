"""The general convolution (profond.ops.conv_nd: ranks 1-3, groups, transposes) and 3-D pooling
against torch (channels-last ↔ channels-first mapped), float64 gradchecks and second order."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.ops.conv import _same_pads, conv2d
from profond.ops.conv_nd import conv, conv_transpose
from profond.ops.pooling import avg_pool3d, max_pool3d
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(0)
TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _first(x):
    """Channels-last (N, *s, C) → torch's (N, C, *s)."""
    return x.movedim(-1, 1)


def _last(x):
    return x.movedim(1, -1)


def _torch_kernel(w):
    """Keras kernel (*k, Cin, Cout) → torch weight (Cout, Cin, *k)."""
    r = w.ndim - 2
    return w.permute(r + 1, r, *range(r))


def torch_conv(x, w, stride, padding, dilation, groups):
    r = x.ndim - 2
    xt = _first(x)
    if padding == "same":  # TF's placement: the odd pixel after
        pads = []
        for n, k in reversed(list(zip(x.shape[1:-1], w.shape[:r]))):
            pads += list(_same_pads(n, k, stride, dilation))
        xt = F.pad(xt, pads)
    y = TORCH_CONV[r](xt, _torch_kernel(w), stride=stride, dilation=dilation, groups=groups)
    return _last(y)


# (rank, groups, stride, dilation, padding)
CASES = [(1, 1, 1, 1, "valid"), (1, 2, 2, 1, "same"), (1, 4, 1, 2, "same"),
         (2, 2, 1, 1, "valid"), (2, 4, 2, 1, "same"), (2, 1, 1, 2, "valid"),
         (3, 1, 1, 1, "valid"), (3, 2, 2, 1, "same"), (3, 4, 1, 2, "same"), (3, 1, 2, 1, "valid")]
SPATIAL = (7, 6, 5)
KERNEL = (3, 2, 3)


def _case(rank, groups, channels=4, filters=8):
    x = rng.standard_normal((2,) + SPATIAL[:rank] + (channels,))
    w = rng.standard_normal(KERNEL[:rank] + (channels // groups, filters))
    return x, w


@pytest.mark.parametrize("rank,groups,stride,dilation,padding", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_matches_torch(rank, groups, stride, dilation, padding, dtype):
    x, w = _case(rank, groups)
    check_against_torch(lambda x, w: conv(x, w, stride, padding, dilation),
                        lambda x, w: torch_conv(x, w, stride, padding, dilation, groups),
                        [x, w], dtype=dtype, rtol=1e-4 if dtype == "float32" else None)


@pytest.mark.parametrize("rank,groups,stride,dilation,padding", CASES)
def test_conv_gradcheck(rank, groups, stride, dilation, padding):
    x = rng.standard_normal((1,) + (5, 5, 4)[:rank] + (4,))
    w = rng.standard_normal((3, 2, 2)[:rank] + (4 // groups, 4))
    assert gradcheck(lambda x, w: conv(x, w, stride, padding, dilation), [x, w])


@pytest.mark.parametrize("groups", [1, 2])
def test_conv_second_order_and_noncontiguous(groups):
    x = pf.testing.noncontiguous(rng.standard_normal((1, 4, 5, 3, 2)))
    w = rng.standard_normal((2, 2, 2, 2 // groups, 2))
    assert gradgradcheck(lambda x, w: conv(x, w, 2, "same"), [x, w])


def test_conv_rank2_equals_the_tuned_conv2d():
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 3, 3, 5))
    for stride, padding in [(1, "valid"), (2, "same")]:
        np.testing.assert_allclose(conv(x, w, stride, padding).numpy(),
                                   conv2d(x, w, stride, padding).numpy(), rtol=1e-12)


def torch_conv_transpose(x, w, stride, padding, out_spatial):
    """Torch's full transposed convolution, then TF's crop ('same' drops the "before" pads) or
    zeros after (an output longer than the full one)."""
    r = x.ndim - 2
    y = _last(TORCH_CONV_T[r](_first(x), w.permute(r + 1, r, *range(r)), stride=stride))
    for axis, (n, k) in enumerate(zip(out_spatial, w.shape[:r]), start=1):
        start = _same_pads(n, k, stride, 1)[0] if padding == "same" else 0
        y = y.narrow(axis, start, min(n, y.shape[axis] - start))
        if y.shape[axis] < n:
            y = torch.cat([y, y.new_zeros(*y.shape[:axis], n - y.shape[axis],
                                          *y.shape[axis + 1:])], axis)
    return y


# (rank, stride, padding, output spatial size)
T_CASES = [(1, 2, "valid", (9,)), (1, 2, "same", (8,)), (1, 3, "same", (11,)),
           (3, 2, "same", (8, 6, 6)), (3, 1, "valid", (6, 4, 5)), (3, 2, "valid", (10, 7, 8))]


@pytest.mark.parametrize("rank,stride,padding,out", T_CASES)
def test_conv_transpose_matches_torch_and_gradcheck(rank, stride, padding, out):
    x = rng.standard_normal((2,) + (4, 3, 3)[:rank] + (3,))
    w = rng.standard_normal((3, 2, 3)[:rank] + (2, 3))  # (*k, F, C)
    check_against_torch(lambda x, w: conv_transpose(x, w, out, stride, padding),
                        lambda x, w: torch_conv_transpose(x, w, stride, padding, out), [x, w])
    assert gradcheck(lambda x, w: conv_transpose(x, w, out, stride, padding), [x, w])


def test_conv_transpose_second_order():
    x, w = rng.standard_normal((1, 3, 2, 2, 2)), rng.standard_normal((2, 2, 2, 3, 2))
    assert gradgradcheck(lambda x, w: conv_transpose(x, w, (6, 4, 4), 2, "same"), [x, w])


def test_conv_errors_name_the_function_and_shapes():
    x = np.zeros((1, 5, 5, 5, 4), "float32")
    with pytest.raises(ValueError, match=r"conv: .*4 channels.*3 input channels"):
        conv(x, np.zeros((3, 3, 3, 3, 2), "float32"))
    with pytest.raises(ValueError, match=r"conv: .*filters a multiple"):
        conv(x, np.zeros((3, 3, 3, 2, 3), "float32"))  # 2 groups, 3 filters
    with pytest.raises(ValueError, match="same rank"):
        conv(x, np.zeros((3, 3, 4, 2), "float32"))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv(x, np.zeros((6, 3, 3, 4, 2), "float32"))
    with pytest.raises(ValueError, match="Received: padding='full'"):
        conv(x, np.zeros((3, 3, 3, 4, 2), "float32"), padding="full")
    with pytest.raises(ValueError, match="Received: strides=\\(1, 2\\)"):
        conv(x, np.zeros((3, 3, 3, 4, 2), "float32"), strides=(1, 2))
    with pytest.raises(ValueError, match="does not map back"):
        conv_transpose(np.zeros((1, 4, 2), "float32"), np.zeros((3, 5, 2), "float32"), (20,), 2)


def _box_pool_reference(x, pool, stride, padding, reduce):
    """Windows clipped to the input (TF's 'same': pads never count), reduced one by one."""
    n, *spatial, c = x.shape
    if padding == "same":
        out = [-(-s // st) for s, st in zip(spatial, stride)]
        before = [_same_pads(s, k, st, 1)[0] for s, k, st in zip(spatial, pool, stride)]
    else:
        out = [(s - k) // st + 1 for s, k, st in zip(spatial, pool, stride)]
        before = [0, 0, 0]
    y = np.zeros((n, *out, c))
    for o in itertools.product(*(range(m) for m in out)):
        lo = [oi * st - b for oi, st, b in zip(o, stride, before)]
        box = tuple(slice(max(a, 0), a + k) for a, k in zip(lo, pool))
        y[(slice(None),) + o] = reduce(x[(slice(None),) + box], axis=(1, 2, 3))
    return y


POOL3D = [((2, 2, 2), None, "valid", (2, 4, 5, 6, 3)), ((3, 2, 2), (1, 2, 1), "valid",
          (1, 5, 4, 5, 2)), ((3, 3, 3), (2, 2, 2), "same", (2, 5, 6, 5, 2)),
          ((2, 3, 1), (2, 1, 2), "same", (1, 3, 4, 5, 2))]


@pytest.mark.parametrize("pool,stride,padding,shape", POOL3D)
def test_pool3d_matches_torch_and_reference(pool, stride, padding, shape):
    x = rng.standard_normal(shape)
    st = stride or pool
    np.testing.assert_allclose(max_pool3d(x, pool, stride, padding).numpy(),
                               _box_pool_reference(x, pool, st, padding, np.max), rtol=1e-12)
    np.testing.assert_allclose(avg_pool3d(x, pool, stride, padding).numpy(),
                               _box_pool_reference(x, pool, st, padding, np.mean), rtol=1e-12)
    if padding == "valid":
        check_against_torch(lambda x: max_pool3d(x, pool, stride),
                            lambda x: _last(F.max_pool3d(_first(x), pool, st)), [x])
        check_against_torch(lambda x: avg_pool3d(x, pool, stride),
                            lambda x: _last(F.avg_pool3d(_first(x), pool, st)), [x])
    for pool_fn in (max_pool3d, avg_pool3d):
        assert gradcheck(lambda x, f=pool_fn: f(x, pool, stride, padding), [x])


def test_pool3d_second_order_and_ties():
    x = rng.standard_normal((1, 4, 4, 4, 2))
    assert gradgradcheck(lambda x: avg_pool3d(x, 2, 1, "same"), [x])
    assert gradgradcheck(lambda x: max_pool3d(x, 2), [x])
    z = pf.tensor(np.zeros((1, 2, 2, 2, 1)), requires_grad=True)  # all tied, as after ReLU
    (g,) = pf.grad(max_pool3d(z), [z])
    assert g.numpy().sum() == 1 and g.numpy().ravel()[0] == 1  # one element, the first


def test_pool3d_errors():
    with pytest.raises(ValueError, match="5-D input"):
        max_pool3d(np.zeros((1, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match="Received: pool_size=\\(2, 2\\)"):
        avg_pool3d(np.zeros((1, 4, 4, 4, 2), "float32"), (2, 2))
