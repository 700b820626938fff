"""Small array helpers of ``keras.utils``: ``to_categorical``, ``normalize``,
``set_random_seed``."""

import random as _py_random

import numpy

from profond import random as _random
from profond.autodiff.tensor import Tensor


def _host(x):
    return x.numpy() if isinstance(x, Tensor) else numpy.asarray(x)


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels: label k becomes a row with a 1 at position k.

    A trailing axis of size 1 is dropped first, as in Keras: labels of shape (n,) or (n, 1) both
    give shape (n, num_classes). ``num_classes`` defaults to ``max(y) + 1``.

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    y = _host(y)
    if y.dtype.kind == "f":
        if not numpy.all(numpy.isfinite(y)) or not numpy.all(y == numpy.round(y)):
            raise ValueError("to_categorical expects integer class labels. Received non-integer "
                             "values.")
    elif y.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels. Received dtype {y.dtype}")
    y = y.astype(numpy.int64)
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        if y.size == 0:
            raise ValueError("to_categorical needs `num_classes` when `y` is empty.")
        num_classes = int(y.max()) + 1
    num_classes = int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"Expected labels in [0, {num_classes - 1}] for num_classes={num_classes}. "
            f"Received labels from {y.min()} to {y.max()}."
        )
    categorical = numpy.zeros((y.size, num_classes), dtype=dtype)
    categorical[numpy.arange(y.size), y] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit norm along ``axis``: x / ‖x‖ (vectors of norm 0 are left unchanged).

    ``order`` is the norm's order (2: Euclidean, 1: sum of absolute values). A NumPy array gives a
    NumPy array, a ``Tensor`` gives a ``Tensor`` (not differentiated through).

    >>> normalize(numpy.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    is_tensor = isinstance(x, Tensor)
    array = _host(x)
    norm = numpy.atleast_1d(numpy.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    result = array / numpy.expand_dims(norm, axis)
    return Tensor(result.astype(array.dtype, copy=False)) if is_tensor else result


def set_random_seed(seed):
    """Seed every source of randomness a training script uses: Python's ``random``, NumPy's global
    generator and profond's (``profond.random.set_seed``): initial weights, dropout and
    shuffling become reproducible."""
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(
            f"Expected `seed` to be a non-negative integer. Received: seed={seed!r}"
        )
    _py_random.seed(int(seed))
    numpy.random.seed(int(seed) % 2**32)
    _random.set_seed(int(seed))


__all__ = ["normalize", "set_random_seed", "to_categorical"]
