"""``profond.keras.ops``: Keras 3's op namespace. Conventions checked against what real Keras
does (learned by running it; the expected values here are computed with NumPy / PyTorch)."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.keras import ops
from profond.testing import check_against_torch, gradcheck

RNG = np.random.default_rng(0)
X = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], dtype=np.float32)

# The keras.ops names profond claims (a subset of dir(keras.ops) of Keras 3.x).
CLAIMED = """abs absolute add all amax amin any append arange arccos arccosh arcsin arcsinh arctan
arctan2 arctanh argmax argmin argsort array average batch_normalization bincount
binary_crossentropy broadcast_to cast categorical_crossentropy ceil cholesky clip concatenate cond
convert_to_numpy convert_to_tensor copy cos cosh count_nonzero cross cumprod cumsum det diag
diagonal diff digitize divide divide_no_nan dot dtype eigh einsum elu empty equal erf exp exp2
expand_dims expm1 eye flip fliplr flipud floor floor_divide fori_loop full full_like gelu get_item
greater greater_equal hard_sigmoid hard_silu hard_swish hstack identity in_top_k inner inv
is_tensor isclose isfinite isinf isnan leaky_relu less less_equal linspace log log10 log1p log2
log_sigmoid log_softmax logaddexp logical_and logical_not logical_or logical_xor logspace
logsumexp map matmul max maximum mean meshgrid min minimum mod moments moveaxis multi_hot multiply
nan_to_num ndim negative nonzero norm normalize not_equal one_hot ones ones_like outer pad power
prod ptp qr ravel reciprocal relu relu6 repeat reshape roll round rsqrt saturate_cast scan scatter
scatter_update searchsorted segment_sum select selu shape sigmoid sign silu sin sinc sinh size
slice slice_update softmax softplus softsign solve sort sparse_categorical_crossentropy split sqrt
square squeeze stack std stop_gradient subtract sum svd swapaxes swish switch take take_along_axis
tan tanh tensordot tile top_k trace transpose tri tril triu true_divide trunc unstack var vdot
vectorized_map vstack where while_loop zeros zeros_like""".split()


def test_every_claimed_name_is_there_and_listed():
    missing = [n for n in CLAIMED if not callable(getattr(ops, n, None))]
    assert not missing
    assert set(CLAIMED) <= set(ops.__all__)
    for sub in (ops.numpy, ops.nn, ops.linalg, ops.core):
        assert all(callable(getattr(sub, n)) for n in sub.__all__)


def test_unknown_name_says_so():
    with pytest.raises(AttributeError, match="fft"):
        ops.fft  # noqa: B018


def test_import_paths():
    from profond.keras.ops import mean  # noqa: F401
    from profond.keras.ops.nn import sparse_categorical_crossentropy  # noqa: F401
    assert pf.keras.ops is ops or ops.mean(X) is not None


def test_numpy_conventions():
    assert ops.shape(X) == (2, 3) and isinstance(ops.shape(X), tuple)
    assert ops.dtype(X) == "float32" and ops.ndim(X) == 2 and int(ops.size(X)) == 6
    assert int(ops.argmax(X)) == 4  # axis=None: the flattened tensor (TF's argmax: axis 0)
    assert ops.argmax(X).dtype == np.int32
    np.testing.assert_array_equal(ops.argmax(X, axis=0).numpy(), [0, 1, 1])
    assert ops.argmax(X, axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_array_equal(ops.cumsum(X).numpy(), np.cumsum(X))
    assert [p.shape for p in ops.split(np.arange(10.0), [3, 5])] == [(3,), (2,), (5,)]
    assert ops.mean(np.arange(3)).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.arange(3).dtype == np.int32 and ops.linspace(0, 1, 3).dtype == np.float32
    assert float(ops.max(np.zeros((0,)), initial=-1.0)) == -1.0
    np.testing.assert_array_equal(ops.where(np.array([True, False, True]))[0].numpy(), [0, 2])
    np.testing.assert_array_equal(ops.round(np.array([0.5, 1.5, 2.5])).numpy(), [0.0, 2.0, 2.0])
    np.testing.assert_array_equal(ops.mod(np.array([-3.0, 3.0]), 2.0).numpy(), [1.0, 1.0])
    np.testing.assert_allclose(float(ops.norm(X, ord=1)), np.linalg.norm(X, 1))
    np.testing.assert_allclose(ops.std(X).numpy(), np.std(X), rtol=1e-6)
    np.testing.assert_array_equal(ops.count_nonzero(X, axis=0).numpy(), [1, 2, 2])
    np.testing.assert_array_equal(ops.diagonal(np.arange(24.0).reshape(2, 3, 4), 0, 1, 2).numpy(),
                                  np.diagonal(np.arange(24.0).reshape(2, 3, 4), 0, 1, 2))
    np.testing.assert_array_equal(ops.tile(np.arange(3.0), (2, 1)).numpy(),
                                  np.tile(np.arange(3.0), (2, 1)))
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((5, 4, 6))
    np.testing.assert_allclose(ops.dot(a, b).numpy(), np.dot(a, b), rtol=1e-12)
    np.testing.assert_allclose(ops.cross(np.eye(3), np.ones((3, 3))).numpy(),
                               np.cross(np.eye(3), np.ones((3, 3))))
    np.testing.assert_array_equal(ops.moveaxis(np.zeros((2, 3, 4)), 0, -1).shape, (3, 4, 2))
    np.testing.assert_allclose(ops.diff(np.array([1.0, 4.0, 9.0, 16.0]), 2).numpy(), [2.0, 2.0])


@pytest.mark.parametrize("name,torch_fn", [
    ("mean", lambda t: t.mean(1)), ("sum", lambda t: t.sum(1)), ("max", lambda t: t.amax(1)),
    ("prod", lambda t: t.prod(1)), ("var", lambda t: t.var(1, unbiased=False)),
    ("cumsum", lambda t: t.cumsum(1)), ("sort", lambda t: t.sort(1).values),
    ("logsumexp", lambda t: t.logsumexp(1)),
])
def test_reductions_are_differentiable_against_torch(name, torch_fn):
    x = RNG.standard_normal((3, 4))
    check_against_torch(lambda t: getattr(ops, name)(t, axis=1), torch_fn, [x])


def test_crossentropies_follow_keras_argument_order_and_shapes():
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    p = np.array([[0.2, 0.7, 0.9], [0.6, 0.3, 0.1]], dtype=np.float32)
    bce = ops.binary_crossentropy(t, p)
    assert bce.shape == (2, 3)  # elementwise: keras.ops reduces nothing
    np.testing.assert_allclose(bce.numpy(), -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-5)
    z = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(
        ops.binary_crossentropy(t, z, from_logits=True).numpy(),
        torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(z), torch.tensor(t, dtype=torch.float64), reduction="none").numpy(),
        rtol=1e-6)
    cce = ops.categorical_crossentropy(t / t.sum(1, keepdims=True), p)
    assert cce.shape == (2,)
    q = p / p.sum(1, keepdims=True)
    ref = -(t / t.sum(1, keepdims=True) * np.log(q)).sum(1)
    np.testing.assert_allclose(cce.numpy(), ref, rtol=1e-5)
    labels = np.array([1, 2])
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels, z, from_logits=True).numpy(),
        torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(labels),
                                          reduction="none").numpy(), rtol=1e-6)


def test_nn_functions():
    x = RNG.standard_normal((2, 5))
    tx = torch.tensor(x)
    np.testing.assert_allclose(ops.gelu(x).numpy(),  # keras.ops: the tanh form by default
                               torch.nn.functional.gelu(tx, approximate="tanh").numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.gelu(x, approximate=False).numpy(),
                               torch.nn.functional.gelu(tx).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ops.hard_sigmoid(np.array([-3.0, -1.0, 0.0, 3.0])).numpy(),
                               [0.0, 1 / 3, 0.5, 1.0], rtol=1e-6)
    np.testing.assert_allclose(ops.log_sigmoid(x).numpy(),
                               torch.nn.functional.logsigmoid(tx).numpy(), rtol=1e-6)
    mean, var = ops.moments(X, axes=[0])
    np.testing.assert_allclose(mean.numpy(), X.mean(0))
    np.testing.assert_allclose(var.numpy(), X.var(0))
    bn = ops.batch_normalization(X, mean, var, axis=1, offset=np.ones(3), scale=2 * np.ones(3))
    np.testing.assert_allclose(bn.numpy(), (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-3) * 2 + 1,
                               rtol=1e-5)
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 2], [1, 1]]), 3).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_allclose(ops.normalize(X).numpy(),
                               X / np.linalg.norm(X, axis=-1, keepdims=True), rtol=1e-6)
    values, indices = ops.top_k(X, 2)
    np.testing.assert_array_equal(indices.numpy(), [[0, 2], [1, 2]])


def test_control_flow_runs_eagerly_and_is_differentiable():
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4.0))
    assert float(carry) == 6.0 and ys.numpy().tolist() == [0.0, 0.0, 2.0, 9.0]
    _, rev = ops.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    assert rev.numpy().tolist() == [6.0, 5.0, 3.0, 0.0]
    assert ops.fori_loop(0, 3, lambda i, v: v + i, 0.0) == 3.0
    assert ops.while_loop(lambda a, b: a < 5, lambda a, b: (a + 1, b * 2), (0, 1)) == (5, 32)
    assert ops.while_loop(lambda a: a < 5, lambda a: a + 1, 0) == 5
    assert ops.while_loop(lambda a: True, lambda a: a + 1, 0, maximum_iterations=3) == 3
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.switch(7, [lambda x: x + 1, lambda x: x * 10], 2) == 20  # index clipped
    np.testing.assert_allclose(ops.vectorized_map(lambda r: r * 2, X).numpy(), X * 2)
    np.testing.assert_allclose(ops.map(lambda r: ops.sum(r), X).numpy(), X.sum(1))

    def running_product(x):  # a scan through which gradients flow
        return ops.scan(lambda c, v: (c * v, c * v), pf.ones((3,), x.dtype), x)[1]

    gradcheck(running_product, [RNG.standard_normal((4, 3))])


def test_slicing_and_scatter():
    np.testing.assert_array_equal(ops.slice(X, (0, 1), (2, 2)).numpy(), X[:, 1:3])
    np.testing.assert_array_equal(ops.slice_update(X, (1, 1), np.ones((1, 2), np.float32)).numpy(),
                                  [[3, 1, 2], [0, 1, 1]])
    np.testing.assert_array_equal(
        ops.scatter(np.array([[0, 1], [1, 2], [0, 1]]), np.array([1.0, 2.0, 3.0]), (2, 3)).numpy(),
        [[0, 4, 0], [0, 0, 2]])
    np.testing.assert_array_equal(
        ops.scatter_update(X, np.array([[0, 0], [1, 2]]), np.array([9.0, 9.0], np.float32)).numpy(),
        [[9, 1, 2], [0, 5, 9]])
    assert len(ops.unstack(X)) == 2
    with pytest.raises(ValueError, match="num=3"):
        ops.unstack(X, num=3)
    assert ops.stop_gradient(pf.Tensor(X, requires_grad=True)).requires_grad is False
    assert ops.saturate_cast(np.array([300.0, -5.0]), "uint8").numpy().tolist() == [255, 0]


def test_linalg_namespace_uses_numpy_conventions():
    m = RNG.standard_normal((4, 3))
    u, s, vt = ops.linalg.svd(m, full_matrices=False)  # NumPy order, unlike tf.linalg.svd
    np.testing.assert_allclose((u * s[None, :] @ vt).numpy(), m, atol=1e-12)
    q, r = ops.qr(m)
    np.testing.assert_allclose((q @ r).numpy(), m, atol=1e-12)
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(ops.solve(a, np.ones(3)).numpy(), np.linalg.solve(a, np.ones(3)))
    np.testing.assert_allclose(float(ops.det(a)), np.linalg.det(a))


def test_ops_build_functional_models():
    inp = pf.keras.Input((3,))
    assert ops.shape(inp) == (None, 3) and ops.ndim(inp) == 2 and ops.dtype(inp) == "float32"
    h = ops.concatenate([inp, ops.mean(inp, axis=1, keepdims=True)], axis=-1)
    model = pf.keras.Model(inp, ops.sum(ops.square(h), axis=-1))
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    h_ref = np.concatenate([x, x.mean(1, keepdims=True)], -1)
    np.testing.assert_allclose(model(x).numpy(), (h_ref ** 2).sum(-1), rtol=1e-6)


def test_functional_models_with_ops_save_and_load(tmp_path):
    inp = pf.keras.Input((3,))
    h = ops.concatenate([inp, ops.mean(inp, axis=1, keepdims=True)], axis=-1)
    model = pf.keras.Model(inp, ops.softplus(ops.sum(ops.square(h), axis=-1)))
    path = str(tmp_path / "ops.keras")
    model.save(path)
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(pf.keras.models.load_model(path)(x).numpy(), model(x).numpy())


F = torch.nn.functional
NN_EXTRA = {
    "celu": (lambda t: ops.celu(t, 0.5), lambda t: F.celu(t, 0.5)),  # α exact in float32
    "glu": (lambda t: ops.glu(t), lambda t: F.glu(t, -1)),
    "hard_tanh": (ops.hard_tanh, F.hardtanh),
    "hard_shrink": (ops.hard_shrink, F.hardshrink),
    "soft_shrink": (ops.soft_shrink, F.softshrink),
    "tanh_shrink": (ops.tanh_shrink, F.tanhshrink),
    "threshold": (lambda t: ops.threshold(t, 0.1, 7.0), lambda t: F.threshold(t, 0.1, 7.0)),
    "layer_normalization": (lambda t: ops.layer_normalization(t, epsilon=1e-5),
                            lambda t: F.layer_norm(t, (4,), eps=1e-5)),
    "rms_normalization": (lambda t: ops.rms_normalization(t, epsilon=1e-6),
                          lambda t: F.rms_norm(t, (4,), eps=1e-6)),
    "squareplus": (ops.squareplus, lambda t: (t + torch.sqrt(t * t + 4)) / 2),
    "sparse_plus": (ops.sparse_plus, lambda t: torch.where(
        t <= -1, 0.0, torch.where(t >= 1, t, (t + 1) ** 2 / 4))),
}


@pytest.mark.parametrize("name", sorted(NN_EXTRA))
def test_more_nn_functions_against_torch(name):
    fn, tfn = NN_EXTRA[name]
    x = RNG.standard_normal((3, 4)) * 1.5
    check_against_torch(fn, tfn, [x])
    gradcheck(fn, [x])


@pytest.mark.parametrize("causal", [False, True])
def test_dot_product_attention_against_torch(causal):
    q, k, v = (RNG.standard_normal((2, 5, 3, 4)) for _ in range(3))  # (batch, time, heads, dim)

    def ref(q, k, v):
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                             v.transpose(1, 2), is_causal=causal)
        return out.transpose(1, 2)

    check_against_torch(lambda a, b, c: ops.dot_product_attention(a, b, c, is_causal=causal),
                        ref, [q, k, v])


def test_pool_and_conv_follow_keras_signatures():
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    y = ops.conv(x, k, strides=1, padding="same")
    ref = F.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(k).permute(3, 2, 0, 1),
                   padding=1).permute(0, 2, 3, 1)
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
    assert ops.max_pool(x, 2).shape == (2, 3, 3, 3)
    np.testing.assert_allclose(ops.average_pool(x, 2).numpy(),
                               x.reshape(2, 3, 2, 3, 2, 3).mean((2, 4)), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="channels-last"):
        ops.max_pool(x, 2, data_format="channels_first")
    seq = RNG.standard_normal((2, 9, 3))  # 1-D: (N, L, C)
    ref = F.max_pool1d(torch.tensor(seq).permute(0, 2, 1), 2).permute(0, 2, 1)
    np.testing.assert_allclose(ops.max_pool(seq, 2).numpy(), ref.numpy())
    k1 = RNG.standard_normal((3, 3, 4))
    ref = F.conv1d(torch.tensor(seq).permute(0, 2, 1), torch.tensor(k1).permute(2, 1, 0))
    np.testing.assert_allclose(ops.conv(seq, k1).numpy(), ref.permute(0, 2, 1).numpy(),
                               rtol=1e-10)
    assert ops.depthwise_conv(x, np.ones((3, 3, 3, 2), np.float32)).shape == (2, 4, 4, 6)


def test_more_numpy_functions():
    x = RNG.standard_normal((3, 4))
    for q in (0.3, [0.1, 0.5, 0.9]):
        np.testing.assert_allclose(ops.quantile(x, q, axis=1).numpy(), np.quantile(x, q, axis=1))
    for method in ("lower", "higher", "nearest", "midpoint"):
        np.testing.assert_allclose(ops.quantile(x, 0.4, method=method).numpy(),
                                   np.quantile(x, 0.4, method=method))
    np.testing.assert_allclose(ops.percentile(x, 75, axis=0, keepdims=True).numpy(),
                               np.percentile(x, 75, axis=0, keepdims=True))
    np.testing.assert_allclose(ops.median(x, axis=0).numpy(), np.median(x, axis=0))
    check_against_torch(lambda t: ops.quantile(t, 0.3, axis=1),
                        lambda t: torch.quantile(t, 0.3, dim=1), [x])
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    np.testing.assert_allclose(ops.kron(a, b).numpy(), np.kron(a, b))
    gradcheck(ops.kron, [a, b])
    for k in range(-1, 4):
        np.testing.assert_array_equal(ops.rot90(x, k).numpy(), np.rot90(x, k))
    np.testing.assert_array_equal(ops.fmod(np.array([-3.0, 3.0]), 2.0).numpy(), [-1.0, 1.0])
    np.testing.assert_allclose(ops.trapezoid(x).numpy(), np.trapezoid(x))
    np.testing.assert_allclose(ops.trapezoid(x, np.cumsum(np.ones(4))).numpy(),
                               np.trapezoid(x, np.cumsum(np.ones(4))))
    y = np.array([1.0, np.nan, 3.0])
    assert float(ops.nanmean(y)) == 2.0 and float(ops.nansum(y)) == 4.0
    assert float(ops.nanmax(y)) == 3.0 and float(ops.nanmin(y)) == 1.0
    u = ops.unique(np.array([3, 1, 3, 2]), return_counts=True)
    assert u[0].numpy().tolist() == [1, 2, 3] and u[1].numpy().tolist() == [1, 1, 2]
    np.testing.assert_allclose(ops.cbrt(np.array([-8.0, 27.0])).numpy(), [-2.0, 3.0])
    np.testing.assert_allclose(ops.logaddexp2(1.0, 1.0).numpy(), 2.0)
    np.testing.assert_allclose(ops.hypot(3.0, 4.0).numpy(), 5.0)
    np.testing.assert_array_equal(ops.dstack([a, a]).numpy(), np.dstack([a, a]))
    assert [p.shape for p in ops.hsplit(x, 2)] == [(3, 2), (3, 2)]
    np.testing.assert_array_equal(ops.diagflat(a).numpy(), np.diagflat(a))
    np.testing.assert_allclose(ops.erfc(np.array([0.5])).numpy(),
                               torch.special.erfc(torch.tensor([0.5], dtype=torch.float64)))


def test_segment_max_and_min():
    data = RNG.standard_normal((6, 3))
    ids = np.array([0, 0, 2, 1, 2, 2])
    ref = np.stack([data[ids == s].max(0) for s in range(3)])
    np.testing.assert_allclose(ops.segment_max(data, ids).numpy(), ref)
    np.testing.assert_allclose(ops.segment_min(data, ids).numpy(),
                               np.stack([data[ids == s].min(0) for s in range(3)]))
    gradcheck(lambda t: ops.segment_max(t, ids), [data])
    tie = pf.Tensor(np.array([2.0, 2.0, 1.0]), requires_grad=True)
    (g,) = pf.grad(ops.segment_max(tie, np.array([0, 0, 0])).sum(), [tie])
    np.testing.assert_allclose(g.numpy(), [0.5, 0.5, 0.0])  # ties share, as TF
    empty = pf.math.unsorted_segment_max(np.array([1.0]), np.array([0]), 2).numpy()
    assert empty[1] == np.finfo(np.float64).min


def test_custom_gradient_and_associative_scan():
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):  # the form of Keras's documentation
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    x = pf.Tensor(np.array([0.0, 100.0, -3.0]), requires_grad=True)
    y = log1pexp(x)
    (g,) = pf.grad(y.sum(), [x])
    np.testing.assert_allclose(g.numpy(), 1 / (1 + np.exp(-x.numpy())))  # finite at x = 100
    np.testing.assert_array_equal(ops.associative_scan(lambda a, b: a + b, np.arange(5.0)).numpy(),
                                  np.cumsum(np.arange(5.0)))
    rev = ops.associative_scan(lambda a, b: a + b, np.arange(5.0), reverse=True)
    np.testing.assert_array_equal(rev.numpy(), np.cumsum(np.arange(5.0)[::-1])[::-1])


def test_sparsemax_space_depth_psnr():
    x = RNG.standard_normal((4, 6))
    p = ops.sparsemax(x).numpy()
    np.testing.assert_allclose(p.sum(-1), 1.0)
    assert (p >= 0).all() and (p == 0).any()
    gradcheck(ops.sparsemax, [x])
    a = RNG.standard_normal((2, 4, 6, 8))
    d = ops.depth_to_space(a, 2)
    assert d.shape == (2, 8, 12, 2)
    np.testing.assert_array_equal(d.numpy()[0, 1, 3], a[0, 0, 1, 6:8])  # TF's DCR order
    np.testing.assert_array_equal(ops.space_to_depth(d, 2).numpy(), a)
    np.testing.assert_allclose(float(ops.psnr(np.ones(4), np.full(4, 0.9), 1.0)), 20.0)


def test_more_linalg():
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(ops.linalg.solve_triangular(a, b).numpy(), np.linalg.solve(a, b))
    gradcheck(lambda m, r: ops.linalg.solve_triangular(m, r), [a, b])
    low = np.linalg.cholesky(a @ a.T)
    np.testing.assert_allclose(pf.linalg.cholesky_solve(low, b).numpy(),
                               np.linalg.solve(a @ a.T, b), rtol=1e-10)
    np.testing.assert_allclose(ops.linalg.cholesky_inverse(low).numpy(), np.linalg.inv(a @ a.T),
                               rtol=1e-10)
    m = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(ops.linalg.pinv(m).numpy(), np.linalg.pinv(m), rtol=1e-10)
    np.testing.assert_allclose(ops.linalg.lstsq(m, np.ones(4)).numpy(),
                               np.linalg.lstsq(m, np.ones(4))[0], rtol=1e-10)
    assert int(ops.linalg.matrix_rank(np.ones((3, 3)))) == 1


def test_more_numpy_and_math():
    assert ops.bitwise_and(np.array([6]), np.array([3])).numpy().tolist() == [2]
    assert ops.bitwise_left_shift(np.array([1]), np.array([3])).numpy().tolist() == [8]
    assert ops.gcd(np.array([12]), np.array([18])).numpy().tolist() == [6]
    np.testing.assert_allclose(ops.hamming(5).numpy(), np.hamming(5), rtol=1e-6)
    fm = ops.fmax(np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
    np.testing.assert_array_equal(fm.numpy(), [2.0, 1.0])
    y = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, np.nan]])
    np.testing.assert_allclose(ops.nanstd(y, axis=1).numpy(), np.nanstd(y, axis=1))
    np.testing.assert_array_equal(ops.nanargmax(y, axis=1).numpy(), np.nanargmax(y, axis=1))
    np.testing.assert_allclose(ops.corrcoef(y[:, :1] * np.ones(3) + np.arange(3.0)).numpy(),
                               np.ones((2, 2)))
    np.testing.assert_allclose(ops.cdist(np.zeros((2, 3)), np.ones((4, 3))).numpy(),
                               np.full((2, 4), np.sqrt(3)))
    np.testing.assert_allclose(pf.math.xlogy(np.array([0.0, 2.0]), np.array([0.0, 3.0])).numpy(),
                               [0.0, 2 * np.log(3.0)])
    x = pf.Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (g,) = pf.grad(pf.math.xlogy(x, np.array([0.0, 3.0])).sum(), [x])
    assert np.isfinite(g.numpy()).all()
    assert float(pf.add_n([1.0, 2.0, 3.0])) == 6.0
    cm = pf.math.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    np.testing.assert_array_equal(cm.numpy(), [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    assert cm.dtype == np.int32
    w = pf.math.confusion_matrix([0, 1], [1, 1], num_classes=3, weights=[0.5, 2.0],
                                 dtype="float32")
    np.testing.assert_array_equal(w.numpy(), [[0, 0.5, 0], [0, 2, 0], [0, 0, 0]])
    assert pf.math.invert_permutation([2, 0, 1]).numpy().tolist() == [1, 2, 0]


def test_image_namespace_keras_argument_names():
    x = RNG.uniform(0, 1, (2, 4, 6, 3)).astype(np.float32)
    assert ops.image.resize(x, (3, 3), interpolation="nearest").shape == (2, 3, 3, 3)
    flat = np.full((1, 4, 6, 3), 0.5, np.float32)
    np.testing.assert_allclose(ops.image.resize(flat, (5, 2)).numpy(), 0.5, rtol=1e-6)
    assert ops.image.resize(x, (3, 3), crop_to_aspect_ratio=True).shape == (2, 3, 3, 3)
    padded = ops.image.resize(np.ones((1, 4, 6, 3), np.float32), (3, 3), pad_to_aspect_ratio=True)
    assert padded.shape == (1, 3, 3, 3) and padded.numpy()[0, 0].max() < 1.0  # padded rows
    np.testing.assert_allclose(ops.image.rgb_to_grayscale(x).numpy()[..., 0],
                               x @ np.array([0.2989, 0.5870, 0.1140]), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="channels-last"):
        ops.image.resize(x, (3, 3), data_format="channels_first")


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
def test_nan_quantiles_against_numpy(method):
    x = RNG.standard_normal((3, 6))
    x[0, 2] = np.nan
    x[1, :] = np.nan  # a row with nothing: NaN, as NumPy
    for q in (0.3, [0.1, 0.5, 0.97]):
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            ref = np.nanquantile(x, q, axis=1, method=method)
        np.testing.assert_allclose(ops.nanquantile(x, q, axis=1, method=method).numpy(), ref)
        clean = np.nan_to_num(x)
        np.testing.assert_allclose(ops.quantile(clean, q, axis=1, method=method).numpy(),
                                   np.quantile(clean, q, axis=1, method=method))
    assert ops.nanpercentile(x, 50, axis=1, keepdims=True).shape == (3, 1)
    gradcheck(lambda t: ops.nanmedian(t, axis=1), [x[[0, 2]]])


def test_conv_transpose_follows_keras_output_sizes():
    x = RNG.standard_normal((2, 5, 6, 3))
    k = RNG.standard_normal((3, 3, 4, 3))  # (kh, kw, filters, channels)

    def ref(a, w):
        return F.conv_transpose2d(a.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1),
                                  stride=2).permute(0, 2, 3, 1)

    check_against_torch(lambda a, w: ops.conv_transpose(a, w, 2), ref, [x, k])
    assert ops.conv_transpose(x, k, 2, "same").shape == (2, 10, 12, 4)
    assert ops.conv_transpose(x, k, 2, output_padding=1).shape == (2, 12, 14, 4)
    assert ops.conv_transpose(x, k, (2, 3), "same", output_padding=(1, 0)).shape == (2, 10, 16, 4)
    assert ops.conv_transpose(RNG.standard_normal((2, 7, 3)), np.ones((4, 2, 3)), 3).shape == \
        (2, 22, 2)


def test_correlate_and_extract_sequences():
    for la, lv in [(7, 3), (6, 4), (3, 5), (4, 4)]:
        a, v = RNG.standard_normal(la), RNG.standard_normal(lv)
        for mode in ("valid", "same", "full"):
            np.testing.assert_allclose(ops.correlate(a, v, mode).numpy(),
                                       np.correlate(a, v, mode), atol=1e-12)
    gradcheck(lambda a, v: ops.correlate(a, v, "full"), [RNG.standard_normal(6),
                                                          RNG.standard_normal(3)])
    x = np.arange(20.0).reshape(2, 10)
    frames = ops.extract_sequences(x, 4, 3).numpy()
    assert frames.shape == (2, 3, 4) and frames[1, 2].tolist() == [16.0, 17.0, 18.0, 19.0]
