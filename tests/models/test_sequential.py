"""Sequential: building (input_shape, Input, lazily), add/pop, summary, config, course snippet."""

import numpy as np
import pytest

import profond as pf
from profond import layers, models
from profond.registry import deserialize, serialize


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def course_model():
    return models.Sequential([
        layers.Dense(128, activation="relu", input_shape=(784,)),
        layers.Dense(64),
        layers.Dense(32),
        layers.Dense(10, activation="softmax"),
    ])


def test_course_snippet_builds_at_once():
    model = course_model()
    assert model.built and model.name == "sequential"
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2", "dense_3"]
    assert model.count_params() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    assert model.predict(np.zeros((3, 784)), verbose=0).shape == (3, 10)


def test_summary_param_counts():
    lines = []
    course_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 128)" in text and "100,480" in text
    assert "8,256" in text and "2,080" in text and "330" in text
    assert "Total params: 111,146" in text and "Trainable params: 111,146" in text
    assert "Non-trainable params: 0" in text


def test_summary_counts_frozen_layers():
    model = course_model()
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Trainable params: 10,666" in text and "Non-trainable params: 100,480" in text


def test_input_first_add_and_pop():
    model = models.Sequential()
    model.add(layers.Input(shape=(5,)))
    model.add(layers.Dense(4))
    assert model.built and model.layers[0].kernel.shape == (5, 4)
    model.add(layers.Dense(2))
    assert model(np.ones((3, 5))).shape == (3, 2)
    popped = model.pop()
    assert popped.units == 2 and model(np.ones((3, 5))).shape == (3, 4)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name="dense"))


def test_lazy_build_on_first_call():
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    assert not model.built and model.weights == []
    lines = []
    model.summary(print_fn=lines.append)
    assert "unbuilt" in "\n".join(lines)
    model(np.ones((2, 7)))
    assert model.built and [w.shape for w in model.get_weights()] == [(7, 4), (4,), (4, 1), (1,)]


def test_wrong_input_shape_names_the_layer():
    model = course_model()
    with pytest.raises(ValueError) as e:
        model.predict(np.zeros((2, 100)), verbose=0)
    assert '"dense"' in str(e.value) and "784" in str(e.value) and "100" in str(e.value)


def test_config_round_trip_same_architecture():
    model = course_model()
    clone = deserialize(serialize(model))
    assert type(clone) is models.Sequential
    assert [type(la).__name__ for la in clone.layers] == ["Dense"] * 4
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert clone.get_config()["layers"][1:] == model.get_config()["layers"][1:]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_nested_sequential_and_weights_order():
    inner = models.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(2)])
    outer = models.Sequential([inner, layers.Dense(1)])
    assert outer(np.ones((4, 2))).shape == (4, 1)
    assert [w.shape for w in outer.get_weights()] == [(2, 3), (3,), (3, 2), (2,), (2, 1), (1,)]


def test_save_and_load_model(tmp_path):
    from profond import saving

    if not hasattr(saving, "save_model"):
        pytest.skip("profond.saving.save_model is not written yet")
    model = course_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "model.profond"
    model.save(path)
    loaded = models.load_model(path)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_forgetting_super_init_is_explained():
    class Bad(layers.Layer):
        def __init__(self):
            self.w = 1

    with pytest.raises(RuntimeError, match="super"):
        Bad()(np.ones((1, 2)))


def test_keras_namespace_if_wired():
    keras = getattr(pf, "keras", None)
    if keras is None or not hasattr(keras, "Sequential"):
        pytest.skip("profond.keras is not wired yet")
    model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(2, activation="softmax")])
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 2)
