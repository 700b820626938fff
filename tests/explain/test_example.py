"""``examples/explain_digits.py`` runs, and IG's completeness holds on a trained CNN."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "explain_digits.py"


def test_explain_digits_example(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), "--quick", "--output",
                           str(tmp_path / "maps.png")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1)) > 0.85
    assert float(re.search(r"completeness: .* = ([0-9.e+-]+)", done.stdout).group(1)) < 0.01
    assert (tmp_path / "maps.png").stat().st_size > 1000
