"""``keras.datasets.california_housing``: re-exports ``profond.datasets.california_housing``."""

from profond.datasets.california_housing import load_data  # noqa: F401
