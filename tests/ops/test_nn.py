"""Neural-network primitives: activations, softmax, fused cross-entropies, dense, dropout.

Each op against PyTorch (float32 and float64, values and gradients under a random upstream
gradient), central differences and second derivatives in float64, non-contiguous inputs, dtypes,
stability at logits of ±1000, and the errors users hit (bad labels, bad shapes, bad rates).
"""

import re
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(0)


def rand(*shape, away=None):
    """Standard normal values; with ``away``, values with |x| ≥ away (off a kink at 0)."""
    a = RNG.standard_normal(shape)
    if away is not None:
        a = np.sign(a + (a == 0)) * (away + np.abs(a))
    return a


def one_hot(shape):
    return np.eye(shape[-1])[RNG.integers(0, shape[-1], shape[:-1])]


def soft_labels(shape):
    e = np.exp(RNG.standard_normal(shape))
    return e / e.sum(-1, keepdims=True)


def class_first(t):
    """torch wants the class axis second: (N, d, C) → (N, C, d)."""
    return t.movedim(-1, 1) if t.ndim > 2 else t


def check(fn, torch_fn, inputs, second_order=False):
    """Values and gradients against torch in float32 and float64, float32 in → float32 out,
    then central differences (and second derivatives) in float64."""
    shapes = [np.shape(a) for a in inputs]
    # NOTE: check_against_torch hands torch 0-d inputs as shape (1,); reshape them back.
    tfn = lambda *ts: torch_fn(*[t.reshape(s) for t, s in zip(ts, shapes)])  # noqa: E731
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, inputs, dtype=dtype)
    check_dtype(fn, inputs)
    gradcheck(fn, inputs)
    if second_order:
        gradgradcheck(fn, inputs)


def check_dtype(fn, inputs):
    """float32 inputs give a float32 output and float32 gradients."""
    xs = [pf.Tensor(np.asarray(a, np.float32) if np.asarray(a).dtype.kind == "f" else a,
                    requires_grad=np.asarray(a).dtype.kind == "f") for a in inputs]
    y = fn(*xs)
    assert y.dtype == np.float32
    floats = [x for x in xs if x.requires_grad]
    u = RNG.standard_normal(y.shape).astype(np.float32)
    for g in pf.grad(y, floats, grad_outputs=u):
        assert g.dtype == np.float32


