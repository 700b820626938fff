"""Helpers shared by the plots: a figure (or the caller's axes), arrays from anything, colours."""

import numpy


def pyplot():
    """``matplotlib.pyplot``, imported only when a plot is asked for.

    matplotlib is the ``viz`` extra, so ``import profond`` never needs it. On a machine without a
    display (a server, CI) matplotlib chooses its non-interactive Agg backend by itself: figures
    are still made and saved to files.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("profond.viz needs matplotlib: pip install 'profond[viz]'") from error
    return plt


def new_figure(nrows=1, ncols=1, figsize=None, **kwargs):
    """A new figure with a grid of axes (``squeeze=False``: always a 2-D array of axes)."""
    plt = pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kwargs)
    return fig, axes


def figure_and_axes(ax, figsize):
    """Draw on the caller's ``ax`` if given, else on the single axes of a new figure."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(1, 1, figsize=figsize)
    return fig, axes[0, 0]


def finish(fig, show):
    """Show the figure when asked (``show=True``), and return it either way."""
    if show:
        pyplot().show()
    return fig


def to_numpy(value):
    """A NumPy array from a profond Tensor/Variable, a CuPy array, a list or an array."""
    if hasattr(value, "numpy") and callable(value.numpy):  # profond Tensor, TF tensor
        value = value.numpy()
    elif hasattr(value, "get") and type(value).__module__.startswith("cupy"):
        value = value.get()
    return numpy.asarray(value)


def to_labels(values, name="labels"):
    """Class labels (n,) from labels, one-hot rows or probabilities.

    (n,) or (n, 1) integer labels are kept; (n, k) rows with k > 1 give ``argmax`` (one-hot
    labels, probabilities and logits alike); a float column (n, 1) or (n,) of values in [0, 1]
    that are not all 0 or 1 is a binary probability: class 1 when it is above 0.5.
    """
    values = to_numpy(values)
    if values.ndim == 2 and values.shape[1] > 1:
        return values.argmax(axis=1)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"Expected {name} of shape (n,), (n, 1) or (n, k). "
                         f"Received: shape {values.shape}")
    if values.dtype.kind == "f" and not numpy.all(values == numpy.round(values)):
        return (values > 0.5).astype(numpy.int64)
    return values.astype(numpy.int64)


def class_colors(n_classes):
    """One RGBA colour per class: matplotlib's ``tab10`` (``tab20`` beyond 10 classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(n_classes)]


def lighten(color, amount=0.55):
    """The colour mixed with white (``amount`` of white): for painted regions under the points."""
    r, g, b = color[:3]
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount, 1.0)


def class_name(k, class_names):
    """The name of class ``k``: ``class_names[k]`` when given, else the number itself."""
    if class_names is not None and 0 <= int(k) < len(class_names):
        return str(class_names[int(k)])
    return str(int(k))
