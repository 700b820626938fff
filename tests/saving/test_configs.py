"""Configs round-trip: every built-in layer (walking ``profond.layers.__all__``), users' layers and
subclassed models (registered, or given through ``custom_objects`` / ``custom_object_scope``),
``to_json``/``model_from_json``, ``clone_model``, and ``export``'s refusal."""

import inspect
import json

import numpy as np
import pytest

import profond as pf
import profond.layers as L
from profond.keras import models as keras_models
from profond.registry import deserialize, serialize
from profond.utils import custom_object_scope, register_keras_serializable

FLOAT = "float"
INT = "int"
TEXT = "text"  # strings, for the text layers (issue 17)

# class name -> (constructor, input shape(s), input kind); the first batch dimension is 2.
S1, S2, S3 = (2, 6, 3), (2, 6, 6, 3), (2, 4, 4, 4, 2)
CASES = {
    "Activation": (lambda: L.Activation("relu"), (2, 5)),
    "BatchNormalization": (lambda: L.BatchNormalization(momentum=0.9), (2, 5)),
    "Bidirectional": (lambda: L.Bidirectional(L.LSTM(3), merge_mode="sum"), (2, 4, 3)),
    "Conv1D": (lambda: L.Conv1D(4, 3, padding="same"), S1),
    "Conv2D": (lambda: L.Conv2D(4, 3, strides=2), S2),
    "Conv3D": (lambda: L.Conv3D(2, 2), S3),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(4, 3), S1),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(4, 3, strides=2), S2),
    "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 2), S3),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), S1),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3), S2),
    "SeparableConv1D": (lambda: L.SeparableConv1D(4, 3), S1),
    "SeparableConv2D": (lambda: L.SeparableConv2D(4, 3), S2),
    "Cropping1D": (lambda: L.Cropping1D(1), S1),
    "Cropping2D": (lambda: L.Cropping2D(((1, 0), (0, 1))), S2),
    "Cropping3D": (lambda: L.Cropping3D(1), S3),
    "Dense": (lambda: L.Dense(3, activation="tanh", kernel_regularizer="l2"), (2, 5)),
    "Dropout": (lambda: L.Dropout(0.5, seed=1), (2, 5)),
    "Embedding": (lambda: L.Embedding(10, 4), (2, 5), INT),
    "Flatten": (lambda: L.Flatten(), (2, 3, 4)),
    "GRU": (lambda: L.GRU(3, return_sequences=True), (2, 4, 3)),
    "LSTM": (lambda: L.LSTM(3), (2, 4, 3)),
    "SimpleRNN": (lambda: L.SimpleRNN(3), (2, 4, 3)),
    "GRUCell": (lambda: L.GRUCell(3), (2, 4, 3)),
    "LSTMCell": (lambda: L.LSTMCell(3), (2, 4, 3)),
    "SimpleRNNCell": (lambda: L.SimpleRNNCell(3), (2, 4, 3)),
    "RNN": (lambda: L.RNN(L.LSTMCell(3), return_sequences=True), (2, 4, 3)),
    "StackedRNNCells": (lambda: L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)]), (2, 4, 3)),
    "ConvLSTM2D": (lambda: L.ConvLSTM2D(2, 3, padding="same"), (2, 3, 5, 5, 2)),
    "ConvLSTM1D": (lambda: L.ConvLSTM1D(2, 3), (2, 3, 6, 2)),
    "ConvLSTM3D": (lambda: L.ConvLSTM3D(2, 2), (2, 2, 4, 4, 4, 2)),
    "ConvLSTM2DCell": (lambda: L.ConvLSTM2DCell(2, 3), (2, 3, 5, 5, 2)),
    "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(2)), (2, 4, 3)),
    "LayerNormalization": (lambda: L.LayerNormalization(), (2, 5)),
    "Reshape": (lambda: L.Reshape((4, 3)), (2, 12)),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.5), S2),
    "UpSampling1D": (lambda: L.UpSampling1D(2), S1),
    "UpSampling2D": (lambda: L.UpSampling2D(2), S2),
    "UpSampling3D": (lambda: L.UpSampling3D(2), S3),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D(1), S1),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(1), S2),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), S3),
    "ELU": (lambda: L.ELU(alpha=0.5), (2, 5)),
    "LeakyReLU": (lambda: L.LeakyReLU(negative_slope=0.2), (2, 5)),
    "PReLU": (lambda: L.PReLU(), (2, 5)),
    "ReLU": (lambda: L.ReLU(max_value=1.0), (2, 5)),
    "Softmax": (lambda: L.Softmax(), (2, 5)),
    "Add": (lambda: L.Add(), [(2, 5), (2, 5)]),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 3), [(2, 4, 5), (2, 3, 5)]),
    "Attention": (lambda: L.Attention(use_scale=True), [(2, 4, 5), (2, 3, 5)]),
    "AdditiveAttention": (lambda: L.AdditiveAttention(), [(2, 4, 5), (2, 3, 5)]),
    "Average": (lambda: L.Average(), [(2, 5), (2, 5)]),
    "Concatenate": (lambda: L.Concatenate(axis=-1), [(2, 5), (2, 3)]),
    "Dot": (lambda: L.Dot(axes=1, normalize=True), [(2, 5), (2, 5)]),
    "Maximum": (lambda: L.Maximum(), [(2, 5), (2, 5)]),
    "Minimum": (lambda: L.Minimum(), [(2, 5), (2, 5)]),
    "Multiply": (lambda: L.Multiply(), [(2, 5), (2, 5)]),
    "Subtract": (lambda: L.Subtract(), [(2, 5), (2, 5)]),
    "Lambda": (lambda: L.Lambda(pf.activations.relu), (2, 5)),
    "Masking": (lambda: L.Masking(0.0), (2, 4, 3)),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1), (2, 5)),
    "AlphaDropout": (lambda: L.AlphaDropout(0.5), (2, 5)),
    "GaussianDropout": (lambda: L.GaussianDropout(0.5), (2, 5)),
    "GaussianNoise": (lambda: L.GaussianNoise(0.1), (2, 5)),
    "Permute": (lambda: L.Permute((2, 1)), (2, 3, 4)),
    "RepeatVector": (lambda: L.RepeatVector(3), (2, 5)),
    "CategoryEncoding": (lambda: L.CategoryEncoding(num_tokens=5, output_mode="multi_hot"),
                         (2, 3), INT),
    "CenterCrop": (lambda: L.CenterCrop(4, 4), S2),
    "Discretization": (lambda: L.Discretization(bin_boundaries=[0.0, 1.0]), (2, 5)),
    "Hashing": (lambda: L.Hashing(5), (2, 3), INT),
    "Normalization": (lambda: L.Normalization(mean=0.5, variance=2.0), (2, 5)),
    "RandomBrightness": (lambda: L.RandomBrightness(0.2), S2),
    "RandomContrast": (lambda: L.RandomContrast(0.2), S2),
    "RandomCrop": (lambda: L.RandomCrop(4, 4), S2),
    "RandomFlip": (lambda: L.RandomFlip("horizontal"), S2),
    "RandomRotation": (lambda: L.RandomRotation(0.1), S2),
    "RandomTranslation": (lambda: L.RandomTranslation(0.1, 0.1), S2),
    "RandomZoom": (lambda: L.RandomZoom(0.1), S2),
    "Rescaling": (lambda: L.Rescaling(1 / 255.0, offset=0.5), S2),
    "IntegerLookup": (lambda: L.IntegerLookup(vocabulary=[1, 2, 3], output_mode="count"), (2, 3),
                      INT),
    "StringLookup": (lambda: L.StringLookup(vocabulary=["a", "b c"], mask_token=""), (2, 3), TEXT),
    "TextVectorization": (lambda: L.TextVectorization(vocabulary=["a", "b"],
                                                      output_sequence_length=4), (2,), TEXT),
    "SubwordTokenizer": (lambda: L.SubwordTokenizer(vocabulary=["[PAD]", "[UNK]", "a", "b", ","],
                                                    output_sequence_length=4), (2,), TEXT),
    "Resizing": (lambda: L.Resizing(4, 4), S2),
    "PositionEmbedding": (lambda: L.PositionEmbedding(6), (2, 4, 3)),
    "TokenAndPositionEmbedding": (lambda: L.TokenAndPositionEmbedding(10, 6, 3), (2, 4), INT),
}
# A Lambda's function is code, never stored: loading needs it back (see lambda_layer.py).
CUSTOM = {"Lambda": {"relu": pf.activations.relu}}
# Classes of ``profond.layers`` that are not layers one builds on their own.
NOT_LAYERS = {"Layer", "InputLayer", "InputSpec", "KerasTensor"}
DEFAULT_SHAPES = {"1D": S1, "2D": S2, "3D": S3}
# Layers whose config does not round-trip today (report to their owners; strict: once fixed,
# the test fails until the entry is removed).
KNOWN_FAILURES = {}


