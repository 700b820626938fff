"""Every crafted file of ``hostile_corpus.py`` through every loader, each run bounded.

The loaders: ``load_model`` + ``summary()``, ``load_weights`` and ``restore_checkpoint`` (into
a reference model), ``profond info`` and ``profond predict --input``. The runs happen in one
subprocess (imports done once) that forks a child per run, under a 3 GiB address-space limit;
``os.wait4`` gives each child's CPU time and peak RSS. Each run must:

- reject a hostile file with an error of profond's own class, the model left unchanged, or load
  a valid one unchanged (the same predictions as the model it was saved from);
- use at most 2 s of CPU and 512 MB of peak RSS;
- print no raw control character (a terminal would obey it).

The cases are grouped by the helper whose fix they need (issue 13): the groups still ``PENDING``
are expected to fail until that fix lands (an ``xfail`` that passes as soon as they do).
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hostile_corpus  # noqa: E402

pytestmark = pytest.mark.slow

MAX_CPU_S = 2.0
MAX_RSS_MB = 512
ADDRESS_SPACE = 3 * 2**30
# Groups whose fixes are still in flight in other helpers' files (remove a name once it lands).
PENDING = {}
_CONTROL = {chr(i) for i in range(32)} - {"\n", "\t"} | {chr(127)} | {
    chr(i) for i in range(0x80, 0xA0)}


# --- the child side: one run ---------------------------------------------------------------------
def _run(loader, case, reference, valid_model, valid_input, scratch):
    """Run ``loader`` on ``case``; return what happened (a dict, JSON-able)."""
    import numpy as np

    import profond
    from profond import cli

    seen = []
    describe = cli._describe
    cli._describe = lambda error: seen.append(error) or describe(error)
    variables = list(reference.weights) + list(reference.optimizer.variables)
    before = [v.numpy().copy() for v in variables]
    result = None
    try:
        if loader == "load_model":
            model = profond.saving.load_model(case["path"])
            model.summary()
            result = np.asarray(model.predict(hostile_corpus.INPUT, verbose=0))
        elif loader == "load_weights":
            reference.load_weights(case["path"])
            result = np.asarray(reference.predict(hostile_corpus.INPUT, verbose=0))
        elif loader == "restore_checkpoint":
            profond.saving.restore_checkpoint(reference, case["path"])
            result = np.asarray(reference.predict(hostile_corpus.INPUT, verbose=0))
        else:
            output = os.path.join(scratch, "out.npy")
            if loader == "info":
                argv = ["info", case["path"]]
            elif case["path"].endswith(".npy"):
                argv = ["predict", valid_model, "--input", case["path"], "--output", output]
            else:
                argv = ["predict", case["path"], "--input", valid_input, "--output", output]
            code = cli.main(argv)
            sys.stdout.flush()
            if code != 0:
                error = seen[0] if seen else None
                return {"outcome": "rejected", "code": code,
                        "error": None if error is None else _class_name(error),
                        "own_class": error is not None and _is_own(error),
                        "message": repr(str(error))[:300] if error is not None else None}
            if loader == "predict":
                result = np.load(output)
    except Exception as error:  # noqa: BLE001 - classified below
        unchanged = all(np.array_equal(a, v.numpy()) for a, v in zip(before, variables))
        return {"outcome": "rejected", "error": _class_name(error), "own_class": _is_own(error),
                "message": repr(str(error))[:300], "unchanged": unchanged}
    same = None
    if result is not None and case["expected"]:
        expected = np.load(case["expected"])
        same = result.shape == expected.shape and bool(np.array_equal(result, expected))
    return {"outcome": "loaded", "same": same}


def _class_name(error):
    return f"{type(error).__module__}.{type(error).__qualname__}"


def _is_own(error):
    """An error class that profond defines (``FileFormatError``, ``UnknownClassError``...)."""
    return type(error).__module__.split(".")[0] == "profond"


def serve(jobs_path, results_path):
    """Run the jobs of ``jobs_path``, one forked child each; write ``results_path``."""
    import resource
    import signal

    os.environ["OMP_NUM_THREADS"] = "1"
    import h5py  # noqa: F401 - imported before forking, as profond would

    import profond
    import profond.cli  # noqa: F401

    with open(jobs_path) as f:
        jobs = json.load(f)
    scratch = os.path.dirname(results_path)
    reference = hostile_corpus.reference_model()
    profond.saving.load_model(jobs["valid_model"])  # warm the lazy imports
    results = []
    for job in jobs["runs"]:
        out_path = os.path.join(scratch, "child_output")
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            report = {"outcome": "crash"}
            try:
                resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
                resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
                signal.alarm(30)
                fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                # A terminal's encoding: printing a lone surrogate raises, as it would there.
                sys.stdout = open(1, "w", encoding="utf-8", errors="strict", closefd=False)
                sys.stderr = open(2, "w", encoding="utf-8", errors="strict", closefd=False)
                report = _run(job["loader"], job["case"], reference, jobs["valid_model"],
                              jobs["valid_input"], scratch)
            except BaseException as error:  # noqa: BLE001 - a crash is a result
                report = {"outcome": "crash", "error": _class_name(error),
                          "message": repr(str(error))[:300]}
            finally:
                with os.fdopen(write_end, "w") as pipe:
                    pipe.write(json.dumps(report))
                with_flush = getattr(sys.stdout, "flush", None)
                if with_flush is not None:
                    try:
                        sys.stdout.flush()
                        sys.stderr.flush()
                    except Exception:  # noqa: BLE001 - the report is written already
                        pass
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            text = pipe.read()
        _, status, usage = os.wait4(pid, 0)
        report = json.loads(text) if text else {
            "outcome": "crash", "error": f"killed (wait status {status})"}
        with open(out_path, "rb") as f:
            printed = f.read(2**20)
            size = os.fstat(f.fileno()).st_size
        text = printed.decode("utf-8", "replace")
        report.update(cpu_s=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024,
                      printed_bytes=size,
                      controls=sorted({repr(ch) for ch in text if ch in _CONTROL})[:10])
        results.append({**job, "result": report})
    with open(results_path, "w") as f:
        json.dump(results, f)


# --- the test side -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    cases = hostile_corpus.generate(str(directory / "corpus"))
    runs = [{"loader": loader, "expect": expect,
             "case": {"name": c.name, "path": c.path, "owner": c.owner, "about": c.about,
                      "expected": c.expected}}
            for c in cases for loader, expect in c.loaders.items()]
    jobs = directory / "jobs.json"
    jobs.write_text(json.dumps({"runs": runs,
                                "valid_model": str(directory / "corpus" / "valid_model.profond"),
                                "valid_input": str(directory / "corpus" / "valid_input.npy")}))
    out = directory / "results.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("PROFOND_DEBUG", None)
    done = subprocess.run([sys.executable, __file__, str(jobs), str(out)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def problems_of(run):
    """What is wrong with one run (an empty list when all is well)."""
    result, expect = run["result"], run["expect"]
    found = []
    if result["outcome"] == "crash":
        found.append(f"crashed: {result.get('error')} {result.get('message', '')}")
    elif expect == "reject":
        if result["outcome"] != "rejected":
            found.append("loaded a hostile file")
        else:
            if not result.get("own_class"):
                found.append(f"rejected with {result.get('error')} (not profond's own class): "
                             f"{result.get('message')}")
            if result.get("unchanged") is False:
                found.append("the refused load changed the model")
    elif expect == "display":  # refused or shown escaped: both fine
        if result["outcome"] == "rejected" and not result.get("own_class"):
            found.append(f"rejected with {result.get('error')} (not profond's own class): "
                         f"{result.get('message')}")
    elif result["outcome"] != "loaded":
        found.append(f"refused a valid file: {result.get('error')} {result.get('message')}")
    elif result.get("same") is False:
        found.append("loaded a valid file with different values")
    # A valid file is loaded whole (the 12k-layer one builds 12,000 layers: 1.2 s quiet, 2.2 s
    # seen on a loaded CI machine); a refusal must come within the budget itself.
    limit = MAX_CPU_S if expect in ("reject", "display") else 1.5 * MAX_CPU_S
    if result.get("cpu_s", 0) > limit:
        found.append(f"took {result['cpu_s']:.2f} s of CPU")
    if result.get("rss_mb", 0) > MAX_RSS_MB:
        found.append(f"peaked at {result['rss_mb']:.0f} MB")
    if result.get("controls"):
        found.append(f"printed control characters {result['controls']}")
    most = 64 * 2**10 if expect == "display" else 8 * 2**20  # the 12k-layer summary: 4 MB
    if result.get("printed_bytes", 0) > most:
        found.append(f"printed {result['printed_bytes']} bytes")
    return found


@pytest.mark.parametrize("owner", ["H1", "H2", "H3"])
def test_hostile_files(results, owner, request):
    """Each run of the owner's cases is bounded, clear and exact (see the module)."""
    if owner in PENDING:
        request.applymarker(pytest.mark.xfail(reason=f"waiting for {owner}: {PENDING[owner]}"))
    runs = [r for r in results if r["case"]["owner"] == owner]
    assert runs
    failures = [f"{r['case']['name']} via {r['loader']}: {'; '.join(p)}"
                for r in runs for p in [problems_of(r)] if p]
    assert not failures, f"{len(failures)} of {len(runs)} runs failed:\n" + "\n".join(failures)


def test_the_corpus_covers_every_loader_and_both_outcomes(results):
    seen = {(r["loader"], r["expect"]) for r in results}
    for loader in hostile_corpus.MODEL_LOADERS:
        assert (loader, "reject") in seen and (loader, "valid") in seen, loader


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
