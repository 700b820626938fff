"""Crafting model files for tests: a copy of a saved archive with one member changed."""

import zipfile


def replace_member(source, target, name, change):
    """Copy the zip ``source`` to ``target``, member ``name`` replaced by ``change(its bytes)``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, change(data) if info.filename == name else data)