def check_noncontiguous(fn, inputs):
    """Strided inputs give the same values and gradients as contiguous ones."""
    u, results = None, []
    strided = [noncontiguous(a) for a in inputs]
    assert any(not a.flags.c_contiguous for a in strided if a.ndim)
    for arrays in (inputs, strided):
        xs = [pf.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        y = fn(*xs)
        u = RNG.standard_normal(y.shape) if u is None else u
        floats = [x for x in xs if x.requires_grad]
        results.append([y.numpy()] + [g.numpy() for g in pf.grad(y, floats, grad_outputs=u)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def grads(fn, *arrays, u=None):
    """fn's output and the gradients of all its inputs (upstream gradient ``u``, else ones)."""
    xs = [pf.Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*xs)
    return y, pf.grad(y, xs, grad_outputs=u)


# --- activations ---------------------------------------------------------------------------------

SHAPES = [(3, 5), (2, 3, 4), ()]

ACTIVATIONS = {  # name: (profond, torch, smooth, kept off 0 by)
    "sigmoid": (pf.sigmoid, torch.sigmoid, True, None),
    "tanh": (pf.tanh, torch.tanh, True, None),
    "relu": (pf.relu, torch.relu, False, None),
    "leaky_relu": (pf.leaky_relu, lambda t: F.leaky_relu(t, negative_slope=0.2), False, None),
    "elu": (pf.elu, F.elu, True, 0.1),
    "erf": (pf.erf, torch.erf, True, None),
    "gelu": (pf.gelu, lambda t: F.gelu(t, approximate="none"), True, None),
    "gelu_tanh": (lambda x: pf.gelu(x, approximate=True),
                  lambda t: F.gelu(t, approximate="tanh"), True, None),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name, shape):
    fn, tfn, smooth, away = ACTIVATIONS[name]
    check(fn, tfn, [rand(*shape, away=away)], second_order=smooth)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_noncontiguous(name):
    check_noncontiguous(ACTIVATIONS[name][0], [rand(3, 5)])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu"])
def test_activation_at_zero_as_torch(name):
    """At the kink the gradient is torch's one-sided choice: relu 0, leaky_relu α, elu 1."""
    fn, tfn = ACTIVATIONS[name][:2]
    x = np.array([-1.5, -0.0, 0.0, 0.0, 2.0])
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, [x], dtype=dtype)


def test_relu_gradient_at_zero_is_zero():
    _, (g,) = grads(pf.relu, np.zeros(4))
    np.testing.assert_array_equal(g.numpy(), np.zeros(4))


def test_leaky_relu_and_elu_alpha():
    x = np.array([-2.0, -0.5, 1.0])
    check_against_torch(lambda t: pf.leaky_relu(t, alpha=0.01),
                        lambda t: F.leaky_relu(t, negative_slope=0.01), [x])
    check_against_torch(lambda t: pf.elu(t, alpha=0.5), lambda t: F.elu(t, alpha=0.5), [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_stable_and_accurate_in_the_tails(dtype):
    x = np.array([-1000.0, -40.0, -20.0, 0.0, 20.0, 1000.0], dtype)
    y, (g,) = grads(pf.sigmoid, x)
    assert y.dtype == dtype and g.dtype == dtype
    assert np.isfinite(y.numpy()).all() and np.isfinite(g.numpy()).all()
    # relative precision where σ is tiny (1 + tanh(x/2) would round it to 0)
    ref = torch.sigmoid(torch.tensor(x)).numpy()
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6 if dtype == "float32" else 1e-14)
    np.testing.assert_array_equal(y.numpy()[[0, -1]], [0.0, 1.0])
    np.testing.assert_array_equal(g.numpy()[[0, -1]], [0.0, 0.0])


def test_dense_sigmoid_accurate_in_the_tail():
    x = np.array([[-40.0], [-20.0]], np.float32)
    y = pf.dense(x, np.ones((1, 1), np.float32), activation="sigmoid")
    np.testing.assert_allclose(y.numpy(), torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-6)


def test_erf_without_scipy(monkeypatch):
    """The pure-Python fallback keeps the dtype, 0-d inputs included."""
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # the import now fails
    for x in (rand(3, 5).astype(np.float32), np.array(0.3)):
        y = pf.erf(x)
        assert y.dtype == x.dtype and y.shape == x.shape
        np.testing.assert_allclose(y.numpy(), torch.erf(torch.tensor(x)).numpy(), rtol=1e-6)


def test_scalar_inputs_keep_scalar_labels():
    """1-D logits with a 0-d label give a 0-d loss, as torch."""
    z = rand(5)
    ref = F.cross_entropy(torch.tensor(z), torch.tensor(3), reduction="none").numpy()
    np.testing.assert_allclose(pf.sparse_softmax_cross_entropy_with_logits(3, z).numpy(), ref)
    np.testing.assert_allclose(
        pf.softmax_cross_entropy_with_logits(np.eye(5)[3], z).numpy(), ref)


# --- softmax family ------------------------------------------------------------------------------

SOFTMAX = {"softmax": (pf.softmax, torch.softmax), "log_softmax": (pf.log_softmax,
                                                                   torch.log_softmax)}
SOFTMAX_CASES = [((3, 5), -1), ((2, 3, 4), -1), ((2, 3, 4), 1), ((3, 5), 0)]


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", sorted(SOFTMAX))
def test_softmax(name, shape, axis):
    fn, tfn = SOFTMAX[name]
    check(lambda x: fn(x, axis=axis), lambda t: tfn(t, dim=axis), [rand(*shape)],
          second_order=True)


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("name", sorted(SOFTMAX))
def test_softmax_noncontiguous(name, axis):
    fn = SOFTMAX[name][0]
    check_noncontiguous(lambda x: fn(x, axis=axis), [rand(3, 5)])
    check_noncontiguous(lambda x: fn(pf.transpose(x), axis=axis), [rand(4, 3)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SOFTMAX))
def test_softmax_stable_at_large_logits(name, dtype):
    fn, tfn = SOFTMAX[name]
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0]], dtype)
    u = RNG.standard_normal(x.shape).astype(dtype)
    y, (g,) = grads(fn, x, u=u)
    assert np.isfinite(y.numpy()).all() and np.isfinite(g.numpy()).all()
    check_against_torch(fn, lambda t: tfn(t, dim=-1), [x], dtype=dtype)


