"""``keras.regularizers``: re-exports ``profond.regularizers`` under Keras's import path."""

from profond.regularizers import *  # noqa: F403


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
