"""``keras.metrics``: re-exports ``profond.metrics`` under Keras's import path."""

from profond.metrics import *  # noqa: F403
from profond.metrics import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
