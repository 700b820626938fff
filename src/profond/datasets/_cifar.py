"""Read the *binary* CIFAR files (the "version suitable for C programs"), never the pickles.

Each ``.bin`` file is a run of fixed-size records::

    label bytes   1 (CIFAR-10: the class) or 2 (CIFAR-100: coarse class, then fine class)
    3072 bytes    the 32×32 image: 1024 red values, then 1024 green, then 1024 blue, each
                  channel row by row

so a file of n images holds exactly n · (label bytes + 3072) bytes, which is checked.
"""

from pathlib import Path

import numpy

IMAGE_BYTES = 32 * 32 * 3


def read_records(path, label_bytes):
    """``(images, labels)`` of one binary CIFAR file: uint8 images of shape (n, 32, 32, 3)
    (channels last, as Keras returns them) and uint8 labels of shape (n, label_bytes)."""
    data = Path(path).read_bytes()
    record = label_bytes + IMAGE_BYTES
    if not data or len(data) % record:
        raise ValueError(
            f"{path} is not a binary CIFAR file: its size ({len(data)} bytes) is not a multiple "
            f"of the record size ({record} bytes = {label_bytes} label bytes + 3072 pixels)."
        )
    rows = numpy.frombuffer(data, dtype=numpy.uint8).reshape(-1, record)
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return numpy.ascontiguousarray(images), rows[:, :label_bytes].copy()


def read_files(folder, names, label_bytes, num_classes):
    """The records of several files, one after the other, with their labels checked."""
    parts = [read_records(Path(folder) / name, label_bytes) for name in names]
    images = numpy.concatenate([p[0] for p in parts])
    labels = numpy.concatenate([p[1] for p in parts])
    for column, n in enumerate(num_classes):
        if labels[:, column].max() >= n:
            raise ValueError(f"{folder}: a label is {labels[:, column].max()}, but there are "
                             f"only {n} classes.")
    return images, labels


def find_folder(root, name):
    """``root/name`` (the folder the archive holds), with a clear error if it is missing."""
    folder = Path(root) / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{root} does not hold the folder {name}: is it the right archive?")
    return folder
