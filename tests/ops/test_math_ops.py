"""The math, scan, selection, matrix and norm ops: values against NumPy, values and gradients
against PyTorch (float32 and float64), central differences, second derivatives, bad input."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.ops import cumulative, math, matrix, norms, selection, special
from profond.testing import check_against_torch, gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def rand(*shape, low=None, high=None):
    """Standard normal values, or uniform in [low, high)."""
    if low is None:
        return RNG.standard_normal(shape)
    return RNG.uniform(low, high, shape)


def check(fn, torch_fn, inputs, second_order=True, nondiff=()):
    for dtype in ("float32", "float64"):
        check_against_torch(fn, torch_fn, inputs, dtype=dtype, nondiff=nondiff,
                            rtol=1e-4 if dtype == "float32" else None,
                            atol=1e-5 if dtype == "float32" else None)
    gradcheck(fn, inputs, nondiff=nondiff)
    if second_order:
        gradgradcheck(fn, inputs, nondiff=nondiff)


# --- elementwise --------------------------------------------------------------------------------

UNARY = {
    "tan": (math.tan, torch.tan, (-1.2, 1.2)),
    "sinh": (math.sinh, torch.sinh, None),
    "cosh": (math.cosh, torch.cosh, None),
    "asin": (math.asin, torch.asin, (-0.9, 0.9)),
    "acos": (math.acos, torch.acos, (-0.9, 0.9)),
    "atan": (math.atan, torch.atan, None),
    "asinh": (math.asinh, torch.asinh, None),
    "acosh": (math.acosh, torch.acosh, (1.1, 3.0)),
    "atanh": (math.atanh, torch.atanh, (-0.9, 0.9)),
    "expm1": (math.expm1, torch.expm1, None),
    "log2": (math.log2, torch.log2, (0.2, 3.0)),
    "log10": (math.log10, torch.log10, (0.2, 3.0)),
    "exp2": (math.exp2, torch.exp2, None),
    "rsqrt": (math.rsqrt, torch.rsqrt, (0.2, 3.0)),
    "reciprocal": (math.reciprocal, torch.reciprocal, (0.5, 3.0)),
    "log_sigmoid": (math.log_sigmoid, torch.nn.functional.logsigmoid, None),
    "sinc": (math.sinc, torch.sinc, None),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(3, 4), (5,), ()])
def test_unary_against_torch(name, shape):
    fn, tfn, bounds = UNARY[name]
    x = rand(*shape) if bounds is None else rand(*shape, low=bounds[0], high=bounds[1])
    check(fn, lambda t: tfn(t.reshape(shape)), [x])


BINARY = {
    "atan2": (math.atan2, torch.atan2),
    "logaddexp": (math.logaddexp, torch.logaddexp),
    "squared_difference": (math.squared_difference, lambda a, b: (a - b) ** 2),
    "floormod": (math.floormod, torch.remainder),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4))])
def test_binary_against_torch_with_broadcasting(name, shapes):
    fn, tfn = BINARY[name]
    a, b = rand(*shapes[0]), rand(*shapes[1])
    if name == "floormod":
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from 0
    check(fn, tfn, [a, b], second_order=name != "floormod")


def test_log_sigmoid_and_logaddexp_are_stable():
    x = pf.constant([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(math.log_sigmoid(x).numpy(), [-1000.0, -np.log(2), 0.0], rtol=1e-6)
    assert np.isfinite(math.logaddexp(x, x).numpy()).all()


def test_scalars_do_not_upcast_float32():
    x = pf.constant([1.0, 2.0])
    for y in (math.atan2(x, 1.0), math.logaddexp(x, 0), math.floormod(x, 2), math.rsqrt(x)):
        assert y.dtype == np.float32


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_step_functions_match_numpy_and_have_zero_gradient(name):
    x = np.array([-2.5, -1.5, -0.4, 0.5, 1.5, 2.5, 2.7])
    ref = {"floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.round}[name](x)
    t = pf.Tensor(x, requires_grad=True)
    y = getattr(math, name)(t)
    np.testing.assert_array_equal(y.numpy(), ref)  # round: halves to even, as TF
    (g,) = pf.grad(y.sum(), [t])
    np.testing.assert_array_equal(g.numpy(), np.zeros_like(x))


def test_round_decimals_and_integer_inputs():
    np.testing.assert_allclose(math.round(pf.constant([1.234, 5.678]), 2).numpy(), [1.23, 5.68],
                               rtol=1e-6)
    ints = pf.constant(np.array([1, 2], dtype=np.int32))
    assert math.floor(ints).dtype == np.int32


def test_floordiv_and_floormod_follow_python_signs():
    a, b = np.array([-3.0, 3.0, -7.0]), np.array([2.0, -2.0, 3.0])
    np.testing.assert_array_equal(math.floordiv(a, b).numpy(), a // b)
    np.testing.assert_array_equal(math.floormod(a, b).numpy(), a % b)


def test_predicates_and_logical_ops():
    x = pf.constant([1.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(math.is_nan(x).numpy(), [False, True, False, False])
    np.testing.assert_array_equal(math.is_inf(x).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(math.is_finite(x).numpy(), [True, False, False, False])
    a, b = np.array([True, True, False]), np.array([True, False, False])
    np.testing.assert_array_equal(math.logical_and(a, b).numpy(), a & b)
    np.testing.assert_array_equal(math.logical_or(a, b).numpy(), a | b)
    np.testing.assert_array_equal(math.logical_xor(a, b).numpy(), a ^ b)
    np.testing.assert_array_equal(math.logical_not(a).numpy(), ~a)
    np.testing.assert_array_equal(math.greater([1, 2], 1).numpy(), [False, True])
    np.testing.assert_array_equal(math.less_equal([1, 2], 1).numpy(), [True, False])


def test_nan_to_num_values_and_gradient():
    x = pf.Tensor(np.array([np.nan, np.inf, -np.inf, 2.0], dtype=np.float32), requires_grad=True)
    y = math.nan_to_num(x, nan=0.5)
    info = np.finfo(np.float32)
    np.testing.assert_array_equal(y.numpy(), [0.5, info.max, info.min, 2.0])
    (g,) = pf.grad(y.sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [0, 0, 0, 1])


# --- scans and products -------------------------------------------------------------------------


def _numpy_scan(f, x, axis, exclusive, reverse, identity):
    x = np.flip(x, axis) if reverse else x
    y = f(x, axis=axis)
    if exclusive:
        y = np.concatenate([np.full_like(np.take(y, [0], axis), identity),
                            np.take(y, range(x.shape[axis] - 1), axis)], axis)
    return np.flip(y, axis) if reverse else y


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_and_cumprod_variants(exclusive, reverse, axis):
    x = rand(3, 4)
    for op, ref, identity in ((cumulative.cumsum, np.cumsum, 0),
                              (cumulative.cumprod, np.cumprod, 1)):
        y = op(x, axis, exclusive, reverse)
        np.testing.assert_allclose(y.numpy(), _numpy_scan(ref, x, axis, exclusive, reverse,
                                                          identity), rtol=1e-12)
        gradcheck(lambda t, op=op: op(t, axis, exclusive, reverse), [x])


def test_cumsum_cumprod_against_torch_second_order():
    x = rand(2, 5)
    check(lambda t: cumulative.cumsum(t, 1), lambda t: torch.cumsum(t, 1), [x])
    check(lambda t: cumulative.cumprod(t, 1), lambda t: torch.cumprod(t, 1), [x])


def test_cumprod_gradient_is_exact_with_zeros():
    x = rand(3, 6)
    x[0, 2] = 0.0
    x[1, 1] = x[1, 4] = 0.0  # two zeros in one row
    x[2, 0] = 0.0
    check_against_torch(lambda t: cumulative.cumprod(t, 1), lambda t: torch.cumprod(t, 1), [x])
    check_against_torch(lambda t: cumulative.cumprod(t, 1, reverse=True),
                        lambda t: torch.flip(torch.cumprod(torch.flip(t, [1]), 1), [1]), [x])


@pytest.mark.parametrize("axis", [None, 0, (0, 2), -1])
def test_reduce_prod_against_torch_with_zeros(axis):
    x = rand(2, 3, 4)
    x[1, 2, 3] = 0.0
    ref = np.prod(x, axis=axis, keepdims=True)
    np.testing.assert_allclose(cumulative.reduce_prod(x, axis, keepdims=True).numpy(), ref)
    dims = None if axis is None else ([axis] if isinstance(axis, int) else list(axis))

    def tprod(t):
        for d in sorted([a % 3 for a in dims] if dims else [0, 1, 2], reverse=True):
            t = torch.prod(t, d)
        return t

    check_against_torch(lambda t: cumulative.reduce_prod(t, axis), tprod, [x])
    gradcheck(lambda t: cumulative.reduce_prod(t, axis), [x])


def test_reduce_prod_of_nothing_is_one_and_bool_reductions():
    assert cumulative.reduce_prod(np.zeros((2, 0)), 1).numpy().tolist() == [1.0, 1.0]
    x = np.array([[0, 1, 2], [0, 0, 3]])
    np.testing.assert_array_equal(cumulative.reduce_any(x, 1).numpy(), [True, True])
    np.testing.assert_array_equal(cumulative.reduce_all(x, 0).numpy(), [False, False, True])
    np.testing.assert_array_equal(cumulative.count_nonzero(x, 0).numpy(), [0, 1, 2])
    assert cumulative.count_nonzero(x).dtype == np.int64


# --- sorting and selection ----------------------------------------------------------------------


def test_sort_argsort_top_k_against_torch():
    x = rand(3, 5)
    check(lambda t: selection.sort(t, -1), lambda t: torch.sort(t, -1).values, [x])
    check(lambda t: selection.sort(t, 0, "DESCENDING"),
          lambda t: torch.sort(t, 0, descending=True).values, [x])
    check(lambda t: selection.top_k(t, 3).values, lambda t: torch.topk(t, 3).values, [x])
    np.testing.assert_array_equal(selection.argsort(x).numpy(), np.argsort(x, kind="stable"))
    top = selection.top_k(x, 2)
    np.testing.assert_array_equal(top.indices.numpy(), torch.topk(torch.tensor(x), 2).indices)
    assert top.indices.dtype == np.int32


def test_top_k_ties_go_to_the_lower_index_and_bad_k():
    top = selection.top_k(pf.constant([1.0, 3.0, 3.0, 2.0]), 2)
    assert top.indices.numpy().tolist() == [1, 2]
    with pytest.raises(ValueError, match="k=5"):
        selection.top_k(pf.constant([1.0, 2.0]), 5)


def test_in_top_k():
    p = np.array([[0.1, 0.8, 0.1], [0.5, 0.2, 0.3]])
    np.testing.assert_array_equal(selection.in_top_k([1, 2], p, 1).numpy(), [True, False])
    np.testing.assert_array_equal(selection.in_top_k([1, 2], p, 2).numpy(), [True, True])


def test_take_along_axis_take_gather_nd_against_numpy_and_gradients():
    x = rand(3, 4)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    np.testing.assert_array_equal(selection.take_along_axis(x, idx, 1).numpy(),
                                  np.take_along_axis(x, idx, 1))
    check(lambda t: selection.take_along_axis(t, idx, 1),
          lambda t: torch.take_along_dim(t, torch.tensor(idx), 1), [x])
    np.testing.assert_array_equal(selection.take(x, [[0, 5]]).numpy(), np.take(x, [[0, 5]]))
    np.testing.assert_array_equal(selection.take(x, [2, 0, 2], axis=1).numpy(),
                                  np.take(x, [2, 0, 2], axis=1))
    gradcheck(lambda t: selection.take(t, [2, 0, 2], axis=1), [x])
    nd = np.array([[0, 1], [2, 3], [0, 1]])
    np.testing.assert_array_equal(selection.gather_nd(x, nd).numpy(), x[nd[:, 0], nd[:, 1]])
    gradcheck(lambda t: selection.gather_nd(t, nd), [x])  # (0, 1) picked twice: gradients add
    with pytest.raises(TypeError, match="integer indices"):
        selection.take(x, [0.5])


def test_repeat_roll_flip_against_numpy():
    x = rand(2, 3)
    for args in (dict(repeats=2), dict(repeats=2, axis=1), dict(repeats=[1, 3], axis=0)):
        np.testing.assert_array_equal(selection.repeat(x, **args).numpy(), np.repeat(x, **args))
    for shift, axis in ((1, None), (-2, 1), ((1, 2), (0, 1))):
        np.testing.assert_array_equal(selection.roll(x, shift, axis).numpy(),
                                      np.roll(x, shift, axis))
    np.testing.assert_array_equal(selection.flip(x).numpy(), np.flip(x))
    np.testing.assert_array_equal(selection.reverse(x, [1]).numpy(), x[:, ::-1])
    check(lambda t: selection.roll(t, 2, 1), lambda t: torch.roll(t, 2, 1), [x])
    check(lambda t: selection.repeat(t, 2, 1), lambda t: torch.repeat_interleave(t, 2, 1), [x])
    check(lambda t: selection.flip(t, 0), lambda t: torch.flip(t, [0]), [x])


def test_segment_sums_against_numpy_and_torch():
    data = rand(6, 3)
    ids = np.array([0, 0, 2, 1, 2, -1])  # -1 is dropped, as TF
    ref = np.zeros((4, 3))
    for i, s in enumerate(ids):
        if s >= 0:
            ref[s] += data[i]
    np.testing.assert_allclose(selection.unsorted_segment_sum(data, ids, 4).numpy(), ref)
    gradcheck(lambda t: selection.unsorted_segment_sum(t, ids, 4), [data])
    gradgradcheck(lambda t: selection.unsorted_segment_sum(t, ids, 4), [data])
    keep = ids >= 0
    check_against_torch(
        lambda t: selection.unsorted_segment_sum(t, ids, 4),
        lambda t: torch.zeros(4, 3, dtype=t.dtype).index_add(0, torch.tensor(ids[keep]),
                                                             t[torch.tensor(keep)]), [data])
    sorted_ids = np.array([0, 0, 1, 1, 1, 3])
    np.testing.assert_allclose(selection.segment_sum(data, sorted_ids).numpy()[1],
                               data[2:5].sum(0))
    mean = selection.segment_mean(data, sorted_ids).numpy()
    np.testing.assert_allclose(mean[1], data[2:5].mean(0))
    np.testing.assert_array_equal(mean[2], 0)  # an empty segment
    with pytest.raises(ValueError, match="num_segments=2"):
        selection.unsorted_segment_sum(data, ids, 2)


def test_bincount():
    np.testing.assert_array_equal(selection.bincount([0, 2, 2]).numpy(), [1, 0, 2])
    w = selection.bincount([0, 2, 2], weights=[1.0, 2.0, 3.0], minlength=5)
    np.testing.assert_allclose(w.numpy(), [1, 0, 5, 0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        selection.bincount([-1, 2])


def test_slice_slice_update_scatter():
    x = rand(3, 4)
    np.testing.assert_array_equal(selection.slice(x, (1, 1), (2, -1)).numpy(), x[1:3, 1:])
    u = rand(2, 2)
    ref = x.copy()
    ref[1:3, 2:4] = u
    np.testing.assert_array_equal(selection.slice_update(x, (1, 2), u).numpy(), ref)
    gradcheck(lambda a, b: selection.slice_update(a, (1, 2), b), [x, u])
    s = selection.scatter([[0, 1], [1, 2], [0, 1]], np.array([1.0, 2.0, 3.0]), (2, 3))
    np.testing.assert_array_equal(s.numpy(), [[0, 4, 0], [0, 0, 2]])  # repeats add up
    upd = selection.scatter_update(x, np.array([[0, 0], [2, 3]]), np.array([9.0, 8.0]))
    assert upd.numpy()[0, 0] == 9 and upd.numpy()[2, 3] == 8 and upd.numpy()[1, 1] == x[1, 1]
    gradcheck(lambda a, b: selection.scatter_update(a, np.array([[0, 0], [2, 3]]), b),
              [x, np.array([9.0, 8.0])])
    with pytest.raises(ValueError, match="slice_update"):
        selection.slice_update(x, (2, 3), u)


def test_meshgrid_boolean_mask_unique():
    a, b = np.arange(2.0), np.arange(3.0)
    for indexing in ("xy", "ij"):
        for got, ref in zip(selection.meshgrid(a, b, indexing=indexing),
                            np.meshgrid(a, b, indexing=indexing)):
            np.testing.assert_array_equal(got.numpy(), ref)
    x = rand(3, 2)
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(selection.boolean_mask(x, mask).numpy(), x[mask])
    gradcheck(lambda t: selection.boolean_mask(t, mask), [x])
    y, idx = selection.unique([3, 1, 3, 2])
    assert y.numpy().tolist() == [3, 1, 2] and idx.numpy().tolist() == [0, 1, 0, 2]


# --- matrices -----------------------------------------------------------------------------------


def _spd(n, batch=()):
    a = rand(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("batch", [(), (2,)])
def test_inv_det_slogdet_solve_against_torch(batch):
    a = rand(*batch, 3, 3) + 3 * np.eye(3)
    b = rand(*batch, 3, 2)
    check(matrix.inv, torch.linalg.inv, [a])
    check(matrix.det, torch.linalg.det, [a])
    check(lambda t: matrix.slogdet(t).log_abs_determinant,
          lambda t: torch.linalg.slogdet(t).logabsdet, [a])
    check(matrix.solve, torch.linalg.solve, [a, b])
    v = rand(*batch, 3)
    np.testing.assert_allclose(matrix.solve(a, v).numpy(), np.linalg.solve(a, v[..., None])[..., 0])


def test_cholesky_and_eigvalsh_and_singular_values_against_torch():
    a = _spd(4, (2,))

    def sym(t):
        return (t + t.transpose(-1, -2)) / 2  # differentiate on symmetric matrices

    def psym(t):
        return (t + matrix.matrix_transpose(t)) * 0.5

    check(lambda t: matrix.cholesky(psym(t)), lambda t: torch.linalg.cholesky(sym(t)), [a])
    check(lambda t: matrix.eigvalsh(psym(t)), lambda t: torch.linalg.eigvalsh(sym(t)), [a],
          second_order=False)
    m = rand(3, 4)
    check(lambda t: matrix.svd(t, compute_uv=False), lambda t: torch.linalg.svdvals(t), [m],
          second_order=False)
    up = matrix.cholesky(a, upper=True).numpy()
    np.testing.assert_allclose(np.swapaxes(up, -1, -2) @ up, a, rtol=1e-10)
    with pytest.raises(ValueError, match="positive-definite"):
        matrix.cholesky(-np.eye(2))


def test_qr_svd_eigh_values_and_qr_gradients():
    m = rand(4, 3)
    q, r = matrix.qr(m)
    np.testing.assert_allclose((q @ r).numpy(), m, atol=1e-12)
    s, u, v = matrix.svd(m)
    np.testing.assert_allclose((u * s[None, :] @ matrix.matrix_transpose(v)).numpy(), m,
                               atol=1e-12)
    a = _spd(3)
    w, vecs = matrix.eigh(a)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_allclose((vecs * w[None, :] @ matrix.matrix_transpose(vecs)).numpy(), a,
                               atol=1e-10)
    check(lambda t: tuple(matrix.numpy_qr(t)), lambda t: tuple(torch.linalg.qr(t)), [m])
    check(lambda t: tuple(matrix.qr(t)), lambda t: tuple(torch.linalg.qr(t)), [rand(2, 3, 3)])
    t = pf.Tensor(rand(3, 4), requires_grad=True)
    with pytest.raises(NotImplementedError, match="m >= n"):
        pf.grad(matrix.qr(t)[0].sum(), [t])


def _sign_free(outs):
    """Eigen/singular vectors are defined up to sign: compare their squares."""
    return tuple(o * o if o.ndim >= 2 else o for o in outs)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4)])
def test_svd_factors_are_differentiable(shape):
    m = rand(*shape)
    check(lambda t: _sign_free(matrix.numpy_svd(t, full_matrices=False)),
          lambda t: _sign_free(torch.linalg.svd(t, full_matrices=False)), [m],
          second_order=shape == (4, 3))
    t = pf.Tensor(rand(4, 3), requires_grad=True)
    with pytest.raises(NotImplementedError, match="full_matrices"):
        pf.grad(matrix.numpy_svd(t)[0].sum(), [t])


def test_eigh_factors_are_differentiable():
    a = _spd(4, (2,))

    def psym(t):
        return (t + matrix.matrix_transpose(t)) * 0.5

    check(lambda t: _sign_free(matrix.eigh(psym(t))),
          lambda t: _sign_free(torch.linalg.eigh((t + t.transpose(-1, -2)) / 2)), [a])


def test_diag_trace_band_triangles():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(matrix.diag_part(x).numpy(), np.diagonal(x, 0, -2, -1))
    np.testing.assert_array_equal(matrix.diag_part(x, 1).numpy(), np.diagonal(x, 1, -2, -1))
    np.testing.assert_allclose(matrix.trace(x).numpy(), np.trace(x, 0, -2, -1))
    d = matrix.diag(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(d.numpy(), [np.diag([1.0, 2.0]), np.diag([3.0, 4.0])])
    np.testing.assert_array_equal(matrix.diag(np.array([1.0, 2.0]), 1).numpy(),
                                  np.diag([1.0, 2.0], 1))
    check(matrix.trace, lambda t: torch.diagonal(t, 0, -2, -1).sum(-1), [x])
    check(lambda t: matrix.diag(t), torch.diag_embed, [rand(2, 3)])
    for lo, hi in ((0, -1), (-1, 0), (1, 1), (0, 0)):
        ref = np.ones((4, 4))
        i, j = np.indices((4, 4))
        ref[(lo >= 0) & (i - j > lo)] = 0
        ref[(hi >= 0) & (j - i > hi)] = 0
        np.testing.assert_array_equal(matrix.band_part(np.ones((4, 4)), lo, hi).numpy(), ref)
    np.testing.assert_array_equal(matrix.tril(x, -1).numpy(), np.tril(x, -1))
    np.testing.assert_array_equal(matrix.triu(x, 1).numpy(), np.triu(x, 1))
    check(lambda t: matrix.tril(t), torch.tril, [x])
    s = matrix.set_diag(np.zeros((3, 3)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(s.numpy(), np.diag([1.0, 2.0, 3.0]))
    e = matrix.eye(2, 3, batch_shape=[4])
    assert e.shape == (4, 2, 3) and e.dtype == np.float32
    np.testing.assert_allclose(matrix.matvec(x[0], np.ones(4)).numpy(), x[0] @ np.ones(4))


def test_matrix_errors_name_the_function():
    with pytest.raises(ValueError, match=r"det expects square matrices.*\(2, 3\)"):
        matrix.det(np.ones((2, 3)))
    with pytest.raises(TypeError, match="inv expects a float"):
        matrix.inv(np.eye(2, dtype=int))


# --- norms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ord_", [1, 2, np.inf, -np.inf, 3, 0.5])
def test_vector_norms_against_torch(ord_):
    x = rand(3, 4)
    check(lambda t: norms.norm(t, ord_, axis=1), lambda t: torch.linalg.vector_norm(t, ord_, 1),
          [x], second_order=ord_ in (1, 2, 3))
    np.testing.assert_allclose(norms.norm(x, ord_).numpy(), np.linalg.norm(x.ravel(), ord_))


@pytest.mark.parametrize("ord_", ["fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"])
def test_matrix_norms_against_numpy_and_torch(ord_):
    x = rand(2, 3, 4)
    ref = np.linalg.norm(x, ord_, axis=(1, 2))
    np.testing.assert_allclose(norms.norm(x, ord_, axis=(1, 2)).numpy(), ref, rtol=1e-10)
    check_against_torch(lambda t: norms.norm(t, ord_, axis=(1, 2)),
                        lambda t: torch.linalg.matrix_norm(t, ord_, dim=(1, 2)), [x])
    np.testing.assert_allclose(norms.norm(x, ord_, axis=(2, 1), keepdims=True).numpy(),
                               np.linalg.norm(x, ord_, axis=(2, 1), keepdims=True), rtol=1e-10)


def test_tf_and_numpy_norm_conventions_and_zero_vector_gradient():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert float(norms.norm(x, 1)) == 15.0  # TF: the flattened 1-norm
    assert float(norms.numpy_norm(x, 1)) == 6.0  # NumPy / keras.ops: the matrix 1-norm
    np.testing.assert_allclose(float(norms.numpy_norm(x)), np.linalg.norm(x))
    t = pf.Tensor(np.zeros(3), requires_grad=True)
    (g,) = pf.grad(norms.norm(t), [t])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])  # not NaN
    with pytest.raises(ValueError, match="ord='bad'"):
        norms.norm(x, "bad")


def test_l2_normalize_and_clipping():
    x = rand(3, 4)
    ref = x / np.sqrt(np.maximum((x * x).sum(1, keepdims=True), 1e-12))
    np.testing.assert_allclose(norms.l2_normalize(x, 1).numpy(), ref)
    check(lambda t: norms.l2_normalize(t, 1),
          lambda t: torch.nn.functional.normalize(t, dim=1, eps=0), [x])
    assert np.all(norms.l2_normalize(np.zeros(3)).numpy() == 0)
    c = norms.clip_by_norm(np.array([3.0, 4.0]), 1.0).numpy()
    np.testing.assert_allclose(c, [0.6, 0.8])
    clipped, g = norms.clip_by_global_norm([np.array([3.0]), None, np.array([4.0])], 1.0)
    assert float(g) == 5.0 and clipped[1] is None
    np.testing.assert_allclose(clipped[2].numpy(), [0.8])


# --- the tf.math / tf.linalg faces and TF's top-level names -------------------------------------


def test_tf_math_and_linalg_faces():
    for name in ("reduce_sum", "reduce_prod", "top_k", "cumsum", "cumprod", "segment_sum",
                 "unsorted_segment_sum", "l2_normalize", "argmax", "softplus", "sigmoid",
                 "is_nan", "floormod", "squared_difference", "log_sigmoid", "bincount"):
        assert callable(getattr(pf.math, name)), name
    for name in ("matmul", "norm", "einsum", "inv", "det", "diag", "diag_part", "trace",
                 "band_part", "l2_normalize", "matvec", "eye", "cholesky", "qr", "svd", "solve",
                 "slogdet", "logdet", "matrix_transpose", "adjoint", "global_norm", "set_diag"):
        assert callable(getattr(pf.linalg, name)), name
    for name in ("einsum", "cumsum", "norm", "reduce_prod", "reduce_any", "sort", "argsort",
                 "roll", "reverse", "gather_nd", "repeat", "meshgrid", "tensordot", "eye",
                 "tan", "atan2", "floor", "round", "greater", "logical_and", "clip_by_norm",
                 "slice", "scatter_nd", "tensor_scatter_nd_update", "searchsorted", "truediv",
                 "boolean_mask", "unique"):
        assert callable(getattr(pf, name)), name
    m = rand(4, 3)
    s, u, v = pf.linalg.svd(m)  # TF's order and v (not vᵀ)
    np.testing.assert_allclose((u * s[None, :] @ pf.linalg.matrix_transpose(v)).numpy(), m,
                               atol=1e-12)
    assert pf.truediv(np.array([1, 2]), np.array([2, 4])).dtype == np.float64  # as TF
    assert pf.truediv(np.array([1], np.int8), np.array([2], np.int8)).dtype == np.float32
    assert float(pf.math.mod(-3.0, 2.0)) == 1.0


def test_math_ops_record_in_functional_models():
    inp = pf.keras.Input((4,))
    out = pf.math.cumsum(pf.math.softplus(inp), axis=1)
    model = pf.keras.Model(inp, out)
    x = rand(2, 4).astype(np.float32)
    np.testing.assert_allclose(model(x).numpy(), np.cumsum(np.log1p(np.exp(x)), 1), rtol=1e-5)


def test_cumulative_logsumexp_and_small_math():
    x = rand(3, 5)
    check(lambda t: cumulative.cumulative_logsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), [x],
          second_order=False)
    big = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(pf.math.cumulative_logsumexp(big).numpy(),
                               [1000.0, 1000.0 + np.log(2)])
    rev = pf.math.cumulative_logsumexp(x, axis=1, reverse=True).numpy()
    np.testing.assert_allclose(rev, np.flip(np.logaddexp.accumulate(np.flip(x, 1), 1), 1))
    assert float(pf.math.polyval([1.0, 2.0, 3.0], 2.0)) == 11.0
    assert float(pf.math.zero_fraction([0, 1, 0, 2])) == 0.5
    assert bool(pf.math.is_non_decreasing([1, 1, 2])) and not bool(
        pf.math.is_strictly_increasing([1, 1, 2]))
    np.testing.assert_array_equal(pf.math.rint([0.5, 1.5]).numpy(), [0.0, 2.0])
    np.testing.assert_allclose(pf.math.reciprocal_no_nan(np.array([0.0, 2.0])).numpy(), [0, 0.5])
    np.testing.assert_allclose(pf.math.multiply_no_nan(np.array([np.inf, 2.0]),
                                                       np.array([0.0, 3.0])).numpy(), [0.0, 6.0])


def test_more_tf_names():
    n, nrm = pf.linalg.normalize(np.array([[3.0, 4.0]]), axis=1)
    np.testing.assert_allclose(n.numpy(), [[0.6, 0.8]])
    assert nrm.shape == (1, 1)
    d = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = pf.linalg.tensor_diag(d)
    assert t.shape == (2, 2, 2, 2) and t.numpy()[1, 0, 1, 0] == 3.0 and t.numpy()[1, 0, 0, 1] == 0
    np.testing.assert_array_equal(pf.linalg.tensor_diag_part(t).numpy(), d)
    np.testing.assert_allclose(pf.math.xlog1py(np.array([0.0, 2.0]), np.array([-1.0, 3.0])).numpy(),
                               [0.0, 2 * np.log(4.0)])
    s = pf.math.unsorted_segment_sqrt_n(np.ones((4, 2)), np.array([0, 0, 0, 1]), 3).numpy()
    np.testing.assert_allclose(s[:, 0], [np.sqrt(3), 1.0, 0.0])
    v, i = pf.math.approx_max_k(np.array([[1.0, 3.0, 2.0]]), 2)
    assert v.numpy().tolist() == [[3.0, 2.0]] and i.numpy().tolist() == [[1, 2]]
    v, i = pf.math.approx_min_k(np.array([[1.0, 3.0, 2.0]]), 1)
    assert v.numpy().tolist() == [[1.0]]


# --- special functions --------------------------------------------------------------------------


def test_special_functions_against_torch():
    x = rand(3, 4, low=0.3, high=5.0)
    u = rand(3, 4, low=-0.95, high=0.95)
    check(special.lgamma, torch.lgamma, [x])
    check(special.digamma, torch.digamma, [x])
    check(special.erfinv, torch.erfinv, [u])
    check_against_torch(lambda t: special.polygamma(2, t), lambda t: torch.polygamma(2, t), [x])
    np.testing.assert_allclose(special.erfcinv(1 - u).numpy(), torch.erfinv(torch.tensor(u)),
                               rtol=1e-10)
    assert special.erfinv(np.array([1.0, -1.0, 1.5])).numpy().tolist()[:2] == [np.inf, -np.inf]


def test_special_functions_without_scipy(monkeypatch):
    """The fallbacks (series, Newton) agree with SciPy to ~1e-12."""
    import scipy.special as sp

    monkeypatch.setattr(special, "_special", lambda x, name: None)
    x = rand(3, 4, low=0.05, high=30.0)
    u = rand(3, 4, low=-0.999, high=0.999)
    np.testing.assert_allclose(special.lgamma(x).numpy(), sp.gammaln(x), rtol=1e-12)
    for n in range(4):
        np.testing.assert_allclose(special.polygamma(n, x).numpy(), sp.polygamma(n, x),
                                   rtol=1e-12)
    np.testing.assert_allclose(special.erfinv(u).numpy(), sp.erfinv(u), rtol=1e-10)
    gradcheck(special.lgamma, [x])
    with pytest.raises(ValueError, match="x > 0"):
        special.digamma(np.array([-0.5]))
