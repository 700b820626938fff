"""``keras.optimizers.schedules``: re-exports ``profond.optimizers.schedules``."""

from profond.optimizers.schedules import *  # noqa: F403
