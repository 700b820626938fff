"""The optimizers' update paths: Adam's compiled one-pass update (``profond.optimizers.jit``,
numba) gives bitwise the NumPy path's weights and slots over many steps (amsgrad, AdamW, float32
and float64), the NumPy path runs where the kernel does not apply (numba missing, a
non-contiguous variable), and every optimizer updates a 0-d variable."""

import numpy as np
import pytest

import profond as pf
from profond.backend import jit as backend_jit
from profond.optimizers import adam

SHAPES = [(37, 19), (19,), (5, 3, 2), ()]


def train(monkeypatch, use_jit, dtype, steps=60, order="C", **kwargs):
    """Weights and optimizer state after ``steps`` Adam steps on fixed random gradients."""
    monkeypatch.setattr(backend_jit, "ENABLED", use_jit)
    rng = np.random.default_rng(7)
    variables = [pf.Variable(np.asarray(rng.standard_normal(s), dtype=dtype)) for s in SHAPES]
    for v in variables:  # (a Variable copies a Fortran-ordered value into C order: set it after)
        v.data = np.asarray(v.data, order=order)
    opt = (pf.optimizers.AdamW if "weight_decay" in kwargs else pf.optimizers.Adam)(
        learning_rate=0.01, **kwargs)
    for _ in range(steps):  # gradients of every scale, some steps much smaller than others
        grads = [rng.standard_normal(s).astype(dtype) * 10.0 ** rng.integers(-4, 3)
                 for s in SHAPES]
        opt.apply_gradients(zip(grads, variables))
    return [v.numpy() for v in variables] + [v.numpy() for v in opt.variables]


@pytest.fixture
def kernel():
    return pytest.importorskip("profond.optimizers.jit")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{}, {"amsgrad": True}, {"weight_decay": 0.05},
                                    {"beta_1": 0.5, "epsilon": 1e-3}])
def test_compiled_adam_is_bitwise_the_numpy_path(kernel, monkeypatch, dtype, kwargs):
    got = train(monkeypatch, True, dtype, **kwargs)
    want = train(monkeypatch, False, dtype, **kwargs)
    assert all(a.dtype == np.dtype(dtype) for a in got[: len(SHAPES)])
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_compiled_adam_is_used_only_where_it_applies(kernel, monkeypatch):
    monkeypatch.setattr(backend_jit, "ENABLED", True)
    c = np.zeros((3, 2), np.float32)
    assert adam._jit_kernels(c, c) is kernel
    assert adam._jit_kernels(np.asfortranarray(c), c) is None  # updated in place: needs C order
    assert adam._jit_kernels(c, c.astype(np.float64)) is None
    assert adam._jit_kernels(c.astype(np.float16)) is None


def test_amsgrad_max_spreads_nan_as_numpy(kernel, monkeypatch):
    """v̂ ← max(v̂, v) gives NaN where either is NaN, on both paths (np.maximum's rule)."""
    def step(use_jit):
        monkeypatch.setattr(backend_jit, "ENABLED", use_jit)
        w = pf.Variable(np.ones(3, np.float32))
        opt = pf.optimizers.Adam(amsgrad=True)
        opt.apply_gradients([(np.array([1.0, np.nan, 2.0], np.float32), w)])
        return w.numpy(), opt.variables[-1].numpy()

    for a, b in zip(step(True), step(False)):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(step(True)[1][1])


@pytest.mark.parametrize("case", ["numba missing", "Fortran-ordered variables"])
def test_numpy_path_where_the_kernel_does_not_apply(monkeypatch, case):
    if case == "numba missing":
        monkeypatch.setitem(backend_jit._loaded, adam._import_kernels, None)
        got = train(monkeypatch, True, "float32")
    else:
        got = train(monkeypatch, True, "float32", order="F")
    want = train(monkeypatch, False, "float32")
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_variables_hold_c_ordered_arrays_so_the_kernel_applies(kernel, monkeypatch):
    """A Fortran-ordered value (an orthogonal initializer's QR factor, say) is copied into C order:
    an LSTM's recurrent kernel used to miss the compiled Adam and take its ten NumPy passes."""
    monkeypatch.setattr(backend_jit, "ENABLED", True)
    f = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(3, 2))
    v = pf.Variable(f)
    assert v.data.flags.c_contiguous and not np.shares_memory(v.data, f)
    np.testing.assert_array_equal(v.numpy(), f)
    c = np.zeros((3, 2), np.float32)
    assert pf.Variable(c).data is c  # a writeable C-ordered array is kept as it is
    layer = pf.layers.LSTM(4)
    layer.build((None, 5, 3))
    for w in layer.weights:
        assert w.data.flags.c_contiguous, w.path
        assert adam._jit_kernels(w.data, w.data) is kernel


@pytest.mark.parametrize("use_jit", [True, False])
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {}), ("SGD", {"momentum": 0.9, "nesterov": True}), ("RMSprop", {}),
    ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adagrad", {}), ("Adadelta", {}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("AdamW", {})])
def test_every_optimizer_updates_a_scalar_variable(monkeypatch, use_jit, name, kwargs):
    """A 0-d variable (a learned temperature, a scale) moves as the same value in a (1,) array,
    and stays a 0-d array (NumPy turns 0-d temporaries into scalars: no ``out=`` into those)."""
    monkeypatch.setattr(backend_jit, "ENABLED", use_jit)
    scalar, vector = pf.Variable(np.float32(1.5)), pf.Variable(np.array([1.5], np.float32))
    opt_s, opt_v = (getattr(pf.optimizers, name)(learning_rate=0.1, **kwargs) for _ in range(2))
    for g in (0.5, -2.0, 0.25):
        opt_s.apply_gradients([(np.float32(g), scalar)])
        opt_v.apply_gradients([(np.array([g], np.float32), vector)])
    assert isinstance(scalar.data, np.ndarray) and scalar.data.shape == ()
    assert scalar.numpy() == vector.numpy()[0] != 1.5
