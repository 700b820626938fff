"""Acceptance check of issue 11: the same small programs under real TensorFlow and under profond.

Each file of ``programs/`` runs unchanged under both (``COMPAT_FRAMEWORK`` picks the import, see
``programs/_common.py``) and prints its results as JSON: histories, evaluations, what
``train_step`` and metrics receive, names. The two JSONs must have the same keys in the same
order, the same strings, and numbers within 1e-4 (relative, float32) of each other.

Deselected by default (marker ``compat``): run ``make compat`` (it creates ``.venv-compat`` with
TensorFlow) or ``pytest -m compat tests/compat``.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.compat

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parents[1]
PROGRAMS = sorted(p for p in (HERE / "programs").glob("*.py") if not p.name.startswith("_"))
TF_PYTHON = ROOT / ".venv-compat" / "bin" / "python"
REL_TOL, ABS_TOL = 1e-4, 1e-6


def run(python, program, framework):
    """Run ``program`` in a fresh interpreter; its last output line is the JSON of results."""
    env = dict(os.environ, COMPAT_FRAMEWORK=framework, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1",
               TF_NUM_INTEROP_THREADS="1", PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([str(python), str(program)], cwd=program.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{program.name} failed under {framework}:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_same(got, expected, where):
    """Same structure and keys (in order), same strings, numbers within tolerance."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: expected a dict, got {got!r}"
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for key in expected:
            assert_same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list), f"{where}: expected a list, got {got!r}"
        assert len(got) == len(expected), f"{where}: {got!r} != {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{where}[{i}]")
    elif isinstance(expected, float) or isinstance(got, float):
        assert isinstance(got, (int, float)) and math.isclose(
            got, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL), f"{where}: {got} != {expected}"
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


@pytest.fixture(scope="module")
def tf_python():
    if not TF_PYTHON.exists():
        pytest.fail(f"{TF_PYTHON} is missing: run `make compat` to create the TensorFlow "
                    "environment these checks compare against.")
    return TF_PYTHON


def test_programs_are_found():
    assert len(PROGRAMS) >= 7


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_same_results_as_tensorflow(program, tf_python):
    expected = run(tf_python, program, "tensorflow")
    got = run(sys.executable, program, "profond")
    assert_same(got, expected, program.stem)
