"""One converter per layer class: the ONNX ops that compute the same thing at inference (the
convolutions in ``_conv``, the recurrent layers in ``_recurrent``, attention in ``_attention``).

A converter ``convert(g, layer, xs, shapes)`` receives the graph builder, the layer, the ONNX
names of its inputs and their shapes (batch axis ``None``) and returns the names of its outputs.
Tensors keep profond's layout in the graph (channels last); a convolution or pooling transposes
to ONNX's NCHW around its op, and onnxruntime fuses the transposes that meet.
"""

import math

import numpy

from profond import activations

CONVERTERS = {}  # class name -> converter


def converts(*class_names):
    def register(fn):
        for name in class_names:
            CONVERTERS[name] = fn
        return fn
    return register


# --- activations ---------------------------------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _gelu(g, x, base, approximate):
    """½ x (1 + erf(x/√2)), or ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))) when approximate."""
    if approximate:
        cube = g.op("Mul", [g.op("Mul", [x, x], f"{base}/x2"), x], f"{base}/x3")
        inner = g.op("Add", [x, g.op("Mul", [cube, g.const(f"{base}/c", 0.044715)],
                                     f"{base}/cx3")], f"{base}/inner")
        t = g.op("Tanh", [g.op("Mul", [inner, g.const(f"{base}/k", math.sqrt(2 / math.pi))],
                               f"{base}/scaled")], f"{base}/tanh")
    else:
        t = g.op("Erf", [g.op("Mul", [x, g.const(f"{base}/r", 1 / math.sqrt(2))],
                              f"{base}/scaled")], f"{base}/erf")
    one_plus = g.op("Add", [t, g.const(f"{base}/one", 1.0)], f"{base}/one_plus")
    half_x = g.op("Mul", [x, g.const(f"{base}/half", 0.5)], f"{base}/half_x")
    return g.op("Mul", [half_x, one_plus], base)


def _times_sigmoid(g, x, base, hard=False):
    """x · σ(x) (silu) or x · hard_sigmoid(x) (hard_silu)."""
    s = (g.op("HardSigmoid", [x], f"{base}/gate", alpha=1 / 6, beta=0.5) if hard
         else g.op("Sigmoid", [x], f"{base}/gate"))
    return g.op("Mul", [x, s], base)


def apply_activation(g, activation, x, base):
    """The ONNX ops of a profond activation (a function, its name, or an activation layer)."""
    if hasattr(activation, "get_config") and hasattr(activation, "built"):  # LeakyReLU()…
        return convert_layer(g, activation, [x], [None])[0]
    name = activations.serialize(activation) if not isinstance(activation, str) else activation
    if not isinstance(name, str):
        raise NotImplementedError(
            f"profond.onnx: the activation {activation!r} has no ONNX form (only the built-in "
            f"activations are exported). Received: {name}")
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp"}
    if name == "linear":
        return x
    if name in simple:
        return g.op(simple[name], [x], base)
    if name == "relu6":
        return g.op("Clip", [x, g.const(f"{base}/min", 0.0), g.const(f"{base}/max", 6.0)], base)
    if name == "leaky_relu":
        return g.op("LeakyRelu", [x], base, alpha=0.2)
    if name == "elu":
        return g.op("Elu", [x], base, alpha=1.0)
    if name == "selu":
        return g.op("Selu", [x], base, alpha=_SELU_ALPHA, gamma=_SELU_SCALE)
    if name == "gelu":
        return _gelu(g, x, base, approximate=False)
    if name in ("softmax", "log_softmax"):
        return g.op("Softmax" if name == "softmax" else "LogSoftmax", [x], base, axis=-1)
    if name in ("silu", "swish"):
        return _times_sigmoid(g, x, base)
    if name == "hard_sigmoid":
        return g.op("HardSigmoid", [x], base, alpha=1 / 6, beta=0.5)
    if name in ("hard_silu", "hard_swish"):
        return g.op("HardSwish", [x], base)
    if name == "mish":
        t = g.op("Tanh", [g.op("Softplus", [x], f"{base}/softplus")], f"{base}/tanh")
        return g.op("Mul", [x, t], base)
    raise NotImplementedError(f"profond.onnx: no ONNX form for the activation {name!r}.")


