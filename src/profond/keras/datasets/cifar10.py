"""``keras.datasets.cifar10``: re-exports ``profond.datasets.cifar10``."""

from profond.datasets.cifar10 import load_data  # noqa: F401
