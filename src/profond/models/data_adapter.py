"""What ``fit`` / ``evaluate`` / ``predict`` accept as data, turned into a stream of batches.

Every source ends up as an *adapter*: an object whose ``epoch()`` yields the batches of one epoch
and whose ``steps`` is the number of batches per epoch (``None`` when unknown). A batch is what
Keras 3 hands to ``train_step``:

* ``(x, y, sample_weight)`` when sample weights exist (given, or made from ``class_weight``),
* ``(x, y)`` when there are targets but no weights,
* ``x`` alone for arrays without targets (a generator or ``Dataset`` yields its elements as they
  are, so a generator yielding ``(x,)`` gives the tuple ``(x,)``).

Sources: NumPy arrays, lists, profond tensors, pandas objects, dicts or lists of those (one per
model input / output), a ``profond.data.Dataset``, a ``PyDataset`` (``keras.utils.Sequence``), a
Python generator or iterator.
"""

import math
import warnings

import numpy

from profond import _validation as check
from profond import backend
from profond import random as _random
from profond.autodiff.tensor import Tensor
from profond.layers.base import _flatten, _map
from profond.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight

# --- arrays ---------------------------------------------------------------------------------------


def to_array(value):
    """A NumPy (or CuPy) array from an array, list, Tensor or pandas object; float64 → floatx;
    a column of Python strings (pandas' object dtype) → a NumPy string array."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        arr = value.data
    elif hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        arr = value.to_numpy()
    else:
        arr = value
    xp = backend.default_module()
    arr = xp.asarray(arr)
    if arr.dtype.kind == "f" and arr.dtype != backend.floatx():
        arr = arr.astype(backend.floatx())
    elif arr.dtype == object and arr.size and all(isinstance(v, str) for v in arr.flat):
        arr = arr.astype(str)  # a text column (pandas keeps strings as objects)
    elif arr.dtype == object:
        raise ValueError(f"Cannot convert the data to a numeric array (dtype object, shape "
                         f"{arr.shape}). Check that every example has the same shape.")
    return arr


def _is_array_like(v):
    return isinstance(v, Tensor) or hasattr(v, "shape") or hasattr(v, "to_numpy")


def structure_to_arrays(value, n_expected):
    """Convert ``value``: a dict, or a list of arrays for a model with several inputs/outputs,
    keeps its structure; anything else becomes one array."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: to_array(v) for k, v in value.items()}
    if (isinstance(value, (list, tuple)) and n_expected > 1 and len(value) == n_expected
            and all(_is_array_like(v) for v in value)):
        return [to_array(v) for v in value]
    return to_array(value)


def check_dict_keys(data, expected, what, argument, complete=True):
    """A dict of data must be keyed by the model's input (or output) names (all of them when
    ``complete``)."""
    if not isinstance(data, dict) or not expected:
        return
    for key in data:
        if key not in expected:
            raise ValueError(f"The data dictionary passed as `{argument}` has the key {key!r}, "
                             f"which matches no {what} name. Expected the following keys: "
                             f"{list(expected)}")
    for name in expected if complete else ():
        if name not in data:
            raise ValueError(f'Missing data for {what} "{name}". You passed a data dictionary '
                             f"with keys {list(data)}. Expected the following keys: "
                             f"{list(expected)}")


def check_cardinality(x, y, sample_weight):
    """The common number of examples of every array (a clear error when they differ)."""
    sizes = {}
    for label, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            sizes[label] = [int(a.shape[0]) if a.ndim else 0 for a in _flatten(value)]
    distinct = {n for ns in sizes.values() for n in ns}
    if len(distinct) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same "
                         f"number of samples.\n{detail}")
    return distinct.pop() if distinct else 0