# --- cross-entropies -----------------------------------------------------------------------------

CE_SHAPES = [(3, 5), (2, 3, 4)]


def torch_ce(labels, logits):
    return F.cross_entropy(class_first(logits), class_first(labels), reduction="none")


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["one_hot", "soft"])
def test_softmax_cross_entropy(kind, shape):
    labels = one_hot(shape) if kind == "one_hot" else soft_labels(shape)
    check(pf.softmax_cross_entropy_with_logits, torch_ce, [labels, rand(*shape)],
          second_order=True)


def test_softmax_cross_entropy_labels_not_normalized():
    """∂L/∂z = softmax(z) Σy − y holds for labels that do not sum to 1 too."""
    labels = RNG.uniform(0, 1, (3, 5))
    check(pf.softmax_cross_entropy_with_logits, torch_ce, [labels, rand(3, 5)])


def test_softmax_cross_entropy_noncontiguous():
    check_noncontiguous(pf.softmax_cross_entropy_with_logits, [soft_labels((3, 5)), rand(3, 5)])


def test_softmax_cross_entropy_integer_one_hot_labels():
    labels = np.eye(5, dtype=np.int64)[[0, 3, 4]]
    z = rand(3, 5).astype(np.float32)
    y = pf.softmax_cross_entropy_with_logits(labels, z)
    assert y.dtype == np.float32
    ref = F.cross_entropy(torch.tensor(z), torch.tensor([0, 3, 4]), reduction="none")
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_sparse_softmax_cross_entropy(shape):
    labels = RNG.integers(0, shape[-1], shape[:-1])
    check(pf.sparse_softmax_cross_entropy_with_logits,
          lambda y, z: F.cross_entropy(class_first(z), y, reduction="none"),
          [labels, rand(*shape)], second_order=True)


def test_sparse_softmax_cross_entropy_noncontiguous():
    check_noncontiguous(pf.sparse_softmax_cross_entropy_with_logits,
                        [np.array([0, 4, 2]), rand(3, 5)])


def test_sparse_softmax_cross_entropy_accepts_integral_floats_and_tensors():
    z = rand(3, 5)
    ref = pf.sparse_softmax_cross_entropy_with_logits(np.array([1, 0, 4]), z).numpy()
    for labels in ([1, 0, 4], np.array([1.0, 0.0, 4.0]), pf.constant([1, 0, 4])):
        got = pf.sparse_softmax_cross_entropy_with_logits(labels, z).numpy()
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_sigmoid_cross_entropy(shape):
    labels = RNG.uniform(0, 1, shape)
    check(pf.sigmoid_cross_entropy_with_logits,
          lambda y, z: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
          [labels, rand(*shape)], second_order=True)


def test_sigmoid_cross_entropy_noncontiguous():
    check_noncontiguous(pf.sigmoid_cross_entropy_with_logits,
                        [RNG.uniform(0, 1, (3, 5)), rand(3, 5)])


BIG = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropies_stable_at_large_logits(dtype):
    z = BIG.astype(dtype)
    y, (gl, gz) = grads(pf.softmax_cross_entropy_with_logits, one_hot(z.shape).astype(dtype), z)
    for t in (y, gl, gz):
        assert t.dtype == dtype and np.isfinite(t.numpy()).all()
    y, (gz,) = grads(lambda z: pf.sparse_softmax_cross_entropy_with_logits([1, 0], z), z)
    s1 = 1 / (1 + np.exp(-1))  # σ(1): softmax of (1000, 999)
    np.testing.assert_allclose(y.numpy(), [2000.0, 2000.0 - np.log(s1)], rtol=1e-6)
    np.testing.assert_allclose(gz.numpy(), [[1, -1, 0], [-1, s1, 1 - s1]], atol=1e-6)
    y, (gl, gz) = grads(pf.sigmoid_cross_entropy_with_logits, RNG.uniform(0, 1, z.shape), z)
    for t in (y, gl, gz):
        assert np.isfinite(t.numpy()).all()
    check_against_torch(pf.softmax_cross_entropy_with_logits, torch_ce,
                        [soft_labels(z.shape), z], dtype=dtype, rtol=1e-6 if dtype == "float32"
                        else None)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_cross_entropy_exact_at_large_logits(dtype):
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0, 1000.0, -1000.0, 0.0], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7, 1.0], dtype)
    loss, (gy, gz) = grads(pf.sigmoid_cross_entropy_with_logits, y, z)
    expected = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    assert loss.dtype == dtype
    np.testing.assert_array_equal(loss.numpy(), expected)
    np.testing.assert_allclose(loss.numpy()[:4], [1000, 1000, 0, 0])
    np.testing.assert_allclose(gz.numpy(), (z > 0) - y + 0.5 * (z == 0), atol=1e-7)
    np.testing.assert_array_equal(gy.numpy(), -z)


