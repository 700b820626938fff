"""User-facing settings: ``profond.config.set_floatx``, ``set_backend``, ``set_num_threads``."""

from profond.backend import (  # noqa: F401 - re-exported
    backend,
    floatx,
    get_num_threads,
    set_backend,
    set_floatx,
    set_num_threads,
)
