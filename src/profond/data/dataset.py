"""``Dataset``: an input pipeline in the style of ``tf.data``.

A dataset is a recipe, not a list: ``Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)``
builds three small objects and reads nothing yet. Each ``for`` loop over it runs the recipe again
from the start (and reshuffles, by default), yielding elements whose leaves are ``profond.Tensor``
and whose structure (a tuple, a dict, nested ones) is the one you gave.

>>> import numpy as np
>>> from profond.data import Dataset
>>> ds = Dataset.from_tensor_slices((np.arange(6), np.arange(6) * 10)).batch(4)
>>> [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]
[([0, 1, 2, 3], [0, 10, 20, 30]), ([4, 5], [40, 50])]

How it stays fast: while a pipeline only picks rows of in-memory arrays (``from_tensor_slices``
followed by ``shuffle``, ``take``, ``skip``, ``repeat``), it passes around *index arrays* instead of
elements. ``batch`` then gathers a whole batch with one fancy-indexing per array (``x[idx]``)
instead of stacking elements one by one, and a full shuffle is one ``permutation``.

Randomness: an unseeded ``shuffle`` draws from ``profond.random.generator()`` (so
``profond.set_seed`` makes it reproducible). The draw happens once, in the thread that starts the
``for`` loop, even when ``prefetch`` runs the pipeline in a background thread.
"""

import itertools
import queue
import threading

import numpy

from profond import backend
from profond import random as _random
from profond.autodiff.spec import TensorSpec
from profond.autodiff.tensor import Tensor

AUTOTUNE = -1
"""Let the pipeline choose a buffer size (``prefetch(AUTOTUNE)``)."""
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2



# --- structures: tuples and dicts of leaves, as tf.nest ------------------------------------------
def _flatten(struct):
    """The leaves of a structure, in a fixed order (dict keys sorted, as ``tf.nest``)."""
    if isinstance(struct, dict):
        return [leaf for key in sorted(struct) for leaf in _flatten(struct[key])]
    if isinstance(struct, tuple):
        return [leaf for item in struct for leaf in _flatten(item)]
    return [struct]


def _pack(template, leaves):
    """Rebuild ``template``'s structure from a flat list of leaves (the inverse of ``_flatten``)."""
    it = iter(leaves)

    def build(t):
        if isinstance(t, dict):
            return {key: build(t[key]) for key in sorted(t)}
        if isinstance(t, tuple):
            items = [build(item) for item in t]
            return type(t)(*items) if hasattr(t, "_fields") else tuple(items)
        return next(it)

    return build(template)


def _map_structure(fn, struct):
    return _pack(struct, [fn(leaf) for leaf in _flatten(struct)])


