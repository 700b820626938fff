"""Shared by the compatibility programs: pick the framework, fix the weights, print the results.

``COMPAT_FRAMEWORK=tensorflow`` imports real TensorFlow, anything else (default) profond, under
the same name ``tf``; the program then runs unchanged. ``emit`` prints one JSON line that
``tests/compat/test_compat.py`` compares between the two frameworks.
"""

import json
import os

import numpy as np

if os.environ.get("COMPAT_FRAMEWORK") == "tensorflow":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
else:
    import profond as tf

keras = tf.keras


def data(n=12, features=4, classes=3, seed=0):
    """Fixed inputs, integer labels and regression targets."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = rng.integers(0, classes, size=(n,))
    targets = rng.normal(size=(n, 1)).astype("float32")
    return x, labels, targets


def set_fixed_weights(model, seed=1):
    """The same initial weights in both frameworks: drawn here, in the order of get_weights."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(w.dtype)
                       for w in model.get_weights()])


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def emit(results):
    """Print the results as one JSON line (the last line of the output)."""
    print(json.dumps(_plain(results), sort_keys=False))
