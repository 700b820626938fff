"""``profond.privacy``: differential privacy. For now the accountant: the (ε, δ) budget of
DP-SGD's steps, from Google's ``dp-accounting`` (RDP or PLD)."""

from profond._names import missing_name
from profond.privacy.accountant import compute_epsilon

__all__ = ["compute_epsilon"]


def __getattr__(name):
    raise missing_name(__name__, name)
