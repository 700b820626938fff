"""The ``>>>`` examples of every module of ``profond`` run, one test per module.

Each docstring example is a promise to the reader: ``doctest.testmod`` (with NORMALIZE_WHITESPACE
and ELLIPSIS) checks that it still prints what it says. A module whose import needs an optional
package that is not installed is skipped, naming the package; any other import error fails.
"""

import doctest
import importlib
import pkgutil
import types

import numpy as np
import pytest

import profond

MODULES = sorted(m.name for m in pkgutil.walk_packages(profond.__path__, "profond.")
                 if not m.name.rsplit(".", 1)[-1].startswith("__"))
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _import(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and not e.name.startswith("profond"):
            pytest.skip(f"{name} needs {e.name!r}, which is not installed")
        raise


@pytest.fixture
def _quiet_state():
    """Each module's examples start from the default float type and a known seed, and leave
    them as they found them."""
    floatx = profond.config.floatx()
    profond.set_seed(0)
    np.random.seed(0)
    yield
    profond.config.set_floatx(floatx)
    profond.layers.clear_session()


def _check(module):
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} doctest examples of {module.__name__} failed "
        f"(`python -m doctest -v {module.__file__}` shows them)")
    return result.attempted


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, _quiet_state):
    _check(_import(name))


def test_the_modules_are_found():
    assert {"profond.random", "profond.layers.core", "profond.autodiff.mode"} <= set(MODULES)
    assert len(MODULES) > 50
    assert _check(importlib.import_module("profond.autodiff.mode")) >= 1


def test_a_wrong_example_fails():
    module = types.ModuleType("profond_doctest_probe")
    module.__file__ = "<probe>"
    exec('def double(x):\n    """>>> double(2)\n    5\n    """\n    return 2 * x\n',
         module.__dict__)
    with pytest.raises(AssertionError, match="1 of 1 doctest examples"):
        _check(module)
