"""Public test helpers: numerical gradient checks and the PyTorch oracle."""

from profond.testing.gradcheck import gradcheck, gradgradcheck, noncontiguous
from profond.testing.torch_oracle import check_against_torch

__all__ = ["check_against_torch", "gradcheck", "gradgradcheck", "noncontiguous"]
