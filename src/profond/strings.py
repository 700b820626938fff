"""``tf.strings``, the basics: element-wise string functions on NumPy string arrays.

Each function takes a string, a list (nested lists) or a NumPy array of strings, works element by
element, and returns a NumPy unicode array of the same shape (0-d for one string) — or, for
``length`` and ``to_number``, a profond tensor of numbers. Nothing here is differentiable: strings
have no gradient. Differences from TensorFlow, where it has no string tensors to offer:

- results are ``str`` (unicode), not ``bytes``; ``bytes`` inputs are decoded as UTF-8;
- ``split`` of several strings returns a list of 1-D arrays (profond has no ``RaggedTensor``).

>>> from profond import strings
>>> strings.lower(["Hello", "World"])
array(['hello', 'world'], dtype='<U5')
>>> strings.regex_replace("a1b22", r"\\d+", "#")
array('a#b#', dtype='<U4')
>>> strings.to_number(["1.5", "2"]).numpy()
array([1.5, 2. ], dtype=float32)
"""

import re

import numpy

from profond._names import missing_name
from profond.autodiff.tensor import Tensor


def _text(x):
    if isinstance(x, bytes):
        return x.decode("utf-8")
    return str(x)


def _strings(x, where):
    """``x`` as a NumPy unicode array (a ``TypeError`` naming ``where`` for numbers)."""
    if isinstance(x, Tensor):
        x = x.numpy()
    array = numpy.asarray(x, dtype=object)
    if array.size and not all(isinstance(v, (str, bytes, numpy.str_, numpy.bytes_))
                              for v in array.flat):
        raise TypeError(f"strings.{where} expects strings. Received: {x!r}")
    return numpy.vectorize(_text, otypes=[str])(array) if array.size else array.astype(str)


def _map(fn, x, where):
    array = _strings(x, where)
    if not array.size:
        return array
    return numpy.vectorize(fn, otypes=[str])(array)


def lower(input, encoding="", name=None):  # noqa: A002 - TF's argument name
    return _map(str.lower, input, "lower")


def upper(input, encoding="", name=None):  # noqa: A002
    return _map(str.upper, input, "upper")


def strip(input, name=None):  # noqa: A002
    """Remove leading and trailing whitespace."""
    return _map(str.strip, input, "strip")


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replace matches of the regular expression ``pattern`` by ``rewrite`` (``\\1`` refers to a
    group), every match or only the first (``replace_global=False``)."""
    compiled = re.compile(pattern)
    count = 0 if replace_global else 1
    return _map(lambda s: compiled.sub(rewrite, s, count=count), input, "regex_replace")


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string in UTF-8 bytes (``unit="BYTE"``) or characters
    (``unit="UTF8_CHAR"``), as an int32 tensor."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"strings.length: expected unit 'BYTE' or 'UTF8_CHAR'. "
                         f"Received: unit={unit!r}")
    size = (lambda s: len(s.encode("utf-8"))) if unit == "BYTE" else len
    array = _strings(input, "length")
    counts = [size(s) for s in array.flat]
    return Tensor(numpy.asarray(counts, dtype=numpy.int32).reshape(array.shape))


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Split at ``sep`` (runs of whitespace when ``None``), at most ``maxsplit`` times.

    One string gives a 1-D array of its pieces; a 1-D array gives a list of such arrays.
    """
    array = _strings(input, "split")
    if array.ndim > 1:
        raise ValueError(f"strings.split expects a string or a 1-D array of strings. "
                         f"Received: shape={array.shape}")
    if sep == "":
        raise ValueError("strings.split: sep must not be empty.")
    pieces = [numpy.asarray(s.split(sep, maxsplit), dtype=str) for s in array.flat]
    return pieces[0] if array.ndim == 0 else pieces


def join(inputs, separator="", name=None):
    """Element-wise concatenation of several string arrays (broadcast together)."""
    arrays = numpy.broadcast_arrays(*[_strings(x, "join") for x in inputs])
    if not arrays:
        raise ValueError("strings.join: give at least one input.")
    joined = [separator.join(parts) for parts in zip(*[a.flat for a in arrays])]
    return numpy.asarray(joined, dtype=str).reshape(arrays[0].shape)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Join the strings along ``axis`` (all of them when ``None``)."""
    array = _strings(inputs, "reduce_join")
    if axis is None:
        result = numpy.asarray(separator.join(array.flat))
        return result.reshape((1,) * array.ndim) if keepdims else result
    result = numpy.apply_along_axis(lambda row: separator.join(row), axis, array.astype(object))
    result = result.astype(str)
    return numpy.expand_dims(result, axis) if keepdims else result


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """The ``len`` characters from position ``pos`` of each string (characters, for ``str``)."""
    return _map(lambda s: s[pos:pos + len], input, "substr")


def to_number(input, out_type=numpy.float32, name=None):  # noqa: A002
    """Parse each string as a number of ``out_type`` (float32 by default) into a tensor."""
    dtype = numpy.dtype(out_type)
    array = _strings(input, "to_number")
    parse = float if dtype.kind == "f" else int
    values = []
    for s in array.flat:
        try:
            values.append(parse(s.strip()))
        except ValueError:
            raise ValueError(f"strings.to_number could not convert string: {str(s)!r} to "
                             f"{dtype.name}.") from None
    return Tensor(numpy.asarray(values, dtype=dtype).reshape(array.shape))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",  # noqa: A002
              name=None):
    """Format numbers as strings: floats as ``%f`` (6 decimals, or ``precision``), ``%e`` with
    ``scientific``, ``%g`` with ``shortest``; integers as ``%d``; booleans as ``true``/``false``;
    right-aligned in ``width`` characters padded with ``fill`` (a space by default)."""
    values = input.numpy() if isinstance(input, Tensor) else numpy.asarray(input)
    if values.dtype.kind == "f":
        code = "g" if shortest else ("e" if scientific else "f")
        spec = f".{precision}{code}" if precision >= 0 else code
    elif values.dtype.kind in "iu":
        spec = "d"
    elif values.dtype.kind == "b":
        spec = None
    else:
        raise TypeError(f"strings.as_string expects numbers or booleans. "
                        f"Received: dtype={values.dtype}")

    def fmt(v):
        text = ("true" if v else "false") if spec is None else format(v, spec)
        return text.rjust(width, fill or " ") if width > 0 else text

    return numpy.asarray([fmt(v) for v in values.flat], dtype=str).reshape(values.shape)


def __getattr__(name):
    raise missing_name(__name__, name)
