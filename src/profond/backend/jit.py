"""One switch for profond's optional compiled kernels (numba, the ``jit`` extra).

The kernel modules (``ops/recurrent_jit``, ``ops/norm_jit``, ``ops/conv_jit``,
``optimizers/jit``) are imported on first use. Every op that uses one keeps its NumPy form, which
runs when numba is not installed, when ``PROFOND_JIT=0`` (``ENABLED`` false; tests switch it to
compare both forms), or for arrays the kernels do not take.
"""

import os

import numpy

ENABLED = os.environ.get("PROFOND_JIT", "1") != "0"
_loaded = {}  # import function -> its kernel module, or None when numba is missing


def kernels(load, *arrays):
    """The kernel module that ``load()`` imports, when the kernels apply to ``arrays`` (NumPy
    arrays of one dtype, float32 or float64), else None. An ``ImportError`` (no numba) is
    remembered as None."""
    if not ENABLED:
        return None
    dtype = arrays[0].dtype
    if dtype.char not in "fd" or any(type(a) is not numpy.ndarray or a.dtype != dtype
                                     for a in arrays):
        return None
    if load not in _loaded:
        try:
            _loaded[load] = load()
        except ImportError:
            _loaded[load] = None
    return _loaded[load]
