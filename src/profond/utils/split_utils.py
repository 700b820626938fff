"""Splitting data: ``train_test_split`` (arrays) and ``split_dataset`` (Keras's, to two
``Dataset`` objects)."""

import numpy

from profond import random as _random
from profond.utils.array_utils import _host


def _count(size, n, name):
    """A split size given as a fraction (float in (0, 1)) or a count (int) as a count."""
    if size is None:
        return 0
    if isinstance(size, bool):
        raise TypeError(f"Expected `{name}` to be a float or an int. Received: {size!r}")
    if isinstance(size, (float, numpy.floating)):
        if not 0.0 <= size < 1.0:
            raise ValueError(f"Expected `{name}` as a fraction in [0, 1). Received: {name}={size}")
        return int(round(size * n))
    if isinstance(size, (int, numpy.integer)):
        if not 0 <= size <= n:
            raise ValueError(f"Expected `{name}` between 0 and {n}. Received: {name}={size}")
        return int(size)
    raise TypeError(f"Expected `{name}` to be a float or an int. Received: {size!r}")


def _generator(seed):
    return numpy.random.default_rng(seed) if seed is not None else _random.generator()


def _stratified_order(labels, rng):
    """An order of the samples in which every class is spread evenly.

    Each class is shuffled, and its j-th sample (of m) gets the key (j + u) / m, u a random offset
    of the class; sorting all keys interleaves the classes, so that any first k samples hold each
    class in proportion (within one sample).
    """
    keys = numpy.empty(len(labels))
    for label in numpy.unique(labels):
        members = numpy.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        keys[members] = (numpy.arange(len(members)) + rng.uniform()) / len(members)
    return numpy.argsort(keys, kind="stable")


def split_indices(n, sizes, shuffle=True, seed=None, stratify=None):
    """Index arrays that cut ``range(n)`` into consecutive parts of the given ``sizes`` (counts).

    Shuffled first when ``shuffle``; with ``stratify`` (labels of the n samples), every part keeps
    the class proportions.
    """
    if stratify is not None and not shuffle:
        raise ValueError("A stratified split needs shuffle=True.")
    if shuffle:
        rng = _generator(seed)
        if stratify is not None:
            labels = _host(stratify)
            if labels.ndim > 1:  # one-hot labels: stratify on the class index
                labels = labels.argmax(-1) if labels.shape[-1] > 1 else labels.reshape(-1)
            if len(labels) != n:
                raise ValueError(
                    f"Expected {n} labels in `stratify`. Received: {len(labels)}"
                )
            order = _stratified_order(labels, rng)
        else:
            order = rng.permutation(n)
    else:
        order = numpy.arange(n)
    parts, start = [], 0
    for size in sizes:
        part = order[start : start + size]
        parts.append(part[rng.permutation(len(part))] if shuffle else part)
        start += size
    return parts


def _length(arrays):
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(
            "Expected arrays of the same length. Received lengths: "
            + ", ".join(str(len(a)) for a in arrays)
        )
    return lengths.pop()


def train_test_split(*arrays, test_size=None, validation_size=None, shuffle=True, seed=None,
                     stratify=None):
    """Split arrays into train and test (and validation) parts, like scikit-learn's.

    Sizes are fractions (``0.2``) or counts (``360``); ``test_size`` defaults to 0.25 when no size
    is given. Returns, for each input array, ``train, test`` or, with ``validation_size``,
    ``train, validation, test``. ``seed`` makes the shuffle reproducible (``None`` draws from
    ``profond.random.generator()``); ``stratify=y`` keeps the class proportions in every part.

    >>> x, y = numpy.arange(10).reshape(5, 2), numpy.array([0, 1, 0, 1, 0])
    >>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=2, seed=0)
    >>> x_train.shape, x_test.shape
    ((3, 2), (2, 2))
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array.")
    hosts = [_host(a) for a in arrays]
    n = _length(hosts)
    if test_size is None and validation_size is None:
        test_size = 0.25
    n_test = _count(test_size, n, "test_size")
    n_val = _count(validation_size, n, "validation_size")
    n_train = n - n_test - n_val
    if n_train <= 0:
        raise ValueError(
            f"The split leaves no training samples: {n} samples, test {n_test}, validation "
            f"{n_val}. Use smaller sizes."
        )
    sizes = [n_train, n_val, n_test] if validation_size is not None else [n_train, n_test]
    parts = split_indices(n, sizes, shuffle=shuffle, seed=seed, stratify=stratify)
    return [a[idx] for a in hosts for idx in parts]


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split a dataset into two ``profond.data.Dataset`` objects, as ``keras.utils.split_dataset``.

    ``dataset`` is an array, a tuple or dict of arrays, or a finite ``Dataset`` (read into memory).
    ``left_size`` / ``right_size`` are fractions or counts; a missing one is the rest.
    ``preferred_backend`` (Keras's choice of tf.data or PyTorch datasets) is accepted and
    ignored: both parts are profond Datasets.
    """
    from profond.data import Dataset
    from profond.data.dataset import _flatten, _map_structure, _pack, _stack, _to_array

    if left_size is None and right_size is None:
        raise ValueError("split_dataset needs `left_size` or `right_size`. Received neither.")
    if isinstance(dataset, Dataset):
        elements = list(dataset.as_numpy_iterator())
        if not elements:
            raise ValueError("Cannot split an empty dataset.")
        structure = _stack(elements)
    else:
        if isinstance(dataset, list):
            dataset = tuple(dataset)
        structure = _map_structure(_to_array, dataset)
    leaves = _flatten(structure)
    n = _length(leaves)
    n_left = _count(left_size, n, "left_size")
    n_right = _count(right_size, n, "right_size")
    if left_size is None:
        n_left = n - n_right
    elif right_size is None:
        n_right = n - n_left
    if n_left + n_right > n or n_left == 0 or n_right == 0:
        raise ValueError(
            f"Expected two non-empty parts of at most {n} samples in all. Received: "
            f"left_size={left_size}, right_size={right_size}"
        )
    left, right = split_indices(n, [n_left, n_right], shuffle=shuffle, seed=seed)
    if not shuffle:
        right = numpy.arange(n - n_right, n)  # as Keras: the right part is the end of the data
    return tuple(
        Dataset.from_tensor_slices(_pack(structure, [leaf[idx] for leaf in leaves]))
        for idx in (left, right)
    )


__all__ = ["split_dataset", "split_indices", "train_test_split"]
