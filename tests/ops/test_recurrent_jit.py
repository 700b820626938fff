"""The compiled LSTM and GRU kernels (``profond.ops.recurrent_jit``, numba) against the NumPy
path they replace: the same outputs and gradients through the sequence ops, the step ops and the
layers (masks, ``return_sequences``, ``go_backwards``, stateful), and the NumPy path when numba
is absent. ``tests/ops/test_recurrent.py`` runs its torch and gradient checks on both paths."""

import numpy as np
import pytest

import profond as pf
from profond import layers
from profond.backend import jit as backend_jit
from profond.backend import threads
from profond.ops import recurrent
from profond.ops.recurrent import GRUGates, LSTMGates, gru, lstm

rng = np.random.default_rng(3)
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-13)}


def both_paths(fn, monkeypatch):
    """fn() with the compiled kernels, then with the NumPy path."""
    monkeypatch.setattr(backend_jit, "ENABLED", True)
    jit = fn()
    monkeypatch.setattr(backend_jit, "ENABLED", False)
    return jit, fn()


def assert_all_close(got, want, dtype):
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), **TOL[dtype])


@pytest.fixture
def jit():
    return pytest.importorskip("profond.ops.recurrent_jit")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("op", [lstm, gru])
def test_sequence_op_gives_the_numpy_paths_outputs_and_gradients(jit, monkeypatch, op, dtype,
                                                                 go_backwards):
    b, t, d, h = 5, 7, 6, 19  # several vector widths per row, and a remainder
    k = 4 if op is lstm else 3
    shapes = [(b, t, d), (d, k * h), (h, k * h), (k * h,) if op is lstm else (2, k * h), (b, h)]
    shapes += [(b, h)] * (op is lstm)  # c0
    args = [rng.standard_normal(s).astype(dtype) for s in shapes]
    args[1:3] = [a * 0.6 for a in args[1:3]]
    ups = [rng.standard_normal(s).astype(dtype) for s in [(b, t, h)] + [(b, h)] * (k - 2)]

    def run():
        ts = [pf.Variable(a) for a in args]
        outs = op(*ts, go_backwards=go_backwards)
        grads = pf.grad(list(outs), ts, grad_outputs=[pf.constant(u) for u in ups])
        return [o.numpy() for o in outs] + [g.numpy() for g in grads]

    got, want = both_paths(run, monkeypatch)
    assert all(a.dtype == np.dtype(dtype) for a in got)
    assert_all_close(got, want, dtype)


@pytest.mark.parametrize("op", [lstm, gru])
def test_batch_chunks_on_the_pool_give_the_one_chunk_result(jit, monkeypatch, op):
    """The sequence ops run chunks of batch rows on ``backend.threads``'s workers: with 1, 2 or
    3 workers (chunks of 11, 6 and 4 rows) the outputs and every gradient are the same (up to
    the last bits of the per-chunk GEMMs)."""
    monkeypatch.setattr(backend_jit, "ENABLED", True)
    b, t, d, h = 11, 5, 4, 7
    k = 4 if op is lstm else 3
    shapes = [(b, t, d), (d, k * h), (h, k * h), (k * h,) if op is lstm else (2, k * h), (b, h)]
    shapes += [(b, h)] * (op is lstm)
    args = [rng.standard_normal(s) * 0.5 for s in shapes]
    ups = [pf.constant(rng.standard_normal(s)) for s in [(b, t, h)] + [(b, h)] * (k - 2)]
    calls = []
    monkeypatch.setattr(recurrent._SequenceOp, "rows", _counting(recurrent._SequenceOp.rows,
                                                                  calls))
    results = []
    for workers in (1, 2, 3):
        monkeypatch.setattr(threads, "num_workers", lambda workers=workers: workers)
        ts = [pf.Variable(a) for a in args]
        outs = op(*ts)
        grads = pf.grad(list(outs), ts, grad_outputs=ups)
        results.append([o.numpy() for o in outs] + [g.numpy() for g in grads])
    assert calls == [11, 11, 6, 6, 4, 4]  # rows per chunk, forward and backward
    for got in results[1:]:
        assert_all_close(got, results[0], "float64")


def _counting(rows, calls):
    def counted(fn, n, jit):
        def chunk(r0, r1):
            if r0 == 0:
                calls.append(r1)
            fn(r0, r1)

        rows(chunk, n, jit)

    return staticmethod(counted)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", [LSTMGates, GRUGates])
