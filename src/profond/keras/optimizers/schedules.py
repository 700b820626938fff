"""``keras.optimizers.schedules``: re-exports ``profond.optimizers.schedules``."""

from profond.optimizers.schedules import *  # noqa: F403


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
