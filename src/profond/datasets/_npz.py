"""Word-index sequences from an ``.npz`` file of plain numeric arrays, never from pickles.

Keras's ``imdb.npz`` and ``reuters.npz`` keep each list of texts as a NumPy *object* array,
which NumPy stores as a pickle: a small program that may call any function it names when
loaded. profond never loads one. It reads the same data laid out flat instead: for a list of
sequences ``x``, the arrays ``x_values`` (every word index, concatenated) and ``x_lengths`` (the
length of each sequence); labels are plain arrays. A file of that layout is made once from
Keras's download, in a Python session that trusts it::

    np.savez("imdb_sequences.npz", x_train_values=np.concatenate(x_train),
             x_train_lengths=[len(s) for s in x_train], y_train=y_train, ...)
"""

import zipfile

import numpy

MAX_MEMBER_BYTES = 2**30
"""Refuse an array member larger than this when decompressed (IMDB's sequences take ~60 MB)."""


def load_sequences(path, names):
    """``{name: array}`` for each of ``names``: a sequence list (object array of int lists,
    rebuilt from ``name_values`` and ``name_lengths``) or a plain array stored as ``name``."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{path}: the member {info.filename} is larger than the "
                                     f"limit of {MAX_MEMBER_BYTES} bytes.")
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not an .npz file (a zip of .npy files): {error}") from None
    result = {}
    with numpy.load(path, allow_pickle=False) as arrays:
        for name in names:
            try:
                if f"{name}_values" in arrays.files:
                    values = arrays[f"{name}_values"]
                    lengths = arrays[f"{name}_lengths"].astype(numpy.int64)
                    if lengths.min(initial=0) < 0 or lengths.sum() != len(values):
                        raise ValueError(f"{path}: {name}_lengths do not add up to the "
                                         f"{len(values)} values of {name}_values.")
                    sequences = numpy.empty(len(lengths), dtype=object)
                    sequences[:] = [part.tolist() for part in
                                    numpy.split(values, numpy.cumsum(lengths)[:-1])]
                    result[name] = sequences
                else:
                    result[name] = arrays[name]
            except KeyError:
                raise ValueError(f"{path} has no array {name!r} (nor {name}_values and "
                                 f"{name}_lengths). It holds: {sorted(arrays.files)}") from None
            except ValueError as error:
                if "allow_pickle" not in str(error):
                    raise
                raise ValueError(
                    f"{path}: {name!r} is an object array, stored as a pickle, which profond "
                    "never loads (it could run code). Store the sequences flat as "
                    f"{name}_values and {name}_lengths: see profond.datasets._npz.") from None
    return result


__all__ = ["load_sequences"]
