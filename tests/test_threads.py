"""Global state across threads: random streams and grad mode are per thread, settings are
process-global, and two threads training two models get what they would get one after the other.
"""

import sys
import threading

import numpy as np
import pytest

import profond as pf
from profond import layers, models


@pytest.fixture(autouse=True)
def _often_switching_threads():
    """Make the interpreter switch threads every few bytecodes, so that concurrent trainings
    really interleave their draws and graph recordings."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _in_threads(*targets):
    """Run each target in its own thread, started together; their results (or first error)."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(i, target):
        try:
            barrier.wait()
            results[i] = target()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _train(seed):
    """Seed, build, fit with shuffling and dropout: everything that draws random numbers."""
    pf.set_seed(seed)
    x = pf.random.normal((48, 5)).numpy()
    y = (x[:, :1] * 2 - x[:, 1:2]).astype("float32")
    model = models.Sequential([layers.Input((5,)), layers.Dense(16, activation="relu"),
                               layers.Dropout(0.3), layers.Dense(8, activation="tanh"),
                               layers.Dropout(0.2), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, shuffle=True, verbose=0)
    return model.get_weights()


def test_two_threads_train_as_one_after_the_other():
    one_after_the_other = [_train(1), _train(2)]
    together = _in_threads(lambda: _train(1), lambda: _train(2))
    for ws_seq, ws_thr in zip(one_after_the_other, together):
        assert len(ws_seq) == len(ws_thr) == 6
        for a, b in zip(ws_seq, ws_thr):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(together[0][0], together[1][0])  # two different trainings


def test_an_unseeded_thread_derives_its_stream_from_the_global_seed():
    def draw():
        return pf.random.uniform((4,)).numpy()

    pf.set_seed(7)
    first = _in_threads(draw)[0]
    main = draw()
    pf.set_seed(7)
    assert np.array_equal(_in_threads(draw)[0], first)  # reproducible
    assert np.array_equal(draw(), main)  # the seeding thread's stream is default_rng(7)
    assert not np.array_equal(first, main)
    a, b = _in_threads(draw, draw)
    assert not np.array_equal(a, b)  # two threads, two independent streams


def test_a_thread_that_seeds_itself_leaves_the_other_streams_alone():
    pf.set_seed(3)
    expected = np.random.default_rng(3).random(6)
    head = pf.random.generator().random(3)
    _in_threads(lambda: pf.set_seed(99))
    tail = pf.random.generator().random(3)  # still the stream of set_seed(3), not of 99
    np.testing.assert_array_equal(np.concatenate([head, tail]), expected)


def test_get_and_set_state_are_per_thread():
    pf.set_seed(0)
    state = pf.random.get_state()
    a = pf.random.normal((3,)).numpy()
    _in_threads(lambda: pf.random.normal((100,)))  # another thread's draws
    pf.random.set_state(state)
    np.testing.assert_array_equal(pf.random.normal((3,)).numpy(), a)


def test_grad_mode_and_tapes_are_per_thread():
    inside = threading.Event()
    release = threading.Event()

    def without_grad():
        with pf.no_grad():
            inside.set()
            release.wait(5)
            return pf.autodiff.mode.is_grad_enabled()

    def with_tape():
        inside.wait(5)  # the other thread is inside no_grad now
        w = pf.Variable([1.0, 2.0, 3.0])
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(w * w)
        release.set()
        return tape.gradient(loss, w).numpy()

    off, g = _in_threads(without_grad, with_tape)
    assert off is False
    np.testing.assert_allclose(g, [2.0, 4.0, 6.0])
    assert pf.autodiff.mode.is_grad_enabled()


def test_floatx_is_process_global_as_documented():
    assert "process-global" in pf.config.set_floatx.__doc__
    try:
        _in_threads(lambda: pf.config.set_floatx("float64"))
        assert pf.config.floatx() == "float64"
        assert layers.Dense(2)(np.ones((1, 3))).dtype == np.float64
    finally:
        pf.config.set_floatx("float32")


def test_a_cnn_trained_twice_with_one_seed_is_the_same_to_the_bit():
    """Two workers share the convolutions' chunks in whatever order the cores allow; the
    weights after training must not depend on it (``parallel_sum`` adds in chunk order)."""
    import profond as tf
    from profond.backend import threads

    x = np.random.default_rng(0).normal(size=(96, 12, 12, 3)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 4, 96)
    previous = threads.num_workers()
    threads.set_num_workers(2)
    try:
        runs = []
        for _ in range(2):
            tf.set_seed(3)
            model = tf.keras.Sequential([
                tf.keras.Input((12, 12, 3)), tf.keras.layers.Conv2D(8, 3, activation="relu"),
                tf.keras.layers.MaxPooling2D(), tf.keras.layers.Conv2D(8, 3),
                tf.keras.layers.Flatten(), tf.keras.layers.Dense(4)])
            model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            model.fit(x, y, batch_size=32, epochs=3, verbose=0)
            runs.append(model.get_weights())
    finally:
        threads.set_num_workers(previous)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
