"""Type confusion at load (issue 13, item 6): every object a file names is checked for its kind
and range. An activation must be an activation (not a ``Sequential``, not an ``Adam``), a loss a
loss, a constraint / regularizer / initializer an object of that kind (never a raw dict kept and
later called), an optimizer an optimizer with finite, in-range settings and step count.

A file gets profond's ``FileFormatError`` naming the layer, the argument, the kind expected and
what the file holds; the API functions (``activations.deserialize``…) a ``TypeError`` or
``ValueError`` saying the same.
"""

import json
import math

import numpy as np
import pytest
import safetensors.numpy

import profond as pf
from profond import (
    activations,
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from profond.models.model import Model
from profond.models.sequential import Sequential
from profond.saving.model_file import CONFIG, OPTIMIZER, FileFormatError, load_model
from profond.testing.model_files import replace_member


def _saved_model(path):
    pf.set_seed(0)
    model = pf.keras.Sequential([
        pf.keras.Input((3,)),
        pf.keras.layers.Dense(4, activation="relu", kernel_constraint="non_neg",
                              kernel_regularizer="l2", name="dense"),
        pf.keras.layers.Reshape((4, 1), name="reshape"),
        pf.keras.layers.SimpleRNN(2, name="rnn"),
    ])
    model.compile(optimizer=pf.keras.optimizers.Adam(0.01), loss="mse")
    x = np.ones((4, 3), dtype="float32")
    model.fit(x, np.zeros((4, 2), dtype="float32"), epochs=1, verbose=0)
    model.save(path)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return _saved_model(tmp_path_factory.mktemp("types") / "model.profond")


def _edit_config(edit):
    def change(data):
        spec = json.loads(data)
        edit(spec)
        return json.dumps(spec).encode()
    return change


def _layer(spec, name):
    return next(la for la in spec["config"]["layers"] if la["config"].get("name") == name)


def _set_argument(layer, key, value):
    return lambda spec: _layer(spec, layer)["config"].__setitem__(key, value)


def _set_compile(key, value):
    return lambda spec: spec["compile_config"].__setitem__(key, value)


def _set_optimizer(key, value):
    return lambda spec: spec["compile_config"]["optimizer"]["config"].__setitem__(key, value)


def _replace_layer(name, value):
    def edit(spec):
        layers = spec["config"]["layers"]
        layers[layers.index(_layer(spec, name))] = value
    return edit


SEQUENTIAL = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"units": 1}}]}}
ADAM = {"class_name": "Adam", "config": {}}
DENSE = {"class_name": "Dense", "config": {"units": 2}}
NON_NEG = {"class_name": "NonNeg", "config": {}}
L2 = {"class_name": "L2", "config": {"l2": 0.01}}
ZEROS = {"class_name": "initializers.Zeros", "config": {}}

# id: (edit of config.json, fragments the error must contain)
CONFIG_CASES = {
    "Sequential as activation": (_set_argument("dense", "activation", SEQUENTIAL),
                                 ["'dense'", "`activation`", "an activation", "'Sequential'"]),
    "Adam as activation": (_set_argument("dense", "activation", ADAM),
                           ["'dense'", "`activation`", "an activation", "'Adam'"]),
    "Dense as activation": (_set_argument("dense", "activation", DENSE),
                            ["`activation`", "an activation", "'Dense'"]),
    "an initializer as activation": (_set_argument("dense", "activation", ZEROS),
                                     ["`activation`", "an activation", "Zeros"]),
    "Adam as recurrent activation": (
        _set_argument("rnn", "activation", ADAM), ["'rnn'", "`activation`", "'Adam'"]),
    "a class name as activation name": (_set_argument("dense", "activation", "Sequential"),
                                        ["`activation`", "Sequential"]),
    "Dense as constraint": (_set_argument("dense", "kernel_constraint", DENSE),
                            ["'dense'", "`kernel_constraint`", "a constraint", "'Dense'"]),
    "a regularizer as constraint": (_set_argument("dense", "kernel_constraint", L2),
                                    ["`kernel_constraint`", "a constraint", "'L2'"]),
    "raw dict as constraint": (_set_argument("dense", "kernel_constraint", {"max_value": 2}),
                               ["`kernel_constraint`", "class_name"]),
    "number as constraint": (_set_argument("dense", "bias_constraint", 5),
                             ["`bias_constraint`", "constraint"]),
    "constraint as regularizer": (_set_argument("dense", "kernel_regularizer", NON_NEG),
                                  ["`kernel_regularizer`", "regularizer", "'NonNeg'"]),
    "Adam as regularizer": (_set_argument("dense", "bias_regularizer", ADAM),
                            ["`bias_regularizer`", "regularizer", "'Adam'"]),
    "Adam as initializer": (_set_argument("dense", "kernel_initializer", ADAM),
                            ["`kernel_initializer`", "initializer", "'Adam'"]),
    "regularizer as initializer": (_set_argument("rnn", "recurrent_initializer", L2),
                                   ["`recurrent_initializer`", "initializer", "'L2'"]),
    "negative stddev": (_set_argument("dense", "kernel_initializer", {
        "class_name": "initializers.RandomNormal", "config": {"stddev": -1.0}}),
        ["`kernel_initializer`", "stddev", "-1.0"]),
    "Adam as a layer": (_replace_layer("reshape", dict(ADAM, name="reshape")),
                        ["'reshape'", "expected a layer", "Adam"]),
    "Dense as loss": (_set_compile("loss", DENSE), ["loss", "'Dense'"]),
    "Adam as loss": (_set_compile("loss", ADAM), ["loss", "'Adam'"]),
    "Dense as optimizer": (_set_compile("optimizer", DENSE), ["optimizer", "Dense"]),
    "NaN learning rate": (_set_optimizer("learning_rate", math.nan), ["NaN"]),
    "negative learning rate": (_set_optimizer("learning_rate", -0.5), ["learning_rate"]),
    "string learning rate": (_set_optimizer("learning_rate", "fast"), ["learning_rate"]),
    "infinite clipnorm": (_set_optimizer("clipnorm", math.inf), ["Infinity"]),
    "negative clipnorm": (_set_optimizer("clipnorm", -1.0), ["clipnorm"]),
}


