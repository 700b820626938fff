"""``keras.datasets.fashion_mnist``: re-exports ``profond.datasets.fashion_mnist``."""

from profond.datasets.fashion_mnist import load_data  # noqa: F401
