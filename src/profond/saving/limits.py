"""Bounded reading: what a file may ask of the machine before profond says no.

A file from anyone must not decide how much memory or time loading it takes. Every loader in
``profond.saving`` therefore reads in this order:

1. ``open_regular``: the path must name a regular file (``os.fstat`` on the opened descriptor), so a
   symlink to ``/dev/zero`` or a FIFO is refused instead of read until memory runs out;
2. the headers only (a zip's directory, a safetensors header), whose sizes are bounded;
3. the announced counts, shapes, dtypes and total bytes are checked against the model and against
   the limits below;
4. then exactly the announced bytes, in chunks of ``CHUNK`` bytes (never ``f.read(huge)``, which
   makes Python reserve the whole buffer at once).

The limits are generous for real models and can be raised for bigger ones:

>>> import profond as pf
>>> previous = pf.saving.set_limits(max_bytes=64 * 2**30)   # files of up to 64 GiB of weights
>>> pf.saving.get_limits()["max_bytes"] == 64 * 2**30
True
>>> _ = pf.saving.set_limits(**previous)

- ``max_bytes`` (16 GiB): the most bytes of tensors one file (or one zip member) may hold.
- ``max_tensors`` (65,536): the most tensors one safetensors blob may list.
- ``max_header_bytes`` (16 MiB): the most bytes of one safetensors header.
- ``max_json_bytes`` (16 MiB): the most bytes of one JSON member (``config.json``...).
- ``max_json_containers`` (1,000,000): the most objects and arrays in one JSON text (each costs
  ~100 bytes once parsed: 15 MB of ``{},{},…`` would take 400 MB); a 12,000-layer functional
  model's config holds ~120,000.
- ``max_activation_bytes`` (256 MiB): while a model is rebuilt from a file, the largest zero
  tensor its shape inference may feed a layer (a config asking for a (2e5, 2e5) input is
  refused; a (3, 512, 512, 64) activation of a U-Net on 512x512 images passes).
- ``max_compression_ratio`` (200): a zip member larger than 1 MiB may expand at most this many
  times its stored size (beyond, it is a "zip bomb").
"""

import json
import math
import os
import stat

import numpy

KiB, MiB, GiB = 2**10, 2**20, 2**30
CHUNK = 1 * MiB  # the most bytes asked of a file in one read (zipfile copies it twice)

_DEFAULTS = {
    "max_bytes": 16 * GiB,
    "max_tensors": 65536,
    "max_header_bytes": 16 * MiB,
    "max_json_bytes": 16 * MiB,
    "max_json_containers": 1_000_000,
    "max_activation_bytes": 256 * MiB,
    "max_compression_ratio": 200,
}
_limits = dict(_DEFAULTS)


class FileFormatError(ValueError):
    """A file that profond will not load: damaged, truncated, too large, malformed, or holding
    weights that do not fit the model they are loaded into (a ``ValueError``, as in Keras)."""


def get_limits():
    """The current reading limits, as a dict (see the module's docstring)."""
    return dict(_limits)


def set_limits(**limits):
    """Change some reading limits (``max_bytes=...``, ``max_tensors=...``, ...); return the
    previous values of all of them, so that ``set_limits(**previous)`` restores them.

    ``set_limits()`` with no argument restores the defaults."""
    unknown = sorted(set(limits) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"set_limits: unknown limit(s) {unknown}. Expected some of "
                        f"{sorted(_DEFAULTS)}.")
    for key, value in limits.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"set_limits: expected {key} to be an int > 0. "
                             f"Received: {key}={value!r}")
    previous = get_limits()
    _limits.update(limits if limits else _DEFAULTS)
    return previous


def limit(name):
    return _limits[name]


# --- files ---------------------------------------------------------------------------------------
def open_regular(filepath, what="file"):
    """Open ``filepath`` for reading, refusing anything but a regular file.

    ``os.stat`` first (so a FIFO is never opened: opening one would block), then ``os.fstat`` on
    the opened descriptor (the file cannot be swapped in between). Returns ``(file, size)``.
    """
    filepath = os.fspath(filepath)
    mode = os.stat(filepath).st_mode  # FileNotFoundError as is
    if not stat.S_ISREG(mode):
        raise FileFormatError(f"{filepath} is not a regular file (a device, FIFO or "
                              f"directory): refused as a {what}.")
    f = open(filepath, "rb")  # noqa: SIM115 - handed to the caller
    info = os.fstat(f.fileno())
    if not stat.S_ISREG(info.st_mode):
        f.close()
        raise FileFormatError(f"{filepath} is not a regular file: refused as a {what}.")
    return f, info.st_size


