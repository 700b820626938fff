"""``keras.regularizers``: re-exports ``profond.regularizers`` under Keras's import path."""

from profond.regularizers import *  # noqa: F403
