"""Griffe extension for the API reference: fences the ``>>>`` examples of the docstrings.

profond's docstrings are plain text with doctest examples. Left as they are, Markdown would read
``>>> x`` as a quotation and an output such as ``[(4, 3), (3,)]`` as a link; inside a fenced
``pycon`` block they are shown as a Python session, highlighted.
"""

import griffe


def fence_doctests(text):
    """``text`` with each run of lines starting at a ``>>>`` line and ending before a blank line
    wrapped in a ```` ```pycon ```` fence (indented like its first line)."""
    out, block, indent = [], None, ""
    for line in text.splitlines():
        if block is None and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
        if block is not None:
            if line.strip():
                block.append(line)
                continue
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            block = None
        out.append(line)
    if block is not None:
        out += [f"{indent}```pycon", *block, f"{indent}```"]
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Rewrites every docstring as it is loaded."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
