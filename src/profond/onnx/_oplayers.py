"""Converters of the ops recorded in functional models (``x * 2``, ``pf.concat``…: an
``OpLayer`` naming a public op). The call's arguments come bound to the op's parameters; a
tensor argument is a ``TensorName``, anything else a constant written into the graph.
"""

import inspect

import numpy

from profond.onnx._graph import TensorName
from profond.onnx._layers import apply_activation, converts
from profond.ops import symbolic

_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "pow": "Pow",
           "matmul": "MatMul", "maximum": "Max", "minimum": "Min"}
_UNARY = {"negative": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs"}
_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "elu", "selu", "softplus", "softsign",
                "silu", "swish", "leaky_relu")
_REDUCE = {"reduce_mean": "ReduceMean", "reduce_sum": "ReduceSum", "reduce_max": "ReduceMax",
           "reduce_min": "ReduceMin"}
_SHAPES = ("square", "softmax", "log_softmax", "concat", "reshape", "transpose", "expand_dims",
           "squeeze", "getitem")


def _operand(g, value, name):
    """A tensor's name, or ``value`` as a constant of the graph's float type (a Python number
    never changes the type of a float tensor, as in profond)."""
    if isinstance(value, TensorName):
        return value
    array = numpy.asarray(value.numpy() if hasattr(value, "numpy") else value)
    return g.const(name, array.astype(g.dtype) if array.dtype.kind in "iufb" else array)


def _bound(layer, g, xs):
    args, kwargs = g.call if g.call is not None else ([xs[0]], {})
    try:
        bound = inspect.signature(symbolic.OPS[layer.op]).bind(*args, **kwargs)
    except TypeError as err:
        raise NotImplementedError(f"profond.onnx: cannot read the call of op {layer.name!r} "
                                  f"({layer.op}): {err}") from None
    bound.apply_defaults()
    return bound.arguments


def _slices(g, layer, x, index):
    """``x[index]`` for an index of ints and steps-1 slices: one Slice, then a Squeeze."""
    index = index if isinstance(index, tuple) else (index,)
    if any(not isinstance(i, (int, slice)) for i in index) or any(
            isinstance(i, slice) and i.step not in (None, 1) for i in index):
        raise NotImplementedError(f"profond.onnx: op {layer.name!r} indexes with {index!r}; "
                                  "the export takes integers and slices with step 1.")
    starts, ends, axes, drop = [], [], [], []
    for axis, i in enumerate(index):
        if isinstance(i, int):
            starts.append(i)
            ends.append(i + 1 if i != -1 else 2**62)
            axes.append(axis)
            drop.append(axis)
        elif i != slice(None):
            starts.append(0 if i.start is None else i.start)
            ends.append(2**62 if i.stop is None else i.stop)
            axes.append(axis)
    base = layer.name
    y = x
    if axes:
        y = g.op("Slice", [x, g.ints(f"{base}/starts", starts), g.ints(f"{base}/ends", ends),
                           g.ints(f"{base}/axes", axes)], f"{base}/slice")
    if drop:
        y = g.op("Squeeze", [y, g.ints(f"{base}/drop", drop)], f"{base}/squeeze")
    return g.op("Identity", [y], base)


@converts("OpLayer")
def _op_layer(g, layer, xs, shapes):
    op, base = layer.op, layer.name
    a = _bound(layer, g, xs)
    first = next(iter(a.values()))
    if op in _BINARY:
        left, right = list(a.values())[:2]
        return [g.op(_BINARY[op], [_operand(g, left, f"{base}/a"),
                                   _operand(g, right, f"{base}/b")], base)]
    if op in _UNARY:
        return [g.op(_UNARY[op], [first], base)]
    if op == "square":
        return [g.op("Mul", [first, first], base)]
    if op in _ACTIVATIONS:
        return [apply_activation(g, op, first, base)]
    if op in ("softmax", "log_softmax"):
        return [g.op("Softmax" if op == "softmax" else "LogSoftmax", [first], base,
                     axis=int(a.get("axis", -1)))]
    if op in _REDUCE:
        axis = a.get("axis")
        axes = list(range(len(shapes[0]))) if axis is None else (
            [axis] if isinstance(axis, int) else list(axis))
        return [g.reduce(_REDUCE[op], first, axes, base, keepdims=bool(a.get("keepdims")))]
    if op == "concat":
        return [g.op("Concat", [_operand(g, v, f"{base}/c") for v in a["values"]], base,
                     axis=int(a["axis"]))]
    if op == "reshape":
        return [g.op("Reshape", [first, g.ints(f"{base}/shape", list(a["shape"]))], base)]
    if op == "transpose":
        perm = a.get("perm")
        return [g.op("Transpose", [first], base,
                     perm=None if perm is None else [int(p) for p in perm])]
    if op == "expand_dims":
        return [g.op("Unsqueeze", [first, g.ints(f"{base}/axes", [int(a["axis"])])], base)]
    if op == "squeeze" and a.get("axis") is not None:
        axis = a["axis"]
        axes = [axis] if isinstance(axis, int) else list(axis)
        return [g.op("Squeeze", [first, g.ints(f"{base}/axes", axes)], base)]
    if op == "getitem":
        return [_slices(g, layer, first, a["index"])]
    known = sorted([*_BINARY, *_UNARY, *_ACTIVATIONS, *_REDUCE, *_SHAPES])
    raise NotImplementedError(
        f"profond.onnx: the op {layer.name!r} ({op}, recorded from a tensor operation in the "
        f"functional model) has no ONNX converter. Ops that export: {', '.join(known)}.")
