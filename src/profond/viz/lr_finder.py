"""The learning-rate range test: ``find_learning_rate`` and ``plot_lr_finder``."""

import math

import numpy

from profond.viz._common import figure_and_axes, finish, to_numpy


def suggest_learning_rate(lrs, losses, skip_start=0.1):
    """The learning rate where the smoothed loss falls fastest (the steepest negative slope
    against log η), searched before the loss's minimum: large enough to learn quickly, well below
    where training blows up. The first ``skip_start`` fraction of the points is skipped (the
    moving average is still noisy there). When there is no descent to speak of (the minimum comes
    in the first points), the rule of thumb: ten times below the learning rate of the minimum.
    """
    lrs, losses = numpy.asarray(lrs, dtype=float), numpy.asarray(losses, dtype=float)
    if len(lrs) == 0:
        return None
    lowest = int(numpy.argmin(losses))
    start = int(len(lrs) * skip_start)
    if lowest - start < 2:
        return float(max(lrs[lowest] / 10, lrs[0]))
    slopes = numpy.gradient(losses, numpy.log10(lrs))
    return float(lrs[start + int(numpy.argmin(slopes[start: lowest + 1]))])


def _fresh_optimizer(optimizer, learning_rate):
    """A new optimizer of the same kind and settings (momentum, β's, ...) with no state yet,
    so that the test leaves the model's own optimizer untouched."""
    config = dict(optimizer.get_config())
    config["learning_rate"] = learning_rate  # a float even when the model uses a schedule
    return type(optimizer).from_config(config)


def find_learning_rate(model, x, y, start_lr=1e-7, end_lr=10.0, steps=100, batch_size=32,
                       beta=0.9, diverge=4.0):
    """Run the learning-rate range test and return ``(lrs, losses, suggested_lr)``.

    The learning rate η is the most important setting of gradient descent, W ← W − η ∂J/∂W:
    too small and training crawls, too large and the loss oscillates or explodes. The courses
    insist on choosing it well rather than by habit; this test (Leslie Smith's, popularized by
    fast.ai) finds a good value in one short run:

    1. train on one mini-batch after another, multiplying η by the same factor at each step, from
       ``start_lr`` to ``end_lr`` in ``steps`` steps (exponential growth: every decade of η gets
       the same number of steps);
    2. record the loss, smoothed by an exponential moving average (factor ``beta``, with bias
       correction) because single batches are noisy;
    3. stop when the smoothed loss exceeds ``diverge`` times its best value (it exploded).

    ``x``, ``y``: training arrays (as for ``fit``); each step trains on the next ``batch_size``
    examples, in a shuffled order. ``suggested_lr`` is where the smoothed loss falls fastest
    against log η (see ``plot_lr_finder``: the middle of the steep descent, well before the
    minimum). Afterwards the model's weights are put back as they were, and its optimizer is
    untouched (the test trains with a fresh copy of it), so you can ``fit`` right away, e.g.
    after ``model.optimizer.learning_rate = suggested_lr``. The model must be compiled.
    """
    if not getattr(model, "compiled", False):
        raise ValueError("You must call `compile()` before `find_learning_rate`.")
    if not 0 < start_lr < end_lr:
        raise ValueError("Expected 0 < start_lr < end_lr. "
                         f"Received: start_lr={start_lr}, end_lr={end_lr}")
    if int(steps) < 2:
        raise ValueError(f"Expected at least 2 steps. Received: steps={steps}")
    x, y = to_numpy(x), to_numpy(y)
    n, steps, batch_size = len(x), int(steps), int(batch_size)
    if n == 0 or len(y) != n:
        raise ValueError(f"Expected as many targets as inputs (at least one). Received: {n} "
                         f"inputs and {len(y)} targets")
    if not model.built:
        model.predict(x[:1], verbose=0)  # create the weights, so that they can be saved
    saved_weights = [w.numpy().copy() for w in model.weights]
    original_optimizer = model.optimizer
    model.optimizer = _fresh_optimizer(original_optimizer, start_lr)

    rng = numpy.random.default_rng(0)
    order = rng.permutation(n)
    position = 0
    factor = (end_lr / start_lr) ** (1.0 / (steps - 1))
    lrs, losses = [], []
    average, best = 0.0, math.inf
    try:
        for step in range(steps):
            lr = start_lr * factor**step
            model.optimizer.learning_rate = lr
            if position + batch_size > n:  # a new pass over the data, in a new order
                order, position = rng.permutation(n), 0
            rows = order[position: position + batch_size]
            position += batch_size
            loss = float(model.train_on_batch(x[rows], y[rows], return_dict=True)["loss"])
            if not math.isfinite(loss):
                break
            average = beta * average + (1 - beta) * loss
            smoothed = average / (1 - beta ** (step + 1))  # bias correction of the first steps
            lrs.append(lr)
            losses.append(smoothed)
            if smoothed > diverge * best:
                break
            best = min(best, smoothed)
    finally:
        model.optimizer = original_optimizer
        for w, value in zip(model.weights, saved_weights):
            w.assign(value)
        model.reset_metrics()
    lrs, losses = numpy.asarray(lrs), numpy.asarray(losses)
    return lrs, losses, suggest_learning_rate(lrs, losses)


def plot_lr_finder(lrs, losses, suggestion=None, ax=None, show=False):
    """Plot the smoothed loss against the learning rate (log scale) of ``find_learning_rate``.

    What the learner sees: a flat start (η too small to change anything), a steep descent (η
    useful), a minimum, then the loss shooting up (η so large that each step overshoots). Pick
    η in the steep descent, about ten times below the minimum: ``suggestion`` (a dot and a
    dashed line) marks the steepest point. The highest η that still lowers the loss is *not*
    the right choice: it is already on the edge of divergence.

    Returns the ``Figure`` (the one of ``ax`` if given); ``show=True`` also calls ``plt.show()``.
    """
    lrs, losses = numpy.asarray(lrs, dtype=float), numpy.asarray(losses, dtype=float)
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError("Expected `lrs` and `losses` of the same length. Received: shapes "
                         f"{lrs.shape} and {losses.shape}")
    fig, ax = figure_and_axes(ax, figsize=(6, 4))
    ax.plot(lrs, losses, color="tab:blue", label="smoothed loss")
    ax.set_xscale("log")
    if suggestion is not None:
        at = float(numpy.interp(numpy.log10(suggestion), numpy.log10(lrs), losses))
        ax.scatter([suggestion], [at], color="tab:red", zorder=3, s=40,
                   label=f"suggested η = {suggestion:.2g}")
        ax.vlines([suggestion], 0, 1, transform=ax.get_xaxis_transform(), colors="tab:red",
                  linestyles="dashed")
    ax.set_xlabel("learning rate η (log scale)")
    ax.set_ylabel("loss (smoothed)")
    ax.set_title("Learning-rate range test")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return finish(fig, show)
