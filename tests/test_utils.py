"""profond.utils: to_categorical, normalize, set_random_seed and the split helpers."""

import random

import numpy as np
import pytest

import profond
from profond.data import Dataset
from profond.utils import (
    normalize,
    set_random_seed,
    split_dataset,
    to_categorical,
    train_test_split,
)


# --- to_categorical ------------------------------------------------------------------------------
def test_to_categorical_like_keras():
    out = to_categorical([0, 2, 1])
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    assert to_categorical(np.array([[1], [3]])).shape == (2, 4)  # (n, 1) is squeezed
    assert to_categorical(np.zeros((2, 3), int), num_classes=5).shape == (2, 3, 5)
    assert to_categorical([1, 0], num_classes=4, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(to_categorical(profond.tensor([1, 0])), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="Expected labels in"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="Expected labels in"):
        to_categorical([-1, 0])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([])


# --- normalize, set_random_seed ------------------------------------------------------------------
def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), [[1.0, 1.0], [0.0, 0.0]])
    t = normalize(profond.tensor([[3.0, 4.0]]))
    assert isinstance(t, profond.Tensor) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), [[0.6, 0.8]], rtol=1e-6)


def test_set_random_seed_seeds_everything():
    set_random_seed(5)
    draws = (random.random(), np.random.rand(), profond.random.normal((2,)).numpy())
    set_random_seed(5)
    assert random.random() == draws[0] and np.random.rand() == draws[1]
    np.testing.assert_array_equal(profond.random.normal((2,)).numpy(), draws[2])
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(1.5)


# --- train_test_split ----------------------------------------------------------------------------
def test_train_test_split_sizes_and_alignment():
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, seed=0)
    assert len(x_train) == 40 and len(x_test) == 10
    np.testing.assert_array_equal(x_train[:, 0] // 2, y_train)  # rows stay aligned
    np.testing.assert_array_equal(x_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test])) == list(range(50))
    assert y_test.tolist() != sorted(y_test.tolist()) or y_test[0] != 40  # shuffled


def test_train_validation_test_split():
    y = np.arange(100)
    train, val, test = train_test_split(y, validation_size=0.1, test_size=20, seed=1)
    assert (len(train), len(val), len(test)) == (70, 10, 20)
    assert len(set(train) | set(val) | set(test)) == 100
    default_train, default_test = train_test_split(y, seed=0)
    assert len(default_test) == 25


def test_split_is_reproducible_and_follows_set_seed():
    y = np.arange(30)
    assert train_test_split(y, seed=4)[1].tolist() == train_test_split(y, seed=4)[1].tolist()
    profond.set_seed(9)
    a = train_test_split(y)[1]
    profond.set_seed(9)
    np.testing.assert_array_equal(train_test_split(y)[1], a)


def test_unshuffled_split_keeps_order():
    train, test = train_test_split(np.arange(10), test_size=3, shuffle=False)
    assert train.tolist() == list(range(7)) and test.tolist() == [7, 8, 9]


def test_stratified_split_keeps_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    for seed in range(5):
        y_train, y_val, y_test = train_test_split(
            y, validation_size=0.2, test_size=0.3, seed=seed, stratify=y
        )
        for part, fraction in ((y_test, 0.3), (y_val, 0.2), (y_train, 0.5)):
            counts = np.bincount(part, minlength=3)
            assert np.all(np.abs(counts - fraction * np.array([60, 30, 10])) <= 1)
    one_hot = np.eye(3)[y]
    assert np.bincount(train_test_split(y, test_size=10, stratify=one_hot, seed=0)[1]).tolist() \
        == [6, 3, 1]


def test_split_errors():
    with pytest.raises(ValueError, match="same length"):
        train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="no training samples"):
        train_test_split(np.zeros(10), test_size=6, validation_size=4)
    with pytest.raises(ValueError, match="fraction"):
        train_test_split(np.zeros(10), test_size=1.5)
    with pytest.raises(ValueError, match="shuffle=True"):
        train_test_split(np.zeros(10), shuffle=False, stratify=np.zeros(10))


# --- split_dataset -------------------------------------------------------------------------------
def test_split_dataset_like_keras():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = split_dataset((x, y), left_size=0.8)
    assert isinstance(left, Dataset) and (len(left), len(right)) == (8, 2)
    assert [int(b) for _, b in right] == [8, 9]
    left, right = split_dataset(np.arange(10), right_size=3, shuffle=True, seed=0)
    assert (len(left), len(right)) == (7, 3)
    values = sorted(int(v) for v in left) + sorted(int(v) for v in right)
    assert sorted(values) == list(range(10))
    left, right = split_dataset(Dataset.range(6), left_size=2, right_size=2)
    assert [int(v) for v in left] == [0, 1] and [int(v) for v in right] == [4, 5]
    with pytest.raises(ValueError, match="left_size"):
        split_dataset(np.arange(5))
