"""Grad mode: whether ops record graph nodes. ``no_grad()`` turns recording off.

Also the clock of the graph: every recorded node takes the next tick (``next_tick``), so a
``GradientTape`` knows which nodes were recorded while it was watching (from its entry to its
exit), and the tapes open in this thread (``_state.tapes``) learn which variables ops read.
"""

import contextlib
import functools
import itertools
import threading


class _GradState(threading.local):
    enabled = True  # the class attributes are the defaults in every thread (and fast lookups)
    tapes = ()  # the GradientTapes recording in this thread, innermost last


_state = _GradState()
_clock = itertools.count()


def next_tick():
    """The next time stamp of the graph (increasing across all threads)."""
    return next(_clock)


def is_grad_enabled():
    """True when ops record the graph (the default; off inside ``no_grad()``)."""
    return _state.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a ``with`` block (restored on exit)."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


def no_grad(func=None):
    """Context manager (or decorator) in which ops record no graph: inference and updates.

    >>> import profond as pf
    >>> w = pf.Variable([1.0, 2.0])
    >>> with pf.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    if func is not None:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(False):
                return func(*args, **kwargs)
        return wrapper
    return set_grad_enabled(False)


def enable_grad():
    """Context manager that turns recording back on (inside ``no_grad``)."""
    return set_grad_enabled(True)
