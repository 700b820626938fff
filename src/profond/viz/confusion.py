"""``plot_confusion_matrix``: which classes the model mistakes for which."""

import numpy

from profond.viz._common import class_name, figure_and_axes, finish, to_labels


def confusion_matrix(y_true, y_pred, num_classes=None):
    """The counts C[i, j] = number of examples of true class i predicted as class j.

    ``y_true``: labels or one-hot rows; ``y_pred``: labels, or probabilities/logits (n, k) whose
    ``argmax`` is the prediction. The diagonal holds the correct predictions.

    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    true, pred = to_labels(y_true, "y_true"), to_labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"Expected as many predictions as labels. Received: {len(true)} labels "
                         f"and {len(pred)} predictions")
    needed = int(max(true.max(initial=0), pred.max(initial=0))) + 1
    if num_classes is None:
        num_classes = needed
    elif needed > num_classes or min(true.min(initial=0), pred.min(initial=0)) < 0:
        raise ValueError(f"Expected class labels from 0 to {num_classes - 1}. Received labels "
                         f"up to {needed - 1}")
    matrix = numpy.zeros((num_classes, num_classes), dtype=numpy.int64)
    numpy.add.at(matrix, (true, pred), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, ax=None,
                          cmap="Blues", show=False):
    """Draw the confusion matrix: rows are the true classes, columns the predicted ones.

    Each cell shows its count (or, with ``normalize=True``, the fraction of the true class, so
    each row sums to 1 and the diagonal is the per-class recall). What the learner sees: a dark
    diagonal when the model is right, and in the off-diagonal cells which classes it confuses
    (a 4 taken for a 9, a shirt for a T-shirt) — what a single accuracy number hides.

    ``y_pred`` may be labels or the model's probabilities (``model.predict(x)``).
    Returns the ``Figure`` (the one of ``ax`` if given); ``show=True`` also calls ``plt.show()``.
    """
    n = len(class_names) if class_names is not None else None
    counts = confusion_matrix(y_true, y_pred, num_classes=n)
    values = counts.astype(float)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = numpy.divide(values, totals, out=numpy.zeros_like(values), where=totals > 0)
    k = len(values)
    names = [class_name(i, class_names) for i in range(k)]

    size = max(4.0, 0.55 * k + 2.0)
    fig, ax = figure_and_axes(ax, figsize=(size + 1.0, size))
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = (values.max() if values.size else 0) / 2
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else str(counts[i, j])
            ax.text(j, i, text, ha="center", va="center",
                    color="white" if values[i, j] > threshold else "black",
                    fontsize=9 if k <= 12 else 6)
    long_names = max(map(len, names)) > 3
    ax.set_xticks(range(k), names, rotation=45 if long_names else 0,
                  ha="right" if long_names else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    accuracy = numpy.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"Confusion matrix{' (normalized)' if normalize else ''}, "
                 f"accuracy {accuracy:.2f}")
    return finish(fig, show)
