"""``keras.datasets``: the data sets under Keras's import paths (``keras.datasets.mnist``, …)."""

from profond.keras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
