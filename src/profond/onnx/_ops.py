"""ONNX operators written with profond ops, for ``profond.onnx.load``.

Each entry of ``OPS`` is ``fn(attrs, *inputs) -> output(s)``: ``attrs`` the node's attributes
(plain Python values), ``inputs`` profond Tensors (``None`` for an omitted optional input).
Tensors are in ONNX's layout (NCHW): a convolution or pooling moves the channels last for
profond's kernels and back. Shapes computed in the graph (``Shape``, ``Gather``…) are small
int64 tensors like any other.
"""

import numpy

from profond import activations, ops
from profond.autodiff import constant
from profond.ops import nn as nn_ops
from profond.ops import recurrent
from profond.ops.conv_nd import conv, conv_transpose
from profond.ops.indexing import gather, getitem
from profond.ops.pooling import avg_pool2d, max_pool2d
from profond.ops.shape import (
    broadcast_to,
    concat,
    expand_dims,
    pad,
    reshape,
    squeeze,
    tile,
    transpose,
)

MAX_ELEMENTS = 2**28  # the most elements a tensor made while running may have (1 GiB of float32)

OPS = {}

# ONNX's TensorProto element types that a Cast may target
_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
           10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}


def onnx_op(*names):
    def register(fn):
        for name in names:
            OPS[name] = fn
        return fn
    return register


class OnnxRuntimeError(ValueError):
    """A node that cannot run on the values it received (a bad shape, a refused attribute)."""


def ints(x):
    """A small int tensor (a shape, axes) as a list of Python ints."""
    return [int(v) for v in numpy.asarray(x.numpy() if hasattr(x, "numpy") else x).reshape(-1)]


def _bounded(shape, what):
    n = int(numpy.prod([max(int(d), 0) for d in shape], dtype=numpy.float64))
    if n > MAX_ELEMENTS:
        raise OnnxRuntimeError(f"profond.onnx: {what} would make a tensor of shape "
                               f"{tuple(shape)} ({n:,} elements), over the limit of "
                               f"{MAX_ELEMENTS:,}.")
    return tuple(int(d) for d in shape)


# --- element-wise --------------------------------------------------------------------------------

_UNARY = {"Relu": nn_ops.relu, "Sigmoid": nn_ops.sigmoid, "Tanh": nn_ops.tanh, "Exp": ops.exp,
          "Log": ops.log, "Sqrt": ops.sqrt, "Abs": ops.abs, "Neg": ops.negative,
          "Erf": nn_ops.erf}
_BINARY = {"Add": ops.add, "Sub": ops.subtract, "Mul": ops.multiply, "Div": ops.divide,
           "Pow": ops.pow}


def _unary(fn):
    return lambda attrs, x: fn(x)


def _binary(fn):
    return lambda attrs, a, b: fn(a, b)


for _name, _fn in _UNARY.items():
    OPS[_name] = _unary(_fn)
for _name, _fn in _BINARY.items():
    OPS[_name] = _binary(_fn)


@onnx_op("Identity", "Dropout")
def _identity(attrs, x, *rest):
    return x  # Dropout at inference: the identity (its optional mask output is not offered)


@onnx_op("LeakyRelu")
def _leaky_relu(attrs, x):
    return nn_ops.leaky_relu(x, attrs.get("alpha", 0.01))


@onnx_op("Elu")
def _elu(attrs, x):
    return nn_ops.elu(x, attrs.get("alpha", 1.0))


@onnx_op("Selu")
def _selu(attrs, x):
    alpha, gamma = attrs.get("alpha", 1.67326319217681884765625), attrs.get(
        "gamma", 1.05070102214813232421875)
    return nn_ops.elu(x, alpha) * gamma


@onnx_op("Softplus")
def _softplus(attrs, x):
    return activations.softplus(x)


@onnx_op("Softsign")
def _softsign(attrs, x):
    return x / (ops.abs(x) + 1.0)


@onnx_op("HardSigmoid")
def _hard_sigmoid(attrs, x):
    return ops.clip_by_value(x * attrs.get("alpha", 0.2) + attrs.get("beta", 0.5), 0.0, 1.0)


