"""Numerical gradient checks, in float64, along random directions.

For f: x ↦ y and a random upstream gradient u (never all ones: a uniform u hides a transposed
gradient), the backward pass gives Jᵀu. Along a random direction v, central differences give

    ⟨u, J v⟩ ≈ (⟨u, f(x + εv)⟩ − ⟨u, f(x − εv)⟩) / 2ε

and the check asserts ⟨Jᵀu, v⟩ = ⟨u, J v⟩ for each input. When the two one-sided differences
disagree, x sits on a kink (|x| at 0, ReLU at 0, a max with a tie): the point is nudged and the
check repeated, since no derivative exists there to check.
"""

import numpy as np

from profond.autodiff.engine import grad
from profond.autodiff.mode import set_grad_enabled
from profond.autodiff.tensor import Tensor


def noncontiguous(a):
    """The same values as ``a`` in a non-contiguous (strided) array."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a
    wide = np.repeat(a, 2, axis=-1)
    return wide[..., ::2]


def _outputs(y):
    ys = y if isinstance(y, (tuple, list)) else (y,)
    return [t for t in ys if t is not None]


def _dot(us, ys):
    return sum(float(np.sum(u * y.data)) for u, y in zip(us, ys))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, nondiff=(), retries=5,
              raise_exception=True):
    """Check ``fn``'s backward against central differences; inputs are cast to float64.

    ``fn`` takes tensors and returns a tensor (or a tuple). ``nondiff`` lists the positions of
    inputs not to differentiate (integer labels, masks). Returns True or raises AssertionError.

    >>> import profond as pf
    >>> import numpy as np
    >>> pf.testing.gradcheck(lambda x: pf.tanh(x) * x, [np.random.randn(3, 2)])
    True
    """
    rng = np.random.default_rng(seed)
    base = [np.asarray(a.data if isinstance(a, Tensor) else a) for a in inputs]
    base = [a if i in nondiff or a.dtype.kind != "f" else a.astype(np.float64, copy=False)
            for i, a in enumerate(base)]
    diff = [i for i, a in enumerate(base) if i not in nondiff and a.dtype.kind == "f"]
    for attempt in range(retries + 1):
        xs = [Tensor(a, requires_grad=i in diff) for i, a in enumerate(base)]
        ys = _outputs(fn(*xs))
        us = [rng.standard_normal(y.shape) for y in ys]
        gs = grad(ys, [xs[i] for i in diff], grad_outputs=[Tensor(u) for u in us])
        failures, kink = [], False
        for i, g in zip(diff, gs):
            v = rng.standard_normal(base[i].shape)
            analytic = 0.0 if g is None else float(np.sum(g.numpy() * v))

            def f_at(t, i=i, v=v, base=base, us=us):
                moved = [Tensor(a + t * v if j == i else a, requires_grad=j in diff)
                         for j, a in enumerate(base)]
                return _dot(us, _outputs(fn(*moved)))

            f0, fp, fm = f_at(0.0), f_at(eps), f_at(-eps)
            numeric = (fp - fm) / (2 * eps)
            right, left = (fp - f0) / eps, (f0 - fm) / eps
            scale = max(1.0, abs(numeric))
            if abs(right - left) > 1e3 * eps * scale + 10 * (atol + rtol * scale):
                kink = True
            elif abs(analytic - numeric) > atol + rtol * abs(numeric):
                failures.append((i, analytic, numeric))
        if kink and attempt < retries:
            base = [a + 1e-3 * rng.standard_normal(a.shape) if i in diff else a
                    for i, a in enumerate(base)]
            continue
        if failures:
            if not raise_exception:
                return False
            lines = [f"input {i}: backward gives {a:.10g}, central differences {n:.10g}"
                     for i, a, n in failures]
            raise AssertionError("gradcheck failed\n" + "\n".join(lines))
        return True
    return True


def gradgradcheck(fn, inputs, seed=0, nondiff=(), **kwargs):
    """Check second derivatives: gradcheck of x ↦ Jᵀu computed with ``create_graph=True``."""
    rng = np.random.default_rng(seed + 1)
    base = [np.asarray(a.data if isinstance(a, Tensor) else a) for a in inputs]
    diff = [i for i, a in enumerate(base) if i not in nondiff and a.dtype.kind == "f"]
    with set_grad_enabled(False):
        probe = _outputs(fn(*[Tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)
                              for a in base]))
    us = [Tensor(rng.standard_normal(y.shape)) for y in probe]

    def first_derivative(*xs):
        ys = _outputs(fn(*xs))
        return tuple(grad(ys, [xs[i] for i in diff], grad_outputs=us, create_graph=True))

    return gradcheck(first_derivative, inputs, seed=seed, nondiff=nondiff, **kwargs)
