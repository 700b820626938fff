"""``plot_decision_boundary``: which class a 2-D classifier gives to every point of the plane."""

import numpy

from profond.viz._common import (
    class_colors,
    figure_and_axes,
    finish,
    lighten,
    to_labels,
    to_numpy,
)


def _scores(model, points, batch_size=4096):
    """The model's outputs on ``points``: ``model.predict`` for a profond/Keras model, else
    ``model(points)`` for any callable (a NumPy function, a layer, a lambda)."""
    if hasattr(model, "predict") and hasattr(model, "layers"):
        return to_numpy(model.predict(points, batch_size=batch_size, verbose=0))
    return numpy.concatenate([to_numpy(model(points[i: i + batch_size]))
                              for i in range(0, len(points), batch_size)])


def predict_classes(model, points):
    """The class the classifier picks for each point, from what it outputs.

    - (n, k) with k ≥ 2: probabilities or logits, the class is the ``argmax``;
    - (n, 1) or (n,): one binary output. Read as a probability σ(z) (class 1 above 0.5) when all
      values lie in [0, 1], else as a logit z (class 1 above 0), since σ(z) > 0.5 ⇔ z > 0.
    """
    out = _scores(model, numpy.asarray(points, dtype=numpy.float32))
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(len(points))
    threshold = 0.5 if out.min() >= 0 and out.max() <= 1 else 0.0
    return (out > threshold).astype(numpy.int64)


def plot_decision_boundary(model, x, y, resolution=200, ax=None, show=False):
    """Paint the plane by the class the model predicts, with the data points on top.

    ``model``: a trained profond model, or any callable mapping an (n, 2) array to class
    probabilities or logits (n, k), or one binary output (n, 1) (sigmoid probability or logit).
    ``x``: the (n, 2) points; ``y``: their classes (labels or one-hot rows).

    The model is evaluated on a ``resolution × resolution`` grid covering the points (plus a
    margin); each region takes a light version of its class's colour and each point the full
    colour of its *true* class; the title gives the accuracy on these points. What the learner
    sees: the shape of the boundary the network learned (a straight line for logistic
    regression, curves once there is a hidden layer), and the points on the wrong side of it.

    Returns the ``Figure`` (the one of ``ax`` if given); ``show=True`` also calls ``plt.show()``.
    """
    x = to_numpy(x).astype(numpy.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"Expected `x` of shape (n, 2). Received: shape {x.shape}")
    labels = to_labels(y, "y")
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"Expected `resolution` of at least 2. Received: {resolution}")

    lo, hi = x.min(axis=0), x.max(axis=0)
    margin = 0.1 * numpy.maximum(hi - lo, 1e-6)
    lo, hi = lo - margin, hi + margin
    g0, g1 = numpy.meshgrid(numpy.linspace(lo[0], hi[0], resolution),
                            numpy.linspace(lo[1], hi[1], resolution))
    grid = numpy.stack([g0.ravel(), g1.ravel()], axis=1)
    regions = predict_classes(model, grid).reshape(resolution, resolution)

    n_classes = int(max(labels.max(initial=0), regions.max())) + 1
    colors = class_colors(n_classes)
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap([lighten(c) for c in colors])
    norm = BoundaryNorm(numpy.arange(n_classes + 1) - 0.5, n_classes)

    fig, ax = figure_and_axes(ax, figsize=(5.5, 5))
    ax.imshow(regions, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), cmap=cmap,
              norm=norm, aspect="auto", interpolation="nearest")
    for k in range(n_classes):
        mine = labels == k
        if mine.any():
            ax.scatter(x[mine, 0], x[mine, 1], color=colors[k], edgecolors="black",
                       linewidths=0.5, s=22, label=f"class {k}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x₀")
    ax.set_ylabel("x₁")
    accuracy = float(numpy.mean(predict_classes(model, x) == labels))
    ax.set_title(f"Decision regions (accuracy {accuracy:.2f})")
    ax.legend(loc="upper right", fontsize="small")
    return finish(fig, show)
