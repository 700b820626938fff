"""Read Keras's ``imdb.npz`` and ``reuters.npz`` without ever running code from the file.

Those files hold ragged lists of word indices (one list per text) as NumPy *object* arrays, which
NumPy stores in Python's pickle byte format: a program for a stack machine whose ``GLOBAL``
opcode imports any name (``os.system``) and whose ``REDUCE`` opcode calls it. NumPy's loader, once
told to accept such arrays, would run whatever a tampered file asks for, and so would any reader
built on Python's ``pickle`` module. profond reads the bytes itself (``_ObjectArrayReader``): it
knows the few opcodes NumPy writes for an array of int lists (numbers, strings, tuples, lists,
the memo) and treats the names NumPy's opcodes mention as *markers*, never as code:

- ``numpy.core.multiarray._reconstruct`` (``numpy._core`` in NumPy ≥ 2) applied to ``ndarray``
  starts an array record, whose ``BUILD`` gives its shape, dtype and items;
- ``numpy.dtype`` applied to a dtype string (``"O8"``) makes a dtype record;
- ``_codecs.encode`` applied to ``(text, "latin1")`` makes bytes (how Python 3 writes ``b"b"``).

Any other name, opcode or argument is refused; nothing is imported, looked up or called. The
member's size is limited before reading, and the result is checked: a 1-D object array whose
items are lists of ints in [0, 2³¹), or a plain numeric array (read from its raw bytes).
"""

import struct
import zipfile

import numpy

MAX_MEMBER_BYTES = 2**28
"""Refuse an array member larger than this when decompressed (IMDB's reviews take ~30 MB)."""
MAX_INDEX = 2**31
"""Word indices must lie in [0, MAX_INDEX)."""

