"""``tf.dtypes``: the element types of tensors.

profond's dtypes are NumPy's dtypes: ``profond.float32`` is ``numpy.dtype("float32")``, the same
object kind as a tensor's ``.dtype``, so ``t.dtype == tf.float32``, ``tf.float32.name`` and
``isinstance(tf.float32, tf.DType)`` hold as in TF, and any NumPy or CuPy call takes them.
``as_dtype`` turns any spelling — ``"float32"``, ``"float"`` (TF's name for float32),
``numpy.float64``, ``"int64"`` — into one. Strings are NumPy unicode arrays (``string``);
``bfloat16`` and the quantized types do not exist.

>>> from profond import dtypes
>>> dtypes.float32.name, dtypes.as_dtype("float"), dtypes.as_dtype("double").name
('float32', dtype('float32'), 'float64')
"""

import builtins

import numpy

from profond._names import missing_name
from profond.ops.elementwise import cast  # noqa: F401 - tf.dtypes.cast

DType = numpy.dtype

float16 = half = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
int8, int16, int32, int64 = (numpy.dtype(f"int{n}") for n in (8, 16, 32, 64))
uint8, uint16, uint32, uint64 = (numpy.dtype(f"uint{n}") for n in (8, 16, 32, 64))
complex64, complex128 = numpy.dtype("complex64"), numpy.dtype("complex128")
bool = numpy.dtype("bool")  # noqa: A001 - TF's name, as ``tf.bool``
string = numpy.dtype("str")

# TF's own spellings that NumPy reads differently ("float" is float64 to NumPy).
_ALIASES = {"float": "float32", "half": "float16", "double": "float64", "string": "str",
            "complex": "complex64"}


def as_dtype(type_value):
    """A ``numpy.dtype`` from a name, a NumPy type or dtype, or a Python type."""
    if isinstance(type_value, str):
        type_value = _ALIASES.get(type_value, type_value)
    elif type_value is builtins.float:
        type_value = numpy.float32
    try:
        dt = None if type_value is None else numpy.dtype(type_value)
    except TypeError:
        dt = None
    if dt is None or dt.kind in "OVSMm":
        raise TypeError(f"Cannot convert {type_value!r} to a profond dtype. Expected a name such "
                        "as 'float32', 'int64', 'bool' or 'string', or a NumPy dtype.")
    return dt


def standardize_dtype(dtype=None):
    """Keras's dtype name: ``None`` → the default float (``"float32"``); a NumPy type, dtype or
    name → its canonical name (``numpy.float64`` → ``"float64"``)."""
    if dtype is None:
        from profond.backend import floatx

        return floatx().name
    if isinstance(dtype, str) and dtype in ("float", "int"):  # ambiguous: Keras refuses them
        raise ValueError(f"Invalid dtype: {dtype}")
    try:
        dt = numpy.dtype("str" if dtype == "string" else dtype)
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype}") from None
    if dt.kind in "OVSMm":
        raise ValueError(f"Invalid dtype: {dtype}")
    return "string" if dt.kind == "U" else dt.name


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def __getattr__(name):
    raise missing_name(__name__, name)
