"""``keras.models``: re-exports ``profond.models`` under Keras's import path."""

from profond.models import *  # noqa: F403
from profond.models import __all__  # noqa: F401
