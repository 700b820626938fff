"""Symbolic tensors and graph nodes of the functional API.

``Input(shape=(4,))`` returns a ``KerasTensor``: a placeholder that knows only its shape (batch
dimension ``None``) and dtype — no values flow. Calling a layer on KerasTensors records a ``Node``
(one call site of the layer: its arguments and its output KerasTensors) and returns new
KerasTensors. Operators and profond ops on KerasTensors (``x + 1``, ``x[:, 0]``,
``pf.concat([a, b], -1)``) record a call of an ``OpLayer`` that replays the op by name
(``layers/op_layer.py``). ``profond.models.Model(inputs, outputs)`` later walks the nodes back
from the outputs and replays them on real data.
"""

import numpy

from profond import backend
from profond._text import NAME_LIMIT, printable


def _flatten(structure):
    """The leaves of nested lists / tuples / dicts, in order (dict values by sorted key, as Keras's
    ``tree.flatten``)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in _flatten(s)]
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in _flatten(structure[k])]
    return [structure]


def _map(fn, structure):
    """Apply ``fn`` to every leaf of nested lists / tuples / dicts."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    return fn(structure)


class Node:
    """One call of a layer in a functional graph: ``outputs = layer(*args, **kwargs)``.

    ``args``/``kwargs`` keep the call's structure (KerasTensors and constants inside);
    ``input_tensors`` are the KerasTensors among them, in order; ``index`` is the node's position
    among the layer's calls (``layer._inbound_nodes[index] is self``).
    """

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = outputs
        if len(self.args) == 1 and not kwargs and isinstance(self.args[0], KerasTensor):
            self.input_tensors = [self.args[0]]  # the usual call: one tensor
        else:
            self.input_tensors = [t for t in _flatten([list(self.args), self.kwargs])
                                  if isinstance(t, KerasTensor)]
        self.output_tensors = _flatten(outputs)
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._node, t._index = self, i

    @property
    def operation(self):
        """The layer called (Keras 3's name)."""
        return self.layer

    @property
    def parents(self):
        """The nodes that produced this node's input tensors."""
        return [t._node for t in self.input_tensors]

    def __repr__(self):
        return f"<Node layer={printable(self.layer.name, NAME_LIMIT)}, index={self.index}>"


# operator → (profond op, name of the op-layer as Keras 3 names it)
_OPERATORS = {
    "add": ("add", "add"), "sub": ("subtract", "subtract"), "mul": ("multiply", "multiply"),
    "truediv": ("divide", "true_divide"), "pow": ("pow", "power"), "matmul": ("matmul", "matmul"),
    "neg": ("negative", "negative"), "abs": ("abs", "absolute"), "getitem": ("getitem", "get_item"),
}


def _op(operator, *args):
    from profond.layers.op_layer import record_op

    op, display = _OPERATORS[operator]
    return record_op(op, args, {}, name=display)


class KerasTensor:
    """A placeholder that knows only its ``shape`` (batch dimension ``None``) and ``dtype``.

    It supports the arithmetic operators, ``@`` and slicing; each records an op in the graph.

    >>> import profond as pf
    >>> x = pf.layers.Input(shape=(3,))
    >>> (2 * x + 1)[:, 0].shape
    (None,)
    """

    def __init__(self, shape, dtype=None, name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = numpy.dtype(dtype or backend.floatx())
        self.name = name
        self._node = node
        self._index = index
        self._keras_mask = None  # a boolean KerasTensor when the value carries a mask

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        name = printable(self.name, NAME_LIMIT)
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A KerasTensor is symbolic: a placeholder for a shape and a dtype, used to build "
            "functional models. It has no value to convert to a NumPy array. Use it as input to "
            f"a layer or a profond op. Received: {self!r}"
        )

    def __bool__(self):
        raise TypeError(f"A symbolic KerasTensor cannot be used as a boolean. Received: {self!r}")

    def __add__(self, other):
        return _op("add", self, other)

    def __radd__(self, other):
        return _op("add", other, self)

    def __sub__(self, other):
        return _op("sub", self, other)

    def __rsub__(self, other):
        return _op("sub", other, self)

    def __mul__(self, other):
        return _op("mul", self, other)

    def __rmul__(self, other):
        return _op("mul", other, self)

    def __truediv__(self, other):
        return _op("truediv", self, other)

    def __rtruediv__(self, other):
        return _op("truediv", other, self)

    def __pow__(self, other):
        return _op("pow", self, other)

    def __rpow__(self, other):
        return _op("pow", other, self)

    def __matmul__(self, other):
        return _op("matmul", self, other)

    def __rmatmul__(self, other):
        return _op("matmul", other, self)

    def __neg__(self):
        return _op("neg", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op("abs", self)

    def __getitem__(self, index):
        return _op("getitem", self, index)


def is_symbolic(structure):
    """True when ``structure`` (a tensor or nested lists/tuples/dicts) holds a KerasTensor."""
    # NOTE: on the eager path of every layer call: no list is built, no call is made for the
    # common case (a tuple of plain tensors).
    kind = type(structure)
    if kind is dict:
        structure = structure.values()
    elif kind is not tuple and kind is not list:
        return isinstance(structure, KerasTensor)
    for item in structure:
        if isinstance(item, KerasTensor):
            return True
        kind = type(item)
        if (kind is tuple or kind is list or kind is dict) and is_symbolic(item):
            return True
    return False