def layer_classes():
    """``{class name: class}`` for each distinct layer class in ``profond.layers.__all__``."""
    found, seen = {}, set()
    for name in L.__all__:
        obj = getattr(L, name)
        if inspect.isclass(obj) and issubclass(obj, L.Layer) and name not in NOT_LAYERS \
                and obj not in seen:
            seen.add(obj)
            found[obj.__name__] = obj
    return found


def default_case(cls):
    """Layers with no required argument, by the shape their name suggests."""
    required = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
                if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if required:
        return None
    shape = next((s for k, s in DEFAULT_SHAPES.items() if cls.__name__.endswith(k)), (2, 5))
    return cls, shape


def case_for(name):
    if name in CASES:
        return CASES[name]
    made = default_case(layer_classes()[name])
    return None if made is None else made


def make_input(shape, kind=FLOAT, seed=0):
    rng = np.random.default_rng(seed)
    if isinstance(shape, list):
        return [make_input(s, kind, seed + i) for i, s in enumerate(shape)]
    if kind == INT:
        return rng.integers(0, 5, size=shape).astype(np.int64)
    if kind == TEXT:
        return rng.choice(["a", "b c", "", "A b, d"], size=shape)
    return rng.uniform(0.0, 2.0, size=shape).astype(np.float32)


