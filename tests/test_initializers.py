"""Initializers: statistics, Keras's fan computation, seeding, dtypes, get / serialize."""

import math

import numpy as np
import pytest

import profond as pf
from profond import initializers, registry

BIG = (400, 500)  # 200,000 draws: a standard error of the std below 0.2 %


@pytest.fixture(autouse=True)
def seeded():
    pf.set_seed(0)  # statistical checks must not fail one run in ten thousand


def test_fans_of_dense_and_conv_kernels():
    assert initializers.compute_fans((784, 10)) == (784, 10)
    assert initializers.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert initializers.compute_fans((5, 8, 4)) == (40, 20)  # Conv1D (k, in, out)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)


@pytest.mark.parametrize("name,std,bound", [
    ("glorot_uniform", math.sqrt(2 / 900), math.sqrt(6 / 900)),
    ("glorot_normal", math.sqrt(2 / 900), 2 * math.sqrt(2 / 900) / 0.8796256610342398),
    ("he_uniform", math.sqrt(2 / 400), math.sqrt(6 / 400)),
    ("he_normal", math.sqrt(2 / 400), 2 * math.sqrt(2 / 400) / 0.8796256610342398),
    ("lecun_uniform", math.sqrt(1 / 400), math.sqrt(3 / 400)),
    ("lecun_normal", math.sqrt(1 / 400), 2 * math.sqrt(1 / 400) / 0.8796256610342398),
    ("random_normal", 0.05, None),
    ("random_uniform", 0.1 / math.sqrt(12), 0.05),
    ("truncated_normal", 0.05 * 0.8796256610342398, 0.1),
])
def test_statistics(name, std, bound):
    w = initializers.get(name)(BIG)
    assert w.shape == BIG and w.dtype == np.float32
    assert abs(w.mean()) < 4 * std / math.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.01)
    if bound is not None:
        assert np.abs(w).max() <= bound * (1 + 1e-6)
        assert np.abs(w).max() > 0.95 * bound


def test_glorot_uniform_limit_for_a_conv_kernel():
    shape = (3, 3, 16, 32)
    limit = math.sqrt(6 / (144 + 288))
    w = initializers.GlorotUniform()(shape)
    assert w.shape == shape and np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    w = initializers.HeNormal()(shape)
    assert w.std() == pytest.approx(math.sqrt(2 / 144), rel=0.05)


def test_variance_scaling_modes_and_distributions():
    for mode, n in (("fan_in", 400), ("fan_out", 500), ("fan_avg", 450)):
        for dist in ("uniform", "untruncated_normal", "truncated_normal"):
            w = initializers.VarianceScaling(3.0, mode, dist)(BIG)
            assert w.std() == pytest.approx(math.sqrt(3.0 / n), rel=0.01), (mode, dist)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="gamma")


def test_constant_like_initializers_and_dtypes():
    assert np.all(initializers.Zeros()((2, 3)) == 0)
    assert np.all(initializers.get("ones")(4) == 1)
    assert np.all(initializers.Constant(3.5)((2,), dtype="float64") == 3.5)
    assert initializers.Constant(2)((2,), dtype="float64").dtype == np.float64
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32
    assert initializers.GlorotUniform()((3, 4), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(initializers.Identity(2.0)((2, 3)), 2 * np.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="float"):
        initializers.RandomNormal()((2,), dtype="int32")


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=2.0)(shape, dtype="float64").reshape(-1, shape[-1])
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)


def test_seeding():
    pf.set_seed(7)
    a = initializers.GlorotUniform()((5, 5))
    b = initializers.GlorotUniform()((5, 5))
    pf.set_seed(7)
    np.testing.assert_array_equal(initializers.GlorotUniform()((5, 5)), a)
    assert not np.array_equal(a, b)  # the framework's generator moves on between calls
    seeded = initializers.HeNormal(seed=3)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))  # Keras 3: same each call
    assert not np.array_equal(initializers.HeNormal(seed=3)((4, 4)),
                              initializers.HeNormal(seed=4)((4, 4)))


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Constant(0.3), initializers.RandomNormal(1.0, 2.0, seed=1),
    initializers.RandomUniform(-1, 1), initializers.TruncatedNormal(stddev=0.1, seed=2),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3),
    initializers.GlorotUniform(seed=4), initializers.HeNormal(), initializers.LecunUniform(),
    initializers.Orthogonal(gain=0.5, seed=5), initializers.Identity(3.0),
])
def test_serialize_round_trip(init):
    config = initializers.serialize(init)
    assert config["class_name"] == "initializers." + type(init).__name__
    for back in (initializers.deserialize(config), registry.deserialize(config),
                 initializers.get(config),
                 initializers.get({"class_name": type(init).__name__,
                                   "config": init.get_config()})):
        assert type(back) is type(init) and back.get_config() == init.get_config()
    if getattr(init, "seed", 0) is not None:
        np.testing.assert_array_equal(back((3, 3)), init((3, 3)))


def test_get():
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("he_uniform"), initializers.HeUniform)
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    init = initializers.Zeros()
    assert initializers.get(init) is init and initializers.get(None) is None
    custom = lambda shape, dtype=None: np.full(shape, 7.0)  # noqa: E731
    assert initializers.get(custom) is custom
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
        initializers.get("glorot")
