"""``keras.datasets.boston_housing``: re-exports ``profond.datasets.boston_housing``."""

from profond.datasets.boston_housing import load_data  # noqa: F401
