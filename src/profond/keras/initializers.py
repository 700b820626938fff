"""``keras.initializers``: re-exports ``profond.initializers`` under Keras's import path."""

from profond.initializers import *  # noqa: F403
from profond.initializers import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