def _to_array(value):
    """A leaf as a host NumPy array; Python floats become ``floatx()`` (float32) as in TF."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, numpy.ndarray):
        return value
    if hasattr(value, "__cuda_array_interface__"):
        return backend.to_numpy(value)
    arr = numpy.asarray(value)
    if arr.dtype == numpy.float64 and not isinstance(value, numpy.generic):
        arr = arr.astype(backend.floatx())
    return arr


def _to_tensor(arr):
    """Wrap a host array as a ``profond.Tensor`` on the current backend."""
    if not isinstance(arr, (numpy.ndarray, numpy.generic)) or arr.dtype.kind in "USO":
        return arr  # strings and objects stay NumPy
    xp = backend.default_module()
    return Tensor._wrap(xp.asarray(arr) if xp is not numpy else numpy.asarray(arr))


def _call(fn, element):
    """Call ``fn`` the way ``tf.data`` does: a tuple element is unpacked into arguments."""
    if isinstance(element, tuple) and not hasattr(element, "_fields"):
        return fn(*element)
    return fn(element)


def _check_count(name, value, allow_minus_one=True):
    if isinstance(value, Tensor):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"Expected `{name}` to be an integer. Received: {name}={value!r}")
    if value < (-1 if allow_minus_one else 1):
        low = "-1 (all) or more" if allow_minus_one else "at least 1"
        raise ValueError(f"Expected `{name}` to be {low}. Received: {name}={value}")
    return int(value)


class _Context:
    """State shared by one pass over a pipeline: a random generator for unseeded shuffles."""

    def __init__(self, rng=None):
        self.rng = rng


class Dataset:
    """A re-iterable pipeline of elements (see the module docstring).

    Make one with ``Dataset.from_tensor_slices``, ``from_tensors``, ``range``, ``zip`` or
    ``from_generator``, then chain transformations; each returns a new dataset.
    """

    _inputs = ()

    # --- what subclasses implement --------------------------------------------------------------
    def _elements(self, ctx):
        """A fresh iterator over the elements as structures of NumPy arrays."""
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN_CARDINALITY

    # Datasets that only pick rows of an in-memory ``_TensorSlices`` set ``_source`` to it and
    # yield the picked row numbers as arrays from ``_index_chunks``.
    _source = None

    def _index_chunks(self, ctx):
        raise NotImplementedError

    # --- iteration --------------------------------------------------------------------------------
    def _needs_rng(self):
        return any(d._needs_rng() for d in self._inputs)

    def _start(self):
        # Draw from the global generator here, in the caller's thread, never in a prefetch thread:
        # otherwise the order of draws (and so the results) would depend on thread timing.
        seed = _random.generator().integers(2**63) if self._needs_rng() else None
        return _Context(numpy.random.default_rng(seed) if seed is not None else None)

    def __iter__(self):
        """Iterate over the elements, with ``profond.Tensor`` leaves. Each loop starts over."""
        elements = self._elements(self._start())
        return (_map_structure(_to_tensor, element) for element in elements)

    def as_numpy_iterator(self):
        """Iterate over the elements with NumPy arrays as leaves."""
        return iter(self._elements(self._start()))

    def cardinality(self):
        """The number of elements: an int, ``INFINITE_CARDINALITY`` (-1) or ``UNKNOWN_CARDINALITY``
        (-2) when it cannot be known without iterating (after ``filter``, for instance)."""
        return self._cardinality()

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True  # never fall back to __len__ (which may raise) in `if dataset:`

    def __repr__(self):
        n = self._cardinality()
        size = {INFINITE_CARDINALITY: "infinite", UNKNOWN_CARDINALITY: "unknown"}.get(n, n)
        return f"<{type(self).__name__.lstrip('_')} cardinality={size}>"

    @property
    def element_spec(self):
        """The structure of ``TensorSpec(shape, dtype)`` of one element (read from the first one;
        a batch dimension that may vary is ``None``)."""
        first = next(iter(self.as_numpy_iterator()), None)
        if first is None:
            raise ValueError("Cannot compute the element_spec of an empty dataset.")
        return _map_structure(lambda a: TensorSpec(tuple(numpy.shape(a)), a.dtype), first)

    # --- sources ----------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset of the slices along the first axis: ``(x, y)`` gives elements ``(x[i], y[i])``.

        ``tensors`` is an array, a tuple (``(x, y)`` or ``(x, y, sample_weight)``) or a dict of
        arrays, possibly nested; every array must have the same first dimension. A list is one
        array, as in TF: ``from_tensor_slices([1, 2, 3])`` has three scalar elements.
        """
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset with a single element: ``tensors`` itself."""
        return _Tensors(tensors)

    @staticmethod
    def range(*args, output_type="int64"):
        """``range(stop)``, ``range(start, stop)`` or ``range(start, stop, step)`` as a dataset."""
        if not 1 <= len(args) <= 3:
            raise TypeError(f"Dataset.range expects 1 to 3 arguments. Received: {len(args)}")
        return _TensorSlices(numpy.arange(*args, dtype=output_type))

    @staticmethod
    def zip(*datasets):
        """Elements of several datasets side by side, as a tuple (or the structure given).

        ``Dataset.zip(a, b)`` and ``Dataset.zip((a, b))`` both yield ``(a_i, b_i)``; it stops at
        the shortest dataset.
        """
        structure = datasets[0] if len(datasets) == 1 else tuple(datasets)
        return _Zip(structure)

    @staticmethod
    def from_generator(generator, output_signature=None, output_types=None, output_shapes=None,
                       args=None):
        """A dataset of what ``generator()`` yields (called again at each iteration).

        ``output_signature`` and friends are accepted for TF compatibility and ignored: elements
        are converted to arrays as they come.
        """
        if not callable(generator):
            raise TypeError(
                f"Expected `generator` to be a callable returning an iterator. "
                f"Received: {generator!r}"
            )
        return _Generator(generator, tuple(args or ()))

    # --- transformations --------------------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Randomly shuffle the elements using a buffer of ``buffer_size`` elements.

        As in TF, the next element is drawn at random from the buffer, which is refilled from the
        input: a small buffer only shuffles locally, and ``buffer_size >= len(dataset)`` gives a
        uniformly random permutation. With ``reshuffle_each_iteration`` (default) each ``for`` loop
        sees a new order.
        """
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None):
        """Group consecutive elements into batches (a new first axis of size ``batch_size``).

        The last batch is smaller unless ``drop_remainder=True``.
        """
        return _Batch(self, batch_size, drop_remainder)

    def unbatch(self):
        """Split each element along its first axis: the inverse of ``batch``."""
        return _Unbatch(self)

    def map(self, map_func, num_parallel_calls=None, deterministic=None):
        """Apply ``map_func`` to each element. A tuple element is unpacked into arguments, as TF
        does: ``ds.map(lambda x, y: (x / 255.0, y))``. The function receives ``profond.Tensor``
        leaves and may return tensors, arrays or numbers. ``num_parallel_calls`` is accepted and
        ignored (the calls run in order, one at a time)."""
        if not callable(map_func):
            raise TypeError(f"Expected `map_func` to be callable. Received: {map_func!r}")
        return _Map(self, map_func)

    def filter(self, predicate):
        """Keep the elements for which ``predicate(*element)`` is true."""
        if not callable(predicate):
            raise TypeError(f"Expected `predicate` to be callable. Received: {predicate!r}")
        return _Filter(self, predicate)

    def take(self, count):
        """The first ``count`` elements (all of them if ``count == -1``)."""
        return _Take(self, _check_count("count", count))

    def skip(self, count):
        """All but the first ``count`` elements (none if ``count == -1``)."""
        return _Skip(self, _check_count("count", count))

    def repeat(self, count=None):
        """Repeat the dataset ``count`` times (forever when ``None`` or -1). A shuffle before the
        repeat reshuffles at each repetition."""
        count = -1 if count is None else _check_count("count", count)
        return _Repeat(self, count)

    def prefetch(self, buffer_size=AUTOTUNE):
        """Prepare up to ``buffer_size`` elements ahead, in a background thread, while the model
        works on the current one. ``AUTOTUNE`` picks a small buffer."""
        size = _check_count("buffer_size", buffer_size)
        return _Prefetch(self, 2 if size == AUTOTUNE else max(size, 1))

    def cache(self, filename=""):
        """Keep the elements in memory after the first complete pass; later passes replay them.

        Put it before ``shuffle`` so that each epoch still sees a new order.
        """
        if filename:
            raise NotImplementedError(
                "Dataset.cache(filename) to a file is not supported; use cache() to keep the "
                f"elements in memory. Received: filename={filename!r}"
            )
        return _Cache(self)

    def concatenate(self, dataset):
        """The elements of this dataset, then those of ``dataset`` (same structure)."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Expected a Dataset to concatenate. Received: {type(dataset)}")
        return _Concatenate(self, dataset)

    def enumerate(self, start=0):
        """Pairs ``(i, element)`` with ``i`` counting from ``start`` (an int64 scalar)."""
        return _Enumerate(self, int(start))

    def apply(self, transformation_func):
        """``transformation_func(self)``: lets a function returning a dataset join a chain."""
        return transformation_func(self)


# --- sources -----------------------------------------------------------------------------------
class _TensorSlices(Dataset):
    def __init__(self, tensors):
        if isinstance(tensors, Dataset):
            raise TypeError("from_tensor_slices expects arrays, not a Dataset.")
        self._structure = _map_structure(_to_array, tensors)
        leaves = _flatten(self._structure)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one array. Received: an empty "
                             "structure.")
        for leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError(
                    "from_tensor_slices slices along the first axis, so every array needs at least "
                    f"one dimension. Received: a scalar of value {leaf!r} (use from_tensors)."
                )
        sizes = [leaf.shape[0] for leaf in leaves]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(leaf.shape) for leaf in leaves)
            raise ValueError(
                f"Expected all arrays to have the same first dimension. Received shapes: {shapes}"
            )
        self._n = sizes[0]
        self._source = self

    def _cardinality(self):
        return self._n

    def _index_chunks(self, ctx):
        yield numpy.arange(self._n)

    def _gather(self, index):
        """Row ``index`` (an int) or rows (an index array) of every array."""
        return _map_structure(lambda a: a[index], self._structure)

    def _elements(self, ctx):
        return _rows(self, ctx)


def _rows(dataset, ctx):
    """Elements of an index-based dataset, one row at a time."""
    source = dataset._source
    for chunk in dataset._index_chunks(ctx):
        for i in chunk:
            yield source._gather(i)


class _Tensors(Dataset):
    def __init__(self, tensors):
        self._structure = _map_structure(_to_array, tensors)

    def _cardinality(self):
        return 1

    def _elements(self, ctx):
        yield self._structure


class _Generator(Dataset):
    def __init__(self, generator, args):
        self._generator, self._args = generator, args

    def _elements(self, ctx):
        for element in self._generator(*self._args):
            yield _map_structure(_to_array, element)


class _Zip(Dataset):
    def __init__(self, structure):
        datasets = _flatten(structure)
        for d in datasets:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip expects datasets. Received: {type(d)}")
        self._structure, self._inputs = structure, tuple(datasets)

    def _cardinality(self):
        sizes = [d._cardinality() for d in self._inputs]
        finite = [n for n in sizes if n >= 0]
        if finite:
            return min(finite) if UNKNOWN_CARDINALITY not in sizes else UNKNOWN_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in sizes else INFINITE_CARDINALITY

    def _elements(self, ctx):
        for elements in zip(*(d._elements(ctx) for d in self._inputs)):
            yield _pack(self._structure, elements)


# --- transformations -----------------------------------------------------------------------------
class _Shuffle(Dataset):
    def __init__(self, dataset, buffer_size, seed, reshuffle_each_iteration):
        self._buffer_size = _check_count("buffer_size", buffer_size, allow_minus_one=False)
        self._inputs = (dataset,)
        self._source = dataset._source
        self._seed, self._reshuffle = seed, bool(reshuffle_each_iteration)
        if seed is not None:
            self._seeded_rng = numpy.random.default_rng(seed)
        elif not self._reshuffle:
            self._seed = int(_random.generator().integers(2**63))  # one fixed order, drawn once

    def _needs_rng(self):
        return self._seed is None or super()._needs_rng()

    def _rng(self, ctx):
        if self._seed is None:
            return ctx.rng
        if self._reshuffle:
            return self._seeded_rng  # a new, reproducible order each pass
        return numpy.random.default_rng(self._seed)  # the same order each pass

    def _cardinality(self):
        return self._inputs[0]._cardinality()

    def _index_chunks(self, ctx):
        rng = self._rng(ctx)
        dataset = self._inputs[0]
        n = dataset._cardinality()
        if 0 <= n <= self._buffer_size:  # a full shuffle: one permutation of all the indices
            chunks = list(dataset._index_chunks(ctx))
            indices = numpy.concatenate(chunks) if chunks else numpy.empty(0, dtype=numpy.intp)
            yield indices[rng.permutation(len(indices))]
            return
        indices = itertools.chain.from_iterable(dataset._index_chunks(ctx))
        shuffled = _buffer_shuffle(indices, self._buffer_size, rng)
        while True:
            chunk = numpy.fromiter(itertools.islice(shuffled, 4096), dtype=numpy.intp)
            if len(chunk) == 0:
                return
            yield chunk

    def _elements(self, ctx):
        if self._source is not None:
            return _rows(self, ctx)
        return _buffer_shuffle(self._inputs[0]._elements(ctx), self._buffer_size, self._rng(ctx))


def _buffer_shuffle(items, buffer_size, rng):
    """TF's shuffle: emit a random element of the buffer and put the next input in its place."""
    buffer = []
    it = iter(items)
    for item in itertools.islice(it, buffer_size):
        buffer.append(item)
    draws = iter(())
    for item in it:
        j = next(draws, None)
        if j is None:  # draw random positions a block at a time: one call per 1024 elements
            draws = iter(rng.integers(0, buffer_size, size=1024).tolist())
            j = next(draws)
        yield buffer[j]
        buffer[j] = item
    for j in rng.permutation(len(buffer)):  # input exhausted: empty the buffer in random order
        yield buffer[j]


