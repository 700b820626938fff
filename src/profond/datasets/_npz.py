"""Read ``.npz`` files without ever unpickling: numbers as NumPy stores them, and the ragged
``dtype=object`` arrays of Keras's IMDB and Reuters files by a *data-only* pickle reader.

NumPy saves an object array (here, a list of word-index lists per review) as a pickle stream. A
pickle is a small program; ``pickle.load`` runs it and may call any function it names, so profond
never calls it on a downloaded file. Instead, ``pickletools.genops`` (standard library) decodes the
stream into opcodes without executing anything, and ``_ObjectArrayReader`` below interprets the
handful of opcodes that describe numbers, strings, lists and tuples, plus exactly the two NumPy
constructors an array needs (``multiarray._reconstruct`` and ``dtype``, and ``_codecs.encode``
for bytes in protocol 2), which it recognises by name and rebuilds itself. Any other name or
opcode stops the reading with an error.
"""

import io
import pickletools
import zipfile

import numpy
from numpy.lib import format as npy_format

MAX_MEMBER_BYTES = 2**30
"""Refuse an array member larger than this when decompressed (Keras's IMDB file holds ~70 MB)."""

_RECONSTRUCT = {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"}
_DTYPE = {"numpy.dtype"}
_NDARRAY = {"numpy.ndarray"}
_ENCODE = {"_codecs.encode"}  # how Python 3 writes bytes in a protocol-2 pickle
_MARK = object()


class _Global:
    def __init__(self, name):
        self.name = name


class _ArrayStub:
    """An array being rebuilt: ``_reconstruct`` makes an empty one, ``BUILD`` fills it."""

    array = None


class _DtypeStub:
    def __init__(self, typestr):
        self.typestr = typestr
        self.byteorder = "|"


def _text(value):
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


class _ObjectArrayReader:
    """Interpret a NumPy object-array pickle as data (see the module docstring)."""

    _PUSH = {"BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG", "BINFLOAT", "FLOAT",
             "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
             "BINSTRING", "STRING", "SHORT_BINBYTES", "BINBYTES", "BINBYTES8"}

    def __init__(self, name):
        self.name = name
        self.stack, self.memo = [], {}

    def _error(self, what):
        return ValueError(f"{self.name}: refused to read it: {what}. Only NumPy arrays of numbers "
                          "and lists are accepted (profond never runs pickled code).")

    def _pop_mark(self):
        items = []
        while True:
            if not self.stack:
                raise self._error("a malformed pickle stream (no MARK)")
            item = self.stack.pop()
            if item is _MARK:
                return items[::-1]
            items.append(item)

    def _global(self, name):
        if name not in _RECONSTRUCT | _DTYPE | _NDARRAY | _ENCODE:
            raise self._error(f"it names {name!r}")
        return _Global(name)

    def _reduce(self, func, args):
        if not isinstance(func, _Global):
            raise self._error("a call of something that is not a NumPy constructor")
        if func.name in _RECONSTRUCT:
            return _ArrayStub()
        if func.name in _ENCODE and len(args) == 2 and isinstance(args[0], str) and \
                args[1] == "latin1":
            return args[0].encode("latin-1")
        if func.name in _DTYPE and args and isinstance(_text(args[0]), str):
            return _DtypeStub(_text(args[0]))
        raise self._error(f"a call of {func.name} with {args!r:.80}")

    def _build(self, obj, state):
        if isinstance(obj, _DtypeStub):
            if isinstance(state, tuple) and len(state) > 1 and isinstance(_text(state[1]), str):
                obj.byteorder = _text(state[1])
            return
        if not isinstance(obj, _ArrayStub) or not isinstance(state, tuple) or len(state) != 5:
            raise self._error("an unexpected BUILD")
        _, shape, dtype, fortran, data = state
        if not isinstance(dtype, _DtypeStub):
            raise self._error("an array without a dtype")
        if dtype.typestr.startswith("O"):
            if not isinstance(data, list):
                raise self._error("an object array whose items are not a list")
            array = numpy.empty(len(data), dtype=object)
            array[:] = data
        else:
            order = "" if dtype.byteorder == "|" else dtype.byteorder
            array = numpy.frombuffer(bytes(data, "latin-1") if isinstance(data, str) else data,
                                     dtype=numpy.dtype(order + dtype.typestr)).copy()
        obj.array = array.reshape(tuple(shape), order="F" if fortran else "C")

    def read(self, data):
        stack = self.stack
        for opcode, arg, _ in pickletools.genops(data):
            name = opcode.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                break
            if name in self._PUSH:
                stack.append(arg)
            elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
                stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
            elif name == "MARK":
                stack.append(_MARK)
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif name == "TUPLE":
                stack.append(tuple(self._pop_mark()))
            elif name == "LIST":
                stack.append(self._pop_mark())
            elif name == "APPEND":
                item = stack.pop()
                stack[-1].append(item)
            elif name == "APPENDS":
                items = self._pop_mark()
                stack[-1].extend(items)
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                self.memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                self.memo[len(self.memo)] = stack[-1]
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                stack.append(self.memo[arg])
            elif name == "GLOBAL":
                stack.append(self._global(arg.replace(" ", ".")))
            elif name == "STACK_GLOBAL":
                attribute, module = stack.pop(), stack.pop()
                stack.append(self._global(f"{module}.{attribute}"))
            elif name == "REDUCE":
                args = stack.pop()
                stack.append(self._reduce(stack.pop(), args))
            elif name == "BUILD":
                state = stack.pop()
                self._build(stack[-1], state)
            elif name == "POP":
                stack.pop()
            else:
                raise self._error(f"the opcode {name}")
        if len(stack) != 1 or not isinstance(stack[0], _ArrayStub) or stack[0].array is None:
            raise self._error("it does not hold one NumPy array")
        return stack[0].array


def read_npy(raw, name):
    """The array stored in the bytes ``raw`` of a ``.npy`` file, without unpickling."""
    stream = io.BytesIO(raw)
    version = npy_format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{name}: unsupported .npy version {version}")
    if dtype.hasobject:
        array = _ObjectArrayReader(name).read(raw[stream.tell():])
        if array.shape != tuple(shape):
            raise ValueError(f"{name}: its header says shape {shape}, its data {array.shape}")
        return array
    return npy_format.read_array(io.BytesIO(raw), allow_pickle=False)


def load_npz(path, max_member_bytes=MAX_MEMBER_BYTES):
    """``{name: array}`` for every array in the ``.npz`` file ``path`` (object arrays included,
    read as data, never unpickled)."""
    arrays = {}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not an .npz file (a zip of .npy files): {error}") from None
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > max_member_bytes:
                raise ValueError(f"{path}: the member {info.filename} is larger than the limit "
                                 f"of {max_member_bytes} bytes.")
            with archive.open(info) as member:
                raw = member.read(max_member_bytes + 1)
            arrays[info.filename[: -len(".npy")]] = read_npy(raw, f"{path}:{info.filename}")
    return arrays


__all__ = ["load_npz", "read_npy"]
