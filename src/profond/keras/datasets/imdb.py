"""``keras.datasets.imdb``: re-exports ``profond.datasets.imdb``."""

from profond.datasets.imdb import get_word_index, load_data  # noqa: F401