def test_an_infinite_number_written_1e999_is_refused(saved, tmp_path):
    """JSON has no infinity, but ``1e999`` reads as one: an initializer's range check sees it."""
    def change(data):
        spec = json.loads(data)
        _layer(spec, "dense")["config"]["kernel_initializer"] = {
            "class_name": "initializers.Orthogonal", "config": {"gain": 12345.5}}
        return json.dumps(spec).replace("12345.5", "1e999").encode()

    bad = tmp_path / "bad.profond"
    replace_member(saved, bad, CONFIG, change)
    with pytest.raises(FileFormatError, match="`kernel_initializer`.*`gain`.*inf"):
        load_model(bad)


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_a_file_naming_an_object_of_the_wrong_kind_is_refused(saved, tmp_path, case):
    edit, fragments = CONFIG_CASES[case]
    bad = tmp_path / "bad.profond"
    replace_member(saved, bad, CONFIG, _edit_config(edit))
    with pytest.raises(FileFormatError) as info:
        load_model(bad)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_the_untouched_file_and_an_activation_layer_load(saved, tmp_path):
    model = load_model(saved)
    assert model.layers[0].activation is activations.relu
    assert isinstance(model.layers[0].kernel_constraint, (constraints.NonNeg, str))
    good = tmp_path / "leaky.profond"
    replace_member(saved, good, CONFIG, _edit_config(_set_argument(
        "dense", "activation", {"class_name": "LeakyReLU", "config": {"negative_slope": 0.25}})))
    x = np.array([[-1.0, -2.0, 3.0]], dtype="float32")
    leaky = load_model(good)
    assert isinstance(leaky.layers[0].activation, pf.keras.layers.LeakyReLU)
    assert leaky.predict(x, verbose=0).shape == (1, 2)


def _set_state(suffix, value, dtype):
    def change(data):
        tensors = safetensors.numpy.load(data)
        key = next(k for k in tensors if k.endswith(suffix))
        tensors[key] = np.array(value, dtype=dtype)
        return safetensors.numpy.save(tensors)
    return change


@pytest.mark.parametrize("suffix, value, dtype", [
    ("iteration", -3, "int64"),
    ("learning_rate", math.nan, "float64"),
    ("learning_rate", -1.0, "float64"),
])
def test_optimizer_state_out_of_range_is_refused(saved, tmp_path, suffix, value, dtype):
    bad = tmp_path / "bad.profond"
    replace_member(saved, bad, OPTIMIZER, _set_state(suffix, value, dtype))
    with pytest.raises(FileFormatError, match="iteration|learning rate"):
        load_model(bad)
    assert load_model(bad, compile=False).optimizer is None  # the architecture itself is fine


def _functional_config():
    inputs = pf.keras.Input((3,), name="x")
    outputs = pf.keras.layers.Dense(2, activation="tanh", name="head")(inputs)
    return Model(inputs, outputs).get_config()


def test_functional_configs_check_kinds_too():
    config = _functional_config()
    head = next(la for la in config["layers"] if la["name"] == "head")
    head["config"]["activation"] = SEQUENTIAL
    with pytest.raises(TypeError, match=r"'head'.*`activation`.*an activation.*'Sequential'"):
        Model.from_config(config)
    config = _functional_config()
    config["layers"][1] = dict(ADAM, name="head", inbound_nodes=config["layers"][1][
        "inbound_nodes"])
    with pytest.raises(TypeError, match="'head'.*expected a layer"):
        Model.from_config(config)