def _activated(g, layer, y):
    return apply_activation(g, layer.activation, y, f"{layer.name}/{_act_name(layer)}")


def _act_name(layer):
    name = activations.serialize(layer.activation)
    return name if isinstance(name, str) else "activation"


@converts("Activation")
def _activation_layer(g, layer, xs, shapes):
    return [_activated(g, layer, xs[0])]


@converts("ReLU")
def _relu_layer(g, layer, xs, shapes):
    x, base = xs[0], layer.name
    if layer.threshold == 0 and layer.max_value is None:
        if layer.negative_slope == 0:
            return [g.op("Relu", [x], base)]
        return [g.op("LeakyRelu", [x], base, alpha=float(layer.negative_slope))]
    # g(x) = min(x, max) for x > threshold, else slope · (x − threshold)
    t = g.const(f"{base}/threshold", layer.threshold)
    above = g.op("Greater", [x, t], f"{base}/above")
    high = x if layer.max_value is None else g.op(
        "Min", [x, g.const(f"{base}/max", layer.max_value)], f"{base}/capped")
    low = g.op("Mul", [g.op("Sub", [x, t], f"{base}/shifted"),
                       g.const(f"{base}/slope", layer.negative_slope)], f"{base}/low")
    return [g.op("Where", [above, high, low], base)]


@converts("LeakyReLU")
def _leaky_relu_layer(g, layer, xs, shapes):
    return [g.op("LeakyRelu", [xs[0]], layer.name, alpha=float(layer.negative_slope))]


@converts("ELU")
def _elu_layer(g, layer, xs, shapes):
    return [g.op("Elu", [xs[0]], layer.name, alpha=float(layer.alpha))]


@converts("PReLU")
def _prelu_layer(g, layer, xs, shapes):
    return [g.op("PRelu", [xs[0], g.weight(layer.name, layer.alpha)], layer.name)]


@converts("Softmax")
def _softmax_layer(g, layer, xs, shapes):
    if not isinstance(layer.axis, int):
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (Softmax) over several '
                                  f"axes has no ONNX form. Received: axis={layer.axis}")
    return [g.op("Softmax", [xs[0]], layer.name, axis=layer.axis)]


# --- core ----------------------------------------------------------------------------------------

@converts("Dense")
def _dense(g, layer, xs, shapes):
    """ŷ = g(x·W + b): MatMul (any rank) then Add."""
    y = g.op("MatMul", [xs[0], g.weight(layer.name, layer.kernel)], f"{layer.name}/matmul")
    if layer.use_bias:
        y = g.op("Add", [y, g.weight(layer.name, layer.bias)], f"{layer.name}/bias_add")
    return [_activated(g, layer, y)]


@converts("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
          "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization")
def _identity(g, layer, xs, shapes):
    """Layers that only act while training: the identity at inference."""
    return [g.op("Identity", [xs[0]], layer.name)]


@converts("Masking")
def _masking(g, layer, xs, shapes):
    """y = x · [some feature of the step differs from mask_value] (the mask itself is not
    exported: the layers that read it refuse to export after a Masking)."""
    x, base = xs[0], layer.name
    same = g.op("Equal", [x, g.const(f"{base}/mask_value", layer.mask_value)], f"{base}/same")
    differs = g.op("Cast", [g.op("Not", [same], f"{base}/differs")], f"{base}/differs_float",
                   to=_onnx_float(g.dtype))
    keep = g.reduce("ReduceMax", differs, [-1], f"{base}/keep", keepdims=True)
    return [g.op("Mul", [x, keep], base)]


@converts("Flatten")
def _flatten(g, layer, xs, shapes):
    x = xs[0]
    if getattr(layer, "data_format", "channels_last") == "channels_first" and len(shapes[0]) > 2:
        x = g.op("Transpose", [x], f"{layer.name}/to_channels_last",
                 perm=[0, *range(2, len(shapes[0])), 1])
    return [g.op("Flatten", [x], layer.name, axis=1)]


