"""Data-parallel training over MPI (issue 19): ``mpiexec -n 2`` equals one process on the same
global batches, in ``fit`` and in a custom loop; a failing rank stops the others."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from profond.distribute.mpi import find_mpiexec

pytest.importorskip("mpi4py")
HERE = pathlib.Path(__file__).parent
MPIEXEC = find_mpiexec()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (make test installs the "
                                 "mpich wheels with the mpi extra)")]
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PROFOND_KEEP_MEMORY="0")


def run(script, *args, ranks=None, timeout=300):
    command = [sys.executable, str(HERE / script), *args]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), *command, "--mpi"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)


def weights(path):
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.parametrize("kind,n,batch", [("mlp", 1001, 64), ("cnn", 600, 50), ("mlp", 129, 64)])
def test_two_ranks_train_like_one_process(tmp_path, kind, n, batch):
    """One epoch, same global batches: weights within 1e-5, the same History and evaluation.
    (1001 rows: the last batch of 41 rows splits 21/20 between the ranks. 129 rows: the last
    batch, and the last of evaluate's, has 1 row: rank 1 steps on a copy, weighted 0, and its
    metrics must not count it.)"""
    outs = {}
    for ranks in (None, 2):
        out = tmp_path / f"{kind}-{ranks or 1}.npz"
        done = run("mpi_train.py", "--kind", kind, "--n", str(n), "--batch", str(batch),
                   "--out", str(out), ranks=ranks)
        assert done.returncode == 0, done.stderr[-3000:]
        outs[ranks or 1] = out
    for a, b in zip(weights(outs[1]), weights(outs[2])):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=0)
    one, two = (json.loads(pathlib.Path(f"{outs[r]}.json").read_text()) for r in (1, 2))
    assert two["ranks"] == 2
    for part in ("history", "evaluation"):
        for key, value in one[part].items():
            np.testing.assert_allclose(two[part][key], value, rtol=1e-5)


def test_custom_loop_with_run_and_reduce(tmp_path):
    single, double = tmp_path / "one.npz", tmp_path / "two.npz"
    first = run("mpi_custom_loop.py", "--out", str(single))
    second = run("mpi_custom_loop.py", "--out", str(double), ranks=2)
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-3000:]
    assert first.stdout.splitlines() == second.stdout.splitlines()  # the reduced losses
    for a, b in zip(weights(single), weights(double)):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=0)


def test_a_failing_rank_stops_the_others(tmp_path):
    done = run("mpi_custom_loop.py", "--out", str(tmp_path / "x.npz"), "--fail-rank", "1",
               ranks=2, timeout=120)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "rank 1 fails on purpose" in output
    assert "rank 1 of 2 failed: stopping every rank" in output
    assert not (tmp_path / "x.npz").exists()


def test_strategy_without_mpi_says_how_to_install_it():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import profond as tf\n"
            "try:\n    tf.distribute.MultiWorkerMirroredStrategy()\n"
            "except ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=ENV)
    assert "pip install 'profond[mpi]'" in done.stdout, done.stderr


def test_profond_launch_runs_the_script_on_two_ranks(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import profond as tf\n"
                      "s = tf.distribute.MultiWorkerMirroredStrategy()\n"
                      "total = s.reduce('SUM', 1.0, axis=None).numpy()\n"
                      "import pathlib, sys\n"
                      "pathlib.Path(sys.argv[1], f'rank{s.rank}.txt')"
                      ".write_text(f'rank {s.rank} of {s.size} {total}')\n")
    profond = pathlib.Path(sys.executable).parent / "profond"
    command = [str(profond)] if profond.exists() else [sys.executable, "-m", "profond.cli"]
    done = subprocess.run([*command, "launch", "-n", "2", str(script), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    # Each rank writes its own file: the two ranks' stdout may interleave mid-line.
    said = sorted(p.read_text() for p in tmp_path.glob("rank*.txt"))
    assert said == ["rank 0 of 2 2.0", "rank 1 of 2 2.0"]


def test_synchronized_batch_norm_on_two_ranks_equals_one_process(tmp_path):
    """A CNN with two BatchNormalization(synchronized=True) layers on 2 ranks trains like one
    process with plain BN on the global batch (611 rows: the last batch of 11 splits 6/5).
    In float64, to 1e-10: in float32 the rounding differences (1e-7 after a step) are amplified
    by training to ~1e-4 after a dozen steps of SGD with momentum, whatever the engine. Without
    synchronisation the same run differs by far more."""
    common = ("--kind", "bn", "--float64", "--n", "611", "--batch", "50")
    outs = {}
    for name, ranks, extra in (("one", None, ()), ("sync", 2, ("--sync-bn",)),
                               ("local", 2, ())):
        out = tmp_path / f"{name}.npz"
        done = run("mpi_train.py", *common, *extra, "--out", str(out), ranks=ranks)
        assert done.returncode == 0, done.stderr[-3000:]
        outs[name] = weights(out)
    for a, b in zip(outs["one"], outs["sync"]):  # moving statistics included
        np.testing.assert_allclose(b, a, atol=1e-10, rtol=0)
    assert max(np.abs(a - b).max() for a, b in zip(outs["one"], outs["local"])) > 1e-4


RESUME = ("--kind", "bn", "--sync-bn", "--float64", "--n", "300", "--batch", "50",
          "--epochs", "3")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """Three epochs in one process, without interruption: the reference for resuming."""
    out = tmp_path_factory.mktemp("reference") / "ref.npz"
    done = run("mpi_train.py", *RESUME, "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    return weights(out)


@pytest.mark.parametrize("first,then", [(2, 1), (1, 2)])
def test_resume_from_a_backup_with_another_number_of_ranks(tmp_path, uninterrupted, first,
                                                           then):
    """Stopped on ``first`` ranks, resumed from BackupAndRestore's backup on ``then`` ranks:
    the same weights (moving statistics included) as three epochs without a stop. On 2 ranks,
    rank 0 dies midway through writing the backup of epoch 2 (the other is stopped with it):
    the backup of epoch 1 stays whole, and training resumes from it."""
    backup = tmp_path / "backup"
    stop = ("--die-saving", "1") if first == 2 else ("--interrupt-at", "2")
    done = run("mpi_train.py", *RESUME, "--backup", str(backup), *stop,
               "--out", str(tmp_path / "stopped.npz"), ranks=first if first > 1 else None,
               timeout=120)
    assert done.returncode != 0
    assert (backup / "latest.profond").exists()
    if first == 2:
        assert (backup / ".latest.profond.tmp").exists()  # the write that was cut short
    out = tmp_path / "resumed.npz"
    done = run("mpi_train.py", *RESUME, "--backup", str(backup), "--out", str(out),
               ranks=then if then > 1 else None)
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads(pathlib.Path(f"{out}.json").read_text())["history"]
    assert len(history["loss"]) == (2 if first == 2 else 1)  # the epochs left
    for a, b in zip(uninterrupted, weights(out)):
        np.testing.assert_allclose(b, a, atol=1e-10, rtol=0)


@pytest.mark.parametrize("case,message", [
    ("batch", "Expected a global batch of at least 2 rows (one per rank, 2 ranks). Received: "
              "a batch of 1 rows"),
    ("shapes", "Expected the same model on every rank. Received: variable 0 "
               "('sequential/dense/kernel') of shape (4, 8) (float32) on rank 0 but (4, 9) "
               "(float32) on rank 1"),
    ("unbuilt", "Expected a built model before fit"),
])
def test_bad_input_stops_every_rank_with_a_clear_error(tmp_path, case, message):
    done = run("mpi_bad_input.py", "--case", case, "--out", str(tmp_path), ranks=2, timeout=120)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    said = [p.read_text() for p in tmp_path.glob("rank*.txt")]
    assert any(message in text for text in said), (said, output[-3000:])
    # A rank that did not hit the error itself is stopped by the other (when both hit it at
    # once, the first abort may cut the other's words short)
    assert "failed: stopping every rank" in output or len(said) == 2, output[-3000:]
    assert "trained" not in done.stdout
