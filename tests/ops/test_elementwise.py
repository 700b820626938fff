"""Elementwise ops: values and gradients against PyTorch (float32 and float64), central
differences, second derivatives, broadcasting, non-contiguous inputs, dtypes, ties."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(0)


def rand(*shape, low=None):
    """Standard normal values; with ``low``, values in [low, low + 2) (away from poles)."""
    a = RNG.standard_normal(shape)
    return a if low is None else low + RNG.uniform(0, 2, shape)


def check(fn, torch_fn, inputs, second_order=False):
    shapes = [np.shape(a) for a in inputs]
    # NOTE: check_against_torch hands torch 0-d inputs as shape (1,); reshape them back.
    tfn = lambda *ts: torch_fn(*[t.reshape(s) for t, s in zip(ts, shapes)])  # noqa: E731
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, inputs, dtype=dtype)
    gradcheck(fn, inputs)
    if second_order:
        gradgradcheck(fn, inputs)


def check_noncontiguous(fn, inputs):
    """Strided inputs give the same values and gradients as contiguous ones."""
    u = None
    results = []
    for arrays in (inputs, [noncontiguous(a) for a in inputs]):
        xs = [pf.Tensor(a, requires_grad=True) for a in arrays]
        y = fn(*xs)
        u = RNG.standard_normal(y.shape) if u is None else u
        results.append([y.numpy()] + [g.numpy() for g in pf.grad(y, xs, grad_outputs=u)])
    assert not noncontiguous(inputs[0]).flags.c_contiguous or inputs[0].ndim == 0
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


SHAPES = [(3, 5), (2, 1, 4), ()]
PAIRS = [((3, 5), (3, 5)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), (3, 5)), ((2, 1, 4), (3, 1))]

UNARY = {
    "exp": (pf.exp, torch.exp, None),
    "log": (pf.log, torch.log, 0.5),
    "log1p": (pf.log1p, torch.log1p, -0.5),
    "sqrt": (pf.sqrt, torch.sqrt, 0.5),
    "square": (pf.square, torch.square, None),
    "negative": (pf.negative, torch.neg, None),
    "abs": (pf.abs, torch.abs, None),
    "sin": (pf.sin, torch.sin, None),
    "cos": (pf.cos, torch.cos, None),
}
SMOOTH = {"exp", "log", "log1p", "sqrt", "square", "sin", "cos"}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, shape):
    fn, tfn, low = UNARY[name]
    x = rand(*shape, low=low)
    check(fn, tfn, [x], second_order=name in SMOOTH)


BINARY = {
    "add": (pf.add, torch.add, None),
    "subtract": (pf.subtract, torch.sub, None),
    "multiply": (pf.multiply, torch.mul, None),
    "divide": (pf.divide, torch.div, 0.5),
    "pow": (pf.pow, torch.pow, 0.5),
    "maximum": (pf.maximum, torch.maximum, None),
    "minimum": (pf.minimum, torch.minimum, None),
}
SMOOTH2 = {"add", "subtract", "multiply", "divide", "pow"}


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting(name, shapes):
    fn, tfn, low = BINARY[name]
    a = rand(*shapes[0], low=low)
    b = rand(*shapes[1], low=low)
    check(fn, tfn, [a, b], second_order=name in SMOOTH2)


def test_operators_match_functions():
    a, b = rand(3, 4), rand(4, low=0.5)
    check(lambda x, y: (x + y) * (x - y) / y - x ** 3, lambda x, y: (x + y) * (x - y) / y - x ** 3,
          [a, b], second_order=True)
    check(lambda x, y: 2.0 - x / 3 + 1 / y, lambda x, y: 2.0 - x / 3 + 1 / y, [a, b])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs"])
def test_unary_noncontiguous(name):
    fn, _, low = UNARY[name]
    check_noncontiguous(fn, [rand(3, 4, low=low)])


@pytest.mark.parametrize("name", ["multiply", "divide", "pow", "maximum"])
def test_binary_noncontiguous(name):
    fn, _, low = BINARY[name]
    check_noncontiguous(fn, [rand(3, 4, low=low), rand(3, 4, low=low)])


@pytest.mark.parametrize("name", ["exp", "sqrt", "square", "sin"])
def test_float32_in_float32_out(name):
    fn = UNARY[name][0]
    x = pf.tensor(np.abs(rand(2, 3)).astype(np.float32) + 0.5, requires_grad=True)
    y = fn(x * 2.0 + 1)
    (g,) = pf.grad(y, [x])
    assert y.dtype == np.float32 and g.dtype == np.float32


def test_mixed_dtypes_give_each_input_its_own_gradient_dtype():
    a = pf.tensor(rand(3).astype(np.float32), requires_grad=True)
    b = pf.tensor(rand(3), requires_grad=True)
    y = a * b
    ga, gb = pf.grad(y, [a, b])
    assert y.dtype == np.float64 and ga.dtype == np.float32 and gb.dtype == np.float64


def test_maximum_minimum_tie_sends_whole_gradient_to_first_argument():
    a = pf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = pf.tensor([1.0, 0.0, 3.0], requires_grad=True)
    for op in (pf.maximum, pf.minimum):
        ga, gb = pf.grad(op(a, b), [a, b], grad_outputs=pf.tensor([1.0, 2.0, 3.0]))
        np.testing.assert_array_equal(ga.numpy() + gb.numpy(), [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(ga.numpy()[[0, 2]], [1.0, 3.0])


def test_pow_gradient_at_zero_base_and_negative_base():
    a = pf.tensor([0.0, 2.0, -2.0], dtype="float64", requires_grad=True)
    b = pf.tensor([2.0, 3.0, 2.0], dtype="float64", requires_grad=True)
    with np.errstate(invalid="ignore"):
        ga, gb = pf.grad(pf.pow(a, b), [a, b])
    ta = torch.tensor([0.0, 2.0, -2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([2.0, 3.0, 2.0], dtype=torch.float64, requires_grad=True)
    tga, tgb = torch.autograd.grad(torch.pow(ta, tb).sum(), [ta, tb])
    np.testing.assert_allclose(ga.numpy(), tga.numpy())
    np.testing.assert_allclose(gb.numpy(), tgb.numpy())  # 0, 8 ln 2, NaN as PyTorch


@pytest.mark.parametrize("shapes", [((3, 5), (3, 5), (3, 5)), ((3, 1), (1, 4), (3, 4)),
                                    ((4,), (2, 3, 4), ()), ((2, 1, 4), (3, 1), (1,))], ids=str)
def test_where(shapes):
    cond = RNG.standard_normal(shapes[2]) > 0
    fn = lambda x, y: pf.where(cond, x, y)  # noqa: E731
    tfn = lambda x, y: torch.where(torch.tensor(cond), x, y)  # noqa: E731
    check(fn, tfn, [rand(*shapes[0]), rand(*shapes[1])], second_order=True)


def test_where_accepts_tensor_list_and_array_conditions():
    x, y = pf.tensor([1.0, 2.0]), pf.tensor([10.0, 20.0])
    for cond in ([True, False], np.array([True, False]), pf.tensor([1.0, 2.0]) < 1.5):
        np.testing.assert_array_equal(pf.where(cond, x, y).numpy(), [1.0, 20.0])
    np.testing.assert_array_equal(pf.where(np.bool_(True), x, 0.0).numpy(), [1.0, 2.0])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_clip_by_value(shape):
    x = rand(*shape)
    check(lambda t: pf.clip_by_value(t, -0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), [x])


def test_clip_by_value_bounds_included_tensor_bounds_and_dtype():
    x = pf.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], requires_grad=True)
    y = pf.clip_by_value(x, -0.5, 0.5)
    (g,) = pf.grad(y, [x])
    assert y.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [0, 1, 1, 1, 0])  # as TF and torch.clamp
    lo = pf.tensor([[-1.0], [0.0]])
    np.testing.assert_array_equal(pf.clip_by_value(pf.ones((2, 3)) * 0.5 - 1, lo, 1.0).numpy(),
                                  [[-0.5] * 3, [0.0] * 3])
    with pytest.raises(ValueError, match="broadcast"):
        pf.clip_by_value(pf.ones((2, 3)), pf.zeros((4, 1)), 1.0)


def test_cast_between_floats_is_differentiable():
    x = pf.tensor(rand(2, 3), requires_grad=True)
    y = pf.cast(x, "float32")
    assert y.dtype == np.float32
    (g,) = pf.grad(y * y, [x], grad_outputs=np.ones((2, 3), np.float32))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy(), rtol=1e-6)
