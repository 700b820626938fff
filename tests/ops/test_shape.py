"""Shape ops: values and gradients against PyTorch, central differences, second derivatives
(through x ↦ op(x)², so the backward op itself is differentiated), errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(2)


def check(fn, torch_fn, inputs, second_order=True):
    for dtype in ("float32", "float64"):
        check_against_torch(fn, torch_fn, inputs, dtype=dtype)
    check_against_torch(fn, torch_fn, [noncontiguous(a) for a in inputs])
    gradcheck(fn, inputs)
    if second_order:
        square = lambda *xs: pf.square(fn(*xs))  # noqa: E731
        gradgradcheck(square, inputs)


def rand(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("shape,new", [((3, 5), (5, 3)), ((2, 1, 4), (-1,)), ((4,), (2, 1, 2))],
                         ids=str)
def test_reshape(shape, new):
    check(lambda t: pf.reshape(t, new), lambda t: torch.reshape(t, new), [rand(*shape)])


@pytest.mark.parametrize("shape,perm", [((3, 5), None), ((2, 3, 4), (1, 2, 0)),
                                        ((2, 3, 4), (-1, 0, 1))], ids=str)
def test_transpose(shape, perm):
    tperm = tuple(range(len(shape)))[::-1] if perm is None else perm
    check(lambda t: pf.transpose(t, perm), lambda t: t.permute(*tperm), [rand(*shape)])


def test_expand_dims_squeeze_broadcast_to():
    x = rand(3, 1, 4)
    check(lambda t: pf.expand_dims(t, -1), lambda t: t.unsqueeze(-1), [x])
    check(lambda t: pf.squeeze(t, 1), lambda t: t.squeeze(1), [x])
    check(lambda t: pf.broadcast_to(t, (2, 3, 5, 4)), lambda t: t.expand(2, 3, 5, 4), [x])
    with pytest.raises(ValueError, match="size 3"):
        pf.squeeze(pf.ones((3, 1)), 0)


@pytest.mark.parametrize("shapes,axis", [([(3, 5), (3, 2)], 1), ([(2, 1, 4), (1, 1, 4)], 0),
                                         ([(4,), (1,), (3,)], -1), ([(2, 3)], 0)], ids=str)
def test_concat(shapes, axis):
    xs = [rand(*s) for s in shapes]
    check(lambda *ts: pf.concat(list(ts), axis), lambda *ts: torch.cat(ts, axis), xs)


@pytest.mark.parametrize("shape,axis,n", [((3, 5), 0, 3), ((3, 5), -1, 2), ((), 0, 2),
                                          ((2, 1, 4), 3, 3)], ids=str)
def test_stack(shape, axis, n):
    xs = [rand(*shape) for _ in range(n)]
    # NOTE: check_against_torch hands torch 0-d inputs as shape (1,); reshape them back.
    check(lambda *ts: pf.stack(ts, axis),
          lambda *ts: torch.stack([t.reshape(shape) for t in ts], axis), xs)


# profond (TF) sizes, and the matching torch sizes (torch's int is a piece size, not a count)
@pytest.mark.parametrize("sizes,tsizes,axis", [(3, 1, 0), ([1, 4, 0], [1, 4, 0], 1),
                                               ([2, -1], [2, 3], -1)], ids=str)
def test_split(sizes, tsizes, axis):
    x = rand(3, 5)
    check(lambda t: tuple(pf.split(t, sizes, axis)),
          lambda t: torch.split(t, tsizes, axis), [x], second_order=False)
    check(lambda t: pf.concat([p * (i + 1) for i, p in enumerate(pf.split(t, sizes, axis))], axis),
          lambda t: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(t, tsizes, axis))],
                              axis), [x])


def test_split_with_unused_pieces_and_bad_sizes():
    x = pf.tensor(rand(4, 2), requires_grad=True)
    a, _, c = pf.split(x, [1, 2, 1])
    (g,) = pf.grad(a.sum() + 2 * c.sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [[1, 1], [0, 0], [0, 0], [2, 2]])
    with pytest.raises(ValueError, match="3 equal parts"):
        pf.split(x, 3)
    with pytest.raises(ValueError, match="add up"):
        pf.split(x, [1, 2])


@pytest.mark.parametrize("shape,paddings", [((3, 5), [[1, 2], [0, 3]]),
                                            ((2, 1, 4), [[0, 0], [2, 1], [1, 1]]),
                                            ((4,), [[3, 0]])], ids=str)
def test_pad_constant(shape, paddings):
    flat = [p for pair in paddings[::-1] for p in pair]
    check(lambda t: pf.pad(t, paddings, constant_values=1.5),
          lambda t: F.pad(t, flat, value=1.5), [rand(*shape)])


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_pad_mirror_modes(mode):
    x = rand(3, 4)
    paddings = [[1, 2], [2, 1]]
    ref = np.pad(x, paddings, mode=mode.lower())
    np.testing.assert_array_equal(pf.pad(x, paddings, mode).numpy(), ref)
    gradcheck(lambda t: pf.pad(t, paddings, mode), [x])
    gradgradcheck(lambda t: pf.square(pf.pad(t, paddings, mode)), [x])
    if mode == "REFLECT":
        check(lambda t: pf.pad(t, paddings, mode),
              lambda t: F.pad(t[None], [2, 1, 1, 2], mode="reflect")[0], [x])


def test_pad_errors_and_dtype():
    x = pf.ones((2, 3))
    assert pf.pad(x, [[1, 1], [1, 1]]).dtype == np.float32
    with pytest.raises(ValueError, match="pair per axis"):
        pf.pad(x, [[1, 1]])
    with pytest.raises(ValueError, match="non-negative"):
        pf.pad(x, [[1, 1], [-1, 0]])
    with pytest.raises(ValueError, match="mode"):
        pf.pad(x, [[1, 1], [1, 1]], mode="WRAP")


@pytest.mark.parametrize("shape,multiples", [((3, 5), (2, 1)), ((2, 1, 4), (1, 3, 2)),
                                             ((4,), (3,))], ids=str)
def test_tile(shape, multiples):
    check(lambda t: pf.tile(t, multiples), lambda t: t.repeat(*multiples), [rand(*shape)])


def test_concat_stack_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 3\)"):
        pf.concat([pf.ones((2, 3)), pf.ones((3, 3))], axis=1)
    with pytest.raises(ValueError, match="one shape"):
        pf.stack([pf.ones((2,)), pf.ones((3,))])
    with pytest.raises(ValueError, match="out of bounds"):
        pf.concat([pf.ones((2,))], axis=1)


def test_float32_preserved_through_shape_ops():
    x = pf.tensor(rand(2, 3).astype(np.float32), requires_grad=True)
    y = pf.concat([pf.stack([x, x], 1)[:, 0], pf.pad(x, [[0, 0], [1, 0]])], 1)
    y = pf.tile(pf.transpose(y), (2, 1))
    (g,) = pf.grad(y, [x])
    assert y.dtype == np.float32 and g.dtype == np.float32


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack_matches_torch_unbind_and_is_differentiable(axis):
    x = np.random.default_rng(5).standard_normal((3, 4, 2))
    check_against_torch(lambda x: tuple(pf.unstack(x, axis)),
                        lambda x: torch.unbind(x, dim=axis), [x])
    gradcheck(lambda x: pf.stack(pf.unstack(x, axis)[::-1], axis) * 2.0, [x])
    gradgradcheck(lambda x: pf.square(pf.stack(pf.unstack(x, axis), axis)), [x])
