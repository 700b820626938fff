"""Run an ONNX file in profond: ``profond.onnx.load("m.onnx")`` returns an ``OnnxModel``.

The file is data, never code: only the operators of ``profond.onnx._ops`` run (an unknown one is
refused by name before anything runs), no custom domains or local functions, no external data
files; the file, each tensor and their total are bounded in bytes, and tensors made while
running (``Expand``, ``ConstantOfShape``…) in elements. A truncated or corrupt file gets a clear
error.

>>> import numpy as np, profond as pf
>>> from profond.onnx import to_onnx
>>> net = pf.models.Sequential([pf.layers.Input((3,)), pf.layers.Dense(2)])
>>> twin = OnnxModel(to_onnx(net))
>>> bool(np.allclose(twin.predict(np.ones((4, 3), "float32")), net.predict(np.ones((4, 3)),
...                                                                           verbose=0)))
True
"""

import math
import os

import numpy

from profond.autodiff import constant, no_grad
from profond.onnx._graph import require_onnx
from profond.onnx._ops import MAX_ELEMENTS, OPS, OnnxRuntimeError

# Ops whose output takes the broadcast shape of their inputs: checked before they run, since
# (n, 1) + (1, n) makes n² numbers out of 2n.
_BROADCASTING = {"Add", "Sub", "Mul", "Div", "Pow", "Where", "Sum", "Max", "Min", "Mean",
                 "Equal", "Greater", "Less", "And", "Or", "PRelu", "MatMul", "Concat", "Mod"}

MAX_FILE_BYTES = 2**30  # 1 GiB: the largest .onnx file read
MAX_TENSOR_BYTES = 2**29  # 512 MiB: the largest single weight or constant
MAX_NODES = 100_000

# ONNX element types a tensor of the file may hold (numbers and booleans; no strings)
_NUMERIC = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
            7: "int64", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}


class OnnxFileError(ValueError):
    """A file that is not a valid, safe ONNX model for profond (the message says why)."""


def load(filepath, max_bytes=MAX_FILE_BYTES):
    """The ONNX model in ``filepath``, ready to run in profond (an ``OnnxModel``).

    ``max_bytes`` bounds the file and the total size of its tensors.
    """
    path = os.fspath(filepath)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"profond.onnx.load: no such file (or not a regular file): "
                                f"{path!r}")
    size = os.path.getsize(path)
    if size > max_bytes:
        raise OnnxFileError(f"profond.onnx.load: {path!r} is {size:,} bytes, over the limit of "
                            f"{max_bytes:,} (max_bytes).")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while being read
        raise OnnxFileError(f"profond.onnx.load: {path!r} is over the limit of {max_bytes:,} "
                            "bytes (max_bytes).")
    return OnnxModel(_parse(data, path), max_bytes=max_bytes)


def _parse(data, where):
    onnx = require_onnx()
    from google.protobuf.message import DecodeError

    if not data:
        raise OnnxFileError(f"profond.onnx.load: {where!r} is empty: not an ONNX model.")
    try:
        model = onnx.ModelProto.FromString(data)
    except (DecodeError, RuntimeError, ValueError) as err:
        raise OnnxFileError(f"profond.onnx.load: {where!r} is not a valid ONNX file (truncated "
                            f"or corrupt): {err}") from None
    if not model.HasField("graph") or not model.graph.output or not model.opset_import:
        raise OnnxFileError(f"profond.onnx.load: {where!r} holds no complete ONNX model (no "
                            "graph, outputs or opset): the file may be truncated.")
    return model


def _tensor_bytes(tensor, what):
    """The byte size a TensorProto declares, after checking its type and location."""
    onnx = require_onnx()
    if tensor.data_type not in _NUMERIC:
        raise OnnxFileError(f"profond.onnx: {what} has the ONNX element type "
                            f"{tensor.data_type}, not a number type profond reads.")
    if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
        raise OnnxFileError(f"profond.onnx: {what} keeps its data in an external file, which "
                            "profond.onnx.load refuses; save the model as one file.")
    if any(d < 0 for d in tensor.dims):
        raise OnnxFileError(f"profond.onnx: {what} has a negative dimension: {list(tensor.dims)}")
    n = int(numpy.prod(list(tensor.dims), dtype=numpy.float64))
    return n * numpy.dtype(_NUMERIC[tensor.data_type]).itemsize


