"""``einsum`` (Einstein summation) and the products written with it: ``tensordot``, ``outer``.

For Y = einsum("s₁,s₂,…->o", X₁, X₂, …), Y is linear in each operand, so the gradient of operand
k is again an einsum: the upstream gradient (subscripts o) contracted with every other operand,
written onto Xₖ's subscripts sₖ:

    ∂L/∂Xₖ = einsum("s₁,…(without sₖ)…,o->sₖ", X₁, …, ∂L/∂Y, …).

A letter of sₖ that appears nowhere else was summed away in the forward pass (∂Y/∂Xₖ is 1 along
it): the gradient is broadcast along that axis. A letter repeated inside one operand ("ii->i", a
diagonal) is refused with a clear error; ``...`` is expanded into fresh letters first.
"""

import string

import numpy

from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.shape import broadcast_to, reshape, sum_to


def _parse(equation, shapes):
    """("ab,bc->ac", shapes) → (["ab", "bc"], "ac") with ``...`` expanded and the implicit
    output (letters used once, sorted) made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(ins)} operands. "
                         f"Received: {len(shapes)} operands")
    used = set(eq) - set(".,->")
    bad = [c for c in used if c not in string.ascii_letters]
    if bad:
        raise ValueError(f"einsum: subscripts must be letters. Received: {equation!r}")
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(sh) - (len(s) - 3) for s, sh in zip(ins, shapes) if "..." in s), default=0)
    ell = "".join(free[:n_ell])
    expanded = []
    for s, sh in zip(ins, shapes):
        if "..." in s:
            k = len(sh) - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != len(sh):
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of rank "
                             f"{len(sh)} in {equation!r}")
        expanded.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(expanded)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell) if letters.count(c) == 1))
    return expanded, out


class Einsum(Function):
    """Y = einsum(subscripts, X₁, …, Xₙ); each ∂L/∂Xₖ is an einsum of ∂L/∂Y with the others."""

    def __init__(self, ins, out):
        self.ins, self.out = ins, out

    def forward(self, *xs):
        eq = ",".join(self.ins) + "->" + self.out
        # NOTE: ``optimize`` lets NumPy hand contractions to BLAS (10× faster on large operands)
        # but costs ~0.1 ms of path search, too much for tiny ones.
        big = len(xs) > 2 or sum(x.size for x in xs) > 4096
        return array_module(*xs).einsum(eq, *xs, optimize=big)

    def backward(self, gy):
        grads = []
        for k, x in enumerate(self.inputs):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(self.ins) if j != k] + [self.out]
            seen = set("".join(others))
            target = "".join(c for c in self.ins[k] if c in seen)
            ops = [t for j, t in enumerate(self.inputs) if j != k] + [gy]
            g = Einsum(others, target)(*ops)
            if target != self.ins[k]:  # axes summed away in the forward pass: broadcast back
                sizes = iter(g.shape)
                g = reshape(g, tuple(next(sizes) if c in seen else 1 for c in self.ins[k]))
            if g.shape != x.shape:  # size-1 axes of x that broadcast in the forward pass
                kept = tuple(n if c in seen else 1 for c, n in zip(self.ins[k], x.shape))
                g = broadcast_to(sum_to(g, kept), x.shape)
            grads.append(g)
        return tuple(grads)


def einsum(equation, *operands, **kwargs):
    """Einstein summation, as ``numpy.einsum`` / ``tf.einsum``: "ij,jk->ik" is a matrix product,
    "bij->bji" a batched transpose, "i,i->" a dot product, "...ij,...jk" broadcasts batch axes.

    >>> import profond as pf
    >>> pf.einsum("ij,j->i", pf.ones((2, 3)), pf.constant([1.0, 2.0, 3.0])).numpy()
    array([6., 6.], dtype=float32)
    """
    if kwargs.keys() - {"optimize", "name"}:
        raise TypeError(f"einsum got unexpected arguments {sorted(kwargs)}")
    xs = [as_tensor(x) for x in operands]
    ins, out = _parse(equation, [x.shape for x in xs])
    for s in ins:
        if len(set(s)) != len(s):
            raise NotImplementedError(
                f"einsum: a letter repeated inside one operand (a diagonal, as in 'ii->i') is not "
                f"supported; use profond.linalg.diag_part / trace. Received: {equation!r}")
    if set(out) - set("".join(ins)) or len(set(out)) != len(out):
        raise ValueError(f"einsum: every output letter must appear once and in an input. "
                         f"Received: {equation!r}")
    if len({x.dtype for x in xs}) > 1:
        dtype = numpy.result_type(*[x.dtype for x in xs])
        xs = [x if x.dtype == dtype else x.astype(dtype) for x in xs]
    return Einsum(ins, out)(*xs)


def tensordot(a, b, axes=2):
    """Contract ``a``'s last ``axes`` axes with ``b``'s first ones (an int), or the listed pairs
    of axes (``axes=([1, 0], [0, 1])``), as ``numpy.tensordot``."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, int) or numpy.ndim(axes) == 0:
        n = int(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes must be in [0, {min(a.ndim, b.ndim)}]. "
                             f"Received: axes={axes}")
        ax_a, ax_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        ax_a, ax_b = ([int(i)] if numpy.ndim(i) == 0 else [int(j) for j in i] for i in axes)
        ax_a, ax_b = [i % a.ndim for i in ax_a], [i % b.ndim for i in ax_b]
    if len(ax_a) != len(ax_b) or any(a.shape[i] != b.shape[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError(f"tensordot: the contracted axes differ in size. Received shapes "
                         f"{a.shape} and {b.shape} with axes={axes}")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + \
        [c for j, c in enumerate(sb) if j not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def outer(a, b):
    """The outer product of the flattened ``a`` and ``b``: out[i, j] = aᵢ bⱼ."""
    return einsum("i,j->ij", reshape(as_tensor(a), (-1,)), reshape(as_tensor(b), (-1,)))
