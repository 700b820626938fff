"""Data-parallel training over MPI: its speed on this machine, and a check of the cost model.

Two parts, every measurement in fresh processes (see ``DISTRIBUTED.md`` for the model):

1. **Speed** (issue 19): one epoch of ``fit`` of the Fashion-MNIST-shaped MLP and CNN of
   ``_models.py`` (global batch 128, Adam), in one process with 2 threads against 2 MPI ranks
   with 1 thread each (``mpiexec -n 2``). Each of ``--repeats`` runs is a fresh process (or a
   fresh ``mpiexec``), the two set-ups alternating; each run reports the median time per step
   over its epochs. The 2-rank runs also time, alone, the all-reduce of a buffer of the model's
   size (what ``all_reduce_gradients`` sends each step).
2. **Simulation**: the all-reduce of model-sized float32 buffers on N ranks of this one machine
   (mpich, shared memory), N = 2 … 64, against the model's prediction (``predict``: the
   ring's, mpich's algorithm's, and the latter on C shared cores when N > C), with α and β
   fitted to the 2-rank timings. Each timing is the least over ``--calls`` all-reduces (the
   cost without other processes' interference, on a machine shared with other work).

    python bench/distributed.py                      # both parts, 3 repetitions
    python bench/distributed.py --quick              # tiny sizes: checks that it runs
    python bench/distributed.py --ranks 8,16 --skip-speed --json out.json

Workers import only what they time: the simulation's ranks import mpi4py and NumPy, not
profond (64 processes of profond would not fit in memory).
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 128
SHAPES = {"mlp": (784,), "cnn": (28, 28, 1)}
STEPS = {"mlp": 40, "cnn": 10}
TINY = 10_000  # parameters of the tiny model of the simulation (40 KB of float32)


def mpiexec():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if found is None:
        raise SystemExit("bench/distributed.py needs mpiexec: pip install 'profond[mpi]'")
    return found


def _env(threads):
    t = str(threads)
    return dict(os.environ, OMP_NUM_THREADS=t, OPENBLAS_NUM_THREADS=t, MKL_NUM_THREADS=t,
                PROFOND_KEEP_MEMORY=os.environ.get("PROFOND_KEEP_MEMORY", "1"))


def _last_json(done, what):
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- part 1: fit on 1 process × 2 threads against 2 ranks × 1 thread ----------------------------


def fit_worker(model_name, threads, use_mpi, epochs, steps):
    """Time ``epochs`` epochs of ``fit`` (after one to warm up); rank 0 prints one JSON line."""
    sys.path.insert(0, HERE)
    import numpy as np
    from _models import classification_data, profond_model

    import profond as pf

    pf.backend.set_num_threads(threads)
    strategy = pf.distribute.MultiWorkerMirroredStrategy() if use_mpi else None
    model = profond_model(model_name)
    x, y = classification_data(BATCH * steps, SHAPES[model_name])
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append((time.perf_counter() - t0) / steps)
    params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    result = {"seconds_per_step": statistics.median(times), "params": params}
    if strategy is not None:
        result["allreduce_seconds"] = _time_allreduce(strategy.comm, params, 30)
        if strategy.rank != 0:
            return
    print(json.dumps(result))


def _time_allreduce(comm, count, calls, best=False):
    """The median (or with ``best``, the least) over ``calls`` of the slowest rank's time for
    one all-reduce of ``count`` float32 values (a barrier before each)."""
    import numpy as np
    from mpi4py import MPI

    send, total = np.ones(count, np.float32), np.empty(count, np.float32)
    comm.Allreduce(send, total, op=MPI.SUM)
    times = []
    for _ in range(calls):
        comm.Barrier()
        t0 = time.perf_counter()
        comm.Allreduce(send, total, op=MPI.SUM)
        times.append(comm.allreduce(time.perf_counter() - t0, op=MPI.MAX))
    return min(times) if best else statistics.median(times)


def speed(models, repeats, epochs, quick, log):
    """Median seconds per step of each set-up, over ``repeats`` fresh processes."""
    results = {}
    for name in models:
        steps = 2 if quick else STEPS[name]
        setups = {
            "1 process x 2 threads": [sys.executable, __file__, "--fit-worker", name, "2"],
            "2 ranks x 1 thread": [mpiexec(), "-n", "2", sys.executable, __file__,
                                   "--fit-worker", name, "1", "--mpi"],
        }
        runs = {label: [] for label in setups}
        for rep in range(repeats):
            labels = list(setups)[rep % 2:] + list(setups)[:rep % 2]
            for label in labels:
                threads = 2 if label.startswith("1 process") else 1
                command = setups[label] + ["--epochs", str(epochs), "--steps", str(steps)]
                done = subprocess.run(command, capture_output=True, text=True, cwd=HERE,
                                      env=_env(threads), timeout=900)
                runs[label].append(_last_json(done, f"{name} [{label}]"))
        one, two = (runs[label] for label in setups)
        row = {
            "params": one[0]["params"],
            "one_process_2_threads_s": statistics.median(r["seconds_per_step"] for r in one),
            "two_ranks_1_thread_s": statistics.median(r["seconds_per_step"] for r in two),
            "allreduce_2_ranks_s": statistics.median(r["allreduce_seconds"] for r in two),
            "runs": {label: [r["seconds_per_step"] for r in rs] for label, rs in runs.items()},
        }
        row["speedup_2_ranks"] = row["one_process_2_threads_s"] / row["two_ranks_1_thread_s"]
        results[name] = row
        log(f"{name} ({row['params']:,} parameters), median ms per step of {BATCH}: "
            f"1 process x 2 threads {1e3 * row['one_process_2_threads_s']:.1f}, "
            f"2 ranks x 1 thread {1e3 * row['two_ranks_1_thread_s']:.1f} "
            f"(of which the all-reduce alone {1e3 * row['allreduce_2_ranks_s']:.2f}); "
            f"2 ranks are {row['speedup_2_ranks']:.2f}x as fast")
    return results


# --- part 2: the all-reduce on N ranks against the model ----------------------------------------


def allreduce_worker(counts, calls):
    """Every rank: time the all-reduce of each count; rank 0 prints one JSON line."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    seconds = {str(c): _time_allreduce(comm, c, calls, best=True) for c in counts}
    if comm.Get_rank() == 0:
        print(json.dumps({"ranks": comm.Get_size(), "seconds": seconds}))


