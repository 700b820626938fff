"""The benchmark harness: every framework runs in its own fresh process.

A *case* (``Case``) names one piece of work and, for each contender (``"profond"``, ``"pytorch"``,
sometimes ``"numpy"``), a factory in the case's module that builds it and returns a ``Work``.
``run_case`` starts one worker process per contender and repetition (``python _harness.py
--worker module case contender``), alternating the contenders' order from one repetition to the
next, and reports for each contender the median over repetitions of the worker's median time per
call, the ratio of medians against the baseline, and the worker's peak resident memory.

Why processes: two frameworks in one process disturb each other's thread pools and allocators
(PyTorch's CNN step took 26–30 ms beside NumPy and 16–21 ms alone), so a shared process flatters
whichever suffers less. Modules that define cases import neither profond nor torch at the top:
each factory imports its own framework, inside the worker.
"""

import argparse
import dataclasses
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclasses.dataclass
class Work:
    """What a factory returns: ``step()`` is timed; it does ``steps`` training steps (an epoch of
    ``fit``, say) on ``items`` samples in all; ``report()`` gives extra numbers after timing
    (e.g. test accuracy). Times are reported per step, throughput per sample."""

    step: object
    items: int = 1
    steps: int = 1
    report: object = None


@dataclasses.dataclass
class Case:
    """One comparison: ``contenders`` maps a name to a factory's name in the case's module."""

    title: str
    contenders: dict
    goal: str = ""
    warmup: int = 3
    calls: int = 20
    inner: int = 1
    unit: str = "ms"            # "ms" per call, "us" per call, "items/s" (throughput), "s"
    busy_core: bool = False     # keep one core busy in another process while timing
    needs: object = None        # callable -> None, or the reason this case cannot run here


def machine():
    """One line naming the machine the numbers come from."""
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _set_threads(contender, threads):
    """The same thread count for everyone: BLAS / OpenMP for NumPy, intra-op for PyTorch."""
    if contender == "pytorch":
        import torch

        torch.set_num_threads(threads)
    else:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        threadpool_limits(threads)


def worker(module, case_name, contender, quick):
    """Build one contender of one case, warm it up, time it; print one JSON line."""
    sys.path.insert(0, HERE)
    mod = importlib.import_module(module)
    case = mod.CASES[case_name]
    _set_threads(contender, int(os.environ.get("BENCH_THREADS", "2")))
    factory = getattr(mod, case.contenders[contender])
    work = factory()
    warmup, calls = (1, 2) if quick else (case.warmup, case.calls)
    for _ in range(warmup * case.inner):
        work.step()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        for _ in range(case.inner):
            work.step()
        times.append((time.perf_counter() - t0) / case.inner)
    extras = work.report() if work.report else {}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": statistics.median(times) / work.steps,
                      "items": work.items / work.steps,
                      "peak_rss_mb": peak_mb, "extras": extras}))


def _spawn(module, case_name, contender, threads, quick, rep):
    env = dict(os.environ, BENCH_THREADS=str(threads), BENCH_REP=str(rep),
               OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.join(HERE, "_harness.py"), "--worker", module, case_name,
           contender] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
    if out.returncode != 0:
        raise RuntimeError(f"{module}.{case_name} [{contender}] failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _busy():
    """Another process keeping one core busy (a pure-Python loop)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def run_case(module, case_name, repeats=3, threads=2, quick=False, log=print):
    """Time every contender of one case in fresh processes; return a result dict."""
    sys.path.insert(0, HERE)
    case = importlib.import_module(module).CASES[case_name]
    reason = case.needs() if case.needs else None
    if reason:
        log(f"{case_name}: skipped here ({reason})")
        return {"case": case_name, "module": module, "title": case.title, "skipped": reason,
                "goal": case.goal}
    names = list(case.contenders)
    runs = {name: [] for name in names}
    busy = _busy() if case.busy_core else None
    try:
        for rep in range(repeats):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                runs[name].append(_spawn(module, case_name, name, threads, quick, rep))
    finally:
        if busy:
            busy.kill()
            busy.wait()
    result = {"case": case_name, "module": module, "title": case.title, "goal": case.goal,
              "unit": case.unit, "repeats": repeats, "threads": threads, "contenders": {}}
    for name, rs in runs.items():
        secs = [r["seconds"] for r in rs]
        result["contenders"][name] = {
            "seconds": statistics.median(secs), "all_seconds": secs,
            "items_per_s": rs[0]["items"] / statistics.median(secs),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
            "extras": _merge_extras([r["extras"] for r in rs]),
        }
    c = result["contenders"]
    base = "pytorch" if "pytorch" in c else names[-1]
    result["ratio"] = c["profond"]["seconds"] / c[base]["seconds"] if "profond" in c else None
    result["baseline"] = base
    log(format_result(result))
    return result


def _merge_extras(extras):
    """Per-repetition extras (e.g. test accuracy) as lists, one value per repetition."""
    keys = sorted({k for e in extras for k in e})
    return {k: [e.get(k) for e in extras] for k in keys}


def show_time(seconds, unit, items=1):
    if unit == "items/s":
        return f"{items / seconds:,.0f}/s"
    if unit == "us":
        return f"{seconds * 1e6:.2f} µs"
    if unit == "s":
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms"


def format_result(r):
    """One line per contender, then the ratio of medians."""
    lines = [f"{r['case']}: {r['title']}"]
    for name, c in r["contenders"].items():
        spread = ", ".join(show_time(s, r["unit"], c["items_per_s"] * c["seconds"])
                           for s in c["all_seconds"])
        extras = "".join(f"  {k}={v}" for k, v in c["extras"].items())
        median = show_time(c["seconds"], r["unit"], c["items_per_s"] * c["seconds"])
        lines.append(f"  {name:8s} median {median:>14s}  (runs: {spread})"
                     f"  peak RSS {c['peak_rss_mb']:.0f} MB{extras}")
    if r["ratio"] is not None:
        lines.append(f"  time ratio profond/{r['baseline']} = {r['ratio']:.2f}x"
                     + (f"  (throughput ratio {1 / r['ratio']:.2f}x)"
                        if r["unit"] == "items/s" else "")
                     + (f"   goal: {r['goal']}" if r["goal"] else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("MODULE", "CASE", "CONTENDER"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    worker(*args.worker, quick=args.quick)
