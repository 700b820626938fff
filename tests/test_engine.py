import gc
import weakref

import numpy as np
import pytest

import profond as pf


def test_reused_node_accumulates_both_contributions():
    a = pf.tensor(3.0, requires_grad=True)
    b = a + a
    c = b * b  # c = 4a², dc/da = 8a
    (g,) = pf.grad(c, [a])
    assert float(g) == 24.0


def test_backward_accumulates_into_leaves():
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_ten_thousand_op_chain():
    x = pf.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    (g,) = pf.grad(y, [x])
    np.testing.assert_allclose(float(g), 1.0001**10_000, rtol=1e-3)


def test_second_derivative_of_tanh_and_cube_with_nested_tapes():
    x = pf.constant(0.7, dtype="float64")
    with pf.GradientTape() as outer:
        outer.watch(x)
        with pf.GradientTape() as inner:
            inner.watch(x)
            y = pf.tanh(x)
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    t = np.tanh(0.7)
    np.testing.assert_allclose(float(dy), 1 - t**2)
    np.testing.assert_allclose(float(d2y), -2 * t * (1 - t**2))
    with pf.GradientTape() as outer:
        outer.watch(x)
        with pf.GradientTape() as inner:
            inner.watch(x)
            z = x**3
        dz = inner.gradient(z, x)
    np.testing.assert_allclose(float(dz), 3 * 0.49)
    np.testing.assert_allclose(float(outer.gradient(dz, x)), 6 * 0.7)


def test_saved_arrays_released_after_backward():
    x = pf.tensor(np.random.randn(1000, 100), requires_grad=True)
    h = pf.exp(x)
    ref = weakref.ref(h.creator)
    fn = h.creator
    y = (h * h).sum()
    del h
    y.backward()
    assert fn.inputs is None and fn.saved is None
    del fn, y
    gc.collect()
    assert ref() is None


def test_backward_twice_without_retain_graph_raises():
    x = pf.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = pf.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert float(x.grad) == 8.0


def test_no_grad_records_nothing():
    w = pf.Variable([1.0, 2.0])
    with pf.no_grad():
        y = w * 2
    assert y.creator is None and not y.requires_grad


def test_tape_persistent_and_watch_accessed_variables():
    w = pf.Variable(3.0)
    v = pf.Variable(2.0)
    with pf.GradientTape(persistent=True) as tape:
        y = w * v
    assert float(tape.gradient(y, w)) == 2.0
    assert float(tape.gradient(y, v)) == 3.0
    with pf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = w * v
    gw, gv = tape.gradient(y, [w, v])
    assert gw is None and float(gv) == 3.0


def test_non_persistent_tape_used_twice_raises():
    w = pf.Variable(3.0)
    with pf.GradientTape() as tape:
        y = w * w
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, w)


def test_unconnected_gradient_is_none_or_zero():
    w = pf.Variable(3.0)
    u = pf.Variable([1.0, 2.0])
    with pf.GradientTape(persistent=True) as tape:
        y = w * 2
    assert tape.gradient(y, u) is None
    np.testing.assert_array_equal(tape.gradient(y, u, unconnected_gradients="zero").numpy(), 0)


def test_stop_gradient():
    x = pf.tensor(2.0, requires_grad=True)
    y = x * pf.stop_gradient(x)
    (g,) = pf.grad(y, [x])
    assert float(g) == 2.0


def test_grad_of_intermediate_tensor():
    x = pf.tensor(2.0, requires_grad=True)
    h = x * 3
    y = h * h
    gh, gx = pf.grad(y, [h, x])
    assert float(gh) == 12.0 and float(gx) == 36.0


def test_python_scalars_never_upcast_float32():
    x = pf.tensor([1.0, 2.0])
    assert x.dtype == np.float32
    for y in (x + 1, 2.5 * x, x / 3, x**2, 1 - x, x ** 0.5):
        assert y.dtype == np.float32


def test_variable_assign_in_place():
    v = pf.Variable(np.zeros(3, dtype=np.float32))
    data = v.data
    v.assign([1, 2, 3])
    v.assign_add([1, 1, 1])
    v.assign_sub(pf.tensor([0.5, 0.5, 0.5]))
    assert v.data is data
    np.testing.assert_allclose(v.numpy(), [1.5, 2.5, 3.5])
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0])


def test_seed_makes_draws_reproducible():
    pf.set_seed(7)
    a = pf.random.normal((3, 3)).numpy()
    pf.set_seed(7)
    b = pf.random.normal((3, 3)).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32


def test_floatx_setting():
    assert pf.config.floatx() == np.float32
    pf.config.set_floatx("float64")
    try:
        assert pf.tensor([1.0]).dtype == np.float64
    finally:
        pf.config.set_floatx("float32")
    with pytest.raises(ValueError):
        pf.config.set_floatx("int32")


def test_set_num_threads():
    pf.config.set_num_threads(1)
    assert pf.config.get_num_threads() in (1, None)


def test_mixing_numpy_and_cupy_is_a_clear_error(monkeypatch):
    import profond.backend as be

    class FakeCupy:
        class ndarray:  # noqa: N801 - mimics cupy.ndarray
            pass

    monkeypatch.setattr(be, "_cupy", FakeCupy)
    with pytest.raises(TypeError, match="Cannot mix NumPy"):
        be.array_module(np.zeros(2), FakeCupy.ndarray())


def test_backward_frees_the_memory_of_saved_activations():
    import tracemalloc

    x = pf.Variable(np.random.default_rng(0).standard_normal((500, 1000)).astype(np.float32))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        h = x
        for _ in range(10):
            h = pf.tanh(h)  # each 2 MB output is kept by the graph for the backward pass
        loss = pf.reduce_sum(h)
        del h
        held = tracemalloc.get_traced_memory()[0] - base
        loss.backward()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held > 19e6  # ten activations of 2 MB
    assert after < 3e6  # only x.grad (2 MB) is left


@pytest.mark.parametrize("as_none", [False, True])
def test_an_unused_output_of_a_multi_output_op_gets_zeros_or_none(as_none):
    """An output nothing used gets zeros in backward, or None for an op that takes it
    (``missing_grads_as_none``: the recurrent loops skip the work instead)."""
    from profond.autodiff.function import FusedFunction

    received = []

    class TwoOutputs(FusedFunction):
        missing_grads_as_none = as_none

        def forward(self, x):
            return x * 2, x * 3

        def backward_arrays(self, g2, g3):
            received.append((g2, g3))
            return ((0 if g2 is None else 2 * g2) + (0 if g3 is None else 3 * g3),)

        def composed(self, x):
            return x * 2, x * 3

    x = pf.tensor([1.0, 2.0], requires_grad=True)
    _, y3 = TwoOutputs()(x)
    (g,) = pf.grad(y3.sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])
    g2, g3 = received[0]
    np.testing.assert_array_equal(g3, [1.0, 1.0])
    if as_none:
        assert g2 is None
    else:
        np.testing.assert_array_equal(g2, [0.0, 0.0])
    _, y3 = TwoOutputs()(x)  # second order: the composed form gets zeros either way
    (g,) = pf.grad(y3.sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])