def _frame_cell(cell, x):
    """A ConvLSTM2D cell on the first frame, from random states (its RNN is ConvLSTM2D)."""
    states = [make_input((2, 3, 3, 2), seed=s) for s in (5, 6)]
    return cell(x[:, 0], states, training=False)[0]


def _query_value(layer, x):
    """MultiHeadAttention takes the query and the value as two arguments."""
    return layer(x[0], x[1], training=False)


RUNNERS = {"ConvLSTM2DCell": _frame_cell, "MultiHeadAttention": _query_value}


def run(layer, x, is_cell):
    runner = RUNNERS.get(type(layer).__name__)
    if runner is not None:
        out = runner(layer, x)
    elif is_cell:
        out = L.RNN(layer)(x, training=False)
    else:
        out = layer(x, training=False)
    return [np.asarray(t.numpy()) for t in (out if isinstance(out, (list, tuple)) else [out])]


def plain(config):
    """JSON's view of a config (tuples and lists alike)."""
    return json.loads(json.dumps(config, default=str))


def test_every_layer_has_a_case():
    """A new layer in ``profond.layers`` needs typical arguments here (or no required one)."""
    missing = [name for name in layer_classes() if case_for(name) is None]
    assert not missing, f"add these layers to CASES in {__file__}: {missing}"


