"""``keras.initializers``: re-exports ``profond.initializers`` under Keras's import path."""

from profond.initializers import *  # noqa: F403
from profond.initializers import __all__  # noqa: F401