SPARSE_ERRORS = [
    (np.array([0, 5, 1]), r"label value of 5 .* range of \[0, 5\)"),
    (np.array([0, -1, 1]), r"label value of -1 .* range of \[0, 5\)"),
    (np.eye(5)[[0, 1, 2]], r"shape \(3,\).*Received: labels.shape=\(3, 5\).*one-hot"),
    (np.array([0.0, 1.5, 2.0]), r"integer class labels.*non-integer"),
    (np.array([0, 1]), r"shape \(3,\).*Received: labels.shape=\(2,\)"),
    (np.array([True, False, True]), r"integer labels. Received dtype bool"),
]


@pytest.mark.parametrize("labels,match", SPARSE_ERRORS, ids=str)
def test_sparse_softmax_cross_entropy_rejects_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        pf.sparse_softmax_cross_entropy_with_logits(labels, rand(3, 5))


def test_cross_entropies_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"logits' shape \(3, 5\).*labels.shape=\(3, 4\)"):
        pf.softmax_cross_entropy_with_logits(one_hot((3, 4)), rand(3, 5))
    with pytest.raises(ValueError, match=r"shape \(3, 5\).*labels.shape=\(5,\)"):
        pf.sigmoid_cross_entropy_with_logits(np.zeros(5), rand(3, 5))


# --- dense ---------------------------------------------------------------------------------------

TORCH_ACT = {None: lambda t: t, "linear": lambda t: t, "relu": torch.relu,
             "sigmoid": torch.sigmoid, "tanh": torch.tanh}
DENSE_SMOOTH = {"linear", "sigmoid", "tanh"}


@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("activation", [None, "linear", "relu", "sigmoid", "tanh"])
def test_dense(activation, bias, x_shape):
    act = TORCH_ACT[activation]
    inputs = [rand(*x_shape), rand(4, 5)] + ([rand(5)] if bias else [])
    check(lambda x, w, b=None: pf.dense(x, w, b, activation=activation),
          lambda x, w, b=None: act(F.linear(x, w.T, b)),  # torch's weight is (out, in)
          inputs, second_order=activation in DENSE_SMOOTH)


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid"])
def test_dense_noncontiguous(activation):
    fn = lambda x, w, b: pf.dense(x, w, b, activation=activation)  # noqa: E731
    check_noncontiguous(fn, [rand(3, 4), rand(4, 5), rand(5)])
    check_noncontiguous(fn, [rand(2, 3, 4), rand(4, 5), rand(5)])


def test_dense_vector_input():
    check(lambda x, w, b: pf.dense(x, w, b, activation="tanh"),
          lambda x, w, b: torch.tanh(F.linear(x, w.T, b)), [rand(4), rand(4, 5), rand(5)])


def test_dense_rejects_wrong_input_dimension():
    with pytest.raises(ValueError, match=r"\(4, 5\).*inputs.shape=\(3, 6\)"):
        pf.dense(rand(3, 6), rand(4, 5))


def test_dense_rejects_wrong_bias_shape():
    # (1, 5) would broadcast in the forward pass but get a (5,) gradient back
    for shape in [(4,), (1, 5)]:
        match = r"\(5,\) .*\(4, 5\).*bias.shape=" + re.escape(str(shape))
        with pytest.raises(ValueError, match=match):
            pf.dense(rand(3, 4), rand(4, 5), rand(*shape))


def test_dense_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        pf.dense(rand(3, 4), rand(4, 5), activation="softmax")