class _Take(Dataset):
    def __init__(self, dataset, count):
        self._inputs, self._count = (dataset,), count
        self._source = dataset._source

    def _cardinality(self):
        n = self._inputs[0]._cardinality()
        if self._count == -1:
            return n
        if n == INFINITE_CARDINALITY:
            return self._count
        return n if n == UNKNOWN_CARDINALITY else min(n, self._count)

    def _index_chunks(self, ctx):
        left = self._count
        for chunk in self._inputs[0]._index_chunks(ctx):
            if left == -1:
                yield chunk
                continue
            if left == 0:
                return
            yield chunk[:left]
            left -= len(chunk[:left])

    def _elements(self, ctx):
        if self._source is not None:
            return _rows(self, ctx)
        elements = self._inputs[0]._elements(ctx)
        return elements if self._count == -1 else itertools.islice(elements, self._count)


class _Skip(Dataset):
    def __init__(self, dataset, count):
        self._inputs, self._count = (dataset,), count
        self._source = dataset._source

    def _cardinality(self):
        n = self._inputs[0]._cardinality()
        if n < 0:
            return n
        return 0 if self._count == -1 else max(n - self._count, 0)

    def _index_chunks(self, ctx):
        if self._count == -1:
            return
        left = self._count
        for chunk in self._inputs[0]._index_chunks(ctx):
            if left >= len(chunk):
                left -= len(chunk)
                continue
            yield chunk[left:]
            left = 0

    def _elements(self, ctx):
        if self._source is not None:
            return _rows(self, ctx)
        if self._count == -1:
            return iter(())
        return itertools.islice(self._inputs[0]._elements(ctx), self._count, None)