def test_step_op_gives_the_numpy_paths_outputs_and_gradients(jit, monkeypatch, op, dtype):
    k = 4 if op is LSTMGates else 3
    shapes = [(4, k * 3), (4, 3)] if op is LSTMGates else [(4, 9), (4, 9), (4, 3)]
    # Fortran-ordered inputs: the kernels work on C-ordered copies or index any layout
    args = [np.asfortranarray(rng.standard_normal(s).astype(dtype)) for s in shapes]
    ups = [pf.constant(rng.standard_normal((4, 3)).astype(dtype)) for _ in range(k - 2)]

    def run():
        ts = [pf.Variable(a) for a in args]
        outs = op()(*ts)
        outs = list(outs) if isinstance(outs, tuple) else [outs]
        grads = pf.grad(outs, ts, grad_outputs=ups)
        return [o.numpy() for o in outs] + [g.numpy() for g in grads]

    got, want = both_paths(run, monkeypatch)
    assert_all_close(got, want, dtype)


@pytest.mark.parametrize("config", [
    dict(return_sequences=True), dict(go_backwards=True), dict(return_state=True),
    dict(return_sequences=True, go_backwards=True)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_layer_gives_the_numpy_paths_outputs_and_gradients(jit, monkeypatch, kind, config,
                                                           masked):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    mask = np.ones((4, 6), bool)
    mask[1, 4:] = mask[3, :2] = False

    def run():
        pf.set_seed(1)
        layer = getattr(layers, kind)(8, **config)
        xt = pf.Variable(x)
        with pf.GradientTape() as tape:
            outs = layer(xt, mask=mask if masked else None)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            loss = sum(pf.reduce_sum(o * o) for o in outs)
        grads = tape.gradient(loss, [xt] + layer.trainable_variables)
        return [o.numpy() for o in outs] + [g.numpy() for g in grads]

    got, want = both_paths(run, monkeypatch)
    assert_all_close(got, want, "float32")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_stateful_layer_continues_the_sequence_on_both_paths(jit, monkeypatch, kind):
    x = rng.standard_normal((2, 8, 3)).astype("float32")

    def run():
        pf.set_seed(2)
        layer = getattr(layers, kind)(5, stateful=True, return_sequences=True)
        first, second = layer(x[:, :4]).numpy(), layer(x[:, 4:]).numpy()
        layer.reset_states()
        whole = layer(x).numpy()
        np.testing.assert_allclose(np.concatenate([first, second], 1), whole, atol=1e-6)
        return [whole]

    got, want = both_paths(run, monkeypatch)
    assert_all_close(got, want, "float32")


def test_float32_exp_is_accurate_and_gates_saturate_without_inf_or_nan(jit):
    """The vectorizable float32 eˣ of the kernels: relative error < 2e-7 over its whole range;
    σ and tanh of huge arguments (±1e30, ±inf) are 0 or ±1, never NaN; a NaN stays NaN."""
    import numba

    @numba.njit
    def exp_all(a, out):
        for j in range(a.size):
            out[j] = jit._exp(a[j])

    xs = np.linspace(-87, 88, 400_001, dtype=np.float32)
    got = np.empty_like(xs)
    exp_all(xs, got)
    want = np.exp(xs.astype(np.float64))
    assert np.max(np.abs(got - want) / want) < 2e-7
    huge = np.array([[-1e30, 1e30, -1e4, 1e4, -100.0, 100.0, -np.inf, np.inf]], np.float32)
    gate = np.tile(huge, (1, 4))  # each of the gates i, f, c, o sees every value
    c = np.zeros((1, 8), np.float32)
    c_out, tc, h = (np.empty_like(c) for _ in range(3))
    jit.lstm_step(gate, np.zeros_like(gate), c, c_out, tc, h)
    assert np.isfinite(gate).all() and np.isfinite(h).all()
    sigma = [0, 1] * 4
    np.testing.assert_allclose(gate[0], sigma + sigma + [-1, 1] * 4 + sigma, rtol=0, atol=1e-30)
    gate[0, 5] = np.nan  # a NaN spreads (anomaly detection looks for it)
    jit.lstm_step(gate, np.zeros_like(gate), c, c_out, tc, h)
    assert np.isnan(h[0, 5]) and np.isfinite(np.delete(h[0], 5)).all()


def test_numpy_path_runs_when_numba_is_missing(monkeypatch):
    """Without numba (the module list holds None), the layer still runs, on NumPy."""
    monkeypatch.setattr(backend_jit, "ENABLED", True)
    monkeypatch.setitem(backend_jit._loaded, recurrent._import_kernels, None)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    seq, h, c = lstm(x, *(pf.constant(rng.standard_normal(s).astype("float32"))
                          for s in ((4, 8), (2, 8), (8,))))
    assert seq.shape == (2, 3, 2) and np.isfinite(seq.numpy()).all()
    assert recurrent._jit_kernels(x) is None
