"""Occlusion: blank a window of the input, see how much the score drops."""

import itertools

import numpy

from profond.explain._common import as_inputs, scores, targets


def _tuple(method, name, value, rank):
    value = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(value) != rank or not all(isinstance(v, int) and v >= 1 for v in value):
        raise ValueError(f"explain.{method}: Expected {name} to be a positive int or {rank} "
                         f"positive ints (one per input axis after the batch). Received: "
                         f"{name}={value!r:.100}")
    return value


def occlusion(model, inputs, target=None, window=8, strides=None, baseline=0.0, batch_size=None):
    """Occlusion (Zeiler & Fergus 2014). A ``window`` slides over the input by ``strides`` (the
    window by default); at each place the window is set to ``baseline`` and the drop of the
    score, f_c(x) − f_c(x with the window blanked), is given to each feature under the window.
    A feature's attribution is the mean drop over the windows that covered it (0 where none did).

    ``window`` and ``strides`` are one int or one per input axis after the batch; on images
    (N, H, W, C) a pair covers all channels: ``window=(4, 4)`` is ``(4, 4, C)``."""
    x = as_inputs("occlusion", inputs)
    dims = x.shape[1:]
    if isinstance(window, (tuple, list)) and len(window) == len(dims) - 1:
        window = (*window, dims[-1])
        strides = None if strides is None else (*_tuple("occlusion", "strides", strides,
                                                        len(dims) - 1), dims[-1])
    window = _tuple("occlusion", "window", window, len(dims))
    strides = window if strides is None else _tuple("occlusion", "strides", strides, len(dims))
    if any(w > d for w, d in zip(window, dims)):
        raise ValueError(f"explain.occlusion: Expected a window no larger than the input "
                         f"{dims}. Received: window={window}")
    chosen = targets("occlusion", model, x, target)
    rows = numpy.arange(len(x))
    clean = scores(model, x).numpy()[rows, chosen]
    total = numpy.zeros_like(x, dtype=numpy.float64)
    count = numpy.zeros(dims, dtype=numpy.int64)
    starts = [range(0, d - w + 1, s) for d, w, s in zip(dims, window, strides)]
    for corner in itertools.product(*starts):
        place = tuple(slice(c, c + w) for c, w in zip(corner, window))
        blanked = x.copy()
        blanked[(slice(None), *place)] = baseline
        drop = clean - _scores_in_batches(model, blanked, chosen, batch_size)
        total[(slice(None), *place)] += drop.reshape((-1,) + (1,) * len(dims))
        count[place] += 1
    return (total / numpy.maximum(count, 1)).astype(x.dtype)


def _scores_in_batches(model, x, chosen, batch_size):
    step = batch_size or len(x)
    return numpy.concatenate([
        scores(model, x[i:i + step]).numpy()[numpy.arange(len(x[i:i + step])), chosen[i:i + step]]
        for i in range(0, len(x), step)])
