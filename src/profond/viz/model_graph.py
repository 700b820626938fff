"""``plot_model``: the graph of a model's layers, drawn with matplotlib alone (no graphviz)."""

from profond.viz._common import finish, new_figure

# Sizes in inches: the axes use inches as data units, so text and boxes keep their proportions
# whatever the number of layers.
_BOX_HEIGHT = 0.75
_ROW_GAP = 0.55
_COL_GAP = 0.35
_MARGIN = 0.2
_CHAR_WIDTH = 0.075  # about one character of 9-point text


def _shape_text(shape):
    from profond.models.summary import _shape_text as summary_shape_text

    return summary_shape_text(shape)


def layer_graph(model):
    """The layers to draw and the arrows between them: ``(layers, edges, connected)``.

    ``edges`` are pairs of indices into ``layers`` (from producer to consumer). A Sequential
    model is a chain, from its input; a functional model gives its graph (a layer shared by
    several calls is one box); a subclassed model only knows its layers, in creation order, not
    how ``call`` connects them, so ``connected`` is False and no arrow is drawn.
    """
    from profond.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = ([model._input_layer] if model._input_layer is not None else []) + model.layers
        return layers, [(i, i + 1) for i in range(len(layers) - 1)], True
    if getattr(model, "_graph", None):
        layers = list(model.operations)  # inputs, layers and recorded ops, in graph order
        index = {id(layer): i for i, layer in enumerate(layers)}
        edges = []
        for node in model._nodes:
            for parent in node.parents:
                edge = (index[id(parent.layer)], index[id(node.layer)])
                if edge not in edges:
                    edges.append(edge)
        return layers, edges, True
    return list(getattr(model, "layers", [])), [], False


def _depths(n, edges, connected):
    """The row of each box: the length of the longest path from an input (one row per layer
    when nothing is connected)."""
    if not connected:
        return list(range(n))
    depth = [0] * n
    for _ in range(n):  # relax the edges; n passes are enough for a graph without cycles
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def _box_lines(layer, show_shapes):
    lines = [f"{layer.name} ({type(layer).__name__})"]
    if show_shapes:
        lines.append(f"output: {_shape_text(getattr(layer, '_output_shape', None))}")
    if type(layer).__name__ != "InputLayer" and layer.built:
        lines.append(f"{layer.count_params():,} parameters")
    return lines


def plot_model(model, show_shapes=True, show=False):
    """Draw the model as a graph: one box per layer (name, type, output shape, number of
    parameters), arrows for the data flow, from the input at the top to the output at the bottom.

    Works for Sequential and functional models (branches and merges appear side by side, a
    residual connection as an arrow that skips a row). It is the picture of ``model.summary()``:
    the learner sees how the shape of the data changes from layer to layer, e.g. (None, 28, 28, 1)
    → (None, 26, 26, 32) after a 3×3 convolution. Drawn with matplotlib only, no graphviz needed.

    Returns the ``Figure``; ``show=True`` also calls ``plt.show()``.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    layers, edges, connected = layer_graph(model)
    if not layers:
        raise ValueError(f"The model {model.name!r} has no layers to draw.")
    texts = ["\n".join(_box_lines(layer, show_shapes)) for layer in layers]
    longest = max(len(line) for text in texts for line in text.split("\n"))
    box_width = max(2.0, _CHAR_WIDTH * longest + 0.3)
    depth = _depths(len(layers), edges, connected)
    rows = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    n_rows, widest = len(rows), max(len(r) for r in rows.values())
    width = 2 * _MARGIN + widest * box_width + (widest - 1) * _COL_GAP
    height = 2 * _MARGIN + n_rows * _BOX_HEIGHT + (n_rows - 1) * _ROW_GAP

    fig, axes = new_figure(1, 1, figsize=(width, height))
    ax = axes[0, 0]
    ax.set_position((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")

    centers = {}
    for d, members in rows.items():
        row_width = len(members) * box_width + (len(members) - 1) * _COL_GAP
        left = (width - row_width) / 2
        y = height - _MARGIN - d * (_BOX_HEIGHT + _ROW_GAP) - _BOX_HEIGHT / 2
        for k, i in enumerate(members):
            centers[i] = (left + k * (box_width + _COL_GAP) + box_width / 2, y)

    for i, layer in enumerate(layers):
        cx, cy = centers[i]
        is_input = type(layer).__name__ == "InputLayer"
        ax.add_patch(FancyBboxPatch(
            (cx - box_width / 2, cy - _BOX_HEIGHT / 2), box_width, _BOX_HEIGHT,
            boxstyle="round,pad=0,rounding_size=0.08", linewidth=1.0, edgecolor="#333333",
            facecolor="#dbe9f6" if is_input else "#f3f3f3"))
        ax.text(cx, cy, texts[i], ha="center", va="center", fontsize=9, linespacing=1.4)
    for a, b in edges:
        (xa, ya), (xb, yb) = centers[a], centers[b]
        skips_rows = depth[b] - depth[a] > 1  # bend it so it does not cross the boxes between
        ax.add_patch(FancyArrowPatch((xa, ya - _BOX_HEIGHT / 2), (xb, yb + _BOX_HEIGHT / 2),
                                     arrowstyle="-|>", mutation_scale=12, linewidth=1.0,
                                     color="#333333", shrinkA=0, shrinkB=0,
                                     connectionstyle="arc3,rad=0.5" if skips_rows else "arc3"))
    return finish(fig, show)