class _Repeat(Dataset):
    def __init__(self, dataset, count):
        self._inputs, self._count = (dataset,), count
        self._source = dataset._source

    def _cardinality(self):
        n = self._inputs[0]._cardinality()
        if n == 0 or self._count == 0:
            return 0
        if self._count == -1:
            return UNKNOWN_CARDINALITY if n == UNKNOWN_CARDINALITY else INFINITE_CARDINALITY
        return n * self._count if n >= 0 else n

    def _passes(self):
        return itertools.count() if self._count == -1 else range(self._count)

    def _index_chunks(self, ctx):
        for _ in self._passes():
            empty = True
            for chunk in self._inputs[0]._index_chunks(ctx):
                empty = empty and len(chunk) == 0
                yield chunk
            if empty:  # repeating nothing forever would hang
                return

    def _elements(self, ctx):
        if self._source is not None:
            return _rows(self, ctx)
        return self._repeat_elements(ctx)

    def _repeat_elements(self, ctx):
        for _ in self._passes():
            empty = True
            for element in self._inputs[0]._elements(ctx):
                empty = False
                yield element
            if empty:
                return


class _Batch(Dataset):
    def __init__(self, dataset, batch_size, drop_remainder):
        self._inputs = (dataset,)
        self._batch_size = _check_count("batch_size", batch_size, allow_minus_one=False)
        self._drop_remainder = bool(drop_remainder)

    def _cardinality(self):
        n = self._inputs[0]._cardinality()
        if n < 0:
            return n
        b = self._batch_size
        return n // b if self._drop_remainder else -(-n // b)

    @property
    def element_spec(self):
        spec = super().element_spec
        if self._drop_remainder:
            return spec
        return _map_structure(lambda s: TensorSpec((None, *s.shape[1:]), s.dtype), spec)

    def _elements(self, ctx):
        dataset = self._inputs[0]
        if dataset._source is None:
            return self._stacked_batches(dataset._elements(ctx))
        return self._gathered_batches(dataset, ctx)

    def _gathered_batches(self, dataset, ctx):
        # The fast path: collect b row numbers, then one fancy-indexing per array.
        b, pending = self._batch_size, numpy.empty(0, dtype=numpy.intp)
        for chunk in dataset._index_chunks(ctx):
            pending = numpy.concatenate([pending, chunk]) if len(pending) else chunk
            while len(pending) >= b:
                yield dataset._source._gather(pending[:b])
                pending = pending[b:]
        if len(pending) and not self._drop_remainder:
            yield dataset._source._gather(pending)

    def _stacked_batches(self, elements):
        b = self._batch_size
        while True:
            group = list(itertools.islice(elements, b))
            if not group or (len(group) < b and self._drop_remainder):
                return
            yield _stack(group)


