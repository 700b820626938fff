"""Argument checks at the API boundary: a bad value fails early, in Keras's words.

Every public constructor and ``fit``-like method checks its arguments with these functions
before using them, so a mistake never turns into silent garbage (``batch_size=-4`` running zero
steps, ``use_bias="no"`` meaning True, ``kernel_size=3.7`` becoming 3). Each check returns the
value in its plain Python form (``numpy.int64(3)`` → ``3``) or raises ``ValueError`` naming who
checks (a function, a class, or a layer with its name), the argument, what is allowed and what
was received (its ``repr``, cut to 200 characters, so control characters stay escaped)::

    `fit`: Expected `batch_size` to be a positive integer or None. Received: batch_size=-4
    `Dense` "dense_3": Expected `units` to be a positive integer. Received: units=-1

``ValueError`` for a wrong type as for a wrong value, as Keras does for layer arguments. NumPy
scalars are accepted wherever Python numbers are; ``bool`` is never taken for a number, nor a
number for a ``bool``.

>>> positive_int("units", 3, "Dense")
3
>>> probability("rate", 1.5, "Dropout")
Traceback (most recent call last):
    ...
ValueError: `Dropout`: Expected `rate` to be a float between 0 and 1. Received: rate=1.5
"""

import math
import numbers

import numpy

from profond._text import quote_name

__all__ = [
    "boolean", "fail", "int_tuple", "integer", "is_integer", "is_real", "non_negative_float",
    "non_negative_int", "positive_float", "positive_int", "probability", "real",
    "shape_tuple",
]


def _show(value):
    """``repr`` of a received value, cut to a readable length (a huge string or array stays a
    one-line message)."""
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _prefix(where):
    """Who checks: a function or class name (`fit`, `Adam`), or a layer (`Dense` "dense_3")."""
    if where is None:
        return ""
    if isinstance(where, str):
        return f"`{where}`: "
    return f"`{type(where).__name__}` {quote_name(where.name)}: "


def fail(name, value, expected, where=None, error=ValueError):
    """The error for ``name=value``: "`where`: Expected `name` to be <expected>. Received: …".
    ``where``: a function or class name, or the layer being built (its class and name are
    shown)."""
    return error(f"{_prefix(where)}Expected `{name}` to be {expected}. "
                 f"Received: {name}={_show(value)}")


def is_integer(value):
    """True for a Python or NumPy integer, False for a bool (which Python counts as an int)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, numpy.bool_))


def is_real(value):
    """True for a Python or NumPy int or float, False for a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, numpy.bool_))


def integer(name, value, where=None, minimum=None, allow_none=False, expected=None):
    """``value`` as an ``int`` ≥ ``minimum`` (None allowed when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not is_integer(value) or (minimum is not None and value < minimum):
        if expected is None:
            expected = "an integer" if minimum is None else f"an integer >= {minimum}"
            expected += " or None" if allow_none else ""
        raise fail(name, value, expected, where)
    return int(value)


def positive_int(name, value, where=None, allow_none=False):
    """An integer ≥ 1: a count of units, filters, steps, examples per batch."""
    return integer(name, value, where, 1, allow_none,
                   "a positive integer" + (" or None" if allow_none else ""))


def non_negative_int(name, value, where=None, allow_none=False):
    """An integer ≥ 0: an epoch number, a padding."""
    return integer(name, value, where, 0, allow_none,
                   "a non-negative integer" + (" or None" if allow_none else ""))


def real(name, value, where=None, low=None, high=None, low_open=False, high_open=False,
         allow_none=False, expected=None):
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (open ends when
    ``low_open`` / ``high_open``). NaN and ±inf never pass."""
    if value is None and allow_none:
        return None
    ok = is_real(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if expected is None:
            expected = "a finite float"
            if low is not None and high is not None:
                expected = (f"a float in {'(' if low_open else '['}{low}, {high}"
                            f"{')' if high_open else ']'}")
            elif low is not None:
                expected = f"a finite float {'>' if low_open else '>='} {low}"
            expected += " or None" if allow_none else ""
        raise fail(name, value, expected, where)
    return float(value)


def probability(name, value, where=None):
    """A float in [0, 1]: a dropout rate, a momentum of a moving average."""
    return real(name, value, where, 0, 1, expected="a float between 0 and 1")


def non_negative_float(name, value, where=None, allow_none=False):
    """A finite float ≥ 0: an epsilon, a weight decay."""
    return real(name, value, where, 0, allow_none=allow_none)


def positive_float(name, value, where=None, allow_none=False):
    """A finite float > 0: a clipping norm, a scale."""
    return real(name, value, where, 0, low_open=True, allow_none=allow_none)


def boolean(name, value, where=None):
    """``True`` or ``False`` (or a NumPy bool): never a string ("no" is truthy) nor a number."""
    if not isinstance(value, (bool, numpy.bool_)):
        raise fail(name, value, "a boolean (True or False)", where)
    return bool(value)


def int_tuple(name, value, n, where=None, minimum=1):
    """``3`` → ``(3, 3)`` for ``n = 2``; a list or tuple must hold ``n`` integers; every entry
    ≥ ``minimum`` (kernel sizes, strides, pool sizes, upsampling factors)."""
    items = (value,) * n if is_integer(value) else value
    if not isinstance(items, (list, tuple)) or len(items) != n or not all(
            is_integer(v) and v >= minimum for v in items):
        kind = "positive" if minimum == 1 else f">= {minimum}"
        raise fail(name, value, f"an integer or a tuple of {n} integers, each {kind}", where)
    return tuple(int(v) for v in items)


def shape_tuple(name, value, where=None, allow_none=True):
    """A shape without its batch axis: a tuple or list of integers ≥ 0 (``None`` for an unknown
    size when ``allow_none``), returned as a tuple. A bare integer is refused, as in Keras: write
    ``(784,)``, not ``784``."""
    hint = "a tuple of integers >= 0" + (" (None for an unknown size)" if allow_none else "")
    if is_integer(value):
        raise fail(name, value, hint + f", e.g. {name}=({int(value)},)", where)
    if not isinstance(value, (list, tuple)) or not all(
            (d is None and allow_none) or (is_integer(d) and d >= 0) for d in value):
        raise fail(name, value, hint, where)
    return tuple(None if d is None else int(d) for d in value)
