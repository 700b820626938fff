"""profond.data.Dataset: tf.data semantics, the fast index path, and re-iteration."""

import threading

import numpy as np
import pytest

import profond
from profond.data import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
)


def values(ds):
    """The elements as nested Python lists/tuples (easy to compare)."""

    def plain(e):
        if isinstance(e, tuple):
            return tuple(plain(v) for v in e)
        if isinstance(e, dict):
            return {k: plain(v) for k, v in e.items()}
        return np.asarray(e).tolist()

    return [plain(e) for e in ds.as_numpy_iterator()]


# --- sources and structures -------------------------------------------------------------------
def test_from_tensor_slices_tuple_yields_tensors():
    x, y = np.arange(12).reshape(6, 2).astype("float32"), np.arange(6)
    ds = Dataset.from_tensor_slices((x, y))
    elements = list(ds)
    assert len(elements) == len(ds) == ds.cardinality() == 6
    xi, yi = elements[2]
    assert isinstance(xi, profond.Tensor) and isinstance(yi, profond.Tensor)
    np.testing.assert_array_equal(xi.numpy(), x[2])
    assert yi.numpy() == 2 and xi.dtype == np.float32


def test_from_tensor_slices_single_array_dict_and_weights():
    assert values(Dataset.from_tensor_slices(np.arange(3))) == [0, 1, 2]
    ds = Dataset.from_tensor_slices({"a": np.arange(3), "b": np.ones((3, 2))})
    first = next(iter(ds))
    assert set(first) == {"a", "b"} and first["b"].shape == (2,)
    x, y, w = np.zeros((4, 2)), np.arange(4), np.linspace(0, 1, 4)
    assert len(next(iter(Dataset.from_tensor_slices((x, y, w))))) == 3


def test_python_lists_are_arrays_and_floats_become_float32():
    ds = Dataset.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]])
    assert values(ds) == [[1.0, 2.0], [3.0, 4.0]]
    assert next(iter(ds)).dtype == np.float32


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match="same first dimension"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="at least"):
        Dataset.from_tensor_slices(np.float32(1.0))


def test_from_tensors_range_and_generator():
    ds = Dataset.from_tensors((np.zeros((3, 2)), 1))
    assert len(ds) == 1 and next(iter(ds))[0].shape == (3, 2)
    assert values(Dataset.range(5)) == [0, 1, 2, 3, 4]
    assert values(Dataset.range(2, 9, 3)) == [2, 5, 8]
    assert next(Dataset.range(3).as_numpy_iterator()).dtype == np.int64
    gen = Dataset.from_generator(lambda: ((i, i * i) for i in range(3)))
    assert values(gen) == [(0, 0), (1, 1), (2, 4)] == values(gen)  # called again each pass


# --- batch, shuffle -------------------------------------------------------------------------
def test_batch_with_and_without_remainder():
    ds = Dataset.range(10)
    assert values(ds.batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert values(ds.batch(4, drop_remainder=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(ds.batch(4)) == 3 and len(ds.batch(4, drop_remainder=True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        ds.batch(0)


def test_batch_on_the_generic_path_and_shape_error():
    ds = Dataset.range(5).map(lambda x: (x, x * 2)).batch(2)
    assert values(ds) == [([0, 1], [0, 2]), ([2, 3], [4, 6]), ([4], [8])]
    ragged = Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)])).batch(2)
    with pytest.raises(ValueError, match="different shapes"):
        list(ragged)


def test_batch_of_slices_gathers_instead_of_stacking(monkeypatch):
    calls = []
    monkeypatch.setattr(np, "stack", lambda *a, **k: calls.append(1))
    x = np.arange(20).reshape(10, 2)
    batches = list(Dataset.from_tensor_slices((x, np.arange(10))).shuffle(10, seed=0).batch(3))
    assert not calls and [len(b[0]) for b in batches] == [3, 3, 3, 1]


def test_full_shuffle_is_a_permutation_and_reshuffles_each_iteration():
    ds = Dataset.range(50).shuffle(50)
    first, second = values(ds), values(ds)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second


def test_shuffle_seeded_is_reproducible_and_can_keep_its_order():
    a = Dataset.range(30).shuffle(100, seed=3)
    b = Dataset.range(30).shuffle(100, seed=3)
    assert values(a) == values(b)  # same seed, same sequence of orders
    fixed = Dataset.range(30).shuffle(100, seed=3, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed) != list(range(30))


def test_unseeded_shuffle_follows_profond_set_seed():
    profond.set_seed(7)
    first = values(Dataset.range(20).shuffle(20))
    profond.set_seed(7)
    assert values(Dataset.range(20).shuffle(20)) == first


def test_small_buffer_shuffles_locally_like_tf():
    # With a buffer of 2, element i can only come out at position >= i - 1.
    out = values(Dataset.range(100).shuffle(2, seed=0))
    assert sorted(out) == list(range(100)) and out != list(range(100))
    assert all(pos >= value - 1 for pos, value in enumerate(out))


def test_shuffle_generic_path_matches_semantics():
    ds = Dataset.range(40).map(lambda x: x + 1).shuffle(10, seed=1)
    out = values(ds)
    assert sorted(out) == list(range(1, 41)) and out != list(range(1, 41))


def test_shuffle_after_repeat_mixes_epochs():
    out = values(Dataset.range(5).repeat(2).shuffle(10, seed=0))
    assert sorted(out) == sorted(list(range(5)) * 2)
    assert sorted(out[:5]) != list(range(5)) or sorted(out[5:]) != list(range(5))


# --- map, filter, take, skip, repeat ------------------------------------------------------------
def test_map_unpacks_tuples_and_receives_tensors():
    seen = []

    def fn(x, y):
        seen.append((type(x), type(y)))
        return x * 2.0, y + 1

    ds = Dataset.from_tensor_slices((np.array([1.0, 2.0]), np.array([0, 1]))).map(fn)
    assert values(ds) == [(2.0, 1), (4.0, 2)]
    assert seen[0] == (profond.Tensor, profond.Tensor)
    assert len(ds) == 2
    d = Dataset.from_tensor_slices({"a": np.arange(3)}).map(lambda e: e["a"] * 10)
    assert values(d) == [0, 10, 20]


def test_filter_take_skip():
    ds = Dataset.range(10)
    evens = ds.filter(lambda x: int(x) % 2 == 0)
    assert values(evens) == [0, 2, 4, 6, 8] and evens.cardinality() == UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="unknown"):
        len(evens)
    assert values(ds.take(3)) == [0, 1, 2] and len(ds.take(3)) == 3
    assert values(ds.skip(7)) == [7, 8, 9] and len(ds.skip(7)) == 3
    assert values(ds.take(-1)) == list(range(10)) and values(ds.skip(-1)) == []
    assert len(ds.take(50)) == 10 and len(ds.skip(50)) == 0
    assert values(ds.map(lambda x: x).skip(8)) == [8, 9]


