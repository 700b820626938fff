"""MkDocs hook: runs the tutorial chapters while the site is built, so every printed number is real.

A chapter is a plain script, ``docs/tutorials/<name>.py``, cut into cells by ``# %% <cell>`` lines
(the "percent" format that editors and Jupytext understand). The script runs once per build, cell
after cell in one namespace, in a temporary directory; each cell's printed output and each
matplotlib figure it draws are kept. A page asks for a cell with a line of its own:

    <!-- run: perceptron#neuron -->

and the hook puts there the cell's code, its output and its figures (as inline PNG images). Both
languages show the same run. A chapter that raises, or a marker naming a missing chapter or cell,
stops the build with an error: CI fails when a chapter breaks.
"""

import ast
import base64
import contextlib
import io
import logging
import os
import re
import tempfile
import time
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.tutorials")
TUTORIALS = Path(__file__).parent / "tutorials"
MARKER = re.compile(r"^<!-- run: (?P<chapter>[\w-]+)#(?P<cell>[\w-]+) -->[ \t]*$", re.MULTILINE)
CELL = re.compile(r"^# %% (?P<cell>[\w-]+)[ \t]*$", re.MULTILINE)

_runs = {}  # chapter name -> {cell: (code, output, [png bytes])}; one run per build process


def split_cells(source):
    """The cells of a chapter script: {name: code}, in order; text before the first cell is the
    module docstring and imports shared by all cells, kept as the cell named ``setup``."""
    parts = CELL.split(source)
    cells = {"setup": parts[0].strip()}
    for name, code in zip(parts[1::2], parts[2::2]):
        if name in cells:
            raise PluginError(f"Duplicate cell '# %% {name}' in a tutorial chapter.")
        cells[name] = code.strip()
    return cells


def shown(code):
    """The code as a page shows it: without the chapter's docstring (the pages say it better)."""
    tree = ast.parse(code)
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
        code = "\n".join(code.splitlines()[first.end_lineno:])
    return code.strip()


def _figures(plt):
    """The open matplotlib figures as PNG bytes, then closed."""
    images = []
    for number in plt.get_fignums():
        buffer = io.BytesIO()
        plt.figure(number).savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        images.append(buffer.getvalue())
    plt.close("all")
    return images


def run_chapter(name):
    """Runs ``docs/tutorials/<name>.py`` cell by cell: {cell: (code, output, figures)}."""
    path = TUTORIALS / f"{name}.py"
    if not path.is_file():
        raise PluginError(f"Tutorial chapter not found: {path}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = split_cells(path.read_text(encoding="utf-8"))
    namespace = {"__name__": "__main__", "__file__": str(path)}
    results = {}
    start = time.perf_counter()
    here = os.getcwd()
    show = plt.show
    plt.show = lambda *args, **kwargs: None  # figures are collected after each cell instead
    try:
        with tempfile.TemporaryDirectory() as work:
            os.chdir(work)
            for cell, code in cells.items():
                stdout = io.StringIO()
                try:
                    with contextlib.redirect_stdout(stdout):
                        exec(compile(code, f"{path}:{cell}", "exec"), namespace)
                except Exception as error:
                    raise PluginError(
                        f"Tutorial {path.name}, cell '{cell}' failed: {error!r}\n"
                        f"Output so far:\n{stdout.getvalue()}"
                    ) from error
                results[cell] = (shown(code), stdout.getvalue().rstrip(), _figures(plt))
    finally:
        os.chdir(here)
        plt.show = show
    log.info("tutorial %s: ran in %.1f s", name, time.perf_counter() - start)
    return results


def render_cell(code, output, figures):
    """Markdown for one cell: the code, what it printed, its figures."""
    parts = [f"```python\n{code}\n```"]
    if output:
        parts.append(f'```text title="output"\n{output}\n```')
    for png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"![figure](data:image/png;base64,{data})")
    return "\n\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    """Replaces each ``<!-- run: chapter#cell -->`` line with the cell's code and results."""

    def replace(match):
        chapter, cell = match["chapter"], match["cell"]
        if chapter not in _runs:
            _runs[chapter] = run_chapter(chapter)
        if cell not in _runs[chapter]:
            raise PluginError(
                f"{page.file.src_uri}: chapter '{chapter}' has no cell '{cell}'. "
                f"Cells: {', '.join(_runs[chapter])}"
            )
        return render_cell(*_runs[chapter][cell])

    return MARKER.sub(replace, markdown)
