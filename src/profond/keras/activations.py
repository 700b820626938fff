"""``keras.activations``: re-exports ``profond.activations`` under Keras's import path."""

from profond.activations import *  # noqa: F403
from profond.activations import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
