"""Which array library runs the math (NumPy, or CuPy on a GPU) and the dtype policy.

Every op asks ``array_module(*arrays)`` for ``xp`` and writes ``xp.exp(x)``, never ``numpy.exp``,
so one code path serves both libraries.

Threads: the float type (``set_floatx``), the backend (``set_backend``) and the BLAS thread limit
(``set_num_threads``) are *process-global* settings, as in Keras and TF: every thread sees the
latest value. Set them once, before building models, not while other threads compute. (What is
per thread: grad mode and the open tapes, ``profond.autodiff.mode``; the random streams,
``profond.random``; the custom-object scopes, ``profond.registry``.)
"""

import os

import numpy

try:  # CuPy is optional: only present on machines with an NVIDIA GPU and the `gpu` extra.
    import cupy as _cupy
except Exception:  # noqa: BLE001 - a broken CUDA install must not break the CPU path
    _cupy = None

_floatx = numpy.dtype("float32")
_backend = numpy


def floatx():
    """The default float dtype of new tensors and weights (``float32`` unless changed); one value
    for the whole process."""
    return _floatx


def set_floatx(dtype):
    """Set the default float dtype: ``"float16"``, ``"float32"`` or ``"float64"`` (for every
    thread: a process-global setting)."""
    global _floatx
    dt = numpy.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"set_floatx expects a float dtype. Received: dtype={dtype!r}")
    _floatx = dt


def backend():
    """The name of the array library new tensors are created with: ``"numpy"`` or ``"cupy"``."""
    return "cupy" if _backend is not numpy else "numpy"


def set_backend(name):
    """Create new tensors with ``"numpy"`` (default) or ``"cupy"`` (needs the ``gpu`` extra), in
    every thread (a process-global setting)."""
    global _backend
    if name == "numpy":
        _backend = numpy
    elif name == "cupy":
        if _cupy is None:
            raise ImportError("set_backend('cupy') needs CuPy: pip install 'profond[gpu]'")
        _backend = _cupy
    else:
        raise ValueError(f"Expected backend 'numpy' or 'cupy'. Received: name={name!r}")


def default_module():
    """The array module used to create new arrays (``numpy`` or ``cupy``)."""
    return _backend


def array_module(*arrays):
    """Return ``numpy`` or ``cupy`` for the given arrays; mixing the two raises a ``TypeError``."""
    if _cupy is None:
        return numpy
    on_gpu = [isinstance(a, _cupy.ndarray) for a in arrays]
    if all(on_gpu):
        return _cupy
    if any(on_gpu) and any(isinstance(a, numpy.ndarray) for a in arrays):
        raise TypeError(
            "Cannot mix NumPy (CPU) and CuPy (GPU) arrays in one op. Received types: "
            + ", ".join(type(a).__module__ + "." + type(a).__name__ for a in arrays)
            + ". Move them to one device first (profond.config.set_backend)."
        )
    return _cupy if any(on_gpu) else numpy


def to_numpy(array):
    """Copy an array to the host as a NumPy array (a no-op for NumPy arrays)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return numpy.asarray(array)


def set_num_threads(n):
    """Limit the BLAS / OpenMP threads NumPy uses to ``n`` (needs ``threadpoolctl``), and the
    worker threads of the batch-parallel kernels (convolutions, pooling: ``backend.threads``).

    On a small machine, BLAS threads that compete with another busy process slow training
    several times over: one thread per free core is the safe choice.
    """
    global _thread_limiter
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as e:
        raise ImportError(
            "set_num_threads needs threadpoolctl: pip install 'profond[threads]'"
        ) from e
    if int(n) < 1:
        raise ValueError(f"set_num_threads expects n >= 1. Received: n={n!r}")
    from profond.backend import threads

    _thread_limiter = threadpool_limits(limits=int(n))
    threads.set_num_workers(int(n))


def get_num_threads():
    """The number of BLAS threads in use (``None`` when ``threadpoolctl`` is not installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


_thread_limiter = None

if os.environ.get("PROFOND_BACKEND"):
    set_backend(os.environ["PROFOND_BACKEND"])
if os.environ.get("PROFOND_FLOATX"):
    set_floatx(os.environ["PROFOND_FLOATX"])
