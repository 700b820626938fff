"""``keras.losses``: re-exports ``profond.losses`` under Keras's import path."""

from profond.losses import *  # noqa: F403
from profond.losses import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
