"""``profond.datasets``: data sets ready to train on, returned as NumPy arrays like Keras.

- ``digits.load_data()``: scikit-learn's bundled 8×8 digits (no download).
- ``mnist.load_data()``, ``fashion_mnist.load_data()``: 28×28 images from IDX files (Debian's
  package, a cache folder, or a verified download).
- Keras's other sets, same signatures and dtypes: ``cifar10``, ``cifar100`` (binary files, never
  pickles), ``imdb``, ``reuters`` (Keras's ``.npz``, whose object arrays profond decodes
  itself, running nothing), ``boston_housing``, ``california_housing``; downloaded once through
  ``profond.utils.get_file`` (verified, cached).
- ``french_words.load_data()``: Debian's French word list (package ``wfrench``), split by seed.
- ``toy``: small synthetic 2-D sets (``spiral``, ``spiral_arms``, ``circles``, ``xor``, ``moons``,
  ``gaussians``, ``regression_1d``, ``regression_plane``, ``regression_wave``), also importable
  from here.
"""

from profond.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    french_words,
    imdb,
    mnist,
    reuters,
    toy,
)
from profond.datasets.toy import (
    circles,
    gaussians,
    moons,
    regression_1d,
    regression_plane,
    regression_wave,
    spiral,
    spiral_arms,
    xor,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "circles",
    "digits",
    "fashion_mnist",
    "french_words",
    "gaussians",
    "imdb",
    "mnist",
    "moons",
    "regression_1d",
    "regression_plane",
    "regression_wave",
    "reuters",
    "spiral",
    "spiral_arms",
    "toy",
    "xor",
]
