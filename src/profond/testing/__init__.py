"""Public test helpers: numerical gradient checks and the PyTorch oracle."""

from profond.testing.gradcheck import gradcheck, gradgradcheck, noncontiguous
from profond.testing.layer_test import check_layer_against_torch, run_layer_test
from profond.testing.torch_oracle import check_against_torch

__all__ = ["check_against_torch", "check_layer_against_torch", "gradcheck", "gradgradcheck",
           "noncontiguous", "run_layer_test"]
