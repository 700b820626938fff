"""``keras.optimizers``: re-exports ``profond.optimizers`` under Keras's import path."""

from profond.keras.optimizers import schedules  # noqa: F401 - keras.optimizers.schedules
from profond.optimizers import *  # noqa: F403
from profond.optimizers import __all__  # noqa: F401


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
