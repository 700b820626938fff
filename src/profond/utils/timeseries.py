"""Sliding windows over a series: ``timeseries_dataset_from_array`` (Keras's, a ``Dataset``)
and TF-Keras 2's ``TimeseriesGenerator`` (a ``PyDataset``)."""

import numpy

from profond import random as _random
from profond.data.py_dataset import PyDataset
from profond.utils.array_utils import _host


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < low:
        raise ValueError(
            f"timeseries_dataset_from_array: expected `{name}` to be an integer >= {low}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """A ``Dataset`` of windows of ``data`` (with their targets), for sequence models.

    Window ``i`` starts at time ``t_i = start_index + i·sequence_stride`` and holds the
    ``sequence_length`` rows ``data[t_i], data[t_i + r], …, data[t_i + (sequence_length-1)·r]``
    (``r = sampling_rate``); it is paired with ``targets[t_i]`` (``targets`` may be shorter
    than ``data``: the windows stop where the targets do). Only windows that fit
    completely in ``data[start_index:end_index]`` are made (``end_index`` excluded). The
    elements are batches of ``batch_size`` windows (``None``: single windows), ``(x, y)``
    pairs, or ``x`` alone when ``targets`` is None. ``shuffle`` shuffles the windows (``seed``
    makes it reproducible; without it, ``profond.set_seed`` does).

    To predict the value 10 steps after each window, pass ``targets=data[sequence_length + 9:]``.

    >>> ds = timeseries_dataset_from_array(numpy.arange(10), None, sequence_length=3,
    ...                                    sequence_stride=3, batch_size=2)
    >>> [x.numpy().tolist() for x in ds]
    [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8]]]

    The windows are cut when a batch is read, so a long series is never copied
    ``sequence_length`` times in memory.
    """
    from profond.data import Dataset

    data = _host(data)
    sequence_length = _check_int("sequence_length", sequence_length, 1)
    sequence_stride = _check_int("sequence_stride", sequence_stride, 1)
    sampling_rate = _check_int("sampling_rate", sampling_rate, 1)
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size, 1)
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: expected `data` with a time axis first. "
                         "Received: a scalar")
    start_index = 0 if start_index is None else _check_int("start_index", start_index, 0)
    end_index = len(data) if end_index is None else _check_int("end_index", end_index, 0)
    if end_index > len(data):
        raise ValueError(
            "timeseries_dataset_from_array: expected `end_index` at most the length of the data "
            f"({len(data)}). Received: end_index={end_index}"
        )
    if start_index >= end_index:
        raise ValueError(
            "timeseries_dataset_from_array: expected `end_index` higher than `start_index`. "
            f"Received: start_index={start_index}, end_index={end_index}"
        )
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = _host(targets)
        count = min(count, len(targets) - start_index)  # targets may be shorter than data
    starts = start_index + numpy.arange(0, max(count, 0), sequence_stride, dtype=numpy.int64)
    if shuffle:
        rng = numpy.random.default_rng(seed) if seed is not None else _random.generator()
        starts = starts[rng.permutation(len(starts))]
    offsets = numpy.arange(sequence_length, dtype=numpy.int64) * sampling_rate

    def windows(start):
        start = start.numpy()
        x = data[start[..., None] + offsets]
        return x if targets is None else (x, targets[start])

    dataset = Dataset.from_tensor_slices(starts)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.map(windows)


class TimeseriesGenerator(PyDataset):
    """Batches of windows of ``data`` with their targets (TF-Keras 2's ``TimeseriesGenerator``).

    The sample of time t (the "current step") holds the ``length`` steps before it,
    ``data[t − length : t : sampling_rate]``, and its target is ``targets[t]``; t runs from
    ``start_index + length`` to ``end_index`` (included; default the last step) by ``stride``,
    ``batch_size`` samples per batch. ``shuffle`` draws each batch's steps at random;
    ``reverse`` gives the steps of each sample in reverse order. New code should prefer
    ``timeseries_dataset_from_array``.
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128, **kwargs):
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(
                "TimeseriesGenerator: expected `data` and `targets` of the same length. "
                f"Received: len(data)={len(data)}, len(targets)={len(targets)}"
            )
        for name, value in (("length", length), ("sampling_rate", sampling_rate),
                            ("stride", stride), ("batch_size", batch_size)):
            _check_int(name, value, 1)
        self.data, self.targets = _host(data), _host(targets)
        self.length, self.sampling_rate, self.stride = length, sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"TimeseriesGenerator: start_index + length = {self.start_index} is past "
                f"end_index = {self.end_index}: no step would be left to predict."
            )

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = _random.generator().integers(self.start_index, self.end_index + 1,
                                                size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = numpy.arange(first, min(first + self.batch_size * self.stride,
                                           self.end_index + 1), self.stride)
        samples = numpy.array([self.data[row - self.length : row : self.sampling_rate]
                               for row in rows])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, self.targets[rows]


__all__ = ["TimeseriesGenerator", "timeseries_dataset_from_array"]
