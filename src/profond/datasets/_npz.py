"""Read Keras's ``imdb.npz`` and ``reuters.npz`` without ever running an untrusted pickle.

Those files hold ragged lists of word indices (one list per text) as NumPy *object* arrays, which
NumPy can only store as a pickle: a small program for a stack machine whose ``GLOBAL`` opcode
imports any name (``os.system``) and whose ``REDUCE`` opcode calls it. ``numpy.load(...,
allow_pickle=True)`` would run whatever a tampered file asks for. profond reads these members with
``ArrayUnpickler`` instead, a ``pickle.Unpickler`` whose ``find_class`` hands out three guarded
stand-ins and refuses every other name:

- ``numpy.core.multiarray._reconstruct`` (or ``numpy._core...``, NumPy ≥ 2's spelling): returns an
  empty array; the ``BUILD`` opcode that follows gives it its shape, dtype and items through
  ``ndarray.__setstate__`` (C code that only copies data, never calls anything it is given);
- ``numpy.dtype``: accepts only a dtype *string* (``"O8"``, ``"i8"``), parsed by NumPy;
- ``numpy.ndarray``: a marker accepted by ``_reconstruct`` and nothing else (it cannot be called).

Why that is safe: without ``find_class`` a pickle can only build plain data (ints, strings, bytes,
lists, tuples, dicts); the only callables it can reach are the three above, none of which runs
code or imports anything, and the stand-ins refuse ``BUILD`` on themselves (no attribute can be
planted on them). The members are size-limited before reading, persistent ids are refused, and
the result is checked afterwards: a 1-D object array whose items are lists of ints in
[0, 2³¹), or a plain numeric array (read from its raw bytes, without pickle).
"""

import pickle
import zipfile

import numpy

MAX_MEMBER_BYTES = 2**28
"""Refuse an array member larger than this when decompressed (IMDB's reviews take ~30 MB)."""
MAX_INDEX = 2**31
"""Word indices must lie in [0, MAX_INDEX)."""


class _Guarded:
    """A stand-in handed to the pickle: it refuses ``BUILD`` (``__setstate__``) on itself."""

    __slots__ = ("_call",)

    def __init__(self, call):
        self._call = call

    def __call__(self, *args):
        return self._call(*args)

    def __setstate__(self, state):
        raise pickle.UnpicklingError("refused to set attributes on a NumPy stand-in (the file is "
                                     "damaged or hostile)")


def _no_call(*args):
    raise pickle.UnpicklingError("refused to call numpy.ndarray directly (the file is damaged or "
                                 "hostile)")


_NDARRAY = _Guarded(_no_call)


def _reconstruct(subtype, shape, typecode):
    if subtype is not _NDARRAY or not isinstance(shape, tuple) or not isinstance(
            typecode, (bytes, str)):
        raise pickle.UnpicklingError("refused an unexpected array reconstruction (the file is "
                                     "damaged or hostile)")
    return numpy.empty(0, dtype=numpy.uint8)  # BUILD replaces its shape, dtype and data


def _dtype(spec, align=False, copy=True):
    if not isinstance(spec, str):
        raise pickle.UnpicklingError(f"refused a dtype built from {type(spec).__name__} (the file "
                                     "is damaged or hostile)")
    return numpy.dtype(spec)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _Guarded(_reconstruct),
    ("numpy._core.multiarray", "_reconstruct"): _Guarded(_reconstruct),
    ("numpy", "dtype"): _Guarded(_dtype),
    ("numpy", "ndarray"): _NDARRAY,
}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays of plain data and refuses every other global (module docstring)."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[module, name]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name} from a dataset file: only NumPy arrays of int "
                "lists may be rebuilt (the file is damaged or hostile)") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refused a persistent id in a dataset file")


def _read_member(stream, where):
    """One ``.npy`` member: a plain array (no pickle) or a checked object array of int lists."""
    version = numpy.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = numpy.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):  # 3.0 differs from 2.0 only by the header's text encoding
        shape, fortran, dtype = numpy.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{where}: unsupported .npy format version {version}.")
    if not dtype.hasobject:
        count = int(numpy.prod(shape, dtype=numpy.int64))
        data = stream.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"{where}: the array data are shorter than its shape {shape} says.")
        array = numpy.frombuffer(bytearray(data), dtype=dtype)  # bytearray: a writable array
        return array.reshape(shape, order="F" if fortran else "C")
    try:
        array = ArrayUnpickler(stream).load()
    except pickle.UnpicklingError as error:
        raise ValueError(f"{where}: {error}") from None
    except Exception as error:  # truncated or malformed stream
        raise ValueError(f"{where}: not a readable array ({type(error).__name__}: "
                         f"{error})") from None
    return _checked_sequences(array, shape, where)


def _checked_sequences(array, shape, where):
    """The unpickled object ``array`` if it is a 1-D array of int lists of the header's shape."""
    if not (isinstance(array, numpy.ndarray) and array.dtype == object and array.ndim == 1
            and array.shape == tuple(shape)):
        raise ValueError(f"{where}: expected a 1-D object array of word-index lists of shape "
                         f"{tuple(shape)}. Received: {type(array).__name__}")
    for i, seq in enumerate(array):
        if not isinstance(seq, list) or not all(type(w) is int and 0 <= w < MAX_INDEX
                                                for w in seq):
            raise ValueError(f"{where}: item {i} is not a list of word indices (ints in "
                             f"[0, {MAX_INDEX})). Received: {str(seq)[:60]}")
    return array


def load_sequences(path, names):
    """``{name: array}`` for each of ``names``, from the ``.npz`` file ``path`` (members
    ``name.npy``): word-index lists as an object array of lists, labels as plain arrays."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not an .npz file (a zip of .npy files): {error}") from None
    result = {}
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        for name in names:
            info = members.get(f"{name}.npy")
            if info is None:
                raise ValueError(f"{path} has no array {name!r}. It holds: "
                                 f"{sorted(m.removesuffix('.npy') for m in members)}")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ValueError(f"{path}: the member {info.filename} is larger than the limit of "
                                 f"{MAX_MEMBER_BYTES} bytes.")
            with archive.open(info) as stream:
                result[name] = _read_member(stream, f"{path}: {name}")
    return result


__all__ = ["ArrayUnpickler", "load_sequences"]
