"""The benchmarks keep working (their speed is measured in bench/, never asserted here)."""

import json
import pathlib
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "bench"
MODULES = ("training", "inference", "layers", "engine", "fashion_mnist", "rl", "language")


def test_case_modules_import_no_framework():
    """Each framework runs in its own process: a case module imports neither at the top."""
    code = (f"import sys; sys.path.insert(0, {str(BENCH)!r}); "
            + "; ".join(f"import {m}" for m in MODULES)
            + "; print([m for m in ('torch', 'profond') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_case_has_a_profond_contender_and_a_peer():
    sys.path.insert(0, str(BENCH))
    try:
        for module in MODULES:
            for name, case in __import__(module).CASES.items():
                assert "profond" in case.contenders and len(case.contenders) >= 2, name
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.slow
def test_a_quick_run_times_each_framework_in_its_own_process():
    code = (f"import sys, json; sys.path.insert(0, {str(BENCH)!r}); import run_all; "
            "r = run_all.main(['--quick', '--only', 'mlp_predict']); print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    (result,) = json.loads(out.stdout.strip().splitlines()[-1])
    c = result["contenders"]
    assert set(c) == {"profond", "pytorch"}
    assert all(k["seconds"] > 0 and k["peak_rss_mb"] > 10 for k in c.values())
    assert result["ratio"] == pytest.approx(c["profond"]["seconds"] / c["pytorch"]["seconds"])
    assert "profond" in out.stdout and "throughput ratio" in out.stdout
