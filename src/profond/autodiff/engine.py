"""The engine: reverse-mode automatic differentiation over the recorded graph.

One function, ``run_backward``, serves the three doors: ``profond.grad`` (returns gradients),
``Tensor.backward`` (accumulates into leaves' ``.grad``) and ``GradientTape.gradient``. It runs in
five steps, each a small function below: seed the output gradients, order the nodes, run each
node's backward, accumulate what it returns into its inputs' slots, collect the results.

Chain rule, for a node y = f(x₁, …, xₖ) and the final output L:  ∂L/∂xᵢ += ∂L/∂y · ∂y/∂xᵢ.
"""

from profond.autodiff import anomaly
from profond.autodiff.anomaly import _mode as _anomaly
from profond.autodiff.mode import set_grad_enabled
from profond.autodiff.tensor import Tensor
from profond.backend import array_module

_FREED = ("The graph of this tensor was already freed by a previous backward. "
          "Pass retain_graph=True (or use a persistent GradientTape) to go twice.")


def _key(t):
    """Where a tensor's gradient is accumulated: its (node, output) slot, or the leaf itself."""
    return (id(t.creator), t.output_index) if t.creator is not None else id(t)


def _everything(fn):
    return True


def topological_order(roots, include=_everything):
    """Every function reachable from ``roots``, each listed after all the functions feeding it.

    Iterative depth-first search (an explicit stack, never recursion: a 10,000-op chain would
    overflow Python's stack). A topological order, not a plain walk, is needed because a node can
    be reused: in ``b = a + a; c = b + b`` the node of ``b`` must receive *both* contributions from
    ``c`` before it passes its own gradient on to ``a``. Nodes for which ``include(fn)`` is False
    (recorded outside a tape) are not entered: their outputs count as leaves.
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
        if fn.inputs is None:
            raise RuntimeError(_FREED)
        seen.add(id(fn))
        stack.append((fn, True))
        for x in fn.inputs:
            c = x.creator
            if c is not None and id(c) not in seen and include(c):
                stack.append((c, False))
    return order


def _seed(outputs, grad_outputs, include):
    """Step 1: the slots of ``outputs`` hold ∂L/∂output (ones when not given: L = Σ output).
    Returns the gradient table, the nodes to start from and the leaves met so far."""
    grads, roots, leaves = {}, [], {}
    for y, gy in zip(outputs, grad_outputs):
        if not isinstance(y, Tensor):
            raise TypeError(f"Can only differentiate tensors. Received: {type(y).__name__}")
        if gy is None:
            gy = Tensor._wrap(array_module(y.data).ones_like(y.data))
        elif not isinstance(gy, Tensor):
            gy = Tensor(gy, dtype=y.dtype)
        if gy.shape != y.shape:
            raise ValueError(
                f"grad_outputs must have the output's shape {y.shape}. Received: {gy.shape}")
        _accumulate(grads, y, gy, leaves)
        if y.creator is not None and include(y.creator):
            roots.append(y.creator)
    return grads, roots, leaves


def _accumulate(grads, t, g, leaves):
    """Step 4: add ``g`` into the slot of ``t`` (a node used twice receives both contributions);
    remember ``t`` in ``leaves`` when no recorded op made it."""
    k = _key(t)
    if t.creator is None:
        leaves[k] = t
    prev = grads.get(k)
    grads[k] = g if prev is None else prev + g


def _output_grads(fn, grads, wanted, results):
    """The gradients of ``fn``'s outputs, taken out of the table (they are complete: every
    consumer came before in the order). Zeros stand in for unused outputs of a multi-output node
    (None, for a node that takes it: ``missing_grads_as_none``). Returns None when no output
    received a gradient (nothing flows through ``fn``)."""
    gys, any_grad = [], False
    for i in range(len(fn._outputs)):
        k = (id(fn), i)
        g = grads.pop(k, None)
        for j in wanted.get(k, ()):
            results[j] = g
        if g is not None:
            any_grad = True
        elif len(fn._outputs) > 1 and not fn.missing_grads_as_none:
            g = fn.zero_grad(i)
        gys.append(g)
    return gys if any_grad else None


def _node_backward(fn, gys, last_use):
    """Step 3: ∂L/∂inputs of one node, checked against the inputs' shapes and cast to their
    dtypes. ``last_use``: no later backward will read the node's saved arrays (it may overwrite
    them)."""
    fn.saved_reusable = last_use
    gxs = anomaly.checked_backward(fn, gys) if _anomaly.enabled else fn.backward(*gys)
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    out = []
    for x, gx, need in zip(fn.inputs, gxs, fn.needs_input_grad):
        if gx is None or not need:
            out.append(None)
            continue
        if gx.shape != x.shape:
            raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                               f"{gx.shape} for an input of shape {x.shape}")
        out.append(gx if gx.dtype == x.dtype else gx.astype(x.dtype))  # a differentiable cast
    return out


def _needed(order, wanted):
    """The ids of functions whose backward can reach a wanted slot (others are skipped)."""
    needed = set()
    for fn in order:  # inputs before consumers
        for x in fn.inputs:
            if _key(x) in wanted or (x.creator is not None and id(x.creator) in needed):
                needed.add(id(fn))
                break
    return needed


def _as_retain(retain_graph):
    """``retain_graph`` as a predicate on nodes (a tape keeps only what other tapes still need)."""
    if callable(retain_graph):
        return retain_graph
    return (lambda fn: True) if retain_graph else (lambda fn: False)


def run_backward(outputs, grad_outputs, targets, retain_graph, create_graph, include=None):
    """Back-propagate from ``outputs``; return ``(grads of targets, [(leaf, grad), …])``.

    ``grad_outputs[i]`` is ∂L/∂outputs[i] (ones when None). ``targets`` may repeat a tensor (each
    place gets the gradient). ``retain_graph`` is a bool or a predicate ``fn → bool``: nodes not
    retained drop their saved arrays once their backward has run and their input references at
    the end. With ``create_graph`` the backward ops are themselves recorded (second order).
    ``include(fn)`` restricts the graph to some nodes (those a tape recorded).
    """
    include = include or _everything
    retain = _as_retain(True if create_graph else retain_graph)
    with set_grad_enabled(create_graph):
        grads, roots, leaves = _seed(outputs, grad_outputs, include)
        order = topological_order(roots, include)
        wanted = {}
        for j, t in enumerate(targets or ()):
            wanted.setdefault(_key(t), []).append(j)
        needed = _needed(order, wanted) if targets is not None else None
        results = [None] * len(targets or ())
        kept = {id(fn): retain(fn) for fn in order}  # keeps its saved arrays and inputs?
        # Reverse topological order: when a node is reached, every consumer of its outputs has
        # already added its contribution (a node used twice gets both before passing them on).
        for fn in reversed(order):
            gys = _output_grads(fn, grads, wanted, results)
            if gys is None or (needed is not None and id(fn) not in needed):
                continue
            keep = kept[id(fn)]
            for x, gx in zip(fn.inputs, _node_backward(fn, gys, not keep)):
                if gx is not None:
                    _accumulate(grads, x, gx, leaves)
            if not keep:
                fn.saved = None  # freed as soon as used: the peak memory falls during backward
    for fn in order:
        if not kept[id(fn)]:
            fn.release()
    return _collect(grads, wanted, results, leaves)


def _collect(grads, wanted, results, leaves):
    """Step 5: the targets' gradients (those still in the table: leaves, or tensors whose node
    lies outside the graph) and, for ``backward``, each leaf with its gradient."""
    for k, places in wanted.items():
        if k in grads:
            for j in places:
                results[j] = grads[k]
    return results, [(t, grads[k]) for k, t in leaves.items() if k in grads]


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
    results, _ = run_backward(outs, gos, ins, retain_graph, create_graph)
    return results


def backward(outputs, grad_outputs=None, retain_graph=False, create_graph=False):
    """Accumulate ∂(Σ outputs)/∂leaf into ``leaf.grad`` for every leaf that requires grad."""
    gos = grad_outputs if grad_outputs is not None else [None] * len(outputs)
    _, leaf_grads = run_backward(outputs, gos, None, retain_graph, create_graph)
    for leaf, g in leaf_grads:
        if leaf.requires_grad:
            leaf.grad = g if leaf.grad is None else leaf.grad + g
