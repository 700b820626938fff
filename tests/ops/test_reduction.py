"""Reductions: values and gradients against PyTorch, central differences, second derivatives,
keepdims, ties in max/min, −∞ slices in logsumexp."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(1)


def check(fn, torch_fn, x, second_order=False):
    # NOTE: check_against_torch hands torch 0-d inputs as shape (1,); reshape them back.
    tfn = lambda t: torch_fn(t.reshape(np.shape(x)))  # noqa: E731
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, [x], dtype=dtype)
    check_against_torch(fn, tfn, [noncontiguous(x)], dtype="float64")
    gradcheck(fn, [x])
    if second_order:
        gradgradcheck(fn, [x])


def torch_dims(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


CASES = [((3, 5), None), ((3, 5), 0), ((3, 5), -1), ((2, 1, 4), (0, 2)), ((2, 3, 4), 1), ((), None)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_sum_and_mean(shape, axis, keepdims):
    x = RNG.standard_normal(shape)
    dims = torch_dims(axis, len(shape))
    check(lambda t: pf.reduce_sum(t, axis, keepdims),
          lambda t: torch.sum(t, dims, keepdim=keepdims), x, second_order=True)
    check(lambda t: pf.reduce_mean(t, axis, keepdims),
          lambda t: torch.mean(t, dims, keepdim=keepdims), x, second_order=True)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_logsumexp(shape, axis, keepdims):
    x = RNG.standard_normal(shape)
    dims = torch_dims(axis, len(shape))
    check(lambda t: pf.reduce_logsumexp(t, axis, keepdims),
          lambda t: torch.logsumexp(t, dims, keepdim=keepdims), x, second_order=True)


@pytest.mark.parametrize("shape,axis", CASES[:5], ids=str)
def test_variance_and_std(shape, axis):
    x = RNG.standard_normal(shape)
    dims = torch_dims(axis, len(shape))
    check(lambda t: pf.reduce_variance(t, axis),
          lambda t: torch.var(t, dims, correction=0), x, second_order=True)
    check(lambda t: pf.reduce_std(t, axis, keepdims=True),
          lambda t: torch.std(t, dims, correction=0, keepdim=True), x)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", [((3, 5), 0), ((3, 5), -1), ((2, 3, 4), 1)], ids=str)
def test_max_min_along_one_axis(shape, axis, keepdims):
    x = RNG.standard_normal(shape)
    check(lambda t: pf.reduce_max(t, axis, keepdims),
          lambda t: torch.max(t, axis, keepdim=keepdims).values, x)
    check(lambda t: pf.reduce_min(t, axis, keepdims),
          lambda t: torch.min(t, axis, keepdim=keepdims).values, x)


@pytest.mark.parametrize("shape,axis", [((3, 5), None), ((2, 1, 4), (0, 2)), ((), None)], ids=str)
def test_max_min_over_several_axes(shape, axis):
    x = RNG.standard_normal(shape)
    dims = torch_dims(axis, len(shape))
    check(lambda t: pf.reduce_max(t, axis), lambda t: torch.amax(t, dims), x)
    check(lambda t: pf.reduce_min(t, axis), lambda t: torch.amin(t, dims), x)


def test_max_tie_sends_gradient_to_first_maximal_element_only():
    x = pf.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    (g,) = pf.grad(pf.reduce_max(x, axis=1), [x], grad_outputs=pf.tensor([5.0, 7.0]))
    np.testing.assert_array_equal(g.numpy(), [[0, 5, 0], [7, 0, 0]])
    t = torch.tensor(x.numpy(), requires_grad=True)  # torch.max(dim) agrees
    torch.max(t, 1).values.backward(torch.tensor([5.0, 7.0]))
    np.testing.assert_array_equal(g.numpy(), t.grad.numpy())
    (g,) = pf.grad(pf.reduce_min(pf.ones((2, 2)) * x[:, :2], axis=None), [x])
    np.testing.assert_array_equal(g.numpy(), [[1, 0, 0], [0, 0, 0]])


def test_logsumexp_with_minus_infinity():
    inf = float("inf")
    x = pf.tensor([[-inf, -inf, -inf], [-inf, 0.0, 1.0], [1000.0, 1000.0, -inf]],
                  dtype="float64", requires_grad=True)
    y = pf.reduce_logsumexp(x, axis=1)
    (g,) = pf.grad(y, [x])
    np.testing.assert_allclose(y.numpy(), [-inf, np.log(1 + np.e), 1000 + np.log(2)])
    e = np.exp([0.0, 1.0]) / (1 + np.e)
    np.testing.assert_allclose(g.numpy(), [[0, 0, 0], [0, e[0], e[1]], [0.5, 0.5, 0]])


def test_large_values_do_not_overflow():
    x = pf.tensor([1e4, 1e4 + 1], requires_grad=True)
    y = pf.reduce_logsumexp(x)
    (g,) = pf.grad(y, [x])
    assert np.isfinite(y.numpy()) and np.all(np.isfinite(g.numpy()))
    assert y.dtype == np.float32 and g.dtype == np.float32


@pytest.mark.parametrize("op", [pf.reduce_sum, pf.reduce_mean, pf.reduce_max,
                                pf.reduce_logsumexp, pf.reduce_variance])
def test_float32_in_float32_out(op):
    x = pf.tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = op(x, axis=1)
    (g,) = pf.grad(y, [x])
    assert y.dtype == np.float32 and g.dtype == np.float32


def test_bad_axis_raises():
    with pytest.raises(ValueError, match="out of bounds"):
        pf.reduce_sum(pf.ones((2, 3)), axis=2)
