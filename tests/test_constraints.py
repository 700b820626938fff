"""Weight constraints: Keras's numbers, names, (de)serialization, and that a layer's constraint is
applied after every optimizer step (by ``apply_gradients`` and so by ``fit``)."""

import os
import tempfile

import numpy as np
import pytest

import profond as pf
from profond import constraints, layers

W = np.array([[3.0, 0.5], [4.0, 0.5]], "float32")


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def test_numbers_match_keras():
    # The values Keras 3 prints for the same W.
    np.testing.assert_allclose(constraints.MaxNorm(2.0)(W).numpy(),
                               [[1.2, 0.5], [1.6, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(constraints.UnitNorm()(W).numpy(),
                               [[0.6, 0.7071066], [0.8, 0.7071066]], rtol=1e-6)
    np.testing.assert_allclose(constraints.MinMaxNorm(1.0, 2.0, rate=0.5)(W).numpy(),
                               [[2.1, 0.6035533], [2.8, 0.6035533]], rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(np.array([-1.0, 2.0])).numpy(), [0, 2])


def test_axis_and_zero_columns():
    kernel = np.random.default_rng(0).standard_normal((3, 3, 4, 5)).astype("float32")
    out = constraints.UnitNorm(axis=[0, 1, 2])(kernel).numpy()
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(axis=(0, 1, 2))), 1.0, rtol=1e-5)
    zero = constraints.MaxNorm(1.0)(np.zeros((2, 2), "float32")).numpy()
    assert np.isfinite(zero).all() and (zero == 0).all()


def test_names_get_serialize_deserialize():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm), ("MaxNorm", constraints.MaxNorm)]:
        assert type(constraints.get(name)) is cls
    spec = constraints.serialize(constraints.MinMaxNorm(0.5, 3.0, rate=0.2, axis=1))
    assert spec == {"class_name": "MinMaxNorm",
                    "config": {"min_value": 0.5, "max_value": 3.0, "rate": 0.2, "axis": 1}}
    back = constraints.deserialize(spec)
    assert back.get_config() == spec["config"]
    assert constraints.get(spec).get_config() == spec["config"]
    assert constraints.get(None) is None and constraints.serialize(None) is None
    fn = lambda w: w  # noqa: E731 - a plain callable is accepted as is
    assert constraints.get(fn) is fn


@pytest.mark.parametrize("make, match", [
    (lambda: constraints.get("foo"), "Unknown constraint: 'foo'"),
    (lambda: constraints.get(3), "Could not interpret constraint identifier"),
    (lambda: constraints.MaxNorm(-1), "max_value=-1"),
    (lambda: constraints.MinMaxNorm(2.0, 1.0), "min_value <= max_value"),
    (lambda: constraints.MinMaxNorm(rate=2), "rate=2"),
    (lambda: constraints.deserialize({"class_name": "os.system", "config": {}}), "os.system"),
])
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_dense_applies_its_constraint_after_each_optimizer_step():
    dense = layers.Dense(3, kernel_constraint="max_norm", kernel_initializer="ones",
                         bias_constraint=constraints.NonNeg())
    x = np.ones((2, 4), "float32")
    dense(x)
    assert isinstance(dense.kernel.constraint, constraints.MaxNorm)
    opt = pf.optimizers.SGD(learning_rate=10.0)
    with pf.GradientTape() as tape:
        loss = pf.reduce_sum(dense(x))
    opt.apply_gradients(zip(tape.gradient(loss, dense.trainable_weights),
                            dense.trainable_weights))
    # Keras 3 gives column norms [2, 2, 2] for the same step.
    np.testing.assert_allclose(np.linalg.norm(dense.kernel.numpy(), axis=0), 2.0, rtol=1e-5)
    assert (dense.bias.numpy() >= 0).all()


def test_constraint_holds_through_fit_and_save_load():
    model = pf.models.Sequential([
        layers.Input((4,)),
        layers.Dense(3, kernel_constraint=constraints.UnitNorm(), activation="tanh"),
        layers.Dense(1, kernel_constraint=constraints.NonNeg()),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.05), loss="mse")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = -x.sum(1, keepdims=True)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    k1 = model.layers[0].kernel.numpy()
    np.testing.assert_allclose(np.linalg.norm(k1, axis=0), 1.0, rtol=1e-5)
    assert (model.layers[1].kernel.numpy() >= 0).all()
    config = model.layers[0].get_config()
    assert config["kernel_constraint"] == {"class_name": "UnitNorm", "config": {"axis": 0}}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.keras")
        model.save(path)
        loaded = pf.models.load_model(path)
    assert isinstance(loaded.layers[0].kernel.constraint, constraints.UnitNorm)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