@converts("Reshape")
def _reshape(g, layer, xs, shapes):
    target = g.ints(f"{layer.name}/shape", [0, *layer.target_shape])  # 0: keep the batch size
    return [g.op("Reshape", [xs[0], target], layer.name)]


@converts("Permute")
def _permute(g, layer, xs, shapes):
    return [g.op("Transpose", [xs[0]], layer.name, perm=[0, *layer.dims])]


@converts("RepeatVector")
def _repeat_vector(g, layer, xs, shapes):
    x = g.op("Unsqueeze", [xs[0], g.ints(f"{layer.name}/axis", [1])], f"{layer.name}/unsqueeze")
    reps = g.ints(f"{layer.name}/repeats", [1, layer.n, 1])
    return [g.op("Tile", [x, reps], layer.name)]


@converts("Embedding")
def _embedding(g, layer, xs, shapes):
    """Row lookup: Gather(embeddings, ids) on axis 0 (the ids cast to int64 first)."""
    ids = g.op("Cast", [xs[0]], f"{layer.name}/ids", to=7)  # 7: INT64
    return [g.op("Gather", [g.weight(layer.name, layer.embeddings), ids], layer.name, axis=0)]


# --- positions (GPT-style models) ---------------------------------------------------------------

def _start_index(g, layer):
    start = (g.call[1] if g.call is not None else {}).get("start_index", 0)
    if not isinstance(start, int):
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" is exported with a '
                                  f"constant start_index only. Received: {start!r}")
    return start


def _positions(g, layer, table, x, start):
    """``table[start : start + T]`` broadcast to x's shape (T read from x: any length)."""
    base = layer.name
    shape = g.op("Shape", [x], f"{base}/shape")
    length = g.op("Gather", [shape, g.ints(f"{base}/time_axis", [-2])], f"{base}/length")
    end = g.op("Add", [length, g.ints(f"{base}/start", [start])], f"{base}/end")
    rows = g.op("Slice", [table, g.ints(f"{base}/begin", [start]), end,
                          g.ints(f"{base}/axis0", [0])], f"{base}/rows")
    return g.op("Expand", [rows, shape], base)


@converts("PositionEmbedding")
def _position_embedding(g, layer, xs, shapes):
    table = g.weight(layer.name, layer.position_embeddings)
    return [_positions(g, layer, table, xs[0], _start_index(g, layer))]


