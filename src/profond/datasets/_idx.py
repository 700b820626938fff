"""Read IDX files (the format of MNIST and Fashion-MNIST) and fetch them safely.

An IDX file is a tiny header followed by raw big-endian numbers::

    byte 0-1   zero
    byte 2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3     number of dimensions d
    then       d sizes, each a big-endian uint32
    then       prod(sizes) numbers

Everything read from disk or the network is checked before use: the header, that the data is
exactly as long as the sizes say, a size limit on decompression (a small ``.gz`` cannot expand into
gigabytes), and a SHA-256 of the IDX content (after decompression, so that a file recompressed by
a Linux distribution, as Debian does, still matches).

Where files are looked for, in order: the system folders of the dataset (Debian's package
``dataset-fashion-mnist`` installs ``/usr/share/datasets/fashion-mnist``), the cache folder
``$PROFOND_HOME/datasets/<name>`` (``~/.profond/datasets/<name>`` by default), and at last a
download from ``base_url`` (or ``$PROFOND_DATASETS_URL/<name>/``) into the cache. A download goes to
a temporary file that is verified, then renamed into place with ``os.replace``.
"""

import gzip
import hashlib
import os
from pathlib import Path

import numpy

from profond.utils import file_utils

_DTYPES = {
    0x08: numpy.dtype("u1"),
    0x09: numpy.dtype("i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}
MAX_BYTES = 256 * 2**20
"""Refuse IDX files whose content is larger than this (Fashion-MNIST's largest is 47 MB)."""
MAX_DIMS = 8


def parse_idx(data, name="IDX data"):
    """The array stored in ``data`` (the bytes of an uncompressed IDX file), in native byte order.

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    if len(data) < 4:
        raise ValueError(f"{name} is not an IDX file: only {len(data)} bytes, fewer than a header.")
    zero, type_code, ndim = int.from_bytes(data[0:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in _DTYPES:
        raise ValueError(
            f"{name} is not an IDX file. Expected a magic number 0x0000 then a type code in "
            f"{sorted(hex(c) for c in _DTYPES)}. Received: {data[:4].hex()}"
        )
    if not 1 <= ndim <= MAX_DIMS:
        raise ValueError(f"{name}: expected 1 to {MAX_DIMS} dimensions. Received: {ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name} is truncated: its header needs {header} bytes, got {len(data)}.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[type_code]
    expected = dtype.itemsize
    for size in shape:  # Python ints: no overflow, however large the sizes claim to be
        expected *= size
    if len(data) - header != expected:
        raise ValueError(
            f"{name} has the wrong size: a header of shape {shape} and dtype {dtype.name} needs "
            f"{expected} bytes of data, but the file holds {len(data) - header}."
        )
    array = numpy.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def read_bytes(path, max_bytes=MAX_BYTES):
    """The content of ``path``, decompressed if it is gzip, and at most ``max_bytes`` long."""
    path = Path(path)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if not gzipped:
        if path.stat().st_size > max_bytes:
            raise ValueError(f"{path} is larger than the limit of {max_bytes} bytes.")
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise ValueError(
            f"{path} is not a valid gzip file (truncated or corrupted): {error}"
        ) from None
    if len(data) > max_bytes:
        raise ValueError(f"{path} decompresses to more than the limit of {max_bytes} bytes.")
    return data


def read_idx(path, sha256=None, max_bytes=MAX_BYTES):
    """The array stored in the IDX file ``path`` (gzipped or not).

    With ``sha256``, the decompressed content must have that SHA-256, or a ``ValueError`` is raised.
    """
    data = read_bytes(path, max_bytes)
    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256.lower():
            raise ValueError(
                f"{path} failed its integrity check. Expected SHA-256 {sha256} of its content. "
                f"Received: {digest}"
            )
    return parse_idx(data, name=str(path))


def cache_dir(name):
    """``$PROFOND_HOME/datasets/<name>``, ``~/.profond/datasets/<name>`` by default."""
    return file_utils.profond_home() / "datasets" / name


def download(url, path, sha256, max_bytes=MAX_BYTES, timeout=60):
    """Download ``url`` to ``path``, keeping it only if its content has the SHA-256 ``sha256``.

    ``profond.utils.file_utils.download`` does the work (a ``.part`` file, resumed when an
    earlier download was cut, checked, then renamed with ``os.replace``); a file that fails the
    check is removed and a ``ValueError`` raised.
    """
    return file_utils.download(
        url, path, check=lambda tmp: read_idx(tmp, sha256=sha256, max_bytes=max_bytes),
        max_bytes=max_bytes, timeout=timeout, resume=True,
    )


def fetch_idx(name, files, system_dirs=(), base_url=None, default_url=None, data_dir=None):
    """Load every IDX file of a dataset, fetching missing ones.

    ``files`` maps a file name without extension (``"train-images-idx3-ubyte"``) to the SHA-256 of
    its content. Each is looked for as ``<file>.gz`` or ``<file>`` in ``data_dir`` if given, else
    in ``system_dirs`` then the cache folder; missing ones are downloaded from ``base_url``
    (default: ``$PROFOND_DATASETS_URL/<name>/`` if set, else ``default_url``) as ``<file>.gz``
    into ``data_dir`` or the cache. Returns ``{file: array}``.
    """
    target = Path(data_dir) if data_dir is not None else cache_dir(name)
    folders = [target] if data_dir is not None else [Path(d) for d in system_dirs] + [target]
    if base_url is None:
        mirror = os.environ.get("PROFOND_DATASETS_URL")
        base_url = mirror.rstrip("/") + f"/{name}/" if mirror else default_url
    arrays = {}
    for file, sha256 in files.items():
        found = _find(folders, file)
        if found is not None and data_dir is None and found.parent == target:
            try:
                arrays[file] = read_idx(found, sha256)
                continue
            except ValueError:
                found.unlink()  # a damaged file in our own cache: fetch it again
                found = None
        if found is not None:
            arrays[file] = read_idx(found, sha256)
            continue
        if not base_url:
            raise FileNotFoundError(
                f"{file} of {name} was not found in {', '.join(map(str, folders))} and no "
                "download address is set."
            )
        path = download(base_url.rstrip("/") + f"/{file}.gz", target / f"{file}.gz", sha256)
        arrays[file] = read_idx(path, sha256)
    return arrays


def _find(folders, file):
    for folder in folders:
        for candidate in (folder / f"{file}.gz", folder / file):
            if candidate.is_file():
                return candidate
    return None


def load_image_classification(name, files, system_dirs, default_url, base_url, data_dir):
    """Shared ``load_data`` of MNIST-like datasets: ``(x_train, y_train), (x_test, y_test)``."""
    arrays = fetch_idx(name, files, system_dirs, base_url, default_url, data_dir)
    parts = []
    for split in ("train", "t10k"):
        x, y = arrays[f"{split}-images-idx3-ubyte"], arrays[f"{split}-labels-idx1-ubyte"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"{name} {split}: expected images of shape (n, rows, cols) and n labels. "
                f"Received: images {x.shape}, labels {y.shape}"
            )
        parts.append((x, y))
    return tuple(parts)


__all__ = ["cache_dir", "download", "fetch_idx", "parse_idx", "read_bytes", "read_idx"]