@onnx_op("HardSwish")
def _hard_swish(attrs, x):
    return x * ops.clip_by_value(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


@onnx_op("PRelu")
def _prelu(attrs, x, slope):
    return ops.where(x.numpy() >= 0, x, x * slope)


@onnx_op("Clip")
def _clip(attrs, x, low=None, high=None):
    y = x if low is None else ops.maximum(x, low)
    return y if high is None else ops.minimum(y, high)


@onnx_op("Softmax")
def _softmax(attrs, x):
    return nn_ops.softmax(x, attrs.get("axis", -1))


@onnx_op("LogSoftmax")
def _log_softmax(attrs, x):
    return nn_ops.log_softmax(x, attrs.get("axis", -1))


def _variadic(fn):
    def run(attrs, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = fn(y, x)
        return y
    return run


OPS["Sum"] = _variadic(ops.add)
OPS["Max"] = _variadic(ops.maximum)
OPS["Min"] = _variadic(ops.minimum)
OPS["Mean"] = lambda attrs, *xs: _variadic(ops.add)(attrs, *xs) * (1.0 / len(xs))


@onnx_op("Where")
def _where(attrs, cond, a, b):
    return ops.where(cond.numpy().astype(bool), a, b)


def _compare(fn):
    """A comparison or a logical op: a boolean tensor, not differentiable."""
    return lambda attrs, a, b: constant(fn(a.numpy(), b.numpy()))


OPS["Greater"] = _compare(numpy.greater)
OPS["Less"] = _compare(numpy.less)
OPS["Equal"] = _compare(numpy.equal)
OPS["And"] = _compare(numpy.logical_and)
OPS["Or"] = _compare(numpy.logical_or)
OPS["Not"] = lambda attrs, x: constant(numpy.logical_not(x.numpy()))


@onnx_op("Mod")
def _mod(attrs, a, b):
    """The remainder (sign of the divisor; of the dividend with ``fmod=1``), as exporters
    compute shapes with it; not differentiable."""
    fn = numpy.fmod if attrs.get("fmod", 0) else numpy.mod
    return constant(fn(a.numpy(), b.numpy()))


# --- linear algebra ------------------------------------------------------------------------------

@onnx_op("MatMul")
def _matmul(attrs, a, b):
    return ops.matmul(a, b)


@onnx_op("Gemm")
def _gemm(attrs, a, b, c=None):
    """Y = α · A' · B' + β · C, A' = Aᵀ when transA, B' = Bᵀ when transB."""
    if attrs.get("transA", 0):
        a = transpose(a)
    if attrs.get("transB", 0):
        b = transpose(b)
    y = ops.matmul(a, b)
    if attrs.get("alpha", 1.0) != 1.0:
        y = y * attrs["alpha"]
    if c is not None:
        y = y + (c if attrs.get("beta", 1.0) == 1.0 else c * attrs["beta"])
    return y


# --- shapes --------------------------------------------------------------------------------------

@onnx_op("Shape")
def _shape(attrs, x):
    dims = list(x.shape)[attrs.get("start", 0):attrs.get("end", None)]
    return constant(numpy.asarray(dims, dtype=numpy.int64))


@onnx_op("Cast")
def _cast(attrs, x):
    to = attrs["to"]
    if to not in _DTYPES:
        raise OnnxRuntimeError(f"profond.onnx: Cast to the ONNX type {to} is not supported. "
                               f"Expected one of {sorted(_DTYPES)}.")
    return constant(x.numpy().astype(_DTYPES[to])) if _DTYPES[to] == "bool" else \
        ops.cast(x, _DTYPES[to])


@onnx_op("Reshape")
def _reshape(attrs, x, shape):
    dims = ints(shape)
    if not attrs.get("allowzero", 0):  # 0 copies the input's size on that axis
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return reshape(x, tuple(dims))


@onnx_op("Flatten")
def _flatten(attrs, x):
    axis = attrs.get("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis  # in [0, rank]: rank gives (everything, 1)
    lead = int(numpy.prod(x.shape[:axis], dtype=numpy.int64))
    return reshape(x, (lead, -1))


@onnx_op("Transpose")
def _transpose(attrs, x):
    return transpose(x, attrs.get("perm"))


@onnx_op("Unsqueeze")
def _unsqueeze(attrs, x, axes=None):
    axes = ints(axes) if axes is not None else attrs["axes"]
    rank = x.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        x = expand_dims(x, axis)
    return x


@onnx_op("Squeeze")
def _squeeze(attrs, x, axes=None):
    axes = ints(axes) if axes is not None else attrs.get("axes")
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    return squeeze(x, tuple(a % x.ndim for a in axes))


@onnx_op("Concat")
def _concat(attrs, *xs):
    return concat(list(xs), attrs["axis"])


@onnx_op("Gather")
def _gather(attrs, x, indices):
    idx = indices.numpy().astype(numpy.int64)
    axis = attrs.get("axis", 0) % x.ndim
    idx = numpy.where(idx < 0, idx + x.shape[axis], idx)  # ONNX allows negative indices
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[axis]):
        raise OnnxRuntimeError(f"profond.onnx: Gather index out of range [0, {x.shape[axis]}). "
                               f"Received: indices in [{idx.min()}, {idx.max()}]")
    return gather(x, idx, axis=axis)


@onnx_op("Slice")
def _slice(attrs, x, starts, ends, axes=None, steps=None):
    starts, ends = ints(starts), ints(ends)
    axes = ints(axes) if axes is not None else list(range(len(starts)))
    steps = ints(steps) if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        size = x.shape[a]
        # clamp as ONNX does (INT64 min / max stand for "to the end")
        e = None if (st < 0 and e < -size) or (st > 0 and e > size) else e
        index[a % x.ndim] = slice(s, e, st)
    return getitem(x, tuple(index))


@onnx_op("ConstantOfShape")
def _constant_of_shape(attrs, shape):
    value = attrs.get("value", numpy.zeros(1, numpy.float32))
    dims = _bounded(ints(shape), "ConstantOfShape")
    return constant(numpy.full(dims, numpy.asarray(value).reshape(-1)[0],
                              dtype=numpy.asarray(value).dtype))


@onnx_op("Expand")
def _expand(attrs, x, shape):
    target = numpy.broadcast_shapes(tuple(x.shape), tuple(ints(shape)))
    return broadcast_to(x, _bounded(target, "Expand"))


@onnx_op("Tile")
def _tile(attrs, x, repeats):
    reps = ints(repeats)
    _bounded([d * r for d, r in zip(x.shape, reps)], "Tile")
    return tile(x, reps)


@onnx_op("Pad")
def _pad(attrs, x, pads, value=None, axes=None):
    if attrs.get("mode", b"constant") not in (b"constant", "constant"):
        raise OnnxRuntimeError(f"profond.onnx: Pad supports mode='constant' only. Received: "
                               f"mode={attrs.get('mode')!r}")
    p = ints(pads)
    n = len(p) // 2
    axes = ints(axes) if axes is not None else list(range(n))
    widths = [[0, 0] for _ in range(x.ndim)]
    for i, a in enumerate(axes):
        widths[a % x.ndim] = [p[i], p[i + n]]
    _bounded([d + a + b for d, (a, b) in zip(x.shape, widths)], "Pad")
    fill = 0.0 if value is None else float(value.numpy().reshape(-1)[0])
    return pad(x, widths, constant_values=fill)


# --- reductions and normalization ----------------------------------------------------------------

def _reduce(fn):
    def run(attrs, x, axes=None):
        axes = ints(axes) if axes is not None else attrs.get("axes")
        if axes is not None and not axes and attrs.get("noop_with_empty_axes", 0):
            return x
        axis = None if not axes else tuple(a % x.ndim for a in axes)
        return fn(x, axis=axis, keepdims=bool(attrs.get("keepdims", 1)))
    return run


OPS["ReduceMean"] = _reduce(ops.reduce_mean)
OPS["ReduceMax"] = _reduce(ops.reduce_max)
OPS["ReduceMin"] = _reduce(ops.reduce_min)
OPS["ReduceSum"] = _reduce(ops.reduce_sum)


OPS["GlobalAveragePool"] = lambda attrs, x: ops.reduce_mean(x, tuple(range(2, x.ndim)), True)
OPS["GlobalMaxPool"] = lambda attrs, x: ops.reduce_max(x, tuple(range(2, x.ndim)), True)


def _per_channel(v, ndim):
    """A (C,) vector shaped to broadcast on axis 1 of an N-D (N, C, …) tensor."""
    return reshape(v, (-1,) + (1,) * (ndim - 2))


@onnx_op("BatchNormalization")
def _batch_norm(attrs, x, scale, bias, mean, var):
    """Inference form: y = scale · (x − mean) / √(var + ε) + bias, on axis 1."""
    eps = attrs.get("epsilon", 1e-5)
    s = scale / ops.sqrt(var + eps)
    return x * _per_channel(s, x.ndim) + _per_channel(bias - mean * s, x.ndim)


@onnx_op("LayerNormalization")
def _layer_norm(attrs, x, scale, bias=None):
    axis = attrs.get("axis", -1) % x.ndim
    axes = tuple(range(axis, x.ndim))
    mean = ops.reduce_mean(x, axes, True)
    centred = x - mean
    var = ops.reduce_mean(centred * centred, axes, True)
    y = centred / ops.sqrt(var + attrs.get("epsilon", 1e-5)) * scale
    return y if bias is None else y + bias


# --- convolution and pooling ---------------------------------------------------------------------

def _to_last(x):
    return transpose(x, (0, *range(2, x.ndim), 1))


def _to_first(x):
    return transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))


