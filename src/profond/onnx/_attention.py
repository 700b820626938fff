"""Converters of the attention layers: ``Attention`` (dot scores), ``AdditiveAttention`` and
``MultiHeadAttention``.

Both take their options from the call (``use_causal_mask``, ``attention_mask``,
``return_attention_scores``), which the functional walk hands over in ``g.call``. The causal
mask needs the sequence lengths known when exporting.
"""

import math

import numpy

from profond.onnx._layers import converts

_NEG = -1e9  # what a masked score becomes (profond's and Keras's value for float32)


def _call_options(g, layer, names):
    """(args, kwargs) of the call being converted, with defaults for a Sequential."""
    if g.call is None:
        return [names[0]] if len(names) == 1 else [names], {}
    return g.call


def _causal(g, base, shape_q, shape_k):
    tq, tk = shape_q[1], shape_k[1]
    if tq is None or tk is None:
        raise NotImplementedError(f'profond.onnx: layer "{base}" with use_causal_mask needs '
                                  f"known sequence lengths. Received: {shape_q}, {shape_k}")
    keep = numpy.arange(tq)[:, None] >= numpy.arange(tk)[None, :]
    return g.const(f"{base}/causal", keep[None], numpy.bool_)


def _attend(g, base, scores, v, kwargs, shapes):
    """α = softmax(scores) (causal scores lowered by 10⁹), output α V (and α when asked)."""
    if kwargs.get("use_causal_mask"):
        keep = _causal(g, base, shapes[0], shapes[-1])
        lowered = g.op("Add", [scores, g.const(f"{base}/neg", _NEG)], f"{base}/lowered")
        scores = g.op("Where", [keep, scores, lowered], f"{base}/masked")
    probs = g.op("Softmax", [scores], f"{base}/probs", axis=-1)
    out = g.op("MatMul", [probs, v], base)
    return [out, probs] if kwargs.get("return_attention_scores") else [out]


@converts("Attention")
def _attention(g, layer, xs, shapes):
    """α = softmax(Q Kᵀ · scale), output α V; masked scores get −10⁹ added."""
    if layer.score_mode != "dot":
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (Attention) exports '
                                  f"score_mode='dot' only. Received: {layer.score_mode!r}")
    _, kwargs = _call_options(g, layer, xs)
    base = layer.name
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    kt = g.op("Transpose", [k], f"{base}/key_t", perm=[0, 2, 1])
    scores = g.op("MatMul", [q, kt], f"{base}/scores")
    if layer.scale is not None:
        scores = g.op("Mul", [scores, g.weight(base, layer.scale)], f"{base}/scaled")
    return _attend(g, base, scores, v, kwargs, shapes)


@converts("AdditiveAttention")
def _additive_attention(g, layer, xs, shapes):
    """S = Σ_d w_d tanh(q_d + k_d) over every (query, key) pair, α = softmax(S), output α V."""
    _, kwargs = _call_options(g, layer, xs)
    base = layer.name
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    q4 = g.op("Unsqueeze", [q, g.const(f"{base}/axis_q", [2], numpy.int64)], f"{base}/q4")
    k4 = g.op("Unsqueeze", [k, g.const(f"{base}/axis_k", [1], numpy.int64)], f"{base}/k4")
    pairs = g.op("Tanh", [g.op("Add", [q4, k4], f"{base}/pairs_sum")], f"{base}/pairs")
    if layer.scale is not None:
        pairs = g.op("Mul", [pairs, g.weight(base, layer.scale)], f"{base}/weighted")
    scores = g.op("ReduceSum", [pairs, g.const(f"{base}/axis_d", [-1], numpy.int64)],
                  f"{base}/scores", keepdims=0)
    return _attend(g, base, scores, v, kwargs, shapes)


def _project(g, dense, x, base, scale=None):
    """x (B, T, D) · W (D, heads, dim) + b → (B, T, heads, dim) (then × ``scale``)."""
    w = g.weight(dense.name, dense.kernel, lambda a: a.reshape(a.shape[0], -1))
    y = g.op("MatMul", [x, w], f"{base}/matmul")
    if dense.bias is not None:
        y = g.op("Add", [y, g.weight(dense.name, dense.bias, lambda a: a.reshape(-1))],
                 f"{base}/bias_add")
    if scale is not None:
        y = g.op("Mul", [y, g.const(f"{base}/scale", scale)], f"{base}/scaled")
    return g.op("Reshape", [y, g.ints(f"{base}/heads_shape", [0, 0, *dense.output_dims])],
                f"{base}/heads")


