"""CIFAR-10 (Krizhevsky, 2009): 60,000 colour 32×32 images in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

Keras downloads the *python* version, a set of pickles; profond never unpickles, so it reads the
*binary* version of the same images instead: ``cifar-10-binary.tar.gz`` (162 MB) from
https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, checked by SHA-256 (the MD5 the
authors publish is c32a1d4ab5d03f1284b67883e8d87530), cached in ``$PROFOND_HOME/datasets/``
(``~/.profond/datasets/``). Offline, put that file there yourself.
"""

from profond.datasets import _cifar
from profond.datasets._fetch import fetch

FILE = "cifar-10-binary.tar.gz"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
FOLDER = "cifar-10-batches-bin"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def load_data():
    """``(x_train, y_train), (x_test, y_test)`` exactly as Keras gives them: uint8 images of
    shape (50000, 32, 32, 3) and (10000, 32, 32, 3), uint8 labels of shape (50000, 1) and
    (10000, 1)."""
    folder = _cifar.find_folder(fetch(FILE, ORIGIN, SHA256, extract=True), FOLDER)
    train = [f"data_batch_{i}.bin" for i in range(1, 6)]
    x_train, y_train = _cifar.read_files(folder, train, 1, (10,))
    x_test, y_test = _cifar.read_files(folder, ["test_batch.bin"], 1, (10,))
    return (x_train, y_train), (x_test, y_test)