def _explicit_pads(attrs, x, kernel, strides, dilations):
    """ONNX ``pads`` (all begins, then all ends), from ``auto_pad`` when it is set."""
    r = len(kernel)
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = [], []
        for n, k, s, d in zip(x.shape[2:], kernel, strides, dilations):
            total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
            small = total // 2
            begins.append(small if auto == "SAME_UPPER" else total - small)
            ends.append(total - begins[-1])
        return begins + ends
    if auto == "VALID":
        return [0] * (2 * r)
    return list(attrs.get("pads", [0] * (2 * r)))


def _pad_spatial(x, pads, value=0.0):
    """Pad the spatial axes of a channels-last tensor."""
    r = len(pads) // 2
    if not any(pads):
        return x
    widths = [[0, 0]] + [[pads[i], pads[i + r]] for i in range(r)] + [[0, 0]]
    return pad(x, widths, constant_values=value)


@onnx_op("Conv")
def _conv(attrs, x, w, b=None):
    """Kernel (F, C/G, k…) → profond's (k…, C/G, F); explicit pads, then a 'valid' conv."""
    r = x.ndim - 2
    kernel = list(w.shape[2:])
    strides = attrs.get("strides", [1] * r)
    dilations = attrs.get("dilations", [1] * r)
    pads = _explicit_pads(attrs, x, kernel, strides, dilations)
    xl = _pad_spatial(_to_last(x), pads)
    y = conv(xl, transpose(w, (*range(2, r + 2), 1, 0)), tuple(strides), "valid",
             tuple(dilations))
    if b is not None:
        y = y + b
    return _to_first(y)


