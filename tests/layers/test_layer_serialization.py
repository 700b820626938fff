"""``keras.layers.serialize`` / ``deserialize`` and user functions in layer configs, as the Keras
saving guide uses them."""

import numpy as np
import pytest

from profond import keras, layers


def test_serialize_gives_keras_3_description_and_deserialize_rebuilds():
    spec = layers.serialize(layers.Dense(3, activation="relu", name="d"))
    assert list(spec) == ["module", "class_name", "config", "registered_name"]
    assert (spec["module"], spec["class_name"], spec["registered_name"]) == (
        "keras.layers", "Dense", None)
    rebuilt = layers.deserialize(spec)
    assert isinstance(rebuilt, layers.Dense) and rebuilt.units == 3 and rebuilt.name == "d"


def test_deserialize_refuses_unknown_classes_and_non_layers():
    with pytest.raises(ValueError, match="Unknown class 'Nope'"):
        layers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="is not a layer"):
        layers.deserialize({"class_name": "Adam", "config": {}})
    with pytest.raises(TypeError, match="expected a Layer"):
        layers.serialize("dense")


def test_a_registered_function_activation_survives_a_config_round_trip():
    @keras.utils.register_keras_serializable(package="h12tests", name="square")
    def square(x):
        return x**2

    assert keras.utils.get_registered_name(square) == "h12tests>square"
    config = layers.Dense(2, activation=square).get_config()
    assert config["activation"] == {"class_name": "function", "config": "h12tests>square"}
    rebuilt = layers.Dense.from_config(config)
    assert rebuilt.activation is square


def test_an_unregistered_function_activation_needs_custom_objects():
    def shifted(x):
        return x + 1.0

    config = layers.Dense(2, activation=shifted).get_config()
    assert config["activation"] == {"class_name": "function", "config": "shifted"}
    with pytest.raises(ValueError, match="Unknown activation"):
        layers.Dense.from_config(config)
    with keras.utils.custom_object_scope({"shifted": shifted}):
        assert layers.Dense.from_config(config).activation is shifted


def test_functional_config_has_keras_keys_only_without_symbolic_losses():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    assert sorted(model.get_config()) == ["input_layers", "layers", "name", "output_layers",
                                          "trainable"]
    assert keras.Model.from_config(model.get_config())(np.ones((2, 3), "float32")).shape == (2, 1)