def run_allreduce(ranks, counts, calls, timeout):
    """Time the all-reduces on ``ranks`` processes (None if they take over ``timeout`` s).

    NOTE: mpich's ranks poll for messages without sleeping; with more ranks than cores, a rank
    waiting for a message would spin through its whole time slice while the one that must send
    it waits for a core, and an all-reduce would take 10-20 times longer. With
    ``MPIR_CVAR_ENABLE_HEAVY_YIELD`` a rank gives its core away (``sched_yield``) after 100
    empty polls: what mpich advises when oversubscribing."""
    command = [mpiexec(), "-n", str(ranks), sys.executable, __file__, "--allreduce-worker",
               ",".join(map(str, counts)), "--calls", str(calls)]
    env = dict(_env(1), MPIR_CVAR_ENABLE_HEAVY_YIELD="1", MPIR_CVAR_POLLS_BEFORE_YIELD="100")
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return _last_json(done, f"all-reduce on {ranks} ranks")["seconds"]


def fit_alpha_beta(seconds_by_bytes):
    """α and β of mpich's all-reduce on 2 ranks, T = 2α + S/β (one reduce-scatter step and one
    all-gather step, S/2 bytes each way), by least squares over the buffer sizes S (bytes)."""
    import numpy as np

    sizes = np.array(sorted(seconds_by_bytes), dtype=float)
    times = np.array([seconds_by_bytes[s] for s in sorted(seconds_by_bytes)])
    slope, intercept = np.polyfit(sizes, times, 1)
    return max(intercept / 2, 0.0), 1.0 / max(slope, 1e-15)


