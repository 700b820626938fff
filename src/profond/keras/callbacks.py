"""``keras.callbacks``: re-exports ``profond.callbacks`` under Keras's import path."""

from profond.callbacks import *  # noqa: F403