def test_repeat_counts_and_infinite():
    ds = Dataset.range(3)
    assert values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(ds.repeat(2)) == 6
    forever = ds.repeat()
    assert forever.cardinality() == INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert values(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values(forever.batch(2).take(2)) == [[0, 1], [2, 0]]
    assert values(Dataset.range(0).repeat()) == []  # repeating nothing does not hang


def test_shuffle_repeat_batch_reshuffles_each_repetition():
    ds = Dataset.range(20).shuffle(20, seed=2).repeat(2).batch(10)
    batches = values(ds)
    assert len(batches) == len(ds) == 4
    epoch1, epoch2 = batches[0] + batches[1], batches[2] + batches[3]
    assert sorted(epoch1) == sorted(epoch2) == list(range(20)) and epoch1 != epoch2


def test_unbatch_and_enumerate():
    ds = Dataset.range(5).batch(2).unbatch()
    assert values(ds) == [0, 1, 2, 3, 4]
    assert values(Dataset.range(3).enumerate(start=10)) == [(10, 0), (11, 1), (12, 2)]


def test_zip_concatenate():
    a, b = Dataset.range(3), Dataset.range(10, 20)
    assert values(Dataset.zip(a, b)) == [(0, 10), (1, 11), (2, 12)]
    assert values(Dataset.zip((a, b))) == values(Dataset.zip(a, b))
    assert len(Dataset.zip(a, b)) == 3 and len(Dataset.zip(a, b.repeat())) == 3
    nested = Dataset.zip({"x": a, "y": a.map(lambda v: v * 2)})
    assert values(nested)[2] == {"x": 2, "y": 4}
    both = a.concatenate(Dataset.range(3, 5))
    assert values(both) == [0, 1, 2, 3, 4] and len(both) == 5


# --- cache, prefetch ----------------------------------------------------------------------------
def test_cache_runs_the_pipeline_once():
    calls = []

    def fn(x):
        calls.append(1)
        return x

    ds = Dataset.range(4).map(fn).cache()
    assert values(ds) == values(ds) == [0, 1, 2, 3]
    assert len(calls) == 4


def test_cache_keeps_only_complete_passes():
    calls = []
    ds = Dataset.range(4).map(lambda x: calls.append(1) or x).cache()
    next(iter(ds))
    assert values(ds) == [0, 1, 2, 3] and values(ds) == [0, 1, 2, 3]
    assert len(calls) == 1 + 4


def test_prefetch_yields_everything_and_propagates_errors():
    ds = Dataset.range(100).batch(7).prefetch(AUTOTUNE)
    assert values(ds) == values(Dataset.range(100).batch(7))

    def boom(x):
        if int(x) == 3:
            raise RuntimeError("bad element")
        return x

    with pytest.raises(RuntimeError, match="bad element"):
        list(Dataset.range(10).map(boom).prefetch(2))


def test_prefetch_thread_stops_when_the_loop_breaks():
    before = threading.active_count()
    for _ in range(3):
        for _element in Dataset.range(10_000).prefetch(1):
            break
    for t in threading.enumerate():
        if t.name == "profond-prefetch":
            t.join(timeout=2)
    assert threading.active_count() <= before


def test_prefetch_shuffle_is_reproducible():
    profond.set_seed(11)
    a = values(Dataset.range(30).shuffle(30).prefetch(2))
    profond.set_seed(11)
    b = values(Dataset.range(30).shuffle(30).prefetch(2))
    assert a == b


def test_element_spec_and_repr():
    ds = Dataset.from_tensor_slices((np.zeros((5, 3), "float32"), np.arange(5))).batch(2)
    x_spec, y_spec = ds.element_spec
    assert x_spec.shape == (None, 3) and x_spec.dtype == np.float32
    assert "cardinality=3" in repr(ds)


def test_reiteration_restarts_and_for_loops_work():
    ds = Dataset.from_tensor_slices((np.arange(6), np.arange(6))).batch(4)
    for _ in range(2):
        sizes = [len(x) for x, y in ds]
        assert sizes == [4, 2]