def _stack(elements):
    """Stack a list of elements of the same structure into one batched element."""
    columns = zip(*(_flatten(e) for e in elements))
    leaves = []
    for position, column in enumerate(columns):
        shapes = {numpy.shape(a) for a in column}
        if len(shapes) > 1:
            raise ValueError(
                f"Cannot batch elements of different shapes in component {position}. "
                f"Received shapes: {sorted(shapes)}. Resize or pad them first (in a map)."
            )
        leaves.append(numpy.stack(column))
    return _pack(elements[0], leaves)


class _Unbatch(Dataset):
    def __init__(self, dataset):
        self._inputs = (dataset,)

    def _elements(self, ctx):
        for element in self._inputs[0]._elements(ctx):
            leaves = _flatten(element)
            if any(numpy.ndim(a) == 0 for a in leaves):
                raise ValueError("unbatch needs elements whose arrays have at least one dimension.")
            sizes = {len(a) for a in leaves}
            if len(sizes) > 1:
                raise ValueError(
                    f"unbatch needs the same first dimension in every array. Received: {sizes}"
                )
            for i in range(sizes.pop()):
                yield _pack(element, [a[i] for a in leaves])


class _Map(Dataset):
    def __init__(self, dataset, fn):
        self._inputs, self._fn = (dataset,), fn

    def _cardinality(self):
        return self._inputs[0]._cardinality()

    def _elements(self, ctx):
        for element in self._inputs[0]._elements(ctx):
            result = _call(self._fn, _map_structure(_to_tensor, element))
            if isinstance(result, list):
                result = tuple(result)
            yield _map_structure(_to_array, result)