def _params():
    for name in sorted(layer_classes()):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name])] \
            if name in KNOWN_FAILURES else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_builtin_layer_config_round_trip(name):
    case = case_for(name)
    if case is None:
        pytest.fail(f"no case for {name} (see test_every_layer_has_a_case)")
    make, shape, *kind = case
    pf.random.set_seed(0)
    layer = make()
    is_cell = name.endswith("Cell") or name == "StackedRNNCells"
    x = make_input(shape, *kind)
    expected = run(layer, x, is_cell)

    config = layer.get_config()
    json.dumps(config)  # a config is plain JSON
    with custom_object_scope(CUSTOM.get(name, {})):
        clone = type(layer).from_config(config)
        # through the registry, as a model file names it
        again = deserialize(json.loads(json.dumps(serialize(layer))))
    assert plain(clone.get_config()) == plain(config)
    assert type(again) is type(layer)

    run(clone, x, is_cell)  # build
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]
    clone.set_weights(layer.get_weights())
    for got, want in zip(run(clone, x, is_cell), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# --- users' classes -------------------------------------------------------------------------------
@register_keras_serializable(package="h10")
class Scale(pf.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@register_keras_serializable(package="h10")
class TwoDense(pf.models.Model):
    """A subclassed model with a config."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = pf.layers.Dense(units, activation="relu")
        self.second = pf.layers.Dense(1)

    def call(self, x):
        return self.second(self.first(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def functional_with(layer):
    x = pf.layers.Input(shape=(4,), name="x")
    h = pf.layers.Dense(4, name="h")(x)
    y = pf.layers.Dense(1, name="y")(pf.layers.concatenate([layer(h), x]))
    return pf.models.Model(x, y, name="net")


def same_outputs(a, b):
    b.set_weights(a.get_weights())
    x = make_input((3, 4))
    np.testing.assert_allclose(b.predict(x, verbose=0), a.predict(x, verbose=0), rtol=1e-6)


def test_registered_user_layer_and_json():
    model = functional_with(Scale(3.0, name="scale"))
    text = model.to_json()
    spec = json.loads(text)
    names = [layer["class_name"] for layer in spec["config"]["layers"]]
    assert "h10>Scale" in names
    again = keras_models.model_from_json(text)
    assert again.get_layer("scale").factor == 3.0
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    same_outputs(model, again)
    assert json.loads(again.to_json())["config"] == spec["config"]


def test_subclassed_model_registered():
    model = TwoDense(units=5)
    model(make_input((1, 4)))
    again = keras_models.model_from_json(model.to_json())
    assert isinstance(again, TwoDense) and again.units == 5
    again(make_input((1, 4)))
    same_outputs(model, again)


def test_custom_objects_and_scope_and_the_missing_class_error():
    class Local(pf.layers.Layer):
        def call(self, x):
            return x + 1.0

    register_keras_serializable(package="h10tmp")(Local)
    text = functional_with(Local(name="local")).to_json()
    pf.registry._REGISTRY.pop("h10tmp>Local")  # as in a fresh process that lacks the class
    with pytest.raises(ValueError, match=r"Unknown class 'h10tmp>Local'.*custom_objects"):
        keras_models.model_from_json(text)
    model = keras_models.model_from_json(text, custom_objects={"h10tmp>Local": Local})
    assert isinstance(model.get_layer("local"), Local)
    with custom_object_scope({"h10tmp>Local": Local}):
        model = keras_models.model_from_config(json.loads(text))
    assert isinstance(model.get_layer("local"), Local)
    with pytest.raises(ValueError, match="Unknown class 'h10tmp>Local'"):
        keras_models.model_from_json(text)  # the scope is closed again


def test_model_from_json_bad_input():
    with pytest.raises(ValueError, match="not valid JSON"):
        keras_models.model_from_json("{nope")
    with pytest.raises(TypeError, match="Received: dict"):
        keras_models.model_from_json({"class_name": "Sequential"})
    with pytest.raises(ValueError, match="Unknown class 'os.system'"):
        keras_models.model_from_json('{"class_name": "os.system", "config": {}}')


# --- clone_model ---------------------------------------------------------------------------------
def test_clone_sequential_and_functional():
    seq = pf.models.Sequential([pf.layers.Input(shape=(4,)), pf.layers.Dense(3, name="a"),
                                pf.layers.BatchNormalization(), pf.layers.Dense(1)])
    for model in (seq, functional_with(Scale(2.0, name="scale"))):
        clone = keras_models.clone_model(model)
        assert type(clone) is type(model) and clone.built
        assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
        assert all(a is not b for a, b in zip(clone.weights, model.weights))
        assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
        assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # new weights
        same_outputs(model, clone)


def test_clone_with_input_tensors_and_clone_function():
    model = functional_with(Scale(2.0, name="scale"))
    new_input = pf.layers.Input(shape=(4,), name="new_input")
    clone = keras_models.clone_model(model, input_tensors=[new_input])
    assert clone.inputs[0] is new_input
    same_outputs(model, clone)

    def share_dense(layer):  # share Dense layers, rebuild the others
        if isinstance(layer, pf.layers.Dense):
            return layer
        return type(layer).from_config(layer.get_config())

    shared = keras_models.clone_model(model, clone_function=share_dense)
    assert shared.get_layer("h") is model.get_layer("h")
    assert shared.get_layer("scale") is not model.get_layer("scale")

    seq = pf.models.Sequential([pf.layers.Input(shape=(4,)), pf.layers.Dense(2)])
    renamed = keras_models.clone_model(seq, clone_function=lambda layer: pf.layers.Dense(
        layer.units, name="renamed"))
    assert [layer.name for layer in renamed.layers] == ["renamed"]


def test_clone_subclassed_and_bad_arguments():
    model = TwoDense(units=2)
    model(make_input((1, 4)))
    clone = keras_models.clone_model(model)
    assert isinstance(clone, TwoDense) and clone.units == 2

    class NoConfig(pf.models.Model):
        def __init__(self, width):
            super().__init__()
            self.dense = pf.layers.Dense(width)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(TypeError, match="could not clone the subclassed model NoConfig"):
        keras_models.clone_model(NoConfig(3))
    with pytest.raises(ValueError, match="expected a profond Model"):
        keras_models.clone_model(pf.layers.Dense(2))
    with pytest.raises(ValueError, match="clone_function"):
        keras_models.clone_model(model, clone_function="copy")
    seq = pf.models.Sequential([pf.layers.Input(shape=(4,)), pf.layers.Dense(2)])
    with pytest.raises(ValueError, match="one input"):
        keras_models.clone_model(seq, input_tensors=[pf.layers.Input((4,)), pf.layers.Input((4,))])


def test_export_and_saved_model_point_to_profonds_formats(tmp_path):
    model = functional_with(Scale(2.0))
    with pytest.raises(NotImplementedError, match=r"model\.save\('model\.profond'\).*ONNX"):
        model.export(tmp_path / "exported")
    with pytest.raises(NotImplementedError, match="model.profond"):
        pf.saved_model.save(model, str(tmp_path / "saved"))
