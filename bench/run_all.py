"""Run every benchmark in this folder, one after the other (nothing else should run meanwhile)."""

import pathlib
import runpy
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for name in sorted(p.name for p in HERE.glob("*.py")):
    if name.startswith("_") or name == "run_all.py":
        continue
    print(f"\n=== {name} ===", flush=True)
    runpy.run_path(str(HERE / name), run_name="__main__")