def predict(n, size, alpha, beta, cores):
    """The all-reduce of ``size`` bytes on ``n`` ranks, three ways (see DISTRIBUTED.md):

    - ring (NCCL, Horovod): 2(N − 1) α + 2(N − 1)/N · S/β;
    - mpich on dedicated cores and links (reduce-scatter by recursive halving, all-gather by
      recursive doubling: the same bytes in 2⌈log₂ N⌉ messages): 2⌈log₂ N⌉ α + 2(N − 1)/N · S/β;
    - the same on C shared cores when N > C: every round waits for N/C ranks to take turns,
      and the 2(N − 1) S bytes that all ranks copy in all go through C cores:
      2⌈log₂ N⌉ α N/C + 2(N − 1) S/(C β).
    """
    rounds = 2 * math.ceil(math.log2(n))
    ring = 2 * (n - 1) * alpha + 2 * (n - 1) / n * size / beta
    dedicated = rounds * alpha + 2 * (n - 1) / n * size / beta
    shared = dedicated if n <= cores else \
        rounds * alpha * n / cores + 2 * (n - 1) * size / (cores * beta)
    return ring, dedicated, shared


def simulate(ranks_list, counts, calls, timeout, log):
    """Time the all-reduces on 2 ranks (to fit α and β), then on each N of ``ranks_list``
    (the largest buffer only up to 16 ranks), and compare with the model."""
    cores = os.cpu_count() or 1
    measured = {n: run_allreduce(n, [c for c in counts if n <= 16 or c <= TINY], calls,
                                 timeout) for n in sorted({2, *ranks_list})}
    if measured[2] is None:
        raise RuntimeError("the all-reduce on 2 ranks timed out")
    alpha, beta = fit_alpha_beta({4 * int(c): s for c, s in measured[2].items()})
    log(f"fitted on 2 ranks: alpha = {1e6 * alpha:.1f} us per message, beta = "
        f"{beta / 1e9:.2f} GB/s ({', '.join(f'{4 * int(c):,} B' for c in measured[2])})")
    rows = []
    for n, seconds in measured.items():
        for c in [c for c in counts if n <= 16 or c <= TINY]:
            size = 4 * c
            ring, dedicated, shared = predict(n, size, alpha, beta, cores)
            got = None if seconds is None else seconds[str(c)]
            rows.append({"ranks": n, "bytes": size, "measured_s": got, "ring_model_s": ring,
                         "mpich_model_s": dedicated, "shared_cores_model_s": shared})
            log(f"N = {n:3d}, {size:>9,} B: measured "
                + ("(timed out)" if got is None else f"{1e3 * got:8.3f} ms")
                + f"; model: ring {1e3 * ring:7.3f} ms, mpich {1e3 * dedicated:7.3f} ms, "
                f"mpich on {cores} cores {1e3 * shared:8.3f} ms"
                + ("" if got is None else f" (measured / last {got / shared:.2f})"))
    return {"alpha_s": alpha, "beta_bytes_per_s": beta, "cores": cores, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit-worker", nargs=2, metavar=("MODEL", "THREADS"))
    parser.add_argument("--allreduce-worker", metavar="COUNTS")
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--ranks", default="2,4,8,16,32,64")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-simulation", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.fit_worker:
        name, threads = args.fit_worker
        fit_worker(name, int(threads), args.mpi, args.epochs, args.steps or STEPS[name])
        return
    if args.allreduce_worker:
        allreduce_worker([int(c) for c in args.allreduce_worker.split(",")], args.calls)
        return
    report = {}
    if not args.skip_speed:
        report["speed"] = speed(args.models.split(","), 1 if args.quick else args.repeats,
                                1 if args.quick else args.epochs, args.quick, print)
    if not args.skip_simulation:
        mlp = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
        counts = [1000, TINY, 100_000, mlp] if not args.quick else [1000, TINY]
        ranks = [int(n) for n in args.ranks.split(",")] if not args.quick else [2, 4]
        report["simulation"] = simulate(ranks, counts, 5 if args.quick else args.calls,
                                        args.timeout, print)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
