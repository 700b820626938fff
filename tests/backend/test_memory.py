"""``profond.backend.memory.keep_freed_memory``: freed arrays' pages stay in the process, so a
step that allocates and frees the same large arrays stops faulting in fresh pages each time."""

import subprocess
import sys

import pytest

from profond.backend import memory

# 30 steps, each allocating four 8 MB arrays, then freeing them; print the page faults.
LOOP = """
import resource, sys
import numpy as np
from profond.backend import memory
if sys.argv[1] == "keep":
    assert memory.keep_freed_memory()
np.ones(2 << 20, np.float32)  # the first allocation always faults its pages in
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    arrays = [np.ones(2 << 20, np.float32) for _ in range(4)]
    del arrays
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode):
    out = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(memory._glibc() is None, reason="mallopt is glibc's (Linux)")
def test_freed_pages_are_reused_instead_of_faulted_in_again():
    pages = (8 << 20) // 4096
    assert faults("default") > 10 * pages  # fresh pages from the system at each step
    assert faults("keep") < 4 * pages  # only the first step faults its arrays in


def test_does_nothing_without_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.keep_freed_memory() is False



@pytest.mark.parametrize("setting, calls", [("1", 1), ("0", 0)])
def test_a_tape_step_keeps_freed_memory_unless_told_not_to(setting, calls, monkeypatch):
    import numpy as np

    import profond as pf

    called = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: called.append(True))
    monkeypatch.setitem(memory._state, "kept", False)
    monkeypatch.setenv("PROFOND_KEEP_MEMORY", setting)
    x = pf.Variable(np.ones((4, 4), np.float32))
    for _ in range(3):  # once for the whole run
        with pf.GradientTape() as tape:
            y = pf.reduce_sum(x * x)
        tape.gradient(y, x)
    assert len(called) == calls