@onnx_op("ConvTranspose")
def _conv_transpose(attrs, x, w, b=None):
    """Kernel (C, F, k…) → profond's (k…, F, C): the full output, then the pads cropped."""
    r = x.ndim - 2
    if attrs.get("group", 1) != 1 or "output_shape" in attrs:
        raise OnnxRuntimeError("profond.onnx: ConvTranspose runs with group=1 and without "
                               "output_shape only.")
    kernel = list(w.shape[2:])
    strides = attrs.get("strides", [1] * r)
    dilations = attrs.get("dilations", [1] * r)
    extra = attrs.get("output_padding", [0] * r)
    pads = list(attrs.get("pads", [0] * (2 * r)))
    full = [(n - 1) * s + (k - 1) * d + 1 + e for n, k, s, d, e in
            zip(x.shape[2:], kernel, strides, dilations, extra)]
    y = conv_transpose(_to_last(x), transpose(w, (*range(2, r + 2), 1, 0)), full,
                       tuple(strides), "valid", tuple(dilations))
    crop = tuple([slice(None)] + [slice(pads[i], full[i] - pads[i + r]) for i in range(r)]
                 + [slice(None)])
    y = getitem(y, crop)
    if b is not None:
        y = y + b
    return _to_first(y)


def _pool(attrs, x, kind):
    r = x.ndim - 2
    if r not in (1, 2) or attrs.get("ceil_mode", 0) or any(d != 1 for d in
                                                           attrs.get("dilations", [1] * r)):
        raise OnnxRuntimeError(f"profond.onnx: {kind} runs on 1-D and 2-D inputs, without "
                               "ceil_mode or dilations.")
    kernel, strides = list(attrs["kernel_shape"]), list(attrs.get("strides", [1] * r))
    pads = _explicit_pads(attrs, x, kernel, strides, [1] * r)
    xl = _to_last(x)
    if r == 1:  # (N, T, C) → (N, 1, T, C)
        xl, kernel, strides = expand_dims(xl, 1), [1, *kernel], [1, *strides]
        pads = [0, pads[0], 0, pads[1]]
    if kind == "MaxPool":
        y = max_pool2d(_pad_spatial(xl, pads, -numpy.inf), tuple(kernel), tuple(strides))
    else:
        y = avg_pool2d(_pad_spatial(xl, pads), tuple(kernel), tuple(strides))
        if any(pads) and not attrs.get("count_include_pad", 0):
            # the mean over the window's real pixels: divide by the share of them
            ones = constant(numpy.ones((1, *xl.shape[1:3], 1), dtype=x.dtype))
            y = y / avg_pool2d(_pad_spatial(ones, pads), tuple(kernel), tuple(strides))
    if r == 1:
        y = squeeze(y, 1)
    return _to_first(y)


