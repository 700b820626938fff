"""``keras.layers``: re-exports ``profond.layers`` under Keras's import path."""

from profond.layers import *  # noqa: F403
from profond.layers import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
