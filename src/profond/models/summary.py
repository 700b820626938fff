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
"""

import numpy

_WIDTHS = (33, 24, 15)


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


def _rows(model):
    from profond.models.sequential import Sequential

    rows = []
    layers = model.layers if isinstance(model, Sequential) or model._graph else model._layers
    for layer in layers:
        name = f"{layer.name} ({type(layer).__name__})"
        shape = _shape_text(getattr(layer, "_output_shape", None))
        if layer.built or not layer._layers and layer.weights:
            params = f"{layer.count_params():,}"
        else:
            params = "0 (unbuilt)"
        rows.append((name, shape, params))
    return rows


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print (or pass each line to ``print_fn``) the summary table of ``model``."""
    print_fn = print_fn or print
    rows = _rows(model)
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = list(_WIDTHS)
    if line_length:
        fractions = positions or [0.45, 0.80, 1.0]
        edges = [0] + [int(line_length * p) if p <= 1 else int(p) for p in fractions]
        widths = [max(edges[i + 1] - edges[i] - 1, 4) for i in range(3)]
    for row in rows + [header]:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell) + 2)

    def line(cells, sep, right_last=True):
        parts = []
        for i, cell in enumerate(cells):
            w = widths[i] - 2
            parts.append(" " + (cell.rjust(w) if i == 2 and right_last else cell.ljust(w)) + " ")
        return sep + sep.join(parts) + sep

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    lines = [f'Model: "{model.name}"',
             rule("┏", "┳", "┓", "━"),
             line(header, "┃"),
             rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        lines.append(line(row, "│"))
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
