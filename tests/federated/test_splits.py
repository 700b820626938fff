"""Client splits: a partition of the examples, reproducible by seed, IID parts near-equal with
the global label mix, Dirichlet parts more skewed as α shrinks; bad input named."""

import numpy as np
import pytest

from profond.federated import client_label_counts, dirichlet_split, iid_split

LABELS = np.repeat(np.arange(10), 300)  # 3,000 examples, 10 balanced classes


def assert_partition(clients, n):
    np.testing.assert_array_equal(np.sort(np.concatenate(clients)), np.arange(n))
    for c in clients:
        assert np.all(np.diff(c) > 0)  # sorted, no repeats


def skew(clients):
    """Mean over clients of the largest class's share of the client's examples."""
    counts = client_label_counts(LABELS, clients)
    return float((counts.max(axis=1) / counts.sum(axis=1)).mean())


def test_iid_split_is_a_near_equal_partition_with_the_global_label_mix():
    clients = iid_split(LABELS, 7, seed=0)
    assert_partition(clients, len(LABELS))
    sizes = [len(c) for c in clients]
    assert max(sizes) - min(sizes) <= 1 and len(clients) == 7
    counts = client_label_counts(LABELS, clients)
    assert counts.shape == (7, 10)
    assert np.abs(counts / counts.sum(axis=1, keepdims=True) - 0.1).max() < 0.06
    assert skew(clients) < 0.2


def test_iid_split_takes_a_count_and_is_reproducible_by_seed():
    a, b, c = iid_split(100, 3, seed=4), iid_split(100, 3, seed=4), iid_split(100, 3, seed=5)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c))
    assert_partition(a, 100)


def test_dirichlet_split_is_a_partition_reproducible_by_seed():
    a = dirichlet_split(LABELS, 10, alpha=0.5, seed=3)
    b = dirichlet_split(LABELS, 10, alpha=0.5, seed=3)
    c = dirichlet_split(LABELS, 10, alpha=0.5, seed=4)
    assert_partition(a, len(LABELS))
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c))


def test_smaller_alpha_gives_more_skewed_clients():
    skews = [skew(dirichlet_split(LABELS, 10, alpha=a, seed=0)) for a in (0.1, 0.5, 100.0)]
    assert skews[0] > skews[1] > skews[2]
    assert skews[0] > 0.5 and skews[2] < 0.2  # α=0.1: one class dominates; α=100: ~IID


def test_dirichlet_split_gives_every_client_min_size_examples():
    clients = dirichlet_split(LABELS, 10, alpha=0.1, seed=0, min_size=50)
    assert min(len(c) for c in clients) >= 50
    assert_partition(clients, len(LABELS))


def test_one_hot_labels_split_as_integer_labels():
    one_hot = np.eye(10)[LABELS]
    for p, q in zip(dirichlet_split(one_hot, 5, 1.0, seed=2),
                    dirichlet_split(LABELS, 5, 1.0, seed=2)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("alpha", [0, -1.0, float("nan"), float("inf"), "0.5"])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match=r"dirichlet_split: Expected alpha > 0.*Received: alpha="):
        dirichlet_split(LABELS, 5, alpha=alpha)


def test_more_clients_than_examples_is_an_error():
    with pytest.raises(ValueError, match=r"iid_split: .*5 examples for 6 clients.*num_clients=6"):
        iid_split(np.zeros(5), 6)
    with pytest.raises(ValueError, match=r"dirichlet_split: .*5 examples for 6 clients"):
        dirichlet_split(np.zeros(5), 6, alpha=1.0)
    with pytest.raises(ValueError, match=r"Expected num_clients a positive integer.*=0"):
        iid_split(LABELS, 0)


def test_impossible_min_size_is_an_error():
    with pytest.raises(ValueError, match=r"min_size.*Received: min_size=400"):
        dirichlet_split(LABELS, 10, alpha=1.0, min_size=400)
    with pytest.raises(ValueError, match=r"labels of shape \(n,\)"):
        dirichlet_split(np.zeros((4, 3, 2)), 2, alpha=1.0)