def check_class_weight(class_weight, n_classes, where="fit"):
    """``class_weight`` must map class indices (integers in [0, n_classes)) to finite weights
    ≥ 0; ``n_classes`` None when unknown."""
    if not isinstance(class_weight, dict) or not all(
            check.is_integer(k) and k >= 0 for k in class_weight) or not all(
            check.is_real(w) and math.isfinite(w) and w >= 0 for w in class_weight.values()):
        raise check.fail("class_weight", class_weight, "a dict mapping class indices (integers "
                         ">= 0) to weights (finite floats >= 0)", where)
    if n_classes is not None and class_weight and max(class_weight) >= n_classes:
        raise check.fail("class_weight", class_weight, "a dict whose keys are class indices in "
                         f"[0, {n_classes - 1}] (the model has {n_classes} classes)", where)


def class_weights_to_sample_weights(y, class_weight):
    """Per-example weights w[yᵢ] (labels as integers, or one-hot rows); a class missing from
    ``class_weight`` weighs 1."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for Models with a single output. "
                         f"Received targets of type {type(y).__name__}.")
    y = y.data if isinstance(y, Tensor) else y
    xp = backend.array_module(y)
    labels = y.reshape(-1) if (y.ndim <= 1 or y.shape[-1] == 1) else y.argmax(axis=-1)
    labels = labels.astype("int64")
    size = max(int(labels.max()) + 1 if labels.size else 0, max(class_weight) + 1)
    table = xp.ones(size, dtype=backend.floatx())
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


def _wrap(value):
    """Array leaves (NumPy, lists of numbers stay as they are) → profond tensors."""
    def leaf(a):
        if a is None or isinstance(a, Tensor):
            return a
        if hasattr(a, "shape") or hasattr(a, "to_numpy"):
            return Tensor._wrap(to_array(a))
        return a
    return _map(leaf, value)


class ArrayAdapter:
    """Mini-batches of in-memory arrays: one permutation per pass, each batch gathered from it.

    Gathering batch by batch (``x[perm[i·B:(i+1)·B]]``) costs one batch of memory; permuting the
    whole array once would hold a second copy of the training set during every epoch.
    ``shuffle="batch"`` (Keras's option for HDF5 data) shuffles the order of the batches only.

    With ``steps`` (``steps_per_epoch``) an epoch takes the next ``steps`` batches and the next
    epoch goes on from there, as Keras 3 does in training; an epoch that reaches the end of the
    data stops there (it may be shorter) and the next one starts a new pass. With ``restart``
    (validation, evaluation) every epoch starts from the first batch: ``steps`` truncates.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 steps=None, restart=False):
        self.arrays = (x, y, sample_weight)
        self.n = check_cardinality(x, y, sample_weight)
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.full = math.ceil(self.n / self.batch_size)
        self.steps = self.full if steps is None else int(steps)
        self._position = 0
        self._order = self._perm = None
        self.restart = restart

    def _new_pass(self):
        self._order, self._perm = range(self.full), None
        if self.shuffle == "batch":
            self._order = _random.generator().permutation(self.full)
        elif self.shuffle:
            perm = _random.generator().permutation(self.n)
            xp = backend.default_module()
            self._perm = xp.asarray(perm) if xp is not numpy else perm

    def epoch(self):
        bs = self.batch_size
        if self._position == 0:
            self._new_pass()
        for _ in range(self.steps):
            if self._position >= self.full:
                break
            i = int(self._order[self._position])
            self._position += 1
            rows = slice(i * bs, (i + 1) * bs) if self._perm is None else \
                self._perm[i * bs : (i + 1) * bs]
            x, y, sw = _map(lambda a, rows=rows: None if a is None else Tensor._wrap(a[rows]),
                            self.arrays)
            yield pack_x_y_sample_weight(x, y, sw)
        if self._position >= self.full or self.restart:
            self._position = 0