@converts("SinePositionEncoding")
def _sine_position_encoding(g, layer, xs, shapes):
    """The fixed table, computed here in float64 as the layer does, for the known length."""
    start = _start_index(g, layer)
    length, d = shapes[0][-2], shapes[0][-1]
    if length is None or d is None:
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (SinePositionEncoding) '
                                  f"needs a known sequence length. Received: {shapes[0]}")
    position = numpy.arange(start, start + length, dtype=numpy.float64)[:, None]
    k = numpy.arange(d)
    angles = position * float(layer.max_wavelength) ** (-2.0 * (k // 2) / d)
    table = numpy.where(k % 2 == 0, numpy.sin(angles), numpy.cos(angles))
    shape = g.op("Shape", [xs[0]], f"{layer.name}/shape")
    return [g.op("Expand", [g.const(f"{layer.name}/table", table), shape], layer.name)]


@converts("TokenAndPositionEmbedding")
def _token_and_position(g, layer, xs, shapes):
    tokens = _embedding(g, layer.token_embedding, xs, shapes)[0]
    table = g.weight(layer.position_embedding.name, layer.position_embedding.position_embeddings)
    positions = _positions(g, layer.position_embedding, table, tokens, _start_index(g, layer))
    return [g.op("Add", [tokens, positions], layer.name)]


# --- normalization -------------------------------------------------------------------------------

def _as_float(g, layer, x):
    """Integer inputs become the graph's floats, as the preprocessing layers do (a Cast of a
    float to itself costs nothing)."""
    return g.op("Cast", [x], f"{layer.name}/to_float", to=_onnx_float(g.dtype))


def _onnx_float(dtype):
    return {"float16": 10, "float32": 1, "float64": 11}[numpy.dtype(dtype).name]


@converts("Rescaling")
def _rescaling(g, layer, xs, shapes):
    x = _as_float(g, layer, xs[0])
    y = g.op("Mul", [x, g.const(f"{layer.name}/scale", layer.scale)], f"{layer.name}/scaled")
    return [g.op("Add", [y, g.const(f"{layer.name}/offset", layer.offset)], layer.name)]


@converts("Normalization")
def _normalization(g, layer, xs, shapes):
    """(x − μ) / max(σ, 1e-7) (or its inverse), μ and σ² from ``adapt`` or the arguments."""
    stats = layer._stats()
    if stats is None:
        raise ValueError(f'profond.onnx: layer "{layer.name}" (Normalization) has no mean and '
                         "variance yet: call adapt() before exporting.")
    mean, var = (numpy.asarray(s.numpy() if hasattr(s, "numpy") else s, dtype=g.dtype)
                 for s in stats)
    std = numpy.maximum(numpy.sqrt(var), numpy.asarray(1e-7, g.dtype))
    m, s = g.const(f"{layer.name}/mean", mean), g.const(f"{layer.name}/std", std)
    x = _as_float(g, layer, xs[0])
    if layer.invert:
        return [g.op("Add", [g.op("Mul", [x, s], f"{layer.name}/scaled"), m], layer.name)]
    return [g.op("Div", [g.op("Sub", [x, m], f"{layer.name}/centred"), s], layer.name)]


def _broadcast(array, bshape):
    return numpy.asarray(array).reshape(bshape)


@converts("BatchNormalization")
def _batch_norm(g, layer, xs, shapes):
    """Inference form: y = x · s + (β − μ s), s = γ / √(σ² + ε), s and the shift folded here.

    NOTE: the fold is computed in float64 then rounded once, which keeps the ONNX result within
    float32 rounding of profond's own (which rounds after each step on the small arrays)."""
    var = layer.moving_variance.numpy().astype(numpy.float64)
    scale = 1.0 / numpy.sqrt(var + layer.epsilon)
    if layer.scale:
        scale = scale * layer.gamma.numpy()
    shift = -layer.moving_mean.numpy() * scale
    if layer.center:
        shift = shift + layer.beta.numpy()
    dtype = layer.moving_mean.numpy().dtype
    s = g.const(f"{layer.name}/scale", _broadcast(scale, layer._bshape[1:]).astype(dtype))
    b = g.const(f"{layer.name}/shift", _broadcast(shift, layer._bshape[1:]).astype(dtype))
    return [g.op("Add", [g.op("Mul", [xs[0], s], f"{layer.name}/mul"), b], layer.name)]


@converts("LayerNormalization")
def _layer_norm(g, layer, xs, shapes):
    """μ, σ² over ``axis``; y = γ (x − μ) / √(σ² + ε) + β (RMS form: γ x / √(mean x² + ε))."""
    x, base, axes = xs[0], layer.name, list(layer._axes)
    eps = g.const(f"{base}/epsilon", layer.epsilon)
    if layer.rms_scaling:
        centred = x
    else:
        mean = g.reduce("ReduceMean", x, axes, f"{base}/mean", keepdims=True)
        centred = g.op("Sub", [x, mean], f"{base}/centred")
    var = g.reduce("ReduceMean", g.op("Mul", [centred, centred], f"{base}/square"), axes,
                   f"{base}/var", keepdims=True)
    std = g.op("Sqrt", [g.op("Add", [var, eps], f"{base}/var_eps")], f"{base}/std")
    y = g.op("Div", [centred, std], f"{base}/normalized")
    if layer.scale:
        gamma = g.weight(base, layer.gamma, lambda a: _broadcast(a, layer._bshape[1:]))
        y = g.op("Mul", [y, gamma], f"{base}/scaled")
    if layer.center:
        beta = g.weight(base, layer.beta, lambda a: _broadcast(a, layer._bshape[1:]))
        y = g.op("Add", [y, beta], f"{base}/shifted")
    return [g.op("Identity", [y], base)]


# --- merging -------------------------------------------------------------------------------------

def _same_rank(g, layer, xs, shapes):
    """Keras aligns a lower-rank input after the batch axis: (batch, 3) → (batch, 1, 3)."""
    rank = max(len(s) for s in shapes)
    out = []
    for i, (x, s) in enumerate(zip(xs, shapes)):
        if len(s) < rank:
            axes = g.ints(f"{layer.name}/axes{i}", list(range(1, 1 + rank - len(s))))
            x = g.op("Unsqueeze", [x, axes], f"{layer.name}/expand{i}")
        out.append(x)
    return out


@converts("Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract")
def _merge(g, layer, xs, shapes):
    op = {"Add": "Sum", "Multiply": "Mul", "Average": "Mean", "Maximum": "Max",
          "Minimum": "Min", "Subtract": "Sub"}[type(layer).__name__]
    xs = _same_rank(g, layer, xs, shapes)
    if op == "Mul":  # binary in ONNX: fold left
        y = xs[0]
        for i, x in enumerate(xs[1:]):
            y = g.op("Mul", [y, x], f"{layer.name}/mul{i}")
        return [g.op("Identity", [y], layer.name)]
    return [g.op(op, xs, layer.name)]


@converts("Concatenate")
def _concatenate(g, layer, xs, shapes):
    return [g.op("Concat", xs, layer.name, axis=layer.axis)]


@converts("Dot")
def _dot(g, layer, xs, shapes):
    """Per-example dot products along ``axes``: a ReduceSum of the product for two vectors
    (batch, d) → (batch, 1); a MatMul (with Transposes) for two (batch, n, d) tensors."""
    rank = len(shapes[0])
    axes = layer.axes if isinstance(layer.axes, (list, tuple)) else [layer.axes] * 2
    axes = [a % rank for a in axes]
    if len(shapes[1]) != rank or rank not in (2, 3):
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (Dot) exports inputs of '
                                  f"rank 2 or 3 only. Received: shapes {shapes}")
    a, b = xs
    if layer.normalize:
        a = g.op("LpNormalization", [a], f"{layer.name}/normalize0", axis=axes[0], p=2)
        b = g.op("LpNormalization", [b], f"{layer.name}/normalize1", axis=axes[1], p=2)
    if rank == 2:
        product = g.op("Mul", [a, b], f"{layer.name}/product")
        return [g.op("ReduceSum", [product, g.const(f"{layer.name}/axes", [1], numpy.int64)],
                     layer.name, keepdims=1)]
    if axes[0] == 1:  # contract the first axis of a: (batch, d, n) after a transpose
        a = g.op("Transpose", [a], f"{layer.name}/a_t", perm=[0, 2, 1])
    if axes[1] == 2:  # contract the last axis of b: (batch, d, m) after a transpose
        b = g.op("Transpose", [b], f"{layer.name}/b_t", perm=[0, 2, 1])
    return [g.op("MatMul", [a, b], layer.name)]


@converts("TimeDistributed")
def _time_distributed(g, layer, xs, shapes):
    """y[:, t] = layer(x[:, t]): the inner layer on (batch·time, …), then (batch, time, …)."""
    shape = tuple(shapes[0])
    inner_in = (None,) + shape[2:]
    inner_out = tuple(layer.layer.compute_output_shape(inner_in))
    if shape[1] is None or any(d is None for d in shape[2:] + inner_out[1:]):
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (TimeDistributed) needs '
                                  f"known time and feature sizes. Received: input shape {shape}")
    base = layer.name
    x = g.op("Reshape", [xs[0], g.ints(f"{base}/merge_shape", [-1, *shape[2:]])],
             f"{base}/merge_time")
    y = convert_layer(g, layer.layer, [x], [inner_in])[0]
    return [g.op("Reshape", [y, g.ints(f"{base}/split_shape", [-1, shape[1], *inner_out[1:]])],
                 base)]


def convert_layer(g, layer, xs, shapes):
    """The ONNX names of ``layer``'s outputs, or a clear error when it has no converter."""
    convert = CONVERTERS.get(type(layer).__name__)
    if convert is None:
        raise NotImplementedError(
            f'profond.onnx: layer "{layer.name}" of class {type(layer).__name__} has no ONNX '
            f"converter. Layers that export: {', '.join(sorted(CONVERTERS))}.")
    return convert(g, layer, xs, shapes)
