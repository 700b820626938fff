"""``keras.callbacks``: re-exports ``profond.callbacks`` under Keras's import path."""

from profond.callbacks import *  # noqa: F403


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