OPS["MaxPool"] = lambda attrs, x: _pool(attrs, x, "MaxPool")
OPS["AveragePool"] = lambda attrs, x: _pool(attrs, x, "AveragePool")


@onnx_op("Resize")
def _resize(attrs, x, roi=None, scales=None, sizes=None):
    """Nearest-neighbour upsampling by integer scales (what the exporter writes)."""
    mode = attrs.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    factors = None if scales is None else [float(s) for s in scales.numpy().reshape(-1)]
    if sizes is not None:
        factors = [t / n for t, n in zip(ints(sizes), x.shape)]
    if mode != "nearest" or not factors or any(f != int(f) or f < 1 for f in factors):
        raise OnnxRuntimeError("profond.onnx: Resize runs in 'nearest' mode with integer "
                               f"scales only. Received: mode={mode!r}, scales={factors}")
    _bounded([n * int(f) for n, f in zip(x.shape, factors)], "Resize")
    for axis, f in enumerate(factors):
        if f != 1:
            idx = numpy.repeat(numpy.arange(x.shape[axis]), int(f))
            x = gather(x, idx, axis=axis)
    return x


# --- recurrent -----------------------------------------------------------------------------------

_DEFAULT_ACTIVATIONS = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"],
                        "LSTM": ["Sigmoid", "Tanh", "Tanh"]}


def _check_recurrent(attrs, op, seq_lens):
    acts = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
    n = len(_DEFAULT_ACTIVATIONS[op])
    wanted = _DEFAULT_ACTIVATIONS[op]
    if op == "RNN" and acts and acts[:1] in (["Relu"], ["Sigmoid"]):
        wanted = acts[:1]
    if acts and [a.lower() for a in acts[:n]] != [a.lower() for a in wanted]:
        raise OnnxRuntimeError(f"profond.onnx: {op} runs with its default activations "
                               f"{wanted}. Received: activations={acts}")
    for name in ("clip", "input_forget", "layout"):
        if attrs.get(name):
            raise OnnxRuntimeError(f"profond.onnx: {op} with the attribute {name!r} is not "
                                   f"supported. Received: {name}={attrs[name]}")
    if seq_lens is not None:
        lens = ints(seq_lens)
        if lens and min(lens) < max(lens):
            raise OnnxRuntimeError(f"profond.onnx: {op} with sequences of different lengths "
                                   "(sequence_lens) is not supported.")
    return wanted


def _lstm_gates(a):
    """ONNX's gate blocks (i, o, f, c) on axis 0 → Keras's (i, f, c, o)."""
    i, o, f, c = numpy.split(a, 4, axis=0)
    return numpy.concatenate([i, f, c, o], axis=0)