def read_exact(f, size, name):
    """Exactly ``size`` bytes from ``f`` (a ``bytearray``), read in chunks.

    ``size`` must already be checked against the limits: this is the only allocation."""
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        n = f.readinto(view[done:done + CHUNK])
        if not n:
            raise FileFormatError(f"{name} is truncated: {done} bytes where {size} were "
                                  "announced.")
        done += n
    return buffer


def read_small_file(filepath, max_bytes, what="file"):
    """The bytes of a small regular file (a JSON list...), at most ``max_bytes``."""
    f, size = open_regular(filepath, what)
    with f:
        if size > max_bytes:
            raise FileFormatError(f"{os.fspath(filepath)} is {size} bytes, more than the "
                                  f"{max_bytes} allowed for a {what}.")
        return bytes(read_exact(f, size, os.fspath(filepath)))


# --- JSON ----------------------------------------------------------------------------------------
def _no_duplicates(pairs):
    """``object_pairs_hook``: a key given twice is refused (``json`` would keep the last one, so
    ``"units": 8, "units": 1000000000`` would read as a billion units where a viewer shows 8)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise FileFormatError(f"the key {key[:80]!r} appears twice in one object")
    return result


def _no_constant(name):
    raise FileFormatError(f"{name} is not a JSON number")


def loads_json(data, name):
    """Strict JSON: UTF-8, no duplicate keys, no ``NaN``/``Infinity``, at most
    ``max_json_containers`` objects and arrays (counted before parsing: an upper bound, as a
    string may hold a brace too); a ``FileFormatError`` naming ``name`` otherwise (nesting too
    deep included)."""
    braces = (b"{", b"[") if isinstance(data, (bytes, bytearray)) else ("{", "[")
    containers = data.count(braces[0]) + data.count(braces[1])
    if containers > limit("max_json_containers"):
        raise FileFormatError(f"{name} holds {containers} JSON objects and arrays, more than the "
                              f"{limit('max_json_containers')} allowed (see "
                              "profond.saving.set_limits).")
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as e:
        reason = f"{type(e).__name__}: {e}" if isinstance(e, (RecursionError, MemoryError)) else e
        raise FileFormatError(f"{name} is not valid JSON: {reason}") from None


# --- safetensors ---------------------------------------------------------------------------------
# NOTE: little-endian as the format says; BF16 and 8-bit floats have no NumPy dtype.
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


class TensorEntry:
    """One tensor announced by a safetensors header: ``name``, ``dtype``, ``shape`` and where
    its bytes lie (``begin``, ``end``, relative to the data part). It has ``shape`` and ``dtype``
    as an array does, so it can be checked against a variable before anything is read."""

    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end

    def array(self, data):
        """The tensor as an array viewing ``data`` (the data part, a ``bytearray``)."""
        count = math.prod(self.shape)
        values = numpy.frombuffer(data, dtype=self.dtype, count=count, offset=self.begin)
        values = values.reshape(self.shape)
        return values if values.flags.aligned else values.copy()


def header_length(prefix, name, available):
    """The header length announced by a safetensors blob's first 8 bytes, checked."""
    if len(prefix) < 8:
        raise FileFormatError(f"{name} is truncated: {len(prefix)} bytes, not even a header.")
    length = int.from_bytes(prefix[:8], "little")
    most = limit("max_header_bytes")
    if length > most or 8 + length > available:
        raise FileFormatError(
            f"{name} announces a header of {length} bytes, but holds {available - 8} bytes "
            f"(and at most {most} are allowed, see profond.saving.set_limits): the file is "
            "damaged.")
    return length


def parse_header(header, name, data_size):
    """``[TensorEntry]`` (by position of their bytes) from a safetensors header's bytes.

    Checked before any tensor byte is read: at most ``max_tensors`` tensors (counted before the
    header is parsed), known dtypes, shapes of non-negative ints whose bytes match the offsets,
    the offsets tiling the ``data_size`` bytes of data exactly, in all at most ``max_bytes``."""
    most = limit("max_tensors")
    # NOTE: an upper bound on the count (a name may hold the word too), found at C speed, so a
    # header of 400,000 tiny tensors is refused before a Python object is made for each.
    if header.count(b'"data_offsets"') > most:
        raise FileFormatError(f"{name} lists more than {most} tensors (see "
                              "profond.saving.set_limits(max_tensors=...)).")
    table = loads_json(header, f"{name} (header)")
    if not isinstance(table, dict):
        raise FileFormatError(f"{name} is not a valid safetensors file: its header is not an "
                              "object.")
    if data_size > limit("max_bytes"):
        raise FileFormatError(f"{name} holds {data_size} bytes of tensors, more than the "
                              f"{limit('max_bytes')} allowed (see profond.saving.set_limits).")
    entries = []
    for key, spec in table.items():
        if key == "__metadata__":
            continue
        entries.append(_entry(key, spec, name))
    entries.sort(key=lambda e: (e.begin, e.end))
    position = 0
    for entry in entries:
        if entry.begin != position:
            raise FileFormatError(f"{name} is not a valid safetensors file: the bytes of "
                                  f"{entry.name[:80]!r} start at {entry.begin}, expected "
                                  f"{position} (overlapping or with gaps).")
        position = entry.end
    if position != data_size:
        raise FileFormatError(f"{name} is not a valid safetensors file: its tensors cover "
                              f"{position} bytes, the data part holds {data_size}.")
    return entries


