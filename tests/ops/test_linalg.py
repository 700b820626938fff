"""matmul: values and gradients against PyTorch for every rank combination and broadcast batch,
central differences, second derivatives, dtypes and shape errors."""

import re

import numpy as np
import pytest
import torch

import profond as pf
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(3)

SHAPES = [
    ((3, 5), (5, 2)),
    ((5,), (5, 2)),
    ((3, 5), (5,)),
    ((5,), (5,)),
    ((2, 3, 5), (5, 4)),
    ((3, 5), (2, 5, 4)),
    ((2, 1, 3, 5), (4, 5, 2)),
    ((4,), (2, 4, 3)),
    ((1, 1), (1, 1)),
]


@pytest.mark.parametrize("sa,sb", SHAPES, ids=str)
def test_matmul(sa, sb):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    for dtype in ("float32", "float64"):
        check_against_torch(pf.matmul, torch.matmul, [a, b], dtype=dtype)
    check_against_torch(pf.matmul, torch.matmul, [noncontiguous(a), noncontiguous(b)])
    gradcheck(pf.matmul, [a, b])
    gradgradcheck(pf.matmul, [a, b])


def test_operator_and_second_derivative_through_a_nonlinearity():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
    fn = lambda x, w: pf.exp(x @ w) @ pf.transpose(w)  # noqa: E731
    check_against_torch(fn, lambda x, w: torch.exp(x @ w) @ w.T, [a, b])
    gradgradcheck(fn, [a, b])


def test_float32_in_float32_out():
    a = pf.tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = pf.tensor(RNG.standard_normal((2, 4, 5)).astype(np.float32), requires_grad=True)
    y = a @ b
    ga, gb = pf.grad(y, [a, b])
    assert y.dtype == ga.dtype == gb.dtype == np.float32


@pytest.mark.parametrize("sa,sb", [((3, 4), (5, 2)), ((4,), (5, 2)), ((3, 4), (5,)),
                                   ((3,), (4,))], ids=str)
def test_inner_dimension_mismatch_names_both_shapes(sa, sb):
    message = f"inner dimensions differ. Expected a.shape[-1] == b.shape[-2]. " \
              f"Received shapes: {sa} and {sb}"
    with pytest.raises(ValueError, match=re.escape(message)):
        pf.matmul(pf.ones(sa), pf.ones(sb))


def test_other_shape_errors():
    with pytest.raises(ValueError, match="batch dimensions"):
        pf.matmul(pf.ones((2, 3, 4)), pf.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="rank >= 1"):
        pf.matmul(pf.ones(()), pf.ones((3,)))
