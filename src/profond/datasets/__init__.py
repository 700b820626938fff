"""``profond.datasets``: data sets ready to train on, returned as NumPy arrays like Keras.

- ``digits.load_data()``: scikit-learn's bundled 8×8 digits (no download).
- ``mnist.load_data()``, ``fashion_mnist.load_data()``: 28×28 images from IDX files (Debian's
  package, a cache folder, or a verified download).
- ``toy``: small synthetic 2-D sets (``spiral``, ``circles``, ``xor``, ``moons``, ``gaussians``,
  ``regression_1d``, ``regression_plane``), also importable from here.
"""

from profond.datasets import digits, fashion_mnist, mnist, toy
from profond.datasets.toy import (
    circles,
    gaussians,
    moons,
    regression_1d,
    regression_plane,
    spiral,
    xor,
)

__all__ = [
    "circles",
    "digits",
    "fashion_mnist",
    "gaussians",
    "mnist",
    "moons",
    "regression_1d",
    "regression_plane",
    "spiral",
    "toy",
    "xor",
]