@converts("MultiHeadAttention")
def _multi_head_attention(g, layer, xs, shapes):
    """Per head: A = softmax(Q Kᵀ / √key_dim) (masked), O = A V; then Σ_h O_h W_O^h + b_O."""
    args, kwargs = _call_options(g, layer, xs)
    base = layer.name
    if len(shapes[0]) != 3 or layer.sliding_window is not None:
        raise NotImplementedError(f'profond.onnx: layer "{base}" (MultiHeadAttention) exports '
                                  "(batch, time, features) inputs without sliding_window.")
    if len(layer.output_dense.output_dims) != 1:
        raise NotImplementedError(f'profond.onnx: layer "{base}" (MultiHeadAttention) exports '
                                  "a single output_shape dimension only.")
    bound = dict(zip(("query", "value", "key"), args))
    bound.update({k: kwargs[k] for k in ("query", "value", "key") if k in kwargs})
    query, value = bound["query"], bound["value"]
    key = bound.get("key") or value
    by_name = dict(zip(xs, shapes))
    q = _project(g, layer.query_dense, query, f"{base}/query", 1.0 / math.sqrt(layer.key_dim))
    k = _project(g, layer.key_dense, key, f"{base}/key")
    v = _project(g, layer.value_dense, value, f"{base}/value")
    q = g.op("Transpose", [q], f"{base}/q_heads", perm=[0, 2, 1, 3])  # (B, h, T, k)
    k = g.op("Transpose", [k], f"{base}/k_heads_t", perm=[0, 2, 3, 1])  # (B, h, k, S)
    v = g.op("Transpose", [v], f"{base}/v_heads", perm=[0, 2, 1, 3])  # (B, h, S, v)
    scores = g.op("MatMul", [q, k], f"{base}/scores")
    keep = None
    if kwargs.get("attention_mask") is not None:
        keep = g.op("Cast", [kwargs["attention_mask"]], f"{base}/mask_bool", to=9)  # BOOL
    if kwargs.get("use_causal_mask"):
        causal = _causal(g, base, by_name[query], by_name[value])
        keep = causal if keep is None else g.op("And", [keep, causal], f"{base}/keep")
    if keep is not None:
        keep = g.op("Unsqueeze", [keep, g.ints(f"{base}/head_axis", [1])], f"{base}/keep_h")
        scores = g.op("Where", [keep, scores, g.const(f"{base}/neg", _NEG)], f"{base}/masked")
    probs = g.op("Softmax", [scores], f"{base}/probs", axis=-1)
    if keep is not None and (layer.dropout > 0 or kwargs.get("return_attention_scores")):
        # Keras's slow path zeroes fully masked rows; its fast path leaves them uniform
        probs = g.op("Where", [keep, probs, g.const(f"{base}/zero", 0.0)], f"{base}/probs0")
    out = g.op("MatMul", [probs, v], f"{base}/heads_out")
    out = g.op("Transpose", [out], f"{base}/time_major", perm=[0, 2, 1, 3])  # (B, T, h, v)
    if layer.use_gate:
        gate = _project(g, layer.gate_dense, query, f"{base}/gate")
        out = g.op("Mul", [out, g.op("Sigmoid", [gate], f"{base}/gate_sigmoid")],
                   f"{base}/gated")
    flat = g.op("Reshape", [out, g.ints(f"{base}/concat_shape",
                                        [0, 0, layer.num_heads * layer.value_dim])],
                f"{base}/concat_heads")
    dense = layer.output_dense
    w = g.weight(dense.name, dense.kernel, lambda a: a.reshape(-1, a.shape[-1]))
    y = g.op("MatMul", [flat, w], f"{base}/output_matmul")
    if dense.bias is not None:
        y = g.op("Add", [y, g.weight(dense.name, dense.bias)], f"{base}/output_bias")
    y = g.op("Identity", [y], base)
    return [y, probs] if kwargs.get("return_attention_scores") else [y]