def _direction(attrs):
    d = attrs.get("direction", b"forward")
    d = d.decode() if isinstance(d, bytes) else d
    return {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[d]


def _recurrent(op):
    def run(attrs, x, w, r, b=None, seq_lens=None, h0=None, c0=None, p=None):
        """X (T, N, D) → Y (T, dirs, N, H), Y_h (dirs, N, H) [, Y_c]: each direction by
        profond's sequence op with the weights put in Keras's layout."""
        acts = _check_recurrent(attrs, op, seq_lens)
        if p is not None:
            raise OnnxRuntimeError(f"profond.onnx: {op} with peepholes is not supported.")
        xb = transpose(x, (1, 0, 2))  # batch major
        hidden = w.shape[1] // {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
        ys, hs, cs = [], [], []
        for d, backwards in enumerate(_direction(attrs)):
            wd, rd = w.numpy()[d], r.numpy()[d]
            bd = None if b is None else b.numpy()[d]
            if op == "LSTM":
                wd, rd = _lstm_gates(wd), _lstm_gates(rd)
                bd = None if bd is None else _lstm_gates(bd[:4 * hidden] + bd[4 * hidden:])
            h_init = None if h0 is None else getitem(h0, d)
            kernel, rec = constant(wd.T.copy()), constant(rd.T.copy())
            if op == "LSTM":
                c_init = None if c0 is None else getitem(c0, d)
                y, h, c = recurrent.lstm(xb, kernel, rec, None if bd is None else constant(bd),
                                         h_init, c_init, go_backwards=backwards)
                cs.append(c)
            elif op == "GRU":
                y, h = _gru(attrs, xb, kernel, rec, bd, hidden, h_init, backwards)
            else:
                g = {"Tanh": nn_ops.tanh, "Relu": nn_ops.relu, "Sigmoid": nn_ops.sigmoid}[acts[0]]
                bias = None if bd is None else constant(bd[:hidden] + bd[hidden:])
                y, h = recurrent.simple_rnn(xb, kernel, rec, bias, h_init, g,
                                            go_backwards=backwards)
            if backwards:  # profond stacks in reading order; ONNX aligns with the input
                y = getitem(y, (slice(None), slice(None, None, -1)))
            ys.append(transpose(y, (1, 0, 2)))
            hs.append(h)
        outs = [ops.stack(ys, 1), ops.stack(hs, 0)]
        return tuple(outs + [ops.stack(cs, 0)]) if op == "LSTM" else tuple(outs)
    return run


def _gru(attrs, xb, kernel, rec, bd, hidden, h0, backwards):
    """The GRU with ONNX's ``linear_before_reset``: 1 is profond's (Keras's reset_after) fused
    op; 0 applies the reset gate before the recurrent product, step by step."""
    dtype = xb.dtype
    if bd is None:
        bd = numpy.zeros(6 * hidden, dtype=dtype)
    if attrs.get("linear_before_reset", 0):
        return recurrent.gru(xb, kernel, rec, constant(bd.reshape(2, -1)), h0, backwards)
    h = h0 if h0 is not None else constant(numpy.zeros((xb.shape[0], hidden), dtype))
    wb, rb = constant(bd[:3 * hidden]), constant(bd[3 * hidden:])
    xz = ops.matmul(xb, kernel) + wb
    u = rec.numpy()
    u_zr, u_h = constant(u[:, :2 * hidden].copy()), constant(u[:, 2 * hidden:].copy())
    steps = range(xb.shape[1] - 1, -1, -1) if backwards else range(xb.shape[1])
    outs = []
    for t in steps:
        xt = getitem(xz, (slice(None), t))
        zr = nn_ops.sigmoid(getitem(xt, (slice(None), slice(0, 2 * hidden)))
                            + ops.matmul(h, u_zr) + getitem(rb, slice(0, 2 * hidden)))
        z, r = getitem(zr, (slice(None), slice(0, hidden))), getitem(zr, (slice(None),
                                                                          slice(hidden, None)))
        cand = nn_ops.tanh(getitem(xt, (slice(None), slice(2 * hidden, None)))
                           + ops.matmul(r * h, u_h) + getitem(rb, slice(2 * hidden, None)))
        h = z * h + (1.0 - z) * cand
        outs.append(h)
    return ops.stack(outs, 1), h


OPS["LSTM"] = _recurrent("LSTM")
OPS["GRU"] = _recurrent("GRU")
OPS["RNN"] = _recurrent("RNN")
