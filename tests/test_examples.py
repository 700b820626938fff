"""The examples print what the course says."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each example is a fresh interpreter that trains

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run(name):
    out = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                         timeout=300, check=True)
    return out.stdout


def test_perceptron_prints_the_course_values():
    out = run("perceptron.py")
    assert "ŷ(a = (-1.0, 2.0)) = 0.00091" in out
    assert "ŷ(b = (0.0, -1.0)) = 0.95257" in out
    assert "ŷ = [0.5, 0.5, 0.5]" in out


def test_linear_regression_finds_the_line():
    out = run("linear_regression.py")
    a, b = map(float, re.search(r"found y = ([-\d.]+)·x \+ ([-\d.]+)", out).groups())
    assert abs(a - 3.0) < 0.05 and abs(b + 0.5) < 0.05


def test_xor_is_learned():
    out = run("xor.py")
    assert "accuracy: 1.00" in out