# --- dropout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate,training", [(0.5, False), (0.0, True), (0.0, False)])
def test_dropout_identity(rate, training):
    x = rand(3, 5)
    y, (g,) = grads(lambda t: pf.dropout(t, rate, training=training), x)
    np.testing.assert_array_equal(y.numpy(), x)
    np.testing.assert_array_equal(g.numpy(), np.ones_like(x))


@pytest.mark.parametrize("rate", [1.0, 1.5, -0.1, float("nan")])
def test_dropout_rejects_bad_rate(rate):
    with pytest.raises(ValueError, match=r"0 <= rate < 1. Received: rate="):
        pf.dropout(rand(3, 5), rate)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_training(rate, dtype):
    pf.set_seed(1)
    x = (1.0 + RNG.uniform(0, 1, (200, 500))).astype(dtype)  # no zeros of its own
    u = RNG.standard_normal(x.shape).astype(dtype)
    y, (g,) = grads(lambda t: pf.dropout(t, rate), x, u=u)
    y, g = y.numpy(), g.numpy()
    assert y.dtype == dtype and g.dtype == dtype
    kept = y != 0
    assert abs(1 - kept.mean() - rate) < 0.01  # 100,000 draws: σ ≈ 0.0016
    np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
    # the gradient is the upstream gradient times the scaled mask
    np.testing.assert_allclose(g, u * kept / (1 - rate), rtol=1e-6)


def test_dropout_reproducible_with_set_seed():
    x = rand(20, 30)
    pf.set_seed(7)
    a = pf.dropout(x, 0.4).numpy()
    b = pf.dropout(x, 0.4).numpy()
    pf.set_seed(7)
    np.testing.assert_array_equal(pf.dropout(x, 0.4).numpy(), a)
    np.testing.assert_array_equal(pf.dropout(x, 0.4).numpy(), b)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(pf.dropout(x, 0.4, seed=3).numpy(),
                                  pf.dropout(x, 0.4, seed=3).numpy())


@pytest.mark.parametrize("noise_shape", [(1, 30, 1), (None, 1, 7), (4, 1, None)], ids=str)
def test_dropout_noise_shape(noise_shape):
    x = 1.0 + RNG.uniform(0, 1, (4, 30, 7))
    y = pf.dropout(x, 0.5, noise_shape=noise_shape, seed=0).numpy()
    mask = y != 0
    shape = tuple(x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    for axis, n in enumerate(shape):
        if n == 1:  # the same decision along a broadcast axis
            assert (mask == mask.take([0], axis)).all()
    assert 0 < mask.mean() < 1
    np.testing.assert_allclose(y[mask], 2 * x[mask])


def test_dropout_gradcheck():
    gradcheck(lambda x: pf.dropout(x, 0.3, seed=2), [rand(3, 5)])
    check_noncontiguous(lambda x: pf.dropout(x, 0.3, seed=2), [rand(3, 5)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_matches_torch_batch_and_layer_norm(dtype):
    from profond.ops.nn import normalize

    rng = np.random.default_rng(3)
    x, g, b = rng.standard_normal((4, 5, 3, 6)), rng.standard_normal(6), rng.standard_normal(6)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {}
    check_against_torch(
        lambda x, g, b: normalize(x, (0, 1, 2), g, b, 1e-3)[0],
        lambda x, g, b: F.batch_norm(x.permute(0, 3, 1, 2), None, None, g, b, training=True,
                                     eps=1e-3).permute(0, 2, 3, 1), [x, g, b], dtype=dtype, **tol)
    x, g, b = rng.standard_normal((4, 7)), rng.standard_normal(7), rng.standard_normal(7)
    check_against_torch(lambda x, g, b: normalize(x, (1,), g, b, 1e-5)[0],
                        lambda x, g, b: F.layer_norm(x, (7,), g, b, 1e-5), [x, g, b],
                        dtype=dtype, **tol)


def test_normalize_gradients_first_and_second_order():
    from profond.ops.nn import normalize

    rng = np.random.default_rng(4)
    args = [rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)]
    gradcheck(lambda x, g, b: normalize(x, (0,), g, b)[0], args)
    gradgradcheck(lambda x, g, b: normalize(x, (0,), g, b)[0], args)
    gradcheck(lambda x, g, b: normalize(x, (0, 1, 2), g, b)[0],
              [rng.standard_normal((2, 3, 3, 4)), rng.standard_normal(4), rng.standard_normal(4)])
