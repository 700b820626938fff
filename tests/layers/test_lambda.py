"""``Lambda``: runs Python in memory; a saved one is never executed from the file, and loading it
is refused with a clear error unless the user hands the function back through custom_objects."""

import json
import os
import tempfile
import zipfile

import numpy as np
import pytest

import profond as pf
from profond import layers
from profond.layers.lambda_layer import Lambda
from profond.registry import custom_object_scope
from profond.testing.layer_test import run_layer_test


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def double(t):
    return t * 2.0


def scale(t, factor=1.0):
    return t * factor


def test_contract_with_the_function_handed_back():
    with custom_object_scope({"scale": scale}):
        run_layer_test(Lambda, {"function": scale, "arguments": {"factor": 3.0}}, (2, 4), (2, 4),
                       custom_objects={"scale": scale})


def test_runs_python_with_arguments_and_infers_shapes():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(Lambda(scale, arguments={"factor": 0.5})(x).numpy(), x * 0.5)
    assert Lambda(lambda t: t[:, :2])(layers.Input((3,))).shape == (None, 2)
    assert Lambda(lambda t: t[:, :2], output_shape=(2,)).compute_output_shape((None, 3)) == (
        None, 2)
    assert Lambda(lambda t: t, output_shape=lambda s: s[:1] + (7,)).compute_output_shape(
        (None, 3)) == (None, 7)
    assert Lambda(lambda ts: ts[0] + ts[1])([x, x]).numpy()[1, 2] == 10


def test_training_flag_and_gradient_flow_through_the_function():
    seen = []

    def fn(t, training=None):
        seen.append(training)
        return pf.tanh(t)

    layer = Lambda(fn)
    x = pf.Variable(np.ones((2, 2), "float32"))
    with pf.GradientTape() as tape:
        y = pf.reduce_sum(layer(x, training=True))
    g = tape.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), 1 - np.tanh(1.0) ** 2, rtol=1e-6)
    assert seen == [True]


def _save(model):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "model.keras")
    model.save(path)
    return path


def test_saved_lambda_is_refused_on_load_unless_handed_back():
    model = pf.models.Sequential([layers.Input((3,)), Lambda(double),
                                  Lambda(lambda t: t + 1.0, name="plus_one"), layers.Dense(2)])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    before = model(x).numpy()
    path = _save(model)
    # No code and no bytecode in the file: only the marker and the function's name.
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    specs = [lay["config"]["function"] for lay in config["config"]["layers"]
             if lay["class_name"] == "Lambda"]
    assert specs == [{"class_name": "__python_code__", "config": {"name": "double"}},
                     {"class_name": "__python_code__", "config": {"name": "<lambda>"}}]
    with pytest.raises(Exception, match=r"Python code.*'double'.*custom_objects=\{'double'"):
        pf.models.load_model(path)
    with pytest.raises(Exception, match=r"custom_objects=\{'plus_one'"):
        pf.models.load_model(path, custom_objects={"double": double})
    loaded = pf.models.load_model(
        path, custom_objects={"double": double, "plus_one": lambda t: t + 1.0})
    np.testing.assert_allclose(loaded(x).numpy(), before, rtol=1e-6)


def test_safe_mode_false_does_not_open_a_door():
    model = pf.models.Sequential([layers.Input((3,)), Lambda(double)])
    path = _save(model)
    with pytest.raises(Exception, match="never stores or runs code"):
        pf.models.load_model(path, safe_mode=False)


def test_from_config_without_the_function_is_refused():
    config = Lambda(double).get_config()
    with pytest.raises(ValueError, match="holds Python code"):
        Lambda.from_config(config)
    with pytest.raises(ValueError, match="must be a callable"), \
            custom_object_scope({"double": 3}):
        Lambda.from_config(config)


def test_a_registered_callable_object_is_saved_by_config():
    layer = Lambda(layers.Dense(2, kernel_initializer="ones"))
    spec = layer.get_config()["function"]
    assert spec["class_name"] == "Dense" and spec["config"]["units"] == 2
    clone = Lambda.from_config(layer.get_config())
    assert isinstance(clone.function, layers.Dense)


@pytest.mark.parametrize("make, match", [
    (lambda: Lambda(3), "must be callable"),
    (lambda: Lambda(double, output_shape="abc"), "output_shape"),
    (lambda: Lambda(double, arguments=[1]), "must be a dict"),
    (lambda: Lambda(double, mask=np.ones(2)), "mask"),
    (lambda: Lambda(scale, arguments={"factor": np.ones(2)}).get_config(), "JSON"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_compute_mask():
    x = np.ones((1, 3, 2), "float32")
    assert Lambda(double).compute_mask(x, None) is None
    layer = Lambda(double, mask=lambda inputs, mask: np.array([[True, False, True]]))
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])


def test_keras_style_configs_never_run_their_bytecode():
    bytecode = {"class_name": "__lambda__",
                "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}
    config = {"name": "lambda_k", "function": bytecode, "arguments": {}}
    with pytest.raises(ValueError, match=r"custom_objects=\{'lambda_k'"):
        Lambda.from_config(config)
    with custom_object_scope({"lambda_k": double}):
        assert Lambda.from_config(config).function is double
    named = {"name": "lam", "function": {"module": "builtins", "class_name": "function",
                                         "config": "double", "registered_name": "function"}}
    with pytest.raises(ValueError, match="'double'"):
        Lambda.from_config(named)
    with custom_object_scope({"double": double}):
        assert Lambda.from_config(named).function is double
