"""Per-example gradients in one backward pass (what DP-SGD clips), computed by the engine.

For a batch of B examples with losses L₁ … L_B, the usual backward gives ∂(Σᵢ Lᵢ)/∂W: the B
contributions are summed inside each op's backward. DP-SGD needs them apart, gᵢ = ∂Lᵢ/∂W, to clip
each one. Running B backward passes of one example would cost B times the overhead; instead the
backward runs once, from the seed ∂(Σᵢ Lᵢ)/∂Lᵢ = 1, and at the ops where a weight W enters, the
sum over the batch is left out (the idea of Opacus's "grad samples", Goodfellow 2015):

- dense ŷ = g(b + X W), with G = ∂L/∂ŷ ⊙ g'(ŷ):   gᵢ(W) = Xᵢᵀ Gᵢ,   gᵢ(b) = Σ_t Gᵢ,t
  (Xᵢ one example's rows: a vector, or its T time steps, whose contributions add up);
- convolution as im2col + GEMM, y = cols(X) W:     gᵢ(W) = cols(Xᵢ)ᵀ Gᵢ, summed over pixels;
- transposed convolution (its adjoint, X ↦ col2im(X Wᵀ)): gᵢ(W) = cols(Gᵢ)ᵀ Xᵢ, roles swapped;
- depthwise convolution, y[o, c, m] = Σ_u X[o·s + u·d, c] W[u, c, m]:
                                       gᵢ(W)[u, c, m] = Σ_o Xᵢ[o·s + u·d, c] Gᵢ[o, c, m];
- embedding y = W[idsᵢ]:                           gᵢ(W) = ∂Lᵢ/∂y scattered back to rows idsᵢ;
- a weight broadcast against the batch, y = x ⊙ W or x + W (layer-norm γ, β, a bias):
  gᵢ(W) = ∂Lᵢ/∂y ⊙ x (or ∂Lᵢ/∂y), summed over the axes where W was broadcast, except the batch.

This is exact because row i of the upstream gradient ∂(Σ Lⱼ)/∂y at such an op is ∂Lᵢ/∂yᵢ: no
example's loss depends on another example's activations. An op that mixes examples (batch
normalization computes its statistics over the batch) breaks that, and it refuses.

Each op knows its own rule, next to its backward, as a method ``per_example(gy, i)``: given the
upstream gradient (a raw array whose leading axis is the batch), it returns the per-example
gradients of input i as an array of shape (B,) + that input's shape. Ops that only reshape a
weight before use (``Reshape``, ``Transpose``, ``Cast``, a slice) say ``weight_view = True`` and
map the per-example gradients of their output back with ``per_example_view(g)``. A fat op may
instead register an expansion (``register_expansion``): its outputs recomputed with ops that have
rules (an LSTM, one step at a time). An op with neither raises a clear error naming it. First
order only (no ``create_graph``).

>>> import profond as pf
>>> w = pf.Variable([[1.0], [2.0]])
>>> x = pf.constant([[1.0, 0.0], [0.0, 3.0]])
>>> per_example_gradients(pf.ops.dense(x, w)[:, 0] ** 2, [w])[0][:, :, 0].tolist()
[[2.0, 0.0], [0.0, 36.0]]
"""

from profond.autodiff.engine import _accumulate, _node_backward, _output_grads, topological_order
from profond.autodiff.mode import set_grad_enabled
from profond.autodiff.tensor import Tensor
from profond.backend import array_module


