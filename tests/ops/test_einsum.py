"""``einsum``, ``tensordot`` and ``outer``: values against NumPy, values and gradients against
PyTorch, central differences and second derivatives, broadcasting, ellipsis, bad equations."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.ops.contraction import einsum, outer, tensordot
from profond.testing import check_against_torch, gradcheck, gradgradcheck

RNG = np.random.default_rng(0)

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),  # matrix product
    ("bij,bjk", [(2, 2, 3), (2, 3, 4)]),  # implicit output: "bik"
    ("i,i->", [(3,), (3,)]),  # dot product
    ("ij->ji", [(2, 3)]),  # transpose
    ("ij->i", [(2, 3)]),  # a sum: the gradient is broadcast back
    ("ij->", [(2, 3)]),
    ("ij,k->ik", [(2, 3), (4,)]),  # j summed away inside one operand
    ("...ij,...jk->...ik", [(1, 2, 3), (5, 3, 2)]),  # broadcast batch axes
    ("...i,i", [(2, 3, 4), (4,)]),
    ("bi,bi->b", [(1, 3), (4, 3)]),  # a size-1 axis broadcast against 4
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 2)]),  # three operands
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),  # attention scores
    ("bij,bjk->bik", [(4, 40, 30), (4, 30, 20)]),  # large: NumPy's optimized (BLAS) path
]


@pytest.mark.parametrize("equation,shapes", CASES)
def test_einsum_against_numpy_and_torch(equation, shapes):
    xs = [RNG.standard_normal(s) for s in shapes]
    ref = np.einsum(equation, *xs)
    got = einsum(equation, *xs)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)
    for dtype in ("float32", "float64"):
        check_against_torch(lambda *t: einsum(equation, *t),
                            lambda *t: torch.einsum(equation, *t), xs, dtype=dtype,
                            rtol=1e-4 if dtype == "float32" else None,
                            atol=1e-5 if dtype == "float32" else None)
    gradcheck(lambda *t: einsum(equation, *t), xs)
    gradgradcheck(lambda *t: einsum(equation, *t), xs)


def test_einsum_float32_stays_float32_and_mixed_dtypes_promote():
    a = pf.ones((2, 3))
    assert einsum("ij,jk->ik", a, pf.ones((3, 2))).dtype == np.float32
    assert einsum("ij,jk->ik", a, np.ones((3, 2))).dtype == np.float64


def test_einsum_refuses_bad_equations_clearly():
    with pytest.raises(NotImplementedError, match="repeated inside one operand"):
        einsum("ii->i", np.eye(2))
    with pytest.raises(ValueError, match="names 2 operands"):
        einsum("ij,jk->ik", np.eye(2))
    with pytest.raises(ValueError, match="rank 2"):
        einsum("ijk->i", np.eye(2))
    with pytest.raises(ValueError, match="output letter"):
        einsum("ij->iz", np.eye(2))


@pytest.mark.parametrize("axes", [0, 1, 2, ([1, 0], [0, 1]), (1, 0)])
def test_tensordot_against_numpy_and_torch(axes):
    a, b = RNG.standard_normal((3, 4, 5)), RNG.standard_normal((4, 3, 5))
    if axes in (1, 2):
        b = RNG.standard_normal((4, 5, 2)) if axes == 2 else RNG.standard_normal((5, 2))
    if axes == (1, 0):
        b = RNG.standard_normal((4, 2))
    np.testing.assert_allclose(tensordot(a, b, axes).numpy(), np.tensordot(a, b, axes),
                               rtol=1e-12)
    dims = ([axes[0]], [axes[1]]) if isinstance(axes, tuple) and isinstance(axes[0], int) \
        else axes  # torch wants lists for a single pair of axes
    check_against_torch(lambda x, y: tensordot(x, y, axes),
                        lambda x, y: torch.tensordot(x, y, dims), [a, b])
    gradcheck(lambda x, y: tensordot(x, y, axes), [a, b])


def test_tensordot_and_outer_errors_and_values():
    with pytest.raises(ValueError, match="differ in size"):
        tensordot(np.ones((2, 3)), np.ones((4, 2)), 1)
    a, b = RNG.standard_normal((2, 2)), RNG.standard_normal(3)
    np.testing.assert_allclose(outer(a, b).numpy(), np.outer(a, b))
    gradcheck(outer, [a, b])


def test_top_level_names():
    assert pf.einsum is not None and pf.tensordot is not None
    np.testing.assert_allclose(pf.linalg.einsum("i,i->", [1.0, 2.0], [3.0, 4.0]).numpy(), 11.0)
