"""``keras.utils``: re-exports ``profond.utils`` under Keras's import path."""

from profond.utils import *  # noqa: F403
from profond.utils import __all__  # noqa: F401
