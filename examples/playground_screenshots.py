"""Regenerate the playground's screenshots in ``docs/images/`` (used by the README).

    python examples/playground_screenshots.py

Runs the end-to-end browser test (``tests/playground/test_browser.py``: headless Chromium from
Debian's ``chromium`` package, driven by Playwright for Python) with ``PROFOND_SCREENSHOT_DIR``
set, so the pictures come from the real page training a real network, not from a drawing.
Writes ``playground.png`` (the whole page, spiral with 3 classes), ``playground-network.png``,
``playground-transform.png`` and ``playground-regression.png``.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PROFOND_SCREENSHOT_DIR=str(images))
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
               str(ROOT / "tests" / "playground" / "test_browser.py")]
    code = subprocess.call(command, cwd=ROOT, env=env)
    if code == 0:
        print(f"Screenshots in {images}: "
              + ", ".join(sorted(p.name for p in images.glob("playground*.png"))))
    return code


if __name__ == "__main__":
    sys.exit(main())
