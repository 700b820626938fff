"""MNIST: 70,000 grayscale 28×28 images of handwritten digits 0–9 (LeCun, Cortes and Burges).

The files are read from a system folder or the cache folder when present, else downloaded from
Google's mirror of the original files (see ``profond.datasets._idx`` for the integrity checks).
"""

import numpy

from profond.datasets import _idx
from profond.datasets._fetch import fetch

NAME = "mnist"
SYSTEM_DIRS = ("/usr/share/datasets/mnist",)
BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# SHA-256 of each file's IDX content (after gunzip), as published by several independent projects;
# the original .gz files hash to 440fcabf…, 3552534a…, 8d422c7b…, f7ae60f9….
FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


NPZ_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path=None, data_dir=None, base_url=None):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    ``x_train``: uint8 array of shape (60000, 28, 28), ``y_train``: uint8 labels 0–9 of shape
    (60000,); the test set has 10,000 of each. ``data_dir`` reads (and downloads) the files in that
    folder only; ``base_url`` overrides the download address. ``path`` (Keras's argument, e.g.
    ``"mnist.npz"``) reads Keras's single-file version instead: relative to
    ``$PROFOND_HOME/datasets`` (downloaded there if missing) or absolute (a copy from
    ``~/.keras/datasets``), checked by SHA-256 and read without pickle.
    """
    if path is not None:
        with numpy.load(fetch(path, NPZ_ORIGIN, NPZ_SHA256), allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    return _idx.load_image_classification(NAME, FILES, SYSTEM_DIRS, BASE_URL, base_url, data_dir)
