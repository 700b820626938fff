"""``model.summary()``: the table Keras 3 prints — each layer's name and type, output shape and
number of parameters, then the totals.

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 128)            │       100,480 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 100,480 (392.50 KB)

A Dense layer with n inputs and m units has n·m weights plus m biases.

Names come from files too (``load_model`` on a file from anyone): every name is shown through
``profond._text.printable``, so control characters appear as escapes (``\\x1b``, ``\\n``) and
a cell holds at most ``NAME_LIMIT`` characters of a name (a longer one ends with ``…``).
"""

import numpy

from profond._text import NAME_LIMIT, printable

_WIDTHS = (33, 24, 15)
SHAPE_LIMIT = 2 * NAME_LIMIT
"""The widest an output shape is shown (a shape of thousands of dimensions ends with ``…``)."""


def readable_memory_size(n_bytes):
    """``1536`` → ``"1.50 KB"`` (powers of 1024, as Keras)."""
    units = ["B", "KB", "MB", "GB", "TB"]
    size, unit = float(n_bytes), 0
    while size >= 1024 and unit < len(units) - 1:
        size /= 1024
        unit += 1
    return f"{size:.2f} {units[unit]}"


def _weights_size(weights):
    count = sum(int(numpy.prod(w.shape)) for w in weights)
    nbytes = sum(int(numpy.prod(w.shape)) * w.dtype.itemsize for w in weights)
    return count, nbytes


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(s)}" for k, s in shape.items()) + "}"
    if isinstance(shape, tuple) and shape and not all(
            d is None or isinstance(d, (int, numpy.integer)) for d in shape):
        return "(" + ", ".join(_shape_text(s) for s in shape) + ")"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _type_name(layer):
    own = layer.class_name if hasattr(type(layer), "class_name") else None  # op layers
    return printable(own or type(layer).__name__, NAME_LIMIT)


def _name(layer):
    return printable(layer.name, NAME_LIMIT)


def _is_functional(model):
    return bool(getattr(model, "_graph", None))


def _sequential_like(model):
    """Keras adds a "Connected to" column unless the graph is a chain: one node per depth and
    one input per node."""
    if not _is_functional(model):
        return True
    if len(model.inputs) != 1:
        return False
    return all(len(node.input_tensors) <= 1 for node in model._nodes) and \
        len({id(node.input_tensors[0]) for node in model._nodes if node.input_tensors}) == \
        len([n for n in model._nodes if n.input_tensors])


def _connections(model, layer):
    """``["a[0][0],", "b[0][0]"]``: the tensors each of the layer's calls received."""
    mine = {id(n) for n in model._nodes}
    refs = [f"{_name(t._node.layer)}[{t._node.index}][{t._index}]"
            for node in layer._inbound_nodes if id(node) in mine
            for t in node.input_tensors]
    if not refs:
        return ["-"]
    return [r + "," for r in refs[:-1]] + refs[-1:]


def _rows(model):
    from profond.models.sequential import Sequential

    connected = not _sequential_like(model)
    rows = []
    if isinstance(model, Sequential):
        layers = model.layers
    elif _is_functional(model):
        layers = model.operations
    else:
        layers = model._layers
    for layer in layers:
        name = f"{_name(layer)} ({_type_name(layer)})"
        shape = printable(_shape_text(getattr(layer, "_output_shape", None)), SHAPE_LIMIT)
        if layer.built or not layer._layers and layer.weights:
            params = f"{layer.count_params():,}"
        else:
            params = "0 (unbuilt)"
        row = [[name], [shape], [params]]
        if connected:
            row.append(_connections(model, layer))
        rows.append(row)
    return rows


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print (or pass each line to ``print_fn``) the summary table of ``model``.

    A functional model that is not a chain gets a fourth column, "Connected to", naming the
    tensors each layer received as ``layer[call][output]`` (as Keras)."""
    print_fn = print_fn or print
    rows = _rows(model)
    header = ["Layer (type)", "Output Shape", "Param #"]
    widths = list(_WIDTHS)
    if rows and len(rows[0]) == 4:
        header.append("Connected to")
        widths.append(_WIDTHS[1])
    if line_length:
        fractions = positions or ([0.45, 0.80, 1.0] if len(header) == 3 else
                                  [0.3, 0.6, 0.70, 1.0])
        edges = [0] + [int(line_length * p) if p <= 1 else int(p) for p in fractions]
        widths = [max(edges[i + 1] - edges[i] - 1, 4) for i in range(len(header))]
    for row in rows + [[[h] for h in header]]:
        for i, cell in enumerate(row):
            widths[i] = max([widths[i]] + [len(text) + 2 for text in cell])

    def line(cells, sep):
        parts = []
        for i, cell in enumerate(cells):
            w = widths[i] - 2
            parts.append(" " + (cell.rjust(w) if i == 2 else cell.ljust(w)) + " ")
        return sep + sep.join(parts) + sep

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    lines = [f'Model: "{_name(model)}"',
             rule("┏", "┳", "┓", "━"),
             line(header, "┃"),
             rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        for k in range(max(len(cell) for cell in row)):
            lines.append(line([cell[k] if k < len(cell) else "" for cell in row], "│"))
        if i < len(rows) - 1:
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))
    total = _weights_size(model.weights)
    trainable = _weights_size(model.trainable_weights)
    frozen = _weights_size(model.non_trainable_weights)
    lines.append(f" Total params: {total[0]:,} ({readable_memory_size(total[1])})")
    lines.append(f" Trainable params: {trainable[0]:,} ({readable_memory_size(trainable[1])})")
    lines.append(f" Non-trainable params: {frozen[0]:,} ({readable_memory_size(frozen[1])})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        opt = _weights_size(list(getattr(optimizer, "variables", [])))
        lines.append(f" Optimizer params: {opt[0]:,} ({readable_memory_size(opt[1])})")
    for text in lines:
        print_fn(text)
