"""Timing helpers shared by the benchmarks: alternate the contenders, report medians and ratios."""

import os
import platform
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


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


def rss_bytes():
    """This process's resident memory now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_peak(step, steps):
    """Peak resident-memory growth (MB) while ``step()`` runs ``steps`` times, sampled every
    millisecond by a thread."""
    base, peak, done = rss_bytes(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    for _ in range(steps):
        step()
    done.set()
    sampler.join()
    return (max(peak[0], rss_bytes()) - base) / 2**20


def peak_memory_mb(module, name, steps=5):
    """``measure_peak`` of ``module.<name>_step_fn()`` in a fresh process, so that two
    frameworks' peaks do not mix."""
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import {module} as b, _timing; "
            f"print(_timing.measure_peak(b.{name}_step_fn(), {steps}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])