def _array(tensor, what, limit=MAX_TENSOR_BYTES):
    """A TensorProto as a NumPy array, bounded in bytes and checked against its own dims."""
    onnx = require_onnx()
    nbytes = _tensor_bytes(tensor, what)
    if nbytes > limit:
        raise OnnxFileError(f"profond.onnx: {what} declares {nbytes:,} bytes, over the limit of "
                            f"{limit:,} for one tensor.")
    try:
        array = onnx.numpy_helper.to_array(tensor)
    except (ValueError, TypeError) as err:
        raise OnnxFileError(f"profond.onnx: {what} is malformed (its data does not match its "
                            f"shape {list(tensor.dims)}): {err}") from None
    return numpy.array(array, copy=True)


def _attributes(node):
    """A node's attributes as Python values (tensors bounded; subgraphs refused)."""
    onnx = require_onnx()
    out = {}
    for attr in node.attribute:
        if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise OnnxFileError(f"profond.onnx: node {node.name!r} ({node.op_type}) holds a "
                                "subgraph, which is not supported.")
        if attr.type == onnx.AttributeProto.TENSOR:
            out[attr.name] = _array(attr.t, f"attribute {attr.name!r} of node {node.name!r}")
        else:
            value = onnx.helper.get_attribute_value(attr)
            out[attr.name] = list(value) if isinstance(value, (list, tuple)) or (
                hasattr(value, "__len__") and not isinstance(value, (bytes, str))) else value
    return out


def _constant_value(attrs, node):
    """The value of a ``Constant`` node (``value`` or one of the ``value_*`` forms)."""
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            dtype = "float32" if "float" in key else ("int64" if "int" in key else None)
            return numpy.asarray(v, dtype=dtype)
    raise OnnxFileError(f"profond.onnx: Constant node {node.name!r} has no numeric value "
                        f"(attributes: {sorted(attrs)}).")


def _check_size(node, args, attrs):
    """Refuse, before it runs, a node whose output would pass ``MAX_ELEMENTS`` numbers (every
    other op makes at most as many as its inputs, or is bounded in ``_ops``)."""
    if node.op_type not in _BROADCASTING:
        return
    shapes = [tuple(a.shape) for a in args if a is not None]
    try:
        if node.op_type == "Concat":
            n = sum(math.prod(s) for s in shapes)
        elif node.op_type == "MatMul" and all(len(s) >= 2 for s in shapes):
            a, b = shapes
            n = math.prod(numpy.broadcast_shapes(a[:-2], b[:-2])) * a[-2] * b[-1]
        else:
            n = math.prod(numpy.broadcast_shapes(*shapes))
    except ValueError as err:
        raise OnnxRuntimeError(f"profond.onnx: node {node.name!r} ({node.op_type}) received "
                               f"shapes that do not fit together {shapes}: {err}") from None
    if n > MAX_ELEMENTS:
        raise OnnxRuntimeError(f"profond.onnx: node {node.name!r} ({node.op_type}) would make "
                               f"{n:,} numbers from inputs of shapes {shapes}, over the limit "
                               f"of {MAX_ELEMENTS:,}.")


