"""Client splits of a labelled data set, for simulated federated learning.

A split is a list of K index arrays, one per client, that together hold every example once.

- ``iid_split``: the examples shuffled and dealt out in K near-equal parts (sizes differ by at
  most one): every client sees the same label distribution, up to sampling noise.
- ``dirichlet_split``: the usual non-IID benchmark (Hsu, Qi & Brown 2019). For each class c,
  proportions p_c ~ Dir(α, …, α) over the K clients, and client k gets a fraction p_c,k of the
  examples of class c. Small α (0.1) gives each client a few dominant classes; large α (100)
  comes close to IID. A draw that leaves a client with fewer than ``min_size`` examples is
  drawn again.

Both take a ``seed``: the same seed gives the same split (on every MPI rank too).

>>> import numpy as np
>>> from profond.federated import dirichlet_split, iid_split
>>> y = np.repeat(np.arange(3), 20)
>>> [len(c) for c in iid_split(y, 4, seed=0)]
[15, 15, 15, 15]
>>> sum(len(c) for c in dirichlet_split(y, 4, alpha=0.5, seed=0))
60
"""

import numpy

_MAX_DRAWS = 1000


def _labels(labels, where):
    y = numpy.asarray(labels)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows
        y = y.argmax(axis=1)
    y = y.reshape(len(y)) if y.ndim == 2 else y
    if y.ndim != 1:
        raise ValueError(f"{where}: Expected labels of shape (n,) or one-hot rows (n, classes). "
                         f"Received: labels.shape={numpy.shape(labels)}")
    return y


def _check_clients(num_clients, n, where):
    if isinstance(num_clients, bool) or not isinstance(num_clients, (int, numpy.integer)) \
            or num_clients < 1:
        raise ValueError(f"{where}: Expected num_clients a positive integer. "
                         f"Received: num_clients={num_clients!r}")
    if num_clients > n:
        raise ValueError(f"{where}: Expected at most one client per example: {n} examples for "
                         f"{num_clients} clients. Received: num_clients={num_clients}")


def iid_split(labels, num_clients, seed=None):
    """Shuffle the ``len(labels)`` examples (``labels`` may also be the count n) and deal them to
    ``num_clients`` clients in near-equal parts. Returns a list of sorted index arrays."""
    n = int(labels) if numpy.ndim(labels) == 0 else len(_labels(labels, "iid_split"))
    _check_clients(num_clients, n, "iid_split")
    order = numpy.random.default_rng(seed).permutation(n)
    return [numpy.sort(part) for part in numpy.array_split(order, num_clients)]


def dirichlet_split(labels, num_clients, alpha, seed=None, min_size=1):
    """Non-IID split: the examples of each class shared among the clients in proportions drawn
    from Dir(α, …, α) (see the module). Returns a list of sorted index arrays; every client gets
    at least ``min_size`` examples (the proportions are drawn again until it does)."""
    y = _labels(labels, "dirichlet_split")
    _check_clients(num_clients, len(y), "dirichlet_split")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, numpy.number)) \
            or not numpy.isfinite(alpha) or alpha <= 0:
        raise ValueError("dirichlet_split: Expected alpha > 0 (the Dirichlet concentration: "
                         f"0.1 very skewed, 100 nearly IID). Received: alpha={alpha!r}")
    if not isinstance(min_size, (int, numpy.integer)) or min_size < 0 \
            or min_size * num_clients > len(y):
        raise ValueError("dirichlet_split: Expected 0 <= min_size <= examples / clients "
                         f"({len(y)} / {num_clients}). Received: min_size={min_size!r}")
    rng = numpy.random.default_rng(seed)
    classes = numpy.unique(y)
    for _ in range(_MAX_DRAWS):
        parts = [[] for _ in range(num_clients)]
        for c in classes:
            members = rng.permutation(numpy.flatnonzero(y == c))
            p = rng.dirichlet(numpy.full(num_clients, float(alpha)))
            # NOTE: cut points from the cumulative proportions, rounded: the pieces always add
            # up to the whole class, whatever the rounding.
            cuts = numpy.round(numpy.cumsum(p)[:-1] * len(members)).astype(int)
            for k, piece in enumerate(numpy.split(members, cuts)):
                parts[k].append(piece)
        clients = [numpy.sort(numpy.concatenate(p)) for p in parts]
        if min(len(c) for c in clients) >= min_size:
            return clients
    raise ValueError(f"dirichlet_split: no draw in {_MAX_DRAWS} gave every client at least "
                     f"{min_size} examples; use a larger alpha or fewer clients. Received: "
                     f"alpha={alpha}, num_clients={num_clients}, min_size={min_size}")


def client_label_counts(labels, clients):
    """A (clients, classes) table: how many examples of each class each client holds."""
    y = _labels(labels, "client_label_counts")
    classes = numpy.unique(y)
    return numpy.stack([(y[idx][:, None] == classes).sum(axis=0) for idx in clients])
