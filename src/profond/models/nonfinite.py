"""``fit``'s warning about NaN or Inf in the training data.

One NaN in ``x`` or ``y`` makes the loss of its batch NaN, the gradient NaN, and after the
update every weight NaN: the model is lost at the first batch that holds it, far from the cause.
``fit`` therefore looks at its data once: NumPy inputs whole (before the first epoch), a Dataset
or generator by its first batch (looking further would consume it). It warns, naming ``x`` or
``y`` and how many values are not finite, rather than raising: a user may mean it (a loss that
masks NaN targets).

The test is cheap (``profond.autodiff.anomaly.all_finite``: the min and max, no temporary
array); the values are counted only when something is wrong.
"""

import warnings

from profond.autodiff.anomaly import all_finite
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.utils.packing import unpack_x_y_sample_weight


def _leaves(value):
    """The arrays inside ``value`` (an array, a Tensor, or lists/tuples/dicts of them)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, Tensor):
        yield value.data
    elif hasattr(value, "dtype") and hasattr(value, "shape"):
        yield value


def count_non_finite(value):
    """``(NaN count, Inf count, number of values)`` over the float arrays inside ``value``.

    >>> import numpy as np
    >>> count_non_finite({"a": np.array([1.0, np.nan]), "b": [np.array([np.inf, -np.inf])]})
    (1, 2, 4)
    """
    n_nan = n_inf = total = 0
    for a in _leaves(value):
        total += a.size
        if not all_finite(a):
            xp = array_module(a)
            n_nan += int(xp.isnan(a).sum())
            n_inf += int(xp.isinf(a).sum())
    return n_nan, n_inf, total


def warn_non_finite(x, y, source="the arrays", stacklevel=3):
    """Warn (once per call) when ``x`` or ``y`` holds NaN or Inf; ``source`` says what was
    looked at ("the arrays", "the first batch"). ``stacklevel=3``: the caller of ``fit``."""
    found = []
    for name, value in (("x", x), ("y", y)):
        n_nan, n_inf, total = count_non_finite(value)
        if n_nan or n_inf:
            what = " and ".join(f"{n} {word}" for n, word in ((n_nan, "NaN"), (n_inf, "Inf"))
                                if n)
            found.append(f"`{name}` holds {what} value(s) out of {total}")
    if found:
        warnings.warn(
            f"fit received data that is not finite: in {source}, {'; '.join(found)}. The loss "
            "of every batch that holds one is NaN and the weights become NaN after its update. "
            "Drop or fill those values (e.g. numpy.nan_to_num) before training.",
            stacklevel=stacklevel)


def warn_non_finite_batch(batch):
    """``warn_non_finite`` on a batch ``(x, y[, sample_weight])`` (or ``x`` alone) that a
    Dataset or generator yielded (another layout is left to a custom ``train_step``)."""
    try:
        x, y, _ = unpack_x_y_sample_weight(batch)
    except ValueError:
        return
    warn_non_finite(x, y, "the first batch", stacklevel=4)
