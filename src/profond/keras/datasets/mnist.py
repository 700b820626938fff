"""``keras.datasets.mnist``: re-exports ``profond.datasets.mnist``."""

from profond.datasets.mnist import load_data  # noqa: F401
