"""``keras.utils.plot_model`` and ``model_to_dot`` with Keras's signatures, over
``profond.viz.plot_model`` (matplotlib; no graphviz or pydot)."""


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw ``model``'s layer graph into the image file ``to_file`` (its extension picks the
    format: .png, .pdf, .svg …) and return the matplotlib ``Figure``.

    Keras draws with graphviz; profond draws the same boxes and arrows with matplotlib
    (``profond.viz.plot_model``). Only ``show_shapes``, ``to_file`` and ``dpi`` change the
    picture; the other Keras arguments are accepted (a layer box always shows its name and type).
    """
    from profond.viz.model_graph import plot_model as draw

    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: expected `rankdir` 'TB' or 'LR'. Received: {rankdir!r}")
    fig = draw(model, show_shapes=show_shapes)
    if to_file:
        fig.savefig(to_file, dpi=dpi, bbox_inches="tight")
    return fig


def model_to_dot(model, *args, **kwargs):
    """Not available: Keras builds a pydot graph here, which needs graphviz and pydot."""
    raise ImportError(
        "model_to_dot is not available in profond: it returns a pydot graph, which needs graphviz "
        "and pydot. Draw the model with profond.keras.utils.plot_model(model, to_file=...) "
        "(matplotlib) or print model.summary() instead."
    )


__all__ = ["model_to_dot", "plot_model"]