class _Filter(Dataset):
    def __init__(self, dataset, predicate):
        self._inputs, self._predicate = (dataset,), predicate

    def _elements(self, ctx):
        for element in self._inputs[0]._elements(ctx):
            keep = _call(self._predicate, _map_structure(_to_tensor, element))
            keep = _to_array(keep)
            if keep.shape != ():
                raise ValueError(
                    "The filter predicate must return a single boolean. "
                    f"Received an array of shape {keep.shape}."
                )
            if bool(keep):
                yield element


class _Cache(Dataset):
    def __init__(self, dataset):
        self._inputs, self._cached = (dataset,), None

    def _cardinality(self):
        if self._cached is not None:
            return len(self._cached)
        return self._inputs[0]._cardinality()

    def _needs_rng(self):
        return self._cached is None and super()._needs_rng()

    def _elements(self, ctx):
        if self._cached is not None:
            yield from self._cached
            return
        seen = []
        for element in self._inputs[0]._elements(ctx):
            seen.append(element)
            yield element
        self._cached = seen  # only a complete pass is kept (a `break` leaves the cache empty)


class _Concatenate(Dataset):
    def __init__(self, first, second):
        self._inputs = (first, second)

    def _cardinality(self):
        a, b = (d._cardinality() for d in self._inputs)
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in (a, b) else a + b

    def _elements(self, ctx):
        for d in self._inputs:
            yield from d._elements(ctx)


class _Enumerate(Dataset):
    def __init__(self, dataset, start):
        self._inputs, self._start_at = (dataset,), start

    def _cardinality(self):
        return self._inputs[0]._cardinality()

    def _elements(self, ctx):
        for i, element in enumerate(self._inputs[0]._elements(ctx), self._start_at):
            yield numpy.int64(i), element


class _Prefetch(Dataset):
    """Runs the input pipeline in a background thread, ``buffer_size`` elements ahead."""

    _DONE = object()

    def __init__(self, dataset, buffer_size):
        self._inputs, self._buffer_size = (dataset,), buffer_size

    def _cardinality(self):
        return self._inputs[0]._cardinality()

    def _elements(self, ctx):
        q = queue.Queue(maxsize=self._buffer_size)
        stop = threading.Event()

        def put(item):  # give up if the consumer has gone away (a `break` in its for loop)
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def produce():
            try:
                for element in self._inputs[0]._elements(ctx):
                    if not put(("element", element)):
                        return
                put(("done", None))
            except BaseException as error:  # noqa: BLE001 - re-raised in the consumer thread
                put(("error", error))

        thread = threading.Thread(target=produce, name="profond-prefetch", daemon=True)
        return self._consume(q, stop, thread)

    @staticmethod
    def _consume(q, stop, thread):
        thread.start()
        try:
            while True:
                kind, value = q.get()
                if kind == "element":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()
            thread.join(timeout=1.0)
