"""``keras.datasets.cifar100``: re-exports ``profond.datasets.cifar100``."""

from profond.datasets.cifar100 import load_data  # noqa: F401