class OnnxModel:
    """An ONNX graph run by profond's ops (inference).

    ``model(x)`` / ``model([x1, x2])`` / ``model({"name": x})`` returns profond Tensors (one, or
    a list for several outputs); ``predict`` returns NumPy arrays. ``input_names``,
    ``output_names`` and ``input_shapes`` (``None`` for a dynamic size) describe the graph.
    """

    def __init__(self, model_proto, max_bytes=MAX_FILE_BYTES):
        graph = model_proto.graph
        self._check_model(model_proto)
        self.name = graph.name or "onnx_model"
        total = 0
        self._initializers = {}
        for t in graph.initializer:
            total += _tensor_bytes(t, f"initializer {t.name!r}")
            if total > max_bytes:
                raise OnnxFileError(f"profond.onnx: the initializers total over {max_bytes:,} "
                                    "bytes (max_bytes).")
            self._initializers[t.name] = _array(t, f"initializer {t.name!r}")
        self._inputs = [(v.name, self._declared(v)) for v in graph.input
                        if v.name not in self._initializers]
        self.input_names = [name for name, _ in self._inputs]
        self.output_names = [v.name for v in graph.output]
        self.input_shapes = [shape for _, (shape, _) in self._inputs]
        self._nodes = [(n, _attributes(n)) for n in graph.node]
        self._check_order()
        # the weights and Constant nodes as tensors once, not at every call
        self._constants = {name: constant(a) for name, a in self._initializers.items()}
        for node, attrs in self._nodes:
            if node.op_type == "Constant":
                self._constants[node.output[0]] = constant(_constant_value(attrs, node))

    @staticmethod
    def _declared(value_info):
        """(shape with None for symbolic sizes, NumPy dtype) of a graph input."""
        tt = value_info.type.tensor_type
        if tt.elem_type not in _NUMERIC:
            raise OnnxFileError(f"profond.onnx: input {value_info.name!r} has the element type "
                                f"{tt.elem_type}, not a number type.")
        shape = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
        return shape, numpy.dtype(_NUMERIC[tt.elem_type])

    @staticmethod
    def _check_model(model):
        if model.functions:
            raise OnnxFileError("profond.onnx: the file defines local functions, which profond "
                                "does not run.")
        if model.graph.sparse_initializer:
            raise OnnxFileError("profond.onnx: sparse initializers are not supported.")
        if len(model.graph.node) > MAX_NODES:
            raise OnnxFileError(f"profond.onnx: {len(model.graph.node):,} nodes, over the limit "
                                f"of {MAX_NODES:,}.")
        unsupported = []
        for node in model.graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise OnnxFileError(f"profond.onnx: node {node.name!r} uses the operator "
                                    f"{node.op_type!r} of the custom domain {node.domain!r}, "
                                    "which profond does not run.")
            if node.op_type not in OPS and node.op_type != "Constant":
                unsupported.append(node.op_type)
        if unsupported:
            raise NotImplementedError(
                f"profond.onnx: unsupported ONNX operator(s): {sorted(set(unsupported))}. "
                f"Supported: {', '.join(sorted(OPS) + ['Constant'])}.")

    def _check_order(self):
        known = set(self._initializers) | set(self.input_names) | {""}
        for node, _ in self._nodes:
            missing = [i for i in node.input if i not in known]
            if missing:
                raise OnnxFileError(f"profond.onnx: node {node.name!r} ({node.op_type}) uses "
                                    f"{missing}, which no earlier node or input makes (a graph "
                                    "out of order, or a truncated file).")
            known.update(node.output)
        absent = [o for o in self.output_names if o not in known]
        if absent:
            raise OnnxFileError(f"profond.onnx: the graph's outputs {absent} are never made.")

    # --- running ---------------------------------------------------------------------------------
    def _feed(self, inputs):
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing}. Expected the keys "
                                 f"{self.input_names}. Received: {sorted(inputs)}")
            inputs = [inputs[n] for n in self.input_names]
        elif not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if len(inputs) != len(self.input_names):
            raise ValueError(f"The ONNX model {self.name!r} expects {len(self.input_names)} "
                             f"input(s) {self.input_names}. Received: {len(inputs)} input(s)")
        feed = {}
        for (name, (shape, dtype)), x in zip(self._inputs, inputs):
            x = numpy.asarray(x.numpy() if hasattr(x, "numpy") else x)
            if x.ndim != len(shape) or any(d is not None and d != s
                                           for d, s in zip(shape, x.shape)):
                raise ValueError(f"Input {name!r} of the ONNX model {self.name!r} is "
                                 f"incompatible: expected shape={shape}, found "
                                 f"shape={x.shape}")
            feed[name] = constant(x.astype(dtype, copy=False))
        return feed

    def __call__(self, inputs):
        values = dict(self._constants)
        values.update(self._feed(inputs))
        for node, attrs in self._nodes:
            if node.op_type == "Constant":
                continue
            args = [values[i] if i else None for i in node.input]
            _check_size(node, args, attrs)
            try:
                outs = OPS[node.op_type](attrs, *args)
            except OnnxRuntimeError:
                raise
            except (ValueError, TypeError, IndexError) as err:
                raise OnnxRuntimeError(f"profond.onnx: node {node.name!r} ({node.op_type}) "
                                       f"failed: {err}") from err
            outs = outs if isinstance(outs, tuple) else (outs,)
            for i, name in enumerate(node.output):
                if not name:
                    continue
                if i >= len(outs):
                    raise OnnxRuntimeError(f"profond.onnx: output {i} of {node.op_type} (node "
                                           f"{node.name!r}) is not supported.")
                values[name] = outs[i]
        results = [values[name] for name in self.output_names]
        return results[0] if len(results) == 1 else results

    def predict(self, x, batch_size=None, verbose=0):
        """NumPy outputs for ``x`` (in batches of ``batch_size`` when given), without
        recording gradients."""
        with no_grad():
            if batch_size is None:
                out = self(x)
                return ([o.numpy() for o in out] if isinstance(out, list) else out.numpy())
            xs = x if isinstance(x, (list, tuple)) else [x]
            n = len(xs[0])
            parts = [self.predict([a[i:i + batch_size] for a in xs]) for i in
                     range(0, n, batch_size)]
        if isinstance(parts[0], list):
            return [numpy.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
        return numpy.concatenate(parts)

    def __repr__(self):
        return (f"<OnnxModel {self.name!r}: inputs {self.input_names}, outputs "
                f"{self.output_names}, {len(self._nodes)} nodes>")
