"""The speed paths of convolution and pooling give the same numbers as the plain ones: chunks of
images run on worker threads (``profond.backend.threads``), and the stride-1 convolutions with
fewer output than input channels that expand gy instead of x (``_Geometry.narrow``)."""

import subprocess
import sys
import threading

import numpy as np
import pytest
import torch.nn.functional as F

import profond as pf
from profond.backend import threads
from profond.ops import conv as conv_ops
from profond.ops.conv import conv2d, conv2d_transpose
from profond.ops.conv_nd import conv, conv_transpose
from profond.ops.pooling import avg_pool2d, max_pool2d
from profond.testing import check_against_torch, gradcheck, gradgradcheck

rng = np.random.default_rng(7)


@pytest.fixture
def workers():
    """Run a test with a given number of kernel threads, then go back to the default."""
    yield threads.set_num_workers
    threads.set_num_workers(None)


@pytest.fixture
def small_chunks(monkeypatch):
    """One or two images per chunk, so that small test batches still make several chunks."""
    monkeypatch.setattr(threads.chunk_size, "__defaults__", (1,))


# --- the worker threads ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_workers", [1, 2, 3])
@pytest.mark.parametrize("n,per", [(1, 1), (7, 2), (10, 3), (4, 10)])
def test_parallel_for_runs_every_chunk_once(workers, n_workers, n, per):
    workers(n_workers)
    seen, lock = [], threading.Lock()

    def chunk(a, b):
        with lock:
            seen.extend(range(a, b))

    threads.parallel_for(chunk, n, per)
    assert sorted(seen) == list(range(n))


