"""CIFAR-100 (Krizhevsky, 2009): 60,000 colour 32×32 images in 100 classes ("fine" labels),
grouped into 20 superclasses ("coarse" labels).

As for CIFAR-10, profond reads the *binary* version (never Keras's pickles):
``cifar-100-binary.tar.gz`` (161 MB) from
https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, checked by the MD5 its authors publish
(03b5dce01913d631647c71ecec9e9cb8), cached in ``$PROFOND_HOME/datasets/``
(``~/.profond/datasets/``). Offline, put that file there yourself.
"""

import numpy

from profond.datasets import _cifar
from profond.datasets._fetch import fetch

FILE = "cifar-100-binary.tar.gz"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
MD5 = "03b5dce01913d631647c71ecec9e9cb8"
FOLDER = "cifar-100-binary"


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)`` exactly as Keras gives them: uint8 images of
    shape (50000, 32, 32, 3) and (10000, 32, 32, 3), int64 labels of shape (n, 1): the 100
    classes (``label_mode="fine"``) or the 20 superclasses (``"coarse"``)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"Expected `label_mode` 'fine' or 'coarse'. Received: "
                         f"label_mode={label_mode!r}")
    folder = _cifar.find_folder(fetch(FILE, ORIGIN, MD5, extract=True), FOLDER)
    column = 0 if label_mode == "coarse" else 1  # each record starts: coarse byte, fine byte
    parts = []
    for name in ("train.bin", "test.bin"):
        x, labels = _cifar.read_files(folder, [name], 2, (20, 100))
        parts.append((x, labels[:, column : column + 1].astype(numpy.int64)))
    return tuple(parts)
