"""``keras.constraints``: re-exports ``profond.constraints`` under Keras's import path."""

from profond._names import missing_name
from profond.constraints import *  # noqa: F403
from profond.constraints import __all__  # noqa: F401


def __getattr__(name):
    raise missing_name(__name__, name)
