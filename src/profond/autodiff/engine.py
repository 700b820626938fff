"""The engine: reverse-mode automatic differentiation over the recorded graph.

One function, ``run_backward``, serves the three doors: ``profond.grad`` (returns gradients),
``Tensor.backward`` (accumulates into leaves' ``.grad``) and ``GradientTape.gradient``.

Chain rule, for a node y = f(x₁, …, xₖ) and the final output L:  ∂L/∂xᵢ += ∂L/∂y · ∂y/∂xᵢ.
"""

from profond.autodiff.mode import set_grad_enabled
from profond.autodiff.tensor import Tensor
from profond.backend import array_module


def _key(t):
    """Where a tensor's gradient is accumulated: its (node, output) slot, or the leaf itself."""
    return (id(t.creator), t.output_index) if t.creator is not None else id(t)


def topological_order(roots):
    """Every function reachable from ``roots``, each listed after all the functions feeding it.

    Iterative depth-first search (an explicit stack, never recursion: a 10,000-op chain would
    overflow Python's stack). A topological order, not a plain walk, is needed because a node can
    be reused: in ``b = a + a; c = b + b`` the node of ``b`` must receive *both* contributions from
    ``c`` before it passes its own gradient on to ``a``.
    """
    order, seen = [], set()
    stack = [(fn, False) for fn in roots]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        for x in fn.inputs:
            c = x.creator
            if c is not None and id(c) not in seen:
                stack.append((c, False))
    return order


def run_backward(outputs, grad_outputs, targets, retain_graph, create_graph):
    """Back-propagate from ``outputs``; return ``(grads of targets, grads of all leaves)``.

    ``grad_outputs[i]`` is ∂L/∂outputs[i] (ones when None: the gradient of ``sum(output)``).
    Gradients reaching a slot from several uses are summed. Each function's saved arrays are
    released as soon as its backward has run, and its input references at the end, unless
    ``retain_graph``. With ``create_graph`` the backward ops are themselves recorded.
    """
    grads, leaves = {}, {}

    def accumulate(t, g):
        k = _key(t)
        if t.creator is None:
            leaves[k] = t
        prev = grads.get(k)
        grads[k] = g if prev is None else prev + g

    with set_grad_enabled(create_graph):
        roots = []
        for y, gy in zip(outputs, grad_outputs):
            if not isinstance(y, Tensor):
                raise TypeError(f"Can only differentiate tensors. Received: {type(y).__name__}")
            if gy is None:
                gy = Tensor._wrap(array_module(y.data).ones_like(y.data))
            elif not isinstance(gy, Tensor):
                gy = Tensor(gy, dtype=y.dtype)
            if gy.shape != y.shape:
                raise ValueError(
                    f"grad_outputs must have the output's shape {y.shape}. Received: {gy.shape}"
                )
            accumulate(y, gy)
            if y.creator is not None:
                if y.creator.inputs is None:
                    raise RuntimeError(
                        "The graph of this tensor was already freed by a previous backward. "
                        "Pass retain_graph=True (or use a persistent GradientTape) to go twice."
                    )
                roots.append(y.creator)
        order = topological_order(roots)

        wanted = {}
        if targets is not None:
            wanted = {_key(t): i for i, t in enumerate(targets)}
            needed = _needed(order, wanted)
        results = [None] * (len(targets) if targets is not None else 0)

        for fn in reversed(order):
            gys, any_grad = [], False
            for i in range(len(fn._outputs)):
                k = (id(fn), i)
                g = grads.pop(k, None)
                if k in wanted:
                    results[wanted[k]] = g
                if g is not None:
                    any_grad = True
                elif len(fn._outputs) > 1:
                    shape, dtype = fn._out_meta[i]
                    g = Tensor._wrap(array_module(fn.inputs[0].data).zeros(shape, dtype))
                gys.append(g)
            if not any_grad or (targets is not None and id(fn) not in needed):
                continue
            fn.saved_reusable = not retain_graph
            gxs = fn.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx, need in zip(fn.inputs, gxs, fn.needs_input_grad):
                if gx is None or not need:
                    continue
                if gx.shape != x.shape:
                    raise RuntimeError(
                        f"{type(fn).__name__}.backward returned a gradient of shape {gx.shape} "
                        f"for an input of shape {x.shape}"
                    )
                if gx.dtype != x.dtype:
                    gx = gx.astype(x.dtype)  # the differentiable cast profond.ops attaches
                accumulate(x, gx)
            if not retain_graph:
                fn.saved = None

        if targets is not None:
            for k, i in wanted.items():
                if k in leaves:
                    results[i] = grads.get(k)
    if not retain_graph:
        for fn in order:
            fn.release()
    return results, [(leaves[k], grads[k]) for k in leaves if k in grads]


def _needed(order, wanted):
    """The ids of functions whose backward can reach a wanted slot (others are skipped)."""
    needed = set()
    for fn in order:  # inputs before consumers
        for x in fn.inputs:
            if _key(x) in wanted or (x.creator is not None and id(x.creator) in needed):
                needed.add(id(fn))
                break
    return needed


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, create_graph=False):
    """Return ∂(Σ outputs)/∂input for each input (None for an input the outputs do not use).

    >>> import profond as pf
    >>> x = pf.tensor(3.0, requires_grad=True)
    >>> (dx,) = pf.grad(x ** 3, [x], create_graph=True)
    >>> float(dx), float(pf.grad(dx, x)[0])
    (27.0, 18.0)
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    gos = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    results, _ = run_backward(outs, gos, ins, retain_graph or create_graph, create_graph)
    return results


def backward(outputs, grad_outputs=None, retain_graph=False, create_graph=False):
    """Accumulate ∂(Σ outputs)/∂leaf into ``leaf.grad`` for every leaf that requires grad."""
    gos = grad_outputs if grad_outputs is not None else [None] * len(outputs)
    _, leaf_grads = run_backward(outputs, gos, None, retain_graph or create_graph, create_graph)
    for leaf, g in leaf_grads:
        if leaf.requires_grad:
            leaf.grad = g if leaf.grad is None else leaf.grad + g