class IteratorAdapter:
    """Batches from a ``Dataset``, a ``PyDataset``, a generator or any iterable.

    A re-iterable source (``Dataset``, ``PyDataset``) starts over at each epoch unless ``steps``
    is given in training; then, as in Keras, one iterator is kept across epochs. A generator is
    consumed once: an infinite one needs ``steps``.
    """

    def __init__(self, source, steps=None, generator=False, restart=False):
        self.source = source
        self.generator = generator
        self.restart = restart
        self.steps_limit = None if steps is None else int(steps)
        self._iterator = None
        self.exhausted = False
        self.steps = self.steps_limit if steps is not None else _length(source)

    def _items(self):
        if self.generator or (self.steps_limit is not None and not self.restart):
            if self._iterator is None:
                self._iterator = iter(self.source)
            return self._iterator
        return iter(self.source)

    def epoch(self):
        begin = getattr(self.source, "on_epoch_begin", None)
        if callable(begin) and not self.generator:
            begin()
        items = self._items()
        count = 0
        while self.steps_limit is None or count < self.steps_limit:
            try:
                item = next(items)
            except StopIteration:
                self._iterator = None
                if self.generator:
                    self.exhausted = True
                break
            if self.generator and not isinstance(item, tuple):
                raise ValueError("When passing a Python generator to a profond model, the "
                                 "generator must return a tuple, either (input,) or (inputs, "
                                 "targets) or (inputs, targets, sample_weights). Received: "
                                 f"{type(item).__name__}")
            count += 1
            yield _wrap(item)
        end = getattr(self.source, "on_epoch_end", None)
        if callable(end) and not self.generator:
            end()


def _length(source):
    n = getattr(source, "num_batches", None) if _is_py_dataset(source) else None
    if n is not None:
        return n
    try:
        n = len(source)
    except (TypeError, NotImplementedError):
        return None
    return n


def _is_py_dataset(x):
    from profond.data.py_dataset import PyDataset

    return isinstance(x, PyDataset)


def _is_dataset(x):
    from profond.data import Dataset

    return isinstance(x, Dataset)


def is_iterator_source(x):
    """A ``Dataset``, a ``PyDataset``, a generator or iterator (not arrays, lists or dicts)."""
    if _is_dataset(x) or _is_py_dataset(x):
        return True
    return hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(
        x, (list, tuple, dict, str)) and not _is_array_like(x))


class ClassWeighted:
    """Wraps an adapter: each batch's targets give per-example weights w[yᵢ] (multiplied into the
    sample weights when there are some)."""

    def __init__(self, adapter, class_weight):
        self.adapter = adapter
        self.class_weight = class_weight
        self.steps = adapter.steps

    @property
    def exhausted(self):
        return getattr(self.adapter, "exhausted", False)

    def epoch(self):
        for batch in self.adapter.epoch():
            x, y, sw = unpack_x_y_sample_weight(batch)
            if y is None:
                yield batch
                continue
            cw = class_weights_to_sample_weights(y, self.class_weight)
            sw = Tensor._wrap(cw) if sw is None else Tensor._wrap(sw.data * cw.reshape(
                cw.shape + (1,) * (sw.ndim - 1)))
            yield (x, y, sw)


def make_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None,
                 class_weight=None, argument="x", restart=False):
    """The adapter for ``fit``/``evaluate``/``predict`` data (see the module docstring);
    ``restart``: every epoch starts from the first batch (validation, evaluation)."""
    if is_iterator_source(x):
        kind = type(x).__name__
        if y is not None:
            raise ValueError(f"When `{argument}` is a {kind}, `y` must not be given: it yields "
                             f"the targets itself. Received: y of type {type(y).__name__}")
        if sample_weight is not None:
            raise ValueError(f"When `{argument}` is a {kind}, give sample weights as the third "
                             "element of its batches, not as `sample_weight`.")
        generator = not (_is_dataset(x) or _is_py_dataset(x))
        adapter = IteratorAdapter(x, steps, generator=generator, restart=restart)
    else:
        adapter = ArrayAdapter(x, y, sample_weight, batch_size, shuffle=shuffle, steps=steps,
                               restart=restart)
    if class_weight is not None:
        adapter = ClassWeighted(adapter, class_weight)
    return adapter


def ran_out_of_data():
    """Warn (as Keras does) when a generator ran dry before the requested epochs were done."""
    warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                  "dataset or generator can generate at least `steps_per_epoch * epochs` "
                  "batches.", stacklevel=3)
