"""Export a profond model to an ONNX file (inference form), with the ``onnx`` package.

The walk follows the model's graph: a ``Sequential``'s layers in order, a functional model's
recorded calls in topological order, a nested model inlined where it is called. Each layer is
written by its converter (``profond.onnx._layers``); the graph's inputs take the names of the
model's ``Input``s and a dynamic batch axis, its outputs the names of the layers that make them.

>>> import numpy as np, profond as pf
>>> model = pf.models.Sequential([pf.layers.Input((3,)), pf.layers.Dense(2, activation="relu")])
>>> proto = to_onnx(model)
>>> [n.op_type for n in proto.graph.node]
['MatMul', 'Add', 'Relu', 'Identity']
"""

import os
import tempfile

import numpy

from profond.layers.base import InputLayer
from profond.onnx import (  # noqa: F401 - importing them registers their converters
    _attention,
    _conv,
    _oplayers,
    _recurrent,
)
from profond.onnx._graph import OPSET, GraphBuilder, TensorName
from profond.onnx._layers import convert_layer

# Layers whose outputs change where a mask hides steps: exported only without a mask.
_MASK_USERS = ("SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional", "GlobalAveragePooling1D",
               "GlobalMaxPooling1D", "Attention", "AdditiveAttention", "MultiHeadAttention",
               "Softmax")


def _is_model(layer):
    return hasattr(layer, "_graph") and hasattr(layer, "compile")


def _model_dtype(model):
    floats = [w.dtype for w in model.weights if numpy.dtype(w.dtype).kind == "f"]
    return numpy.dtype(floats[0]) if floats else numpy.dtype("float32")


def _check_mask(layer, masked):
    if masked and type(layer).__name__ in _MASK_USERS:
        raise NotImplementedError(
            f'profond.onnx: layer "{layer.name}" ({type(layer).__name__}) receives a mask '
            "(from Embedding(mask_zero=True) or Masking), which the ONNX export does not carry. "
            "Export a model without masking.")


def _sequential(g, model, xs, shapes):
    names, shape, masked = list(xs), shapes[0], False
    for layer in model.layers:
        _check_mask(layer, masked)
        masked = (masked or type(layer).__name__ == "Masking"
                  or bool(getattr(layer, "mask_zero", False)))
        names = _call(g, layer, names, [shape])
        shape = layer.compute_output_shape(shape)
    return names


def _functional(g, model, xs, shapes):
    values = {id(t): x for t, x in zip(model.inputs, xs)}
    for node in model._nodes:
        layer = node.layer
        inputs = node.input_tensors
        _check_mask(layer, any(getattr(t, "_keras_mask", None) is not None for t in inputs))
        names = [values[id(t)] for t in inputs]
        g.call = (_named(node.args, values), _named(node.kwargs, values))
        outs = _call(g, layer, names, [tuple(t.shape) for t in inputs])
        g.call = None
        for t, name in zip(node.output_tensors, outs):
            values[id(t)] = name
    return [values[id(t)] for t in model.outputs]


def _named(structure, values):
    """``structure`` (a node's args or kwargs) with each symbolic tensor replaced by its name."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_named(v, values) for v in structure)
    if isinstance(structure, dict):
        return {k: _named(v, values) for k, v in structure.items()}
    if hasattr(structure, "_node") and id(structure) in values:
        return TensorName(values[id(structure)])
    return structure


def _call(g, layer, xs, shapes):
    """One layer, or a whole nested model inlined."""
    if _is_model(layer):
        return _walk(g, layer, xs, shapes)
    return convert_layer(g, layer, xs, shapes)


def _walk(g, model, xs, shapes):
    if type(model).__name__ == "Sequential":
        return _sequential(g, model, xs, shapes)
    if model._graph:
        return _functional(g, model, xs, shapes)
    raise NotImplementedError(
        f"profond.onnx: model {model.name!r} of class {type(model).__name__} is subclassed (its "
        "forward pass is Python code), which has no graph to export. Build it as a Sequential or "
        "functional model.")


def to_onnx(model, name=None, opset_version=None):
    """The ``onnx.ModelProto`` of ``model`` (built; Sequential or functional, nested ones too),
    in ``opset_version`` (17 by default, up to 21)."""
    if not _is_model(model):
        raise TypeError(f"profond.onnx.export expects a profond Model. Received: {model!r:.80}")
    if type(model).__name__ != "Sequential" and not model._graph:
        _walk(None, model, [], [])  # the subclassed model's error
    if not model.built or not model.inputs:
        raise ValueError(f"Model {model.name!r} is not built: call it on data, or give it an "
                         "Input, before exporting it to ONNX.")
    g = GraphBuilder(_model_dtype(model), OPSET if opset_version is None else opset_version)
    xs, shapes = [], []
    for t in model.inputs:
        layer = t._node.layer
        in_name = layer.name if isinstance(layer, InputLayer) else t.name
        xs.append(g.add_input(in_name, t.dtype, t.shape))
        shapes.append(tuple(t.shape))
    outs = _walk(g, model, xs, shapes)
    for i, (t, out) in enumerate(zip(model.outputs, outs)):
        out_name = model.output_names[i] if _unique(model.output_names) else f"output_{i}"
        g.add_output(out, out_name, t.dtype, t.shape)
    return g.model(name or model.name, doc=f"Exported by profond (opset {g.opset}).")


def _unique(names):
    return len(set(names)) == len(names)


def export(model, filepath, verbose=None, input_signature=None, opset_version=None):
    """Write ``model`` to ``filepath`` as ONNX (``model.export(path, format="onnx")``, with
    Keras's arguments; ``verbose`` None or True prints where the file went, as Keras does).

    The inputs keep the model's shapes with a dynamic batch axis: ``input_signature`` must stay
    None. The write goes to a temporary file first, then replaces ``filepath`` (never half a
    file).
    """
    if input_signature is not None:
        raise NotImplementedError(
            "profond.onnx.export takes the input shapes from the model (with a dynamic batch "
            f"axis); input_signature is not supported. Received: input_signature="
            f"{input_signature!r:.200}")
    onnx_model = to_onnx(model, opset_version=opset_version)
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".onnx.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(onnx_model.SerializeToString())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    if verbose or verbose is None:
        opset = onnx_model.opset_import[0].version
        print(f"Saved the ONNX model (opset {opset}) to {filepath}")
    return filepath
