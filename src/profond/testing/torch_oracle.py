"""Cross-check an op against PyTorch: same inputs, same random upstream gradient, compare the
values and the gradients of every float input."""

import numpy as np

from profond.autodiff.engine import grad
from profond.autodiff.tensor import Tensor


def check_against_torch(profond_fn, torch_fn, inputs, dtype="float64", rtol=None, atol=None,
                        nondiff=(), seed=0):
    """Assert ``profond_fn(*tensors)`` and ``torch_fn(*torch_tensors)`` agree in value and gradient.

    ``inputs`` are NumPy arrays; float ones are cast to ``dtype`` and differentiated unless listed
    in ``nondiff``. Tolerances default to 1e-5 (float32) and 1e-9 (float64), relative and absolute.
    """
    import torch

    dtype = np.dtype(dtype)
    tol = 1e-9 if dtype == np.float64 else 1e-5
    rtol = tol if rtol is None else rtol
    atol = tol if atol is None else atol
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a) for a in inputs]
    arrays = [a.astype(dtype, copy=False) if a.dtype.kind == "f" else a for a in arrays]
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f" and i not in nondiff]

    xs = [Tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    ts = [torch.tensor(np.array(a), requires_grad=i in diff)
          for i, a in enumerate(arrays)]
    y = profond_fn(*xs)
    ty = torch_fn(*ts)
    ys = list(y) if isinstance(y, (tuple, list)) else [y]
    tys = list(ty) if isinstance(ty, (tuple, list)) else [ty]
    assert len(ys) == len(tys), f"{len(ys)} outputs against torch's {len(tys)}"
    for k, (a, b) in enumerate(zip(ys, tys)):
        b = b.detach().numpy()
        assert a.shape == b.shape, f"output {k}: shape {a.shape}, torch {b.shape}"
        np.testing.assert_allclose(a.numpy(), b, rtol=rtol, atol=atol,
                                   err_msg=f"output {k} differs from torch")
    if not diff:
        return
    us = [rng.standard_normal(t.shape).astype(dtype) for t in ys]
    float_outs = [(t, tt, u) for t, tt, u in zip(ys, tys, us) if tt.requires_grad]
    gs = grad([t for t, _, _ in float_outs], [xs[i] for i in diff],
              grad_outputs=[Tensor(u) for _, _, u in float_outs])
    tgs = torch.autograd.grad([tt for _, tt, _ in float_outs], [ts[i] for i in diff],
                              grad_outputs=[torch.tensor(u) for _, _, u in float_outs],
                              allow_unused=True)
    for i, g, tg in zip(diff, gs, tgs):
        ref = np.zeros(arrays[i].shape, dtype) if tg is None else tg.numpy()
        got = np.zeros(arrays[i].shape, dtype) if g is None else g.numpy()
        assert got.dtype == arrays[i].dtype, f"input {i}: gradient dtype {got.dtype}"
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from torch")
