"""A small builder for ONNX graphs: unique names, weights as initializers, nodes in order.

The exporter's converters speak to it (``g.op("Relu", [x])``) and never touch the ``onnx``
package themselves, so each converter reads as the few ONNX ops it writes.
"""

import numpy

OPSET = 17  # the default: onnxruntime 1.14+ runs it
MAX_OPSET = 21  # the newest opset the converters were checked against


def require_onnx():
    """The ``onnx`` package, or a clear error telling how to install it."""
    try:
        import onnx
    except ModuleNotFoundError as err:  # pragma: no cover - onnx is in the test extra
        raise ModuleNotFoundError(
            "profond.onnx needs the `onnx` package: pip install 'profond[onnx]' "
            "(or pip install onnx onnxruntime)."
        ) from err
    return onnx


class TensorName(str):
    """The ONNX name of a tensor among a recorded call's arguments (other values there are
    constants, strings included)."""


class GraphBuilder:
    """Collects the nodes, initializers, inputs and outputs of one ONNX graph.

    ``dtype`` is the float type of the graph (the model's weights): scalars given to ``const``
    take it, so that a float32 graph stays float32 throughout.
    """

    def __init__(self, dtype="float32", opset=OPSET):
        if not isinstance(opset, int) or isinstance(opset, bool) or not OPSET <= opset <= MAX_OPSET:
            raise ValueError(f"profond.onnx: expected an opset_version between {OPSET} and "
                             f"{MAX_OPSET}. Received: opset_version={opset!r}")
        self.dtype = numpy.dtype(dtype)
        self.opset = opset
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._used = set()
        self._weights = {}  # id(variable) -> initializer name (a shared layer's weights once)
        # the call being converted in a functional model: (args, kwargs) with each tensor
        # replaced by its ONNX name (for layers whose call has options: attention's)
        self.call = None

    def unique(self, name):
        """``name``, or ``name_1``, ``name_2``… when it is taken (ONNX names must be unique)."""
        name = str(name).replace(" ", "_") or "t"
        candidate, i = name, 0
        while candidate in self._used:
            i += 1
            candidate = f"{name}_{i}"
        self._used.add(candidate)
        return candidate

    def const(self, name, value, dtype=None):
        """An initializer holding ``value`` (an array or a number); returns its name."""
        onnx = require_onnx()
        array = numpy.asarray(value, dtype=dtype if dtype is not None else (
            self.dtype if numpy.asarray(value).dtype.kind == "f" else None))
        name = self.unique(name)
        self.initializers.append(onnx.numpy_helper.from_array(numpy.ascontiguousarray(array),
                                                              name))
        return name

    def ints(self, name, values):
        """An int64 initializer (shapes, axes, pads given to ops as inputs)."""
        return self.const(name, numpy.asarray(values, dtype=numpy.int64), numpy.int64)

    def weight(self, layer_name, variable, transform=None):
        """The initializer of a layer's weight (``transform`` rearranges it for ONNX's layout).
        Without ``transform`` a weight met twice (a shared layer) is written once."""
        key = id(variable)
        if transform is None and key in self._weights:
            return self._weights[key]
        array = numpy.asarray(variable.numpy() if hasattr(variable, "numpy") else variable)
        if transform is not None:
            array = transform(array)
        short = str(getattr(variable, "name", "w")).split("/")[-1].split(":")[0]
        name = self.const(f"{layer_name}/{short}", array, dtype=array.dtype)
        if transform is None:
            self._weights[key] = name
        return name

    def op(self, op_type, inputs, name, n_outputs=1, **attributes):
        """Append a node; returns its output name (or a list of them when ``n_outputs > 1``).
        An input given as ``""`` is an omitted optional input, as ONNX writes it."""
        onnx = require_onnx()
        node_name = self.unique(name)
        outputs = [node_name if n_outputs == 1 else self.unique(f"{node_name}:{i}")
                   for i in range(n_outputs)]
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(onnx.helper.make_node(op_type, list(inputs), outputs, name=node_name,
                                                **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def reduce(self, op_type, x, axes, name, keepdims):
        """A Reduce* node: its axes an attribute before opset 18, an input from 18 on
        (ReduceSum's an input since opset 13)."""
        if self.opset < 18 and op_type != "ReduceSum":
            return self.op(op_type, [x], name, axes=list(axes), keepdims=int(keepdims))
        return self.op(op_type, [x, self.ints(f"{name}/axes", list(axes))], name,
                       keepdims=int(keepdims))

    def add_input(self, name, dtype, shape):
        """A graph input; ``None`` dimensions become the symbolic ``batch`` (axis 0) or
        ``dim_i``, which is what makes the batch axis dynamic."""
        onnx = require_onnx()
        name = self.unique(name)
        dims = [("batch" if i == 0 else f"{name}_dim{i}") if d is None else int(d)
                for i, d in enumerate(shape)]
        elem = onnx.helper.np_dtype_to_tensor_dtype(numpy.dtype(dtype))
        self.inputs.append(onnx.helper.make_tensor_value_info(name, elem, dims))
        return name

    def add_output(self, value, name, dtype, shape):
        """A graph output named ``name`` (an Identity renames ``value`` when needed)."""
        onnx = require_onnx()
        out = self.op("Identity", [value], name)
        dims = [("batch" if i == 0 else f"{out}_dim{i}") if d is None else int(d)
                for i, d in enumerate(shape)]
        elem = onnx.helper.np_dtype_to_tensor_dtype(numpy.dtype(dtype))
        self.outputs.append(onnx.helper.make_tensor_value_info(out, elem, dims))
        return out

    def model(self, graph_name, doc=""):
        """The ``onnx.ModelProto`` (checked by ``onnx.checker``)."""
        onnx = require_onnx()
        graph = onnx.helper.make_graph(self.nodes, graph_name, self.inputs, self.outputs,
                                       self.initializers, doc_string=doc)
        model = onnx.helper.make_model(graph, producer_name="profond",
                                       opset_imports=[onnx.helper.make_opsetid("", self.opset)])
        model.ir_version = min(model.ir_version, 8)  # readable by older onnxruntime too
        onnx.checker.check_model(model)
        return model
