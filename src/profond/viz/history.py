"""``plot_history``: the learning curves of ``model.fit``."""

import numpy

from profond.viz._common import finish, new_figure


def _history_dict(history):
    """``(dict of lists, epoch numbers starting at 1)`` from a ``History``, a plain dict, or a
    pandas ``DataFrame`` of it (``pd.DataFrame(history.history)``: one column per metric)."""
    if hasattr(history, "columns") and hasattr(history, "to_dict"):  # a DataFrame
        history = {str(c): history[c].tolist() for c in history.columns}
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("Expected a History (what `model.fit` returns) or a non-empty dict of "
                         f"lists. Received: {history!r:.80}")
    n = max(len(v) for v in logs.values())
    epochs = list(getattr(history, "epoch", None) or range(n))
    if len(epochs) != n:
        epochs = list(range(n))
    return logs, numpy.asarray(epochs) + 1


def best_epoch(history):
    """The epoch (counted from 1) with the lowest ``val_loss``, or the lowest ``loss`` when
    there was no validation data: the epoch ``EarlyStopping(restore_best_weights=True)`` keeps."""
    logs, epochs = _history_dict(history)
    key = "val_loss" if "val_loss" in logs else "loss"
    if key not in logs:
        return None
    values = numpy.asarray(logs[key], dtype=float)
    finite = numpy.where(numpy.isfinite(values), values, numpy.inf)
    return int(epochs[int(numpy.argmin(finite))])


def _title(key):
    return key.replace("_", " ").capitalize()


def plot_history(history, metrics=None, show=False):
    """Plot the loss and each metric per epoch: training in blue, validation in orange.

    ``history`` is what ``model.fit`` returns (or its ``.history`` dict). There is one panel per
    quantity ("loss" first, then ``metrics``, by default every one that was recorded); each
    panel has the training curve and, when ``fit`` had validation data, the ``val_`` curve.

    What the learner sees: both curves going down while the model learns. **Over-fitting** is
    the validation loss rising again while the training loss keeps falling: the model starts
    to learn the training examples by heart instead of what generalizes. The **best epoch**
    (lowest validation loss, or lowest training loss without validation data) is marked in every
    panel by a dashed vertical line: training longer than that only made the model worse on new
    data (``EarlyStopping`` stops there).

    Returns the matplotlib ``Figure``; ``show=True`` also calls ``plt.show()``.

    >>> fig = plot_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.8]})
    >>> [ax.get_title() for ax in fig.axes], best_epoch({"loss": [1, 2], "val_loss": [3, 1]})
    (['Loss'], 2)
    """
    logs, epochs = _history_dict(history)
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_") and k != "loss"]
    elif isinstance(metrics, str):
        metrics = [metrics]
    keys = (["loss"] if "loss" in logs else []) + [m for m in metrics if m != "loss"]
    for key in keys:
        if key not in logs:
            raise ValueError(f"No {key!r} in the history. Recorded: {sorted(logs)}")
    best = best_epoch(history)

    fig, axes = new_figure(1, len(keys), figsize=(4.8 * len(keys), 3.8))
    for ax, key in zip(axes[0], keys):
        train = logs[key]
        ax.plot(epochs[: len(train)], train, "-", color="tab:blue", label="training")
        if "val_" + key in logs:
            val = logs["val_" + key]
            ax.plot(epochs[: len(val)], val, "-", color="tab:orange", label="validation")
        if best is not None:
            ax.vlines([best], 0, 1, transform=ax.get_xaxis_transform(), colors="gray",
                      linestyles="dashed", label=f"best epoch ({best})")
        ax.set_title(_title(key))
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return finish(fig, show)
