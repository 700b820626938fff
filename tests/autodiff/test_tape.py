"""GradientTape as TensorFlow's: several tapes over one forward pass, jacobian, batch_jacobian,
stop_recording, reset, watched variables (expected values worked out by hand, behaviour checked
against TF 2.21)."""

import gc
import tracemalloc

import numpy as np
import pytest

import profond as pf


def test_grad_of_a_repeated_input_is_given_at_every_place():
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    gx1, gx2 = pf.grad((x * x).sum(), [x, x])
    np.testing.assert_allclose(gx1.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(gx2.numpy(), [2.0, 4.0])
    w = pf.Variable([1.0, 2.0, 3.0])
    with pf.GradientTape() as tape:
        y = pf.reduce_sum(w * w)
    g = tape.gradient(y, [w, w])
    assert all(np.allclose(gi.numpy(), [2, 4, 6]) for gi in g)


def test_two_tapes_over_one_forward_pass_each_take_their_gradient():
    x, u = pf.Variable([1.0, 2.0, 3.0]), pf.Variable(5.0)
    with pf.GradientTape() as g1, pf.GradientTape() as g2:
        s = x * u
        l1 = pf.reduce_sum(s * 2)
        l2 = pf.reduce_sum(s * s)
    np.testing.assert_allclose(g1.gradient(l1, x).numpy(), [10, 10, 10])  # 2u
    np.testing.assert_allclose(float(g2.gradient(l2, u)), 2 * 5 * 14)  # 2u Σx²
    with pytest.raises(RuntimeError, match="non-persistent"):
        g2.gradient(l2, u)


def test_dcgan_pattern_gives_the_same_gradients_as_separate_passes():
    rng = np.random.default_rng(0)
    gen, disc = pf.layers.LSTM(4, return_sequences=True), pf.layers.Dense(1)
    z = rng.standard_normal((3, 5, 2)).astype(np.float32)

    def losses():
        fake = gen(z)
        score = disc(fake)
        return pf.reduce_mean(score * score), pf.reduce_mean(pf.tanh(score))

    with pf.GradientTape() as gen_tape, pf.GradientTape() as disc_tape:
        gen_loss, disc_loss = losses()
    g_gen = gen_tape.gradient(gen_loss, gen.trainable_variables)
    g_disc = disc_tape.gradient(disc_loss, disc.trainable_variables + gen.trainable_variables)
    for loss_index, variables, got in ((0, gen.trainable_variables, g_gen),
                                       (1, disc.trainable_variables + gen.trainable_variables,
                                        g_disc)):
        with pf.GradientTape() as tape:
            loss = losses()[loss_index]
        want = tape.gradient(loss, variables)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_ops_before_the_tape_and_before_reset_are_constants():
    x, u = pf.Variable([1.0, 2.0, 3.0]), pf.Variable(5.0)
    pre = x * 2
    with pf.GradientTape() as tape:
        y = pre * u
    gx, gu = tape.gradient(y, [x, u])
    assert gx is None and float(gu) == 12.0
    with pf.GradientTape() as tape:
        y1 = x * x
        tape.reset()
        y2 = y1 * u
    gx, gu = tape.gradient(y2, [x, u])
    assert gx is None and float(gu) == 14.0
    with pytest.raises(ValueError, match="not recording"):
        tape.reset()


def test_stop_recording_pauses_only_that_tape():
    x = pf.Variable([1.0, 2.0, 3.0])
    with pf.GradientTape(persistent=True) as outer:
        with pf.GradientTape(persistent=True) as tape:
            y = x * x
            with tape.stop_recording():
                w = y * 3
            v = y + w
    np.testing.assert_allclose(tape.gradient(v, x).numpy(), [2, 4, 6])  # w is a constant
    np.testing.assert_allclose(outer.gradient(v, x).numpy(), [8, 16, 24])  # d(4x²)/dx
    with pytest.raises(ValueError, match="not recording"):
        with tape.stop_recording():
            pass


def test_watched_variables_and_watch_accessed_variables_false():
    x, u = pf.Variable([1.0, 2.0], name="x"), pf.Variable(5.0, name="u")
    frozen = pf.Variable(1.0, trainable=False)
    with pf.GradientTape() as tape:
        y = x * u * frozen
    assert [v.name for v in tape.watched_variables()] == ["x", "u"]
    with pf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(u)
        y = pf.reduce_sum(x * u)
    assert [v.name for v in tape.watched_variables()] == ["u"]
    gx, gu = tape.gradient(y, [x, u])
    assert gx is None and float(gu) == 3.0


def test_jacobian_values_structure_and_unconnected():
    x, u = pf.Variable([1.0, 2.0, 3.0]), pf.Variable(5.0)
    with pf.GradientTape() as tape:
        y = x * x
    jx, ju = tape.jacobian(y, [x, u])
    np.testing.assert_allclose(jx.numpy(), np.diag([2.0, 4.0, 6.0]))
    assert ju is None
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, x)
    with pf.GradientTape(persistent=True) as tape:
        y = pf.reshape(x, (3, 1)) * u
    out = tape.jacobian(y, {"u": u, "x": x}, unconnected_gradients="zero")
    assert out["u"].shape == (3, 1) and out["x"].shape == (3, 1, 3)
    np.testing.assert_allclose(out["u"].numpy()[:, 0], [1, 2, 3])
    np.testing.assert_allclose(out["x"].numpy()[:, 0], 5 * np.eye(3))
    np.testing.assert_array_equal(tape.jacobian(y, pf.Variable(1.0), "zero").numpy(), 0)