_RECONSTRUCT, _NDARRAY, _DTYPE, _ENCODE = "reconstruct", "ndarray", "dtype", "encode"
_NAMES = {("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
          ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
          ("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _DTYPE,
          ("_codecs", "encode"): _ENCODE}


class _Refused(ValueError):
    """The bytes ask for something an array of int lists never needs (damaged or hostile)."""


class _Marker:
    """A name from the file, kept as a label (``_NAMES``): it can be compared, never called."""

    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind


class _Record:
    """An array or a dtype being described by the bytes: ``dtype`` (a string) and ``state``."""

    __slots__ = ("kind", "spec", "state")

    def __init__(self, kind, spec):
        self.kind, self.spec, self.state = kind, spec, None


class _ObjectArrayReader:
    """Decodes the opcodes NumPy writes for an object array of plain data (module docstring)."""

    def __init__(self, stream):
        self.data = stream.read()
        self.at = 0
        self.stack, self.marks, self.memo = [], [], {}

    def take(self, n):
        if self.at + n > len(self.data):
            raise EOFError("the array data end in the middle of an item")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def number(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self):
        end = self.data.find(b"\n", self.at)
        if end < 0:
            raise EOFError("the array data end in the middle of a name")
        text = self.data[self.at:end].decode("ascii", "replace")
        self.at = end + 1
        return text

    def since_mark(self):
        if not self.marks:
            raise _Refused("refused a malformed item list (no MARK)")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def marker(self, module, name):
        kind = _NAMES.get((module, name))
        if kind is None:
            raise _Refused(f"refused to load {module[:80]}.{name[:80]} from a dataset file: only "
                           "NumPy arrays of int lists may be rebuilt (the file is damaged or "
                           "hostile)")
        return _Marker(kind)

    def apply(self, target, args):
        """``REDUCE``: what NumPy's three names mean, applied to checked plain arguments."""
        kind = target.kind if isinstance(target, _Marker) else None
        if kind == _RECONSTRUCT and isinstance(args, tuple) and len(args) == 3 and isinstance(
                args[0], _Marker) and args[0].kind == _NDARRAY:
            return _Record("array", None)
        if kind == _DTYPE and isinstance(args, tuple) and args and isinstance(args[0], str):
            return _Record("dtype", args[0])
        if kind == _ENCODE and args and isinstance(args[0], str) and args[1:] == ("latin1",):
            return args[0].encode("latin1")
        raise _Refused("refused a call the array format never makes (the file is damaged or "
                       "hostile)")

    def read(self):
        stack, memo = self.stack, self.memo
        while True:
            op = self.take(1)
            if op == b".":  # STOP
                if len(stack) != 1:
                    raise _Refused("refused a malformed array (stack not empty at STOP)")
                return stack[0]
            if op == b"\x80":  # PROTO
                self.take(1)
            elif op == b"\x95":  # FRAME
                self.take(8)
            elif op == b"(":  # MARK
                self.marks.append(len(stack))
            elif op == b"c":  # GLOBAL
                module = self.line()
                stack.append(self.marker(module, self.line()))
            elif op == b"\x93":  # STACK_GLOBAL
                name, module = stack.pop(), stack.pop()
                if not (isinstance(module, str) and isinstance(name, str)):
                    raise _Refused("refused a malformed name")
                stack.append(self.marker(module, name))
            elif op in (b"q", b"r", b"\x94"):  # BINPUT, LONG_BINPUT, MEMOIZE
                key = len(memo) if op == b"\x94" else self.number("<B" if op == b"q" else "<I")
                memo[key] = stack[-1]
            elif op in (b"h", b"j"):  # BINGET, LONG_BINGET
                key = self.number("<B" if op == b"h" else "<I")
                if key not in memo:
                    raise _Refused("refused a reference to nothing")
                stack.append(memo[key])
            elif op == b"K":  # BININT1
                stack.append(self.number("<B"))
            elif op == b"M":  # BININT2
                stack.append(self.number("<H"))
            elif op == b"J":  # BININT
                stack.append(self.number("<i"))
            elif op == b"\x8a":  # LONG1
                stack.append(int.from_bytes(self.take(self.number("<B")), "little", signed=True))
            elif op == b"G":  # BINFLOAT
                stack.append(self.number(">d"))
            elif op in (b"N", b"\x88", b"\x89"):  # NONE, NEWTRUE, NEWFALSE
                stack.append({b"N": None, b"\x88": True, b"\x89": False}[op])
            elif op in (b"X", b"\x8c", b"T", b"U", b"B", b"C"):  # text and bytes
                size = self.number({b"X": "<I", b"\x8c": "<B", b"T": "<i", b"U": "<B",
                                    b"B": "<I", b"C": "<B"}[op])
                raw = self.take(size)
                stack.append(raw.decode("utf-8", "strict") if op in (b"X", b"\x8c") else
                             raw.decode("latin1") if op in (b"T", b"U") else raw)
            elif op == b")":  # EMPTY_TUPLE
                stack.append(())
            elif op == b"t":  # TUPLE
                stack.append(tuple(self.since_mark()))
            elif op in (b"\x85", b"\x86", b"\x87"):  # TUPLE1..3
                n = op[0] - 0x84
                if len(stack) < n:
                    raise _Refused("refused a malformed tuple")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif op == b"]":  # EMPTY_LIST
                stack.append([])
            elif op == b"l":  # LIST
                stack.append(self.since_mark())
            elif op in (b"a", b"e"):  # APPEND, APPENDS
                items = [stack.pop()] if op == b"a" else self.since_mark()
                if not stack or type(stack[-1]) is not list:
                    raise _Refused("refused to append to something other than a list")
                stack[-1].extend(items)
            elif op == b"R":  # REDUCE
                args = stack.pop()
                stack.append(self.apply(stack.pop(), args))
            elif op == b"b":  # BUILD
                state = stack.pop()
                target = stack[-1]
                if not isinstance(target, _Record) or target.state is not None:
                    raise _Refused("refused to set attributes on an object (the file is damaged "
                                   "or hostile)")
                target.state = state
            else:
                raise _Refused(f"refused the opcode {op!r}: NumPy never writes it for an array "
                               "of int lists (the file is damaged or hostile)")


def _as_object_array(record):
    """The NumPy object array an array record describes, or a refusal."""
    state = record.state if isinstance(record, _Record) and record.kind == "array" else None
    if not (isinstance(state, tuple) and len(state) == 5):
        raise _Refused("refused a file that does not describe an array")
    _, shape, dtype, _, items = state
    if not (isinstance(dtype, _Record) and dtype.kind == "dtype" and dtype.spec.startswith("O")
            and isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)
            and isinstance(items, list) and len(items) == int(numpy.prod(shape))):
        raise _Refused("refused an array whose dtype, shape or items do not agree")
    array = numpy.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array.reshape(shape)


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
        array = _as_object_array(_ObjectArrayReader(stream).read())
    except _Refused as error:
        raise ValueError(f"{where}: {error}") from None
    except Exception as error:  # truncated or malformed stream
        raise ValueError(f"{where}: not a readable array ({type(error).__name__}: "
                         f"{error})") from None
    return _checked_sequences(array, shape, where)


def _checked_sequences(array, shape, where):
    """The decoded object ``array`` if it is a 1-D array of int lists of the header's shape."""
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


__all__ = ["load_sequences"]
