"""``keras.datasets.reuters``: re-exports ``profond.datasets.reuters``."""

from profond.datasets.reuters import get_label_names, get_word_index, load_data  # noqa: F401
