"""The compiled GELU (``ops/gelu_jit``): its float32 formula (Abramowitz & Stegun 7.1.26) against
the float64 one, the op with and without the kernels, against torch, on odd inputs."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.backend import jit as backend_jit

pytest.importorskip("numba")


def _gelu_and_grad(x, jit):
    old = backend_jit.ENABLED
    backend_jit.ENABLED = jit
    try:
        xv = pf.Variable(x)
        w = np.random.default_rng(1).standard_normal(x.shape).astype(x.dtype)
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(pf.gelu(xv) * w)
        return pf.gelu(x).numpy(), tape.gradient(loss, xv).numpy(), w
    finally:
        backend_jit.ENABLED = old


def test_float32_kernel_is_within_float32_resolution_of_the_exact_gelu():
    from profond.ops import gelu_jit

    x = np.concatenate([np.linspace(-12, 12, 100_001), [0.0, -0.0, 1e-30, -1e-30, 50, -50]])
    y32, s32 = np.empty(x.size, np.float32), np.empty(x.size, np.float32)
    gelu_jit.forward32(x.astype(np.float32), y32, s32)
    y64, s64 = np.empty_like(x), np.empty_like(x)
    gelu_jit.forward64(x.astype(np.float32).astype(np.float64), y64, s64)
    assert np.abs(y32 - y64).max() < 1e-6 * 12
    assert np.abs(s32 - s64).max() < 1e-6
    assert y32[-2] == 50 and y32[-1] == 0 and s32[-2] == 1 and s32[-1] == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_equal_the_numpy_form_and_torch(dtype):
    x = (np.random.default_rng(0).standard_normal((7, 33, 5)) * 3).astype(dtype)
    x = x.transpose(1, 0, 2)  # not contiguous
    y, g, w = _gelu_and_grad(x, True)
    y0, g0, _ = _gelu_and_grad(x, False)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(y, y0, atol=tol, rtol=tol)
    np.testing.assert_allclose(g, g0, atol=tol, rtol=tol)
    xt = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    out = torch.nn.functional.gelu(xt)
    (out * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(y, out.detach().numpy(), atol=tol, rtol=tol)
    np.testing.assert_allclose(g, xt.grad.numpy(), atol=tol, rtol=tol)


@pytest.mark.parametrize("workers", [1, 2])
def test_large_arrays_split_over_the_workers_give_the_same_values(workers):
    from profond.backend import threads

    x = (np.random.default_rng(2).standard_normal((300, 700)) * 3).astype("float32")
    old = threads._state["workers"]
    threads.set_num_workers(workers)
    try:
        y, g, _ = _gelu_and_grad(x, True)  # 210,000 values: four chunks
    finally:
        threads.set_num_workers(old)
    y0, g0, _ = _gelu_and_grad(x, False)
    np.testing.assert_allclose(y, y0, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(g, g0, atol=1e-6, rtol=1e-6)
