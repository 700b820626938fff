"""Poisson sampling: the batches DP-SGD's accountant assumes.

The accountant (``compute_epsilon``) bounds ε for *Poisson* sampling: at every step, each of
the n examples joins the batch independently with probability q (``sampling_rate``), so a
batch has a random size B ~ Binomial(n, q), of mean q·n. ``poisson_batches`` draws exactly
that, so the ε it reports holds as stated, not only approximately as for the fixed-size
batches of a shuffled epoch.

The DP step must then divide the noised sum by the *expected* batch size q·n, not by the drawn
size B (as Opacus does): g̃ = (Σᵢ∈batch clip(gᵢ, C) + N(0, σ²C² I)) / (q·n). Dividing by B would
make the step's scale depend on B, which tells whether an example took part: the sensitivity
analysis (one example moves the sum by at most C) would no longer cover it. Give the DP
optimizer ``expected_batch_size=q·n`` (see ``profond.privacy.optimizers``).

An epoch is ⌈1/q⌉ steps (n examples in expectation). A batch may be empty (probability
(1 − q)ⁿ): it is yielded all the same, and the DP step adds noise alone, as the analysis assumes.

>>> import numpy as np
>>> x, y = np.zeros((1000, 3)), np.arange(1000)
>>> data = poisson_batches(x, y, sampling_rate=0.05, seed=0)
>>> sizes = [len(b) for _, b in data.as_numpy_iterator()]
>>> len(sizes), 25 < sum(sizes) / len(sizes) < 75
(20, True)
"""

import math

import numpy

from profond.data import Dataset


def _leaves(struct):
    if isinstance(struct, dict):
        return [a for k in sorted(struct) for a in _leaves(struct[k])]
    if isinstance(struct, (list, tuple)):
        return [a for s in struct for a in _leaves(s)]
    return [] if struct is None else [struct]


def _take(struct, rows):
    if isinstance(struct, dict):
        return {k: _take(v, rows) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_take(s, rows) for s in struct)
    return None if struct is None else struct[rows]


def poisson_batches(x, y=None, sampling_rate=None, seed=None, steps_per_epoch=None,
                    sample_weight=None):
    """A ``Dataset`` of Poisson-sampled batches of ``(x, y[, sample_weight])`` for ``fit``.

    Args:
        x: an array (or a list / dict of arrays) of n examples along the first axis.
        y: the targets (n rows) or None.
        sampling_rate: q, 0 < q ≤ 1: each example's chance to be in each batch.
        seed: an integer for repeatable draws (each epoch draws new batches), or None.
        steps_per_epoch: batches per epoch; default ⌈1/q⌉.
        sample_weight: optional per-example weights (n rows).
    """
    where = "poisson_batches"
    rate_ok = not isinstance(sampling_rate, bool) and isinstance(
        sampling_rate, (int, float, numpy.number)) and math.isfinite(sampling_rate) \
        and 0 < sampling_rate <= 1
    if not rate_ok:
        raise ValueError(f"{where}: Expected 0 < sampling_rate <= 1 (each example's chance to "
                         f"join a batch). Received: sampling_rate={sampling_rate!r}")
    leaves = [numpy.asarray(a) for a in _leaves((x, y, sample_weight))]
    counts = {len(a) if a.ndim else None for a in leaves}
    if not leaves or len(counts) != 1 or None in counts:
        raise ValueError(f"{where}: Expected x, y and sample_weight with the same number of "
                         f"rows. Received: rows {sorted(str(c) for c in counts)}")
    n = counts.pop()
    if steps_per_epoch is None:
        steps_per_epoch = math.ceil(1 / sampling_rate)
    elif isinstance(steps_per_epoch, bool) or not isinstance(
            steps_per_epoch, (int, numpy.integer)) or steps_per_epoch < 1:
        raise ValueError(f"{where}: Expected steps_per_epoch None or a positive integer. "
                         f"Received: steps_per_epoch={steps_per_epoch!r}")
    rng = numpy.random.default_rng(seed)  # one stream for the whole run: epochs differ
    data = (x, y) if sample_weight is None else (x, y, sample_weight)
    if y is None:
        data = (x,)

    def batches():
        for _ in range(int(steps_per_epoch)):
            rows = numpy.flatnonzero(rng.random(n) < sampling_rate)
            yield _take(data, rows)

    dataset = Dataset.from_generator(batches)
    dataset.sampling_rate, dataset.num_examples = float(sampling_rate), n
    dataset.expected_batch_size = float(sampling_rate) * n
    return dataset
