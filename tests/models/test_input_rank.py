"""A model built on ``Input((1,))`` takes a 1-D array, one on ``Input((n,))`` a ``(batch, n, 1)``
array (Keras 3 adds or drops a trailing axis of size 1), as the regression tutorial relies on:
``model.fit(df["Horsepower"], labels)`` with a Normalization(axis=None) adapted to a 1-D column."""

import numpy as np
import pytest

from profond import keras

layers = keras.layers


def test_functional_and_sequential_add_or_drop_a_trailing_axis_of_one():
    inputs = keras.Input((1,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    assert model(np.ones(4, "float32")).shape == (4, 2)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    assert model(np.ones((4, 3, 1), "float32")).shape == (4, 2)
    sequential = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    assert sequential.predict(np.arange(5.0), verbose=0).shape == (5, 1)


def test_other_ranks_are_still_refused_with_the_model_name():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs), name="three")
    with pytest.raises(ValueError, match='layer "three".*expected shape=\\(None, 3\\)'):
        model(np.ones((4, 3, 2), "float32"))
    with pytest.raises(ValueError, match="three"):
        model(np.ones((4, 2), "float32"))


def test_normalization_with_axis_none_keeps_the_rank_of_1d_data():
    values = np.array([1.0, 2.0, 3.0, 6.0])
    norm = layers.Normalization(axis=None)
    norm.adapt(values)
    assert norm(values).shape == (4,) and norm(values[:, None]).shape == (4, 1)
    np.testing.assert_allclose(norm(values).numpy(), (values - 3.0) / np.sqrt(3.5), rtol=1e-6)
    model = keras.Sequential([keras.Input((1,)), norm, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mae")
    history = model.fit(values, values * 2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