def test_batch_jacobian_against_the_full_jacobian():
    rng = np.random.default_rng(1)
    a = pf.Variable(rng.standard_normal((4, 3)))
    w = pf.Variable(rng.standard_normal((3, 2)))
    with pf.GradientTape(persistent=True) as tape:
        z = pf.tanh(a @ w)
    bj = tape.batch_jacobian(z, a)
    full = tape.jacobian(z, a).numpy()  # (4, 2, 4, 3): zero across examples
    assert bj.shape == (4, 2, 3)
    np.testing.assert_allclose(bj.numpy(), full[np.arange(4), :, np.arange(4)])
    slope = 1 - np.tanh(a.numpy() @ w.numpy()) ** 2  # dz[b, i]/da[b, j] = (1 − z²) w[j, i]
    np.testing.assert_allclose(bj.numpy(), slope[:, :, None] * w.numpy().T[None])
    with pytest.raises(ValueError, match="first dimension"):
        tape.batch_jacobian(z, w)


def test_nested_tapes_still_give_second_derivatives():
    x = pf.Variable(0.7, dtype="float64")
    with pf.GradientTape() as outer:
        with pf.GradientTape() as inner:
            y = x**3
        dy = inner.gradient(y, x)
    assert float(outer.gradient(dy, x)) == pytest.approx(6 * 0.7)


def test_two_tapes_free_the_saved_activations_after_the_last_gradient():
    x = pf.Variable(np.random.default_rng(0).standard_normal((500, 1000)).astype(np.float32))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        with pf.GradientTape() as t1, pf.GradientTape() as t2:
            h = x
            for _ in range(10):
                h = pf.tanh(h)  # each 2 MB output is kept by the graph for the backward pass
            loss = pf.reduce_sum(h)
        del h
        g1 = t1.gradient(loss, x)
        held = tracemalloc.get_traced_memory()[0] - base  # t2 still needs the graph
        g2 = t2.gradient(loss, x)
        del g1, g2
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held > 19e6
    assert after < 3e6


def test_single_tape_frees_the_graph_and_a_dropped_tape_holds_nothing():
    x = pf.Variable([1.0, 2.0])
    with pf.GradientTape() as unused, pf.GradientTape() as tape:
        y = pf.tanh(x)
    fn = y.creator
    del unused  # no longer able to take a gradient: the graph is tape's alone
    tape.gradient(y, x)
    assert fn.saved is None and fn.inputs is None


def test_a_tape_open_in_another_thread_does_not_reach_this_one():
    import threading

    opened, done = threading.Event(), threading.Event()

    def hold_a_tape():
        with pf.GradientTape():
            opened.set()
            done.wait(10)

    other = threading.Thread(target=hold_a_tape)
    other.start()
    try:
        opened.wait(10)
        w = pf.Variable([1.0, 2.0])
        with pf.GradientTape() as tape:
            y = pf.reduce_sum(w * w)
        g = tape.gradient(y, w)
        assert not g.requires_grad  # no tape of this thread records: first order only
        np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
        assert y.creator.inputs is None  # freed: the other thread's tape needs nothing here
    finally:
        done.set()
        other.join()
