"""``PyDataset`` (alias ``Sequence``): a dataset written as a Python class, as in Keras.

Subclass it, give it ``__len__`` (the number of batches in one epoch) and ``__getitem__(index)``
(batch ``index`` as ``x``, ``(x, y)`` or ``(x, y, sample_weight)``), and optionally
``on_epoch_end``; ``model.fit`` then reads batch 0, 1, …, ``len - 1`` each epoch.

>>> import numpy as np
>>> class Squares(PyDataset):
...     def __len__(self):
...         return 3
...     def __getitem__(self, index):
...         x = np.arange(4.0) + 4 * index
...         return x, x**2
>>> ds = Squares()
>>> len(ds), ds[1][1].tolist()
(3, [16.0, 25.0, 36.0, 49.0])

profond reads the batches in the calling thread, one after the other: ``workers``,
``use_multiprocessing`` and ``max_queue_size`` are accepted and stored (Keras's arguments) so that
code written for Keras runs unchanged.
"""


class PyDataset:
    """Base class of datasets that produce their batches in Python code (Keras's ``PyDataset``).

    Subclasses implement ``__getitem__(index)`` and ``__len__()`` (or the property
    ``num_batches``; ``None`` means an infinite dataset) and may override ``on_epoch_begin`` and
    ``on_epoch_end`` (e.g. to shuffle their index at the end of each epoch).
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"PyDataset: expected `{name}` to be a positive integer. "
                    f"Received: {name}={value!r}"
                )
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    # Keras reads these as properties; a subclass that forgot ``super().__init__()`` still works.
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Batch number ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(index)`, returning one batch."
        )

    @property
    def num_batches(self):
        """The number of batches of an epoch: ``len(self)``, or ``None`` if infinite."""
        if type(self).__len__ is PyDataset.__len__:
            return None
        return len(self)

    def __len__(self):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__()` (the number of batches per epoch)"
            " or the property `num_batches`."
        )

    def on_epoch_begin(self):
        """Called before each epoch (does nothing unless overridden)."""

    def on_epoch_end(self):
        """Called after each epoch (does nothing unless overridden)."""

    def __iter__(self):
        """The batches of one epoch, in order (an infinite dataset never ends)."""
        n = self.num_batches
        index = 0
        while n is None or index < n:
            yield self[index]
            index += 1


Sequence = PyDataset
"""The name of ``PyDataset`` in Keras 2 (``keras.utils.Sequence``): the same class."""

__all__ = ["PyDataset", "Sequence"]