@pytest.mark.parametrize("n_workers", [1, 2])
def test_parallel_sum_adds_every_chunk(workers, n_workers):
    workers(n_workers)
    x = rng.standard_normal((11, 3))
    total = threads.parallel_sum(lambda a, b: x[a:b].sum(axis=0), 11, 2)
    np.testing.assert_allclose(total, x.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("n_workers", [2, 3])
def test_parallel_sum_adds_in_chunk_order_whoever_finishes_first(workers, n_workers):
    """The same bits as a serial left-to-right sum, even when the later chunks finish first
    (float addition is not associative: training runs must repeat exactly)."""
    workers(n_workers)
    x = (rng.standard_normal((9, 50)) * 10.0 ** rng.integers(-8, 8, (9, 1))).astype(np.float32)

    def part(a, b):
        threading.Event().wait(0.002 * (9 - a))  # the first chunks are the slowest
        return x[a:b].sum(axis=0)

    expected = x[0:1].sum(axis=0)
    for a in range(1, 9):
        expected = expected + x[a:a + 1].sum(axis=0)
    np.testing.assert_array_equal(threads.parallel_sum(part, 9, 1), expected)


def test_chunks_use_the_other_workers_and_one_blas_thread(workers):
    workers(2)
    blas = threads._blas_controller()
    if not blas:
        pytest.skip("threadpoolctl cannot steer this BLAS: the kernels run serially")
    before = blas.num_threads
    seen = set()

    def chunk(a, b):
        seen.add((threading.current_thread().name.startswith("profond"), blas.num_threads))
        threading.Event().wait(0.01)  # long enough for the helper thread to take chunks too

    threads.parallel_for(chunk, 8, 1)
    assert {(True, 1), (False, 1)} <= seen  # the calling thread and a helper, BLAS at 1 thread
    assert blas.num_threads == before  # restored afterwards


def test_an_error_in_a_chunk_reaches_the_caller_and_restores_blas(workers):
    workers(2)

    def chunk(a, b):
        if a == 3:
            raise RuntimeError("chunk 3 failed")

    blas = threads._blas_controller()
    before = blas.num_threads if blas else None
    with pytest.raises(RuntimeError, match="chunk 3 failed"):
        threads.parallel_for(chunk, 8, 1)
    if blas:
        assert blas.num_threads == before
    threads.parallel_for(lambda a, b: None, 8, 1)  # and the pool still works


def _conv_in_child():
    threads.set_num_workers(2)
    x, w = np.ones((4, 6, 6, 2)), np.ones((3, 3, 2, 3))
    return float(conv2d(x, w).numpy().sum())


@pytest.mark.skipif(not hasattr(threads.os, "register_at_fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_workers(workers):
    import multiprocessing

    workers(2)
    threads.parallel_for(lambda a, b: None, 4, 1)  # the parent's pool is running
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_conv_in_child).get(timeout=120) == 4 * 4 * 4 * 3 * 18.0


def test_set_num_workers_checks_its_argument():
    with pytest.raises(ValueError, match="Received: n=0"):
        threads.set_num_workers(0)
    with pytest.raises(ValueError, match="Received: n=1.5"):
        threads.set_num_workers(1.5)


def test_chunk_size_keeps_chunks_small_and_balanced(workers):
    workers(2)
    assert threads.chunk_size(128, 100, budget=1000) == 10  # the budget
    assert threads.chunk_size(8, 1, budget=1000) == 2  # two chunks per worker at least
    assert threads.chunk_size(3, 10**9) == 1
    # light work: one chunk below SMALL_WORK elements, chunk_size's split from there on
    assert threads.light_chunk_size(256, threads.SMALL_WORK // 256 - 1) == 256
    assert threads.light_chunk_size(256, threads.SMALL_WORK // 256) == 64


def test_set_num_threads_sets_the_kernel_workers_too():
    pytest.importorskip("threadpoolctl")
    before = pf.config.get_num_threads()
    try:
        pf.config.set_num_threads(1)
        assert threads.num_workers() == 1
    finally:
        pf.config.set_num_threads(before or threads.available_cores())
        threads.set_num_workers(None)


# --- chunked kernels = the whole batch at once ----------------------------------------------------


def _conv_and_grads(x, w, b, stride, padding, dilation, activation):
    xs, ws, bs = (pf.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xs, ws, stride, padding, dilation, bias=bs, activation=activation)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    return [y.numpy(), *(g.numpy() for g in pf.grad(y, [xs, ws, bs], pf.tensor(gy)))]


@pytest.mark.parametrize("stride,padding,dilation,k,c,f", [
    (1, "valid", 1, 3, 3, 4), (2, "same", 1, 4, 3, 5), (1, "same", 2, 3, 6, 1),
    (1, "same", 1, 7, 8, 1), (3, "valid", 1, 2, 2, 3)])
def test_chunked_conv2d_equals_one_chunk(workers, monkeypatch, stride, padding, dilation, k, c, f):
    x, w, b = rng.standard_normal((5, 9, 8, c)), rng.standard_normal((k, k, c, f)), \
        rng.standard_normal(f)
    workers(1)
    monkeypatch.setattr(threads.chunk_size, "__defaults__", (1 << 40,))
    whole = _conv_and_grads(x, w, b, stride, padding, dilation, "relu")
    workers(3)
    monkeypatch.setattr(threads.chunk_size, "__defaults__", (1,))
    for got, want in zip(_conv_and_grads(x, w, b, stride, padding, dilation, "relu"), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _value_and_grads(fn, *arrays):
    ts = [pf.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    gy = np.random.default_rng(2).standard_normal(y.shape)
    return [y.numpy(), *(g.numpy() for g in pf.grad(y, ts, pf.tensor(gy)))]


@pytest.mark.parametrize("case", ["3d-groups", "1d-transpose", "2d-groups-strided"])
def test_chunked_conv_nd_equals_one_chunk(workers, monkeypatch, case):
    fn, arrays = {
        "3d-groups": (lambda x, w: conv(x, w, 1, "same"),
                      (rng.standard_normal((5, 4, 5, 3, 4)), rng.standard_normal((2, 3, 2, 2, 6)))),
        "1d-transpose": (lambda x, w: conv_transpose(x, w, (11,), 2, "valid"),
                         (rng.standard_normal((5, 5, 3)), rng.standard_normal((3, 2, 3)))),
        "2d-groups-strided": (lambda x, w: conv(x, w, 2, "valid"),
                              (rng.standard_normal((5, 7, 6, 6)),
                               rng.standard_normal((3, 3, 2, 9)))),
    }[case]
    workers(1)
    monkeypatch.setattr(threads.chunk_size, "__defaults__", (1 << 40,))
    whole = _value_and_grads(fn, *arrays)
    workers(3)
    monkeypatch.setattr(threads.chunk_size, "__defaults__", (1,))
    for got, want in zip(_value_and_grads(fn, *arrays), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunked_conv2d_transpose_and_pooling_match_torch(workers, small_chunks, dtype):
    workers(2)
    x, w = rng.standard_normal((5, 4, 3, 6)), rng.standard_normal((4, 4, 2, 6))
    tol = 1e-4 if dtype == "float32" else None
    check_against_torch(
        lambda x, w: conv2d_transpose(x, w, (8, 6), 2, "same"),
        lambda x, w: F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=2,
                                        padding=1).permute(0, 2, 3, 1),
        [x, w], dtype=dtype, rtol=tol, atol=tol)
    x = rng.standard_normal((5, 7, 6, 3))
    for k, s in [(2, None), (3, 2), (2, 1)]:
        for ours, theirs in [(max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)]:
            check_against_torch(
                lambda x, ours=ours, k=k, s=s: ours(x, k, s),
                lambda x, theirs=theirs, k=k, s=s: theirs(x.permute(0, 3, 1, 2), k, s).permute(
                    0, 2, 3, 1), [x], dtype=dtype, rtol=tol, atol=tol)


def test_chunked_max_pool_keeps_first_of_ties_and_nan(workers, small_chunks):
    workers(2)
    x = np.zeros((4, 4, 4, 2))
    x[1, 0, 0, 0] = np.nan
    xt = pf.tensor(x, requires_grad=True)
    y = max_pool2d(xt)
    (g,) = pf.grad(y, [xt], pf.ones(y.shape, dtype=y.dtype))
    assert np.isnan(y.numpy()[1, 0, 0, 0]) and np.isfinite(g.numpy()).all()
    expected = np.zeros_like(x)
    expected[:, ::2, ::2, :] = 1  # every window's first element, the NaN one included
    np.testing.assert_array_equal(g.numpy(), expected)


# --- the narrow path: expand gy's F channels instead of x's C -------------------------------------

NARROW_CASES = [("same", 1, 7, 8, 1), ("valid", 1, 3, 6, 1), ("same", 2, 3, 6, 2),
                ("valid", 2, 2, 9, 2), ("same", 1, 4, 5, 1)]


def _torch_same_conv(x, w, dilation):
    """TF's 'same' placement (the odd padding pixel after) in torch."""
    k_eff = [(k - 1) * dilation + 1 for k in w.shape[:2]]
    pads = []
    for ke in reversed(k_eff):  # F.pad lists the last axis first
        pads += [(ke - 1) // 2, ke - 1 - (ke - 1) // 2]
    x = F.pad(x.permute(0, 3, 1, 2), pads)
    return F.conv2d(x, w.permute(3, 2, 0, 1).contiguous(), dilation=dilation).permute(0, 2, 3, 1)


@pytest.mark.parametrize("padding,dilation,k,c,f", NARROW_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_narrow_conv2d_matches_torch(padding, dilation, k, c, f, dtype):
    x, w, b = rng.standard_normal((3, 9, 8, c)), rng.standard_normal((k, k, c, f)), \
        rng.standard_normal(f)
    geo = conv_ops._Geometry(x.shape, w.shape, (1, 1), padding, (dilation, dilation))
    assert geo.narrow(f)  # the case takes the path under test

    def torch_fn(x, w, b):
        if padding == "valid":
            y = F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1).contiguous(),
                         dilation=dilation)
            return F.tanh(y.permute(0, 2, 3, 1) + b)
        return F.tanh(_torch_same_conv(x, w, dilation) + b)

    tol = 1e-4 if dtype == "float32" else None
    check_against_torch(lambda x, w, b: conv2d(x, w, 1, padding, dilation, bias=b,
                                               activation="tanh"),
                        torch_fn, [x, w, b], dtype=dtype, rtol=tol, atol=tol)


@pytest.mark.parametrize("padding,dilation,k,c,f", NARROW_CASES)
def test_narrow_conv2d_gradcheck_and_second_order(padding, dilation, k, c, f):
    x = pf.testing.noncontiguous(rng.standard_normal((2, 7, 6, c)))
    w = rng.standard_normal((k, k, c, f))
    assert conv_ops._Geometry(x.shape, w.shape, (1, 1), padding, (dilation,) * 2).narrow(f)
    gradcheck(lambda x, w: conv2d(x, w, 1, padding, dilation), [x, w])
    gradgradcheck(lambda x, w: conv2d(x, w, 1, padding, dilation), [x, w])


def test_narrow_and_wide_paths_agree(monkeypatch):
    """Both GEMM shapes of each of the three ops, on one geometry, forced either way."""
    x, w = rng.standard_normal((3, 8, 7, 6)), rng.standard_normal((3, 2, 6, 2))
    geo = conv_ops._Geometry(x.shape, w.shape, (1, 1), "same", (2, 1))
    gy = rng.standard_normal((3, geo.ho, geo.wo, 2))
    results = []
    for narrow in (False, True):
        monkeypatch.setattr(conv_ops._Geometry, "narrow", lambda self, f, n=narrow: n)
        results.append((conv_ops.Conv2D(geo).forward(x, w),
                        conv_ops.Conv2DInputGrad(geo).forward(gy, w),
                        conv_ops.Conv2DFilterGrad(geo, w.shape).forward(x, gy)))
    for wide, narrow in zip(*results):
        np.testing.assert_allclose(narrow, wide, rtol=1e-12, atol=1e-12)


# --- the compiled col2im (numba, optional) and its NumPy fallback ---------------------------------


@pytest.fixture(params=["numpy", "numba"])
def col2im_backend(request, monkeypatch):
    """Run a test with the NumPy col2im, then with the compiled one (when numba is installed)."""
    from profond.backend import jit

    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(jit, "ENABLED", request.param == "numba")
    return request.param


@pytest.mark.parametrize("stride,padding,dilation,k", [(1, "valid", 1, 3), (2, "same", 1, 4),
                                                       (1, "same", 2, 3), (3, "valid", 1, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_col2im_backends_give_the_numpy_numbers(col2im_backend, stride, padding, dilation, k,
                                                dtype):
    geo = conv_ops._Geometry((3, 9, 8, 4), (k, k, 4, 5), (stride,) * 2, padding, (dilation,) * 2)
    cols = rng.standard_normal((3 * geo.ho * geo.wo, k * k * 4)).astype(dtype)
    got = np.empty(geo.x_shape, dtype)
    geo.col2im_into(cols, got)
    want = np.zeros((3, geo.hp, geo.wp, 4), dtype)
    geo._col2im_numpy(cols.reshape(3, geo.ho, geo.wo, k, k, 4), want)
    (t, b), (left, r) = geo.pads
    np.testing.assert_array_equal(got, want[:, t : geo.hp - b, left : geo.wp - r])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_transpose_matches_torch_with_either_col2im(col2im_backend, dtype):
    x, w = rng.standard_normal((3, 5, 4, 6)), rng.standard_normal((3, 3, 2, 6))
    tol = 1e-4 if dtype == "float32" else None
    check_against_torch(
        lambda x, w: conv2d_transpose(x, w, (11, 9), 2, "valid"),
        lambda x, w: F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1),
                                        stride=2).permute(0, 2, 3, 1),
        [x, w], dtype=dtype, rtol=tol, atol=tol)
    gradcheck(lambda x, w: conv2d(x, w, 2, "same"), [rng.standard_normal((2, 7, 6, 3)),
                                                     rng.standard_normal((3, 3, 3, 2))])



STEER_ALL = """
import numpy, scipy.linalg  # SciPy's wheel loads its own OpenBLAS beside NumPy's
from threadpoolctl import threadpool_info, threadpool_limits
from profond.backend import threads
threadpool_limits(2)  # as on a 2-core machine, whatever this one has
threads.set_num_workers(2)
blas = lambda: sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
before, inside = blas(), []
threads.parallel_for(lambda a, b: inside.append(blas()), 4, 1)
print(len(before), before == blas(), all(counts == [1] * len(before) for counts in inside))
"""


def test_every_blas_library_is_held_at_one_thread_inside_the_chunks():
    pytest.importorskip("scipy")
    pytest.importorskip("threadpoolctl")
    out = subprocess.run([sys.executable, "-c", STEER_ALL], capture_output=True, text=True,
                         check=True).stdout.split()
    if out[0] == "1":
        pytest.skip("this SciPy uses NumPy's BLAS: one library only")
    assert out[1:] == ["True", "True"]  # one thread each inside, as before afterwards