def _entry(key, spec, name):
    def bad(reason):
        return FileFormatError(f"{name} is not a valid safetensors file: tensor "
                               f"{key[:80]!r} {reason}.")

    if not isinstance(spec, dict):
        raise bad("is not described by an object")
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if dtype not in DTYPES:
        raise bad(f"has the unsupported dtype {str(dtype)[:20]!r} (expected one of "
                  f"{sorted(DTYPES)})")
    if not isinstance(shape, list) or len(shape) > 64 or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise bad(f"has an invalid shape {str(shape)[:80]}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
        raise bad(f"has invalid data_offsets {str(offsets)[:80]}")
    dtype = numpy.dtype(DTYPES[dtype])
    begin, end = offsets
    if end - begin != math.prod(shape) * dtype.itemsize:
        raise bad(f"announces shape {tuple(shape)} of {dtype} ({math.prod(shape)} values) in "
                  f"{end - begin} bytes")
    return TensorEntry(key, dtype, tuple(shape), begin, end)


def read_safetensors(f, size, name, check=None):
    """``{name: array}`` from a safetensors blob of ``size`` bytes read from ``f``.

    The header is read and validated first (``parse_header``); ``check(entries)`` may then
    refuse the tensors (wrong count or shapes for the model) before their bytes are read; then
    exactly the announced bytes are read, in chunks, and the arrays view them."""
    length = header_length(f.read(8), name, size)
    entries = parse_header(read_exact(f, length, name), name, size - 8 - length)
    if check is not None:
        check(entries)
    data = read_exact(f, size - 8 - length, name)
    return {e.name: e.array(data) for e in entries}


def safetensors_entries(data, name):
    """``[TensorEntry]`` of a safetensors blob held in memory (its header only)."""
    length = header_length(data[:8], name, len(data))
    return parse_header(data[8:8 + length], name, len(data) - 8 - length)


def tensors_from_bytes(data, name):
    """``{name: array}`` of a safetensors blob held in memory: the arrays view a ``bytearray``
    (as ``read_archive`` gives), or a copy of immutable ``bytes``, so they are writeable."""
    length = header_length(data[:8], name, len(data))
    entries = parse_header(data[8:8 + length], name, len(data) - 8 - length)
    body = memoryview(data)[8 + length:]
    if body.readonly:
        body = bytearray(body)
    return {e.name: e.array(body) for e in entries}


# --- .npy ----------------------------------------------------------------------------------------
def read_npy(filepath, max_bytes=None):
    """A numeric array from a ``.npy`` file, bounded: a regular file, a header of at most 64 KiB
    whose shape and dtype announce exactly the bytes the file holds (at most ``max_bytes``,
    default ``max_bytes`` of ``get_limits()``), no pickled objects."""
    max_bytes = limit("max_bytes") if max_bytes is None else max_bytes
    f, size = open_regular(filepath, ".npy file")
    with f:
        name = os.fspath(filepath)
        try:
            version = numpy.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = numpy.lib.format.read_array_header_1_0(
                    f, max_header_size=64 * KiB)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = numpy.lib.format.read_array_header_2_0(
                    f, max_header_size=64 * KiB)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except (ValueError, OSError, EOFError, SyntaxError) as e:
            raise FileFormatError(f"{name} is not a valid .npy file: {e}") from None
        if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None:
            raise FileFormatError(f"{name}: expected a numeric .npy array. Received: dtype "
                                  f"{dtype}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > max_bytes:
            raise FileFormatError(f"{name} announces an array of shape {shape} ({nbytes} "
                                  f"bytes), more than the {max_bytes} allowed.")
        if nbytes != size - f.tell():
            raise FileFormatError(f"{name} announces shape {shape} of {dtype} ({nbytes} bytes) "
                                  f"but holds {size - f.tell()} bytes of data: damaged.")
        data = read_exact(f, nbytes, name)
    array = numpy.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array
