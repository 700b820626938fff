"""A small pool of worker threads for the kernels that split their work over the batch
(convolutions, pooling), and the BLAS thread count that goes with it.

Why not let BLAS use every core inside one big GEMM? On a shared machine OpenBLAS cuts each GEMM
into one equal part per thread and waits for the slowest: when another process holds one of two
cores, every GEMM waits for the thread that lost its core, and a step can stall for seconds. Here
a kernel instead cuts its batch into chunks of a few images (each chunk's im2col matrix fits in
the cache), and the workers (the calling thread is one of them) take chunks one after the other,
each running single-threaded BLAS. A worker that loses its core simply takes fewer chunks, and
one that has not started by the time the chunks run out is not waited for: the work degrades
gracefully, and a chunk is small enough that the last one never keeps the others waiting long.

``parallel_for(fn, n, per)`` calls ``fn(a, b)`` on the chunks [a, b) of range(n);
``parallel_sum`` adds up what the calls return (each worker keeps its own running sum).
With one worker (``set_num_threads(1)``, or one usable core, or ``threadpoolctl`` missing) the
chunks run one after the other in the calling thread, with BLAS's own threads left as they are.

NOTE: after a multi-threaded GEMM, OpenBLAS's threads spin on their core for up to 2^28 cycles
(a tenth of a second) waiting for the next one: meanwhile the pool's workers get half a core.
profond shortens that wait to 2^4 cycles (``OPENBLAS_THREAD_TIMEOUT=4``, applied at the first
pool run by re-reading OpenBLAS's environment and restarting its threads) unless the variable
is already set: a CNN's ``predict`` ran 1.6× faster on two cores.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_state = {"workers": None, "pool": None, "pool_size": 0, "blas": None, "blas_threads": None,
          "busy": 0}
_lock = threading.Lock()


def _forget_pool_in_child():
    """A forked child has none of the parent's threads: it starts its own pool when needed."""
    global _lock
    _lock = threading.Lock()
    _state.update(pool=None, pool_size=0, busy=0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def available_cores():
    """The CPU cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def num_workers():
    """How many threads the batch-parallel kernels use: ``set_num_workers``'s value, by default
    the usable cores."""
    return _state["workers"] or available_cores()


def set_num_workers(n):
    """Use ``n`` threads (≥ 1; None: the usable cores) in the batch-parallel kernels
    (``backend.set_num_threads`` sets it together with the BLAS threads)."""
    if n is not None:
        if isinstance(n, bool) or int(n) != n or n < 1:
            raise ValueError(f"set_num_workers expects an int n >= 1 or None. Received: n={n!r}")
        n = int(n)
    with _lock:
        _state["workers"] = n
        if _state["pool"] is not None and _state["pool_size"] != num_workers() and not (
                _state["busy"]):
            _state["pool"].shutdown(wait=False)
            _state["pool"] = None


class _Blas:
    """Every BLAS library in the process, steered together: NumPy's, and SciPy's own copy when
    SciPy is imported (its wheel ships a second OpenBLAS). threadpoolctl lists them in no fixed
    order; steering only the first one could leave NumPy's, the one the kernels call, with two
    threads inside each chunk and spinning on the other core between GEMMs."""

    def __init__(self, libs):
        self.libs = libs

    @property
    def num_threads(self):
        return max(lib.num_threads for lib in self.libs)

    def counts(self):
        return [lib.num_threads for lib in self.libs]

    def set_counts(self, counts):
        for lib, n in zip(self.libs, counts):
            lib.set_num_threads(n)


def _blas_controller():
    """threadpoolctl's handle on the process's BLAS libraries (False when there is none we can
    steer)."""
    if _state["blas"] is None:
        try:
            import numpy  # noqa: F401 - threadpoolctl only sees libraries already loaded
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            _state["blas"] = _Blas(libs) if libs else False
        except Exception:  # noqa: BLE001 - no threadpoolctl, or a BLAS it cannot drive
            _state["blas"] = False
        if _state["blas"]:
            for lib in _state["blas"].libs:
                _short_blas_spin(lib)
    return _state["blas"]


def _short_blas_spin(blas):
    """OpenBLAS's idle threads wait 2^4 cycles instead of 2^28 (see the module's NOTE)."""
    if getattr(blas, "internal_api", None) != "openblas" or \
            os.environ.get("OPENBLAS_THREAD_TIMEOUT", "4") != "4":
        return  # another BLAS, or the user's own setting
    try:
        import ctypes

        library = ctypes.CDLL(blas.filepath)
        read_env, stop, start = (library.openblas_read_env, library.blas_thread_shutdown_,
                                 library.blas_thread_init)
    except (OSError, AttributeError):  # another build: leave it as it is
        return
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
    read_env()
    stop()  # the running threads keep the old wait: start them again with the new one
    start()


def _enter():
    """Set BLAS to one thread while any pool work runs (the first caller in sets it, the last
    one out restores it), and return the pool."""
    with _lock:
        if _state["busy"] == 0:
            blas = _state["blas"]
            _state["blas_threads"] = blas.counts()
            blas.set_counts([1] * len(blas.libs))
        _state["busy"] += 1
        if _state["pool"] is None:  # the calling thread is the n-th worker
            _state["pool_size"] = num_workers()
            _state["pool"] = ThreadPoolExecutor(max(_state["pool_size"] - 1, 1),
                                                thread_name_prefix="profond")
        return _state["pool"]


def _leave():
    with _lock:
        _state["busy"] -= 1
        if _state["busy"] == 0:
            _state["blas"].set_counts(_state["blas_threads"])


def chunks(n, per):
    """[(0, per), (per, 2·per), …] covering range(n)."""
    per = max(int(per), 1)
    return [(a, min(a + per, n)) for a in range(0, n, per)]


def chunk_size(n, per_item, budget=1 << 19):
    """Items per chunk: as many as keep ``per_item`` · items under ``budget`` elements (2 MiB of
    float32, a cache's worth), and at least two chunks per worker when n allows it (so the work
    balances when a core is busy elsewhere)."""
    per = max(budget // max(int(per_item), 1), 1)
    return max(min(per, -(-n // (2 * num_workers()))), 1)


SMALL_WORK = 1 << 16  # elements: a pool dispatch (~30 µs) costs more than splitting saves


def light_chunk_size(n, per_item):
    """``chunk_size`` for light, elementwise-like work: all n items in one chunk (the calling
    thread alone) while n · per_item stays under ``SMALL_WORK`` elements."""
    return n if n * per_item < SMALL_WORK else chunk_size(n, per_item)


def _parallel(run_chunk, parts):
    """Run ``run_chunk(a, b)`` on every part: the calling thread takes parts too, and helpers
    still waiting for a core when the parts run out are cancelled rather than waited for."""
    helpers = min(num_workers(), len(parts)) - 1
    if helpers < 1 or not _blas_controller():
        for a, b in parts:
            run_chunk(a, b)
        return
    todo, lock = list(reversed(parts)), threading.Lock()

    def take_parts():
        while True:
            with lock:
                if not todo:
                    return
                a, b = todo.pop()
            run_chunk(a, b)

    pool = _enter()
    try:
        futures = [pool.submit(take_parts) for _ in range(helpers)]
        try:
            take_parts()
        finally:
            with lock:
                todo.clear()  # after an error: the helpers stop after their current part
            for f in futures:
                if not f.cancel():
                    f.result()
    finally:
        _leave()


def parallel_for(fn, n, per):
    """Call ``fn(a, b)`` for the chunks [a, b) of range(n), ``per`` items each, on the workers.
    The calls must write to disjoint places (e.g. their own images of the output)."""
    _parallel(fn, chunks(n, per))


def parallel_sum(fn, n, per):
    """Σ over the chunks of ``fn(a, b)`` (new arrays of one shape; n ≥ 1), added in chunk order
    whatever worker finished first: ((c₀ + c₁) + c₂) + …, so the same inputs give the same bits
    in every run (float addition is not associative). A chunk that finishes early waits in
    ``done`` until the ones before it are added; the parts are taken in order, so few wait."""
    parts = chunks(n, per)
    starts = {a: k for k, (a, _) in enumerate(parts)}
    done, lock = {}, threading.Lock()
    state = {"next": 0, "total": None}

    def run_chunk(a, b):
        part = fn(a, b)
        with lock:
            done[starts[a]] = part
            while state["next"] in done:
                ready = done.pop(state["next"])
                if state["total"] is None:
                    state["total"] = ready
                else:
                    state["total"] += ready
                state["next"] += 1

    _parallel(run_chunk, parts)
    return state["total"]
