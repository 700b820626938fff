"""``keras.backend``: session helpers and the float policy."""

from profond.backend import floatx, set_floatx
from profond.layers import clear_session

__all__ = ["clear_session", "floatx", "set_floatx"]
