"""An example whose optional package is missing says which extra installs it (issue 20)."""

import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"

# Runs an example with one package made unimportable (as on a machine that never installed it).
BLOCKED = """
import importlib.abc, runpy, sys
missing = sys.argv[1]
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == missing:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Missing())
script = sys.argv[2]
sys.argv = [script, "--quick"]
runpy.run_path(script, run_name="__main__")
"""


def test_mnist1d_example_names_the_extra_to_install():
    done = subprocess.run([sys.executable, "-c", BLOCKED, "mnist1d", str(EXAMPLES / "mnist1d.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "needs the mnist1d package" in done.stderr
    assert "pip install 'profond[examples]'" in done.stderr
