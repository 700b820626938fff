"""pytest imports test files by their basename (no __init__.py in tests/): two files with the
same name in different folders stop the whole collection. Keep them unique."""

import collections
import pathlib

TESTS = pathlib.Path(__file__).parent


def test_test_file_names_are_unique():
    names = collections.Counter(p.name for p in TESTS.rglob("test_*.py"))
    assert not [n for n, k in names.items() if k > 1], sorted(n for n, k in names.items() if k > 1)
