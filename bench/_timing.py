"""Timing helpers shared by the benchmarks: alternate the contenders, report medians and ratios."""

import platform
import statistics
import time


def machine():
    """One line naming the machine the numbers come from."""
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def alternate(contenders, repeats=7, inner=1):
    """Run each contender ``inner`` times per round, rounds alternating; return median seconds per
    call for each name. Alternating spreads any background noise over all contenders alike."""
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(ts) for name, ts in times.items()}
