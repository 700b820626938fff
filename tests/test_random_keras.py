"""``profond.random`` / ``keras.random``: seeds (None, int, SeedGenerator), the samplers'
shapes, dtypes, ranges and moments, and the Keras-only ones (categorical, randint, dropout)."""

import numpy as np
import pytest

import profond as pf
from profond.keras import random as krandom

SAMPLERS = {
    "normal": lambda s: krandom.normal((2000,), seed=s),
    "uniform": lambda s: krandom.uniform((2000,), seed=s),
    "truncated_normal": lambda s: krandom.truncated_normal((2000,), seed=s),
    "randint": lambda s: krandom.randint((2000,), 0, 10, seed=s),
    "gamma": lambda s: krandom.gamma((2000,), 2.0, seed=s),
    "beta": lambda s: krandom.beta((2000,), 2.0, 3.0, seed=s),
    "categorical": lambda s: krandom.categorical(np.log([[0.2, 0.8]]), 2000, seed=s),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_seed_rules(name):
    draw = SAMPLERS[name]
    # an int seed: the same numbers at every call (Keras's rule)
    np.testing.assert_array_equal(draw(42).numpy(), draw(42).numpy())
    assert not np.array_equal(draw(42).numpy(), draw(43).numpy())
    # a SeedGenerator: a new draw each call, the same sequence for the same seed
    g1, g2 = krandom.SeedGenerator(7), krandom.SeedGenerator(7)
    a1, b1 = draw(g1).numpy(), draw(g1).numpy()
    a2, b2 = draw(g2).numpy(), draw(g2).numpy()
    assert not np.array_equal(a1, b1)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    # None: the global stream, reproducible after set_seed
    pf.random.set_seed(3)
    c1 = draw(None).numpy()
    pf.random.set_seed(3)
    np.testing.assert_array_equal(c1, draw(None).numpy())


def test_distributions_dtypes_and_ranges():
    n = krandom.normal((20000,), mean=1.0, stddev=2.0, seed=0)
    assert n.dtype == np.float32 and abs(float(n.numpy().mean()) - 1) < 0.05
    assert abs(float(n.numpy().std()) - 2) < 0.05
    u = krandom.uniform((5000,), minval=-1.0, maxval=3.0, dtype="float64", seed=0).numpy()
    assert u.dtype == np.float64 and u.min() >= -1 and u.max() < 3
    t = krandom.truncated_normal((5000,), stddev=0.5, seed=0).numpy()
    assert np.abs(t).max() <= 1.0
    r = krandom.randint((1000,), 3, 6, seed=0)
    assert r.dtype == np.int32 and set(np.unique(r.numpy())) == {3, 4, 5}
    g = krandom.gamma((20000,), 3.0, seed=0).numpy()
    assert abs(g.mean() - 3.0) < 0.1
    b = krandom.beta((20000,), 2.0, 3.0, seed=0).numpy()
    assert abs(b.mean() - 0.4) < 0.01 and b.min() > 0 and b.max() < 1
    c = krandom.categorical(np.log([[0.2, 0.8], [0.9, 0.1]]), 5000, seed=0)
    assert c.shape == (2, 5000) and c.dtype == np.int32
    np.testing.assert_allclose(c.numpy().mean(1), [0.8, 0.1], atol=0.03)
    ints = pf.random.uniform((100,), 0, 4, dtype="int32", seed=0).numpy()
    assert ints.dtype == np.int32 and ints.min() >= 0 and ints.max() < 4


def test_shuffle_and_dropout():
    x = np.arange(12.0).reshape(4, 3)
    s = krandom.shuffle(x, seed=0).numpy()
    assert sorted(map(tuple, s)) == sorted(map(tuple, x))
    s1 = krandom.shuffle(x, axis=1, seed=1).numpy()
    np.testing.assert_array_equal(np.sort(s1, 1), x)
    t = pf.Tensor(x, requires_grad=True)
    (g,) = pf.grad((krandom.shuffle(t, seed=0) * pf.constant(np.arange(12.0).reshape(4, 3))).sum(),
                   [t])
    assert sorted(g.numpy().ravel()) == list(range(12))  # a permutation: each weight once
    d = krandom.dropout(np.ones((1000,), np.float32), 0.25, seed=krandom.SeedGenerator(0)).numpy()
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((d == 0).mean() - 0.25) < 0.05


def test_seed_generator_config_and_errors():
    g = krandom.SeedGenerator(5, name="noise")
    assert g.get_config() == {"seed": 5, "name": "noise"}
    assert krandom.SeedGenerator.from_config(g.get_config()).seed == 5
    with pytest.raises(TypeError, match="integer seed"):
        krandom.SeedGenerator("abc")
    with pytest.raises(TypeError, match="seed must be"):
        krandom.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="minval < maxval"):
        krandom.randint((2,), 5, 5)
    with pytest.raises(ValueError, match=r"\(batch, classes\)"):
        krandom.categorical(np.zeros(3), 2)


def test_stateless_samplers_are_functions_of_the_seed():
    a = pf.random.stateless_normal((3,), seed=(1, 2)).numpy()
    np.testing.assert_array_equal(a, pf.random.stateless_normal((3,), seed=(1, 2)).numpy())
    assert not np.array_equal(a, pf.random.stateless_normal((3,), seed=(2, 1)).numpy())
    assert pf.random.stateless_uniform((3,), seed=[0, 0]).dtype == np.float32