def test_sequential_configs_check_kinds_too():
    config = {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"units": 2, "kernel_constraint": DENSE}}]}
    with pytest.raises(TypeError, match="`kernel_constraint`.*a constraint.*'Dense'"):
        Sequential.from_config(config)
    with pytest.raises(ValueError, match="dict"):
        Sequential.from_config({"name": "s", "layers": ["Dense"]})


# --- the API functions ---------------------------------------------------------------------------
API_CASES = [
    (activations.deserialize, SEQUENTIAL, TypeError, "an activation"),
    (activations.deserialize, ADAM, TypeError, "an activation"),
    (activations.get, DENSE, TypeError, "an activation"),
    (constraints.deserialize, DENSE, TypeError, "a constraint"),
    (constraints.get, L2, TypeError, "a constraint"),
    (constraints.get, {"max_value": 2}, ValueError, "class_name"),
    (regularizers.deserialize, NON_NEG, ValueError, "regularizer"),
    (initializers.deserialize, ADAM, ValueError, "initializer"),
    (initializers.get, L2, ValueError, "initializer"),
    (initializers.deserialize, {"class_name": "RandomNormal", "config": {"stddev": math.nan}},
     ValueError, "stddev"),
    (initializers.deserialize, {"class_name": "TruncatedNormal", "config": {"stddev": -1}},
     ValueError, "stddev"),
    (initializers.get, {"class_name": "RandomUniform", "config": {"maxval": math.inf}},
     ValueError, "maxval"),
    (initializers.get, {"class_name": "VarianceScaling", "config": {"scale": math.nan}},
     ValueError, "scale"),
    (initializers.get, {"class_name": "Constant", "config": {"value": math.inf}},
     ValueError, "value"),
    (initializers.get, {"class_name": "Identity", "config": {"gain": -math.inf}},
     ValueError, "gain"),
    (losses.deserialize, DENSE, TypeError, "a loss"),
    (losses.deserialize, ADAM, TypeError, "a loss"),
    (losses.get, NON_NEG, TypeError, "a loss"),
    (optimizers.deserialize, DENSE, ValueError, "optimizer"),
    (optimizers.deserialize, {"class_name": "Adam", "config": {"learning_rate": math.nan}},
     ValueError, "learning_rate"),
    (optimizers.get, {"class_name": "SGD", "config": {"momentum": -1.0}}, ValueError,
     "momentum"),
]


@pytest.mark.parametrize("function, argument, error, fragment", API_CASES,
                         ids=[f"{f.__module__.split('.')[-1]}.{f.__name__}-{i}"
                              for i, (f, *_) in enumerate(API_CASES)])
def test_api_deserializers_refuse_other_kinds(function, argument, error, fragment):
    with pytest.raises(error, match=fragment):
        function(argument)


def test_losses_get_refuses_registered_objects_of_other_kinds():
    with pytest.raises(TypeError, match="Expected a loss.*'Dense'"):
        losses.get(pf.keras.layers.Dense(2))
    with pytest.raises(TypeError, match="Expected a loss.*'Adam'"):
        losses.get(pf.keras.optimizers.Adam())
    with pytest.raises(TypeError, match="a class"):
        losses.get(pf.keras.layers.Dense)
    with pytest.raises(TypeError, match="Expected a metric.*'Dense'"):
        metrics.get(pf.keras.layers.Dense(2))
    assert isinstance(metrics.get(losses.MeanSquaredError()), metrics.Metric)  # a loss is fine

    def per_sample(y_true, y_pred):
        return pf.reduce_mean(pf.square(y_true - y_pred), axis=-1)

    assert losses.get(per_sample).fn is per_sample  # a plain function is still a loss


class _Halve(pf.keras.layers.Layer):
    def call(self, x):
        return x * 0.5


class _Scaled(losses.Loss):
    def call(self, y_true, y_pred):
        return pf.reduce_mean(pf.square(y_true - y_pred), axis=-1)


def test_custom_objects_of_the_right_kind_still_load():
    act = activations.deserialize({"class_name": "Halve", "config": {}},
                                  custom_objects={"Halve": _Halve})
    assert isinstance(act, _Halve)
    assert isinstance(losses.deserialize({"class_name": "Scaled", "config": {}},
                                         custom_objects={"Scaled": _Scaled}), _Scaled)
    with pytest.raises(TypeError, match="a loss"):
        losses.deserialize({"class_name": "Halve", "config": {}},
                           custom_objects={"Halve": _Halve})
    leaky = activations.deserialize({"class_name": "LeakyReLU", "config": {}})
    assert isinstance(leaky, pf.keras.layers.LeakyReLU)
