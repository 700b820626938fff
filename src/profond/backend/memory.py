"""Keep freed array memory in the process, so that the next training step reuses it.

A training step allocates the same large arrays every time (an LSTM's gates over the sequence,
its saved states, the gradients of the weights), then frees them. With glibc's default
settings, arrays of a few MB are taken from the system with ``mmap`` and given back on free (or
the heap top is trimmed), so each step pays again for fresh, zero-filled pages: about 15% of an
LSTM(128) training step on a 2-core machine (40-44 ms against 33-35 ms of CPU time per step).
PyTorch avoids it with its allocator; NumPy uses the C library's, whose thresholds can be raised.

``keep_freed_memory()`` raises them (``mallopt``): blocks up to 64 MB come from the heap, and
up to 256 MB of free heap are kept rather than returned. The process's resident memory then
stays near its peak instead of shrinking between steps. Only glibc (Linux) has these settings;
elsewhere the function does nothing and returns False.

Training calls ``for_training()``: ``fit``, ``train_on_batch`` and ``GradientTape.gradient``
(the custom loop's step; a small GPT's step took 290-370 ms without it, 190-200 ms with it).
``PROFOND_KEEP_MEMORY=0`` leaves glibc's defaults.
"""

import ctypes
import ctypes.util
import functools
import os
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has ``mallopt`` and ``gnu_get_libc_version``)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - raises AttributeError on musl and others
        return libc
    except (OSError, AttributeError):
        return None


def keep_freed_memory():
    """Make freed blocks up to 64 MB stay in the process for reuse (see the module). Returns
    True when the C library took the settings, False where it has none (not glibc)."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


_state = {"kept": False}  # for_training() has applied the settings in this process


def for_training():
    """``keep_freed_memory()`` once, when training starts, unless ``PROFOND_KEEP_MEMORY=0``."""
    if not _state["kept"] and os.environ.get("PROFOND_KEEP_MEMORY", "1") != "0":
        _state["kept"] = True
        keep_freed_memory()