def sum_to_example(g, shape):
    """Sum ``g`` (B, …) to (B,) + ``shape``, the per-example form of undoing a broadcast: the
    axes that ``shape`` lacks or has as 1 are added up, the batch axis 0 never. A ``shape`` of
    g's rank starts with the batch axis, of size 1 (a weight reshaped to (1, …, C))."""
    shape = tuple(shape)
    if len(shape) == g.ndim and shape[0] == 1:
        return sum_to_example(g, shape[1:]).reshape((g.shape[0],) + shape)
    lead = g.ndim - 1 - len(shape)
    if lead < 0:
        raise ValueError(f"Expected an upstream gradient with a batch axis in front of "
                         f"{tuple(shape)}. Received: shape {g.shape}")
    axes = tuple(range(1, 1 + lead)) + tuple(
        1 + lead + k for k, n in enumerate(shape) if n == 1 and g.shape[1 + lead + k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape((g.shape[0],) + tuple(shape))


def _name(t):
    return getattr(t, "path", None) or getattr(t, "name", None) or "a weight"


def _no_rule(fn, x, why):
    return ValueError(
        f"per_example_gradients: cannot compute per-example gradients of {_name(x)} (shape "
        f"{x.shape}) through the op {type(fn).__name__}: {why}. Supported: Dense, Conv1D/2D, "
        "Conv2DTranspose, DepthwiseConv2D, Embedding, LayerNormalization, SimpleRNN, LSTM "
        "and GRU (once profond.privacy is imported) and weights added or multiplied elementwise; "
        "BatchNormalization mixes examples (use LayerNormalization).")


def per_example_gradients(losses, variables):
    """∂Lᵢ/∂W for each example i and each variable W, in one backward pass.

    ``losses``: a tensor of shape (B,), one loss per example, computed from ``variables`` with
    recording on (inside a ``GradientTape``, or on variables that require grad). Returns one
    array per variable, of shape (B,) + the variable's shape (zeros for a variable the losses do
    not use). The graph is freed, as after ``GradientTape.gradient``.
    """
    if not isinstance(losses, Tensor) or losses.ndim != 1:
        shape = getattr(losses, "shape", type(losses).__name__)
        raise ValueError("per_example_gradients: Expected one loss per example, a tensor of "
                         f"shape (batch,) (a loss with reduction='none'). Received: shape {shape}")
    batch = losses.shape[0]
    variables = list(variables)
    xp = array_module(losses.data)
    per = {}  # id(weight tensor) → per-example gradients (B,) + shape
    seed = Tensor._wrap(xp.ones(losses.shape, losses.dtype))
    with set_grad_enabled(False):
        _backprop([losses], [seed], {id(v) for v in variables}, per, batch)
    return [per[id(v)] if id(v) in per else xp.zeros((batch,) + tuple(v.shape), v.dtype)
            for v in variables]


def register_expansion(op_class, expand):
    """Let the nodes of ``op_class`` (a fat op without a rule, a whole LSTM say) be replaced,
    for per-example gradients, by ``expand(node, *inputs)``: the same outputs recomputed from
    its inputs with ops that have rules (the LSTM one time step at a time)."""
    _EXPANSIONS[op_class] = expand


_EXPANSIONS = {}


def _backprop(outputs, seeds, weights, per, batch):
    """Back-propagate ``seeds`` from ``outputs``: per-example gradients of the weights into
    ``per``, ordinary (summed) gradients of everything else returned in a table."""
    order = topological_order([y.creator for y in outputs if y.creator is not None])
    views = _weight_views(order, weights)
    grads, leaves = {}, {}
    for y, g in zip(outputs, seeds):
        _accumulate(grads, y, g, leaves)
    for fn in reversed(order):
        if id(fn) in views:
            g = per.pop(id(fn.output()), None)
            if g is not None:
                _add(per, fn.inputs[0], fn.per_example_view(g))
            continue
        gys = _output_grads(fn, grads, {}, [])
        if gys is None:
            continue
        expand = _EXPANSIONS.get(type(fn))
        if expand is not None and any(need and _is_weight(x, weights, views)
                                      for x, need in zip(fn.inputs, fn.needs_input_grad)):
            gxs = _expanded(fn, expand, gys, weights, views, per, batch)
        else:
            _rules(fn, gys, weights, views, per, batch)
            gxs = _node_backward(fn, gys, True) if any(fn.needs_input_grad) else ()
        for x, gx in zip(fn.inputs, gxs):
            if gx is not None:
                _accumulate(grads, x, gx, leaves)
        fn.saved = None
    for fn in order:
        fn.release()
    return grads


def _expanded(fn, expand, gys, weights, views, per, batch):
    """Run ``fn``'s expansion on stand-ins for its inputs (leaves, so the walk stays inside),
    back-propagate ``gys`` through it; return the gradients of the inputs that are not weights
    (the weights' per-example gradients go into ``per``)."""
    stand_ins = [Tensor._wrap(x.data) for x in fn.inputs]
    inner = set()
    for x, s, need in zip(fn.inputs, stand_ins, fn.needs_input_grad):
        s.requires_grad = need
        if need and _is_weight(x, weights, views):
            inner.add(id(s))
    with set_grad_enabled(True):
        outs = expand(fn, *stand_ins)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    grads = _backprop(outs, gys, inner, per, batch)
    gxs = []
    for x, s in zip(fn.inputs, stand_ins):
        if id(s) in inner:
            g = per.pop(id(s), None)
            if g is not None:
                _add(per, x, g)
            gxs.append(None)
        else:
            gxs.append(grads.get(id(s)))
    return gxs


def _is_weight(x, weights, views):
    return id(x) in weights or (x.creator is not None and id(x.creator) in views)


def _weight_views(order, weights):
    """The ids of the nodes that only reshape a weight (inputs before consumers in ``order``)."""
    views = set()
    for fn in order:
        if getattr(fn, "weight_view", False) and all(
                _is_weight(x, weights, views) for x in fn.inputs if x.requires_grad):
            views.add(id(fn))
    return views


def _rules(fn, gys, weights, views, per, batch):
    """The per-example gradients of ``fn``'s weight inputs, into ``per``; the node's ordinary
    backward is then told not to compute their (summed) gradients."""
    need = list(fn.needs_input_grad)
    for i, x in enumerate(fn.inputs):
        if not need[i] or not _is_weight(x, weights, views):
            continue
        rule = getattr(fn, "per_example", None)
        if rule is None or len(gys) != 1:
            raise _no_rule(fn, x, "the op has no per-example rule")
        g = rule(gys[0].data, i)
        if g.shape != (batch,) + tuple(x.shape):
            raise _no_rule(fn, x, f"its output (shape {gys[0].shape}) has no batch axis of "
                                  f"{batch} examples in front")
        _add(per, x, g)
        need[i] = False
    fn.needs_input_grad = tuple(need)


def _add(per, x, g):
    prev = per.get(id(x))
    per[id(x)] = g if prev is None else prev + g
