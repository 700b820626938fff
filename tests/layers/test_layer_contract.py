"""Every layer through the shared layer contract (``profond.testing.layer_test``).

``CASES`` below holds the core, convolution, pooling, normalization, recurrent and merge layers.
Other layers have their contract cases next to their own tests (``tests/layers/test_*.py``);
``test_every_layer_has_a_contract_case`` walks ``profond.layers.__all__`` and fails, naming them,
when a layer class has no case here nor in a test function of ``tests/`` that runs
``run_layer_test``.
"""

import ast
import functools
import pathlib

import numpy as np
import pytest

from profond import layers as L
from profond.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from profond.layers.normalization import BatchNormalization, LayerNormalization
from profond.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from profond.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Embedding,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from profond.layers.regularization import SpatialDropout2D
from profond.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from profond.registry import register_serializable
from profond.testing.layer_test import run_layer_test

TESTS = pathlib.Path(__file__).resolve().parents[1]

IMG = (2, 6, 6, 3)
SEQ = (2, 5, 3)

# (class, kwargs, input shape, output shape, trainable, non-trainable[, input dtype])
CASES = [
    # core
    (L.Dense, {"units": 3}, (2, 4), (2, 3), 2, 0),
    (L.Dense, {"units": 3, "activation": "relu", "use_bias": False, "kernel_regularizer": "l2"},
     (2, 5, 4), (2, 5, 3), 1, 0),
    (L.Dense, {"units": 2, "activation": "softmax", "kernel_initializer": "he_normal",
               "bias_initializer": "ones"}, (3, 4), (3, 2), 2, 0),
    (L.Activation, {"activation": "tanh"}, (2, 3), (2, 3), 0, 0),
    (L.Activation, {"activation": "softmax"}, (2, 3, 4), (2, 3, 4), 0, 0),
    (L.Flatten, {}, (2, 3, 4), (2, 12), 0, 0),
    (L.Reshape, {"target_shape": (4, 3)}, (2, 3, 4), (2, 4, 3), 0, 0),
    (L.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2), 0, 0),
    (L.Dropout, {"rate": 0.3, "seed": 1}, (2, 3), (2, 3), 0, 0),
    (L.Dropout, {"rate": 0.5, "noise_shape": (None, 1, 4)}, (2, 3, 4), (2, 3, 4), 0, 0),
    # merge (several inputs)
    (L.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3), 0, 0),
    (L.Subtract, {}, [(2, 3), (2, 3)], (2, 3), 0, 0),
    (L.Multiply, {}, [(2, 4, 3), (2, 4, 3)], (2, 4, 3), 0, 0),
    (L.Average, {}, [(2, 3), (2, 3)], (2, 3), 0, 0),
    (L.Maximum, {}, [(2, 3), (2, 3)], (2, 3), 0, 0),
    (L.Minimum, {}, [(2, 3), (2, 3)], (2, 3), 0, 0),
    (L.Concatenate, {}, [(2, 3), (2, 4)], (2, 7), 0, 0),
    (L.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 1, 4)], (2, 4, 4), 0, 0),
    (L.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1), 0, 0),
    (L.Dot, {"axes": 2, "normalize": True}, [(2, 4, 3), (2, 5, 3)], (2, 4, 5), 0, 0),
    # convolution, pooling, reshaping
    (Conv2D, {"filters": 4, "kernel_size": 3}, IMG, (2, 4, 4, 4), 2, 0),
    (Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
              "activation": "relu", "kernel_regularizer": "l2"}, IMG, (2, 3, 3, 4), 2, 0),
    (Conv2D, {"filters": 2, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False},
     IMG, (2, 4, 2, 2), 1, 0),
    (Conv2D, {"filters": 4, "kernel_size": 3, "data_format": "channels_first"},
     (2, 3, 6, 6), (2, 4, 4, 4), 2, 0),
    (Conv1D, {"filters": 4, "kernel_size": 3}, SEQ, (2, 3, 4), 2, 0),
    (Conv1D, {"filters": 4, "kernel_size": 2, "padding": "causal", "dilation_rate": 2},
     SEQ, (2, 5, 4), 2, 0),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     IMG, (2, 12, 12, 3), 2, 0),
    (Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, IMG, (2, 13, 13, 2), 2, 0),
    (MaxPooling2D, {}, IMG, (2, 3, 3, 3), 0, 0),
    (MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, IMG, (2, 3, 3, 3), 0, 0),
    (AveragePooling2D, {"pool_size": 2}, IMG, (2, 3, 3, 3), 0, 0),
    (MaxPooling1D, {}, (2, 6, 3), (2, 3, 3), 0, 0),
    (AveragePooling1D, {"pool_size": 3, "strides": 1}, (2, 6, 3), (2, 4, 3), 0, 0),
    (GlobalAveragePooling2D, {}, IMG, (2, 3), 0, 0),
    (GlobalMaxPooling2D, {"keepdims": True}, IMG, (2, 1, 1, 3), 0, 0),
    (GlobalAveragePooling1D, {}, SEQ, (2, 3), 0, 0),
    (GlobalMaxPooling1D, {}, SEQ, (2, 3), 0, 0),
    (UpSampling2D, {"size": (2, 3)}, IMG, (2, 12, 18, 3), 0, 0),
    (ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, IMG, (2, 9, 7, 3), 0, 0),
    (Cropping2D, {"cropping": ((1, 0), (2, 1))}, IMG, (2, 5, 3, 3), 0, 0),
    (BatchNormalization, {"momentum": 0.5}, IMG, IMG, 2, 2),
    (BatchNormalization, {"axis": 1, "momentum": 0.5}, (4, 3, 5), (4, 3, 5), 2, 2),
    (LayerNormalization, {}, SEQ, SEQ, 2, 0),
    (LayerNormalization, {"axis": [1, 2], "rms_scaling": True}, SEQ, SEQ, 1, 0),
    (SpatialDropout2D, {"rate": 0.3}, IMG, IMG, 0, 0),
    (SimpleRNN, {"units": 4}, SEQ, (2, 4), 3, 0),
    (SimpleRNN, {"units": 4, "return_sequences": True, "go_backwards": True}, SEQ, (2, 5, 4),
     3, 0),
    (LSTM, {"units": 4}, SEQ, (2, 4), 3, 0),
    (LSTM, {"units": 4, "return_sequences": True, "return_state": True},
     SEQ, [(2, 5, 4), (2, 4), (2, 4)], 3, 0),
    (LSTM, {"units": 3, "dropout": 0.2, "recurrent_dropout": 0.2, "seed": 1}, SEQ, (2, 3), 3, 0),
    (GRU, {"units": 4}, SEQ, (2, 4), 3, 0),
    (GRU, {"units": 4, "reset_after": False, "return_state": True}, SEQ, [(2, 4), (2, 4)], 3, 0),
    (TimeDistributed, {"layer": L.Dense(3)}, SEQ, (2, 5, 3), 2, 0),
    (Bidirectional, {"layer": LSTM(4, return_sequences=True)}, SEQ, (2, 5, 8), 6, 0),
    (Bidirectional, {"layer": GRU(2), "merge_mode": "sum"}, SEQ, (2, 2), 6, 0),
    (RNN, {"cell": LSTMCell(3)}, SEQ, (2, 3), 3, 0),
    (RNN, {"cell": GRUCell(3), "return_sequences": True}, SEQ, (2, 5, 3), 3, 0),
    (RNN, {"cell": SimpleRNNCell(3)}, SEQ, (2, 3), 3, 0),
    (RNN, {"cell": StackedRNNCells([LSTMCell(3), GRUCell(2)])}, SEQ, (2, 2), 6, 0),
    (Embedding, {"input_dim": 10, "output_dim": 4}, (2, 5), (2, 5, 4), 1, 0, "int64"),
]


def _id(case):
    return f"{case[0].__name__}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"[:60]


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_layer_contract(case):
    cls, kwargs, in_shape, out_shape, n_tr, n_ntr = case[:6]
    dtype = case[6] if len(case) > 6 else "float32"
    run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=n_tr,
                   expected_num_non_trainable_weights=n_ntr, input_dtype=dtype)


# --- the contract can fail ----------------------------------------------------------------------
def test_contract_catches_a_wrong_weight_count():
    with pytest.raises(AssertionError, match="trainable weights"):
        run_layer_test(Conv2D, {"filters": 2, "kernel_size": 3}, IMG, (2, 4, 4, 2),
                       expected_num_trainable_weights=1)


def test_contract_catches_a_wrong_output_shape():
    with pytest.raises(AssertionError, match="expected shape"):
        run_layer_test(L.Dense, {"units": 3}, (2, 4), (2, 4), expected_num_trainable_weights=2)


class _Unregistered(L.Layer):
    """A layer no registry knows: a model holding it cannot be loaded back."""

    def call(self, x):
        return x * 2.0


@register_serializable(package="h11_contract_test")
class _ForgetsItsArgument(L.Layer):
    """Registered, but its config drops ``factor``: a clone from the config computes another
    function."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


def test_save_load_is_mandatory():
    with pytest.raises(AssertionError, match="could not be saved and loaded back"):
        run_layer_test(_Unregistered, {}, (2, 3), (2, 3))


def test_contract_catches_a_config_that_forgets_an_argument():
    with pytest.raises(AssertionError, match="clone from config differs"):
        run_layer_test(_ForgetsItsArgument, {"factor": 3.0}, (2, 3), (2, 3))


def test_save_load_compares_outputs_and_weights(monkeypatch):
    from profond import models

    load = models.load_model

    def load_and_perturb(path, **kwargs):  # a loader that loses the trained numbers
        model = load(path, **kwargs)
        model.set_weights([w + 1.0 for w in model.get_weights()])
        return model

    monkeypatch.setattr(models, "load_model", load_and_perturb)
    with pytest.raises(AssertionError, match="differs after save/load"):
        run_layer_test(L.Dense, {"units": 2}, (2, 3), (2, 2), expected_num_trainable_weights=2)


# --- every layer has a case ---------------------------------------------------------------------
def _layer_classes():
    """{name: class} of the layer classes exported by ``profond.layers`` (aliases included),
    less the two that are not layers to call on data: the ``Layer`` base and ``InputLayer``."""
    found = {name: getattr(L, name) for name in L.__all__}
    return {name: obj for name, obj in found.items() if isinstance(obj, type)
            and issubclass(obj, L.Layer) and obj not in (L.Layer, L.InputLayer)}


def _names_in(node):
    """Every identifier a piece of code mentions: ``Dense`` and ``L.Dense`` both give Dense."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
    return out


def _contract_names(path):
    """The identifiers mentioned by the test functions of ``path`` that run the contract, directly
    or through a helper of the same file; a module-level name they use (a list of cases handed to
    ``parametrize``) counts with what it holds."""
    text = path.read_text(encoding="utf-8")
    if "run_layer_test" not in text:
        return set()
    tree = ast.parse(text)
    assigned = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and node.value is not None:
                    assigned[t.id] = _names_in(node.value)
    functions = {n: _names_in(n) for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    runners = {"run_layer_test"}
    while True:  # helpers that call run_layer_test, or a helper that does
        more = {f.name for f, names in functions.items() if names & runners} - runners
        if not more:
            break
        runners |= more
    covered = set()
    for f, mentioned in functions.items():
        if f.name.startswith("test") and mentioned & runners:
            names, todo = set(), list(mentioned)
            while todo:
                name = todo.pop()
                if name not in names:
                    names.add(name)
                    todo.extend(assigned.get(name, ()))
            covered |= names
    return covered


# Layers that only run inside another one, covered by that layer's cases: a convolutional cell
# steps on images, which the generic RNN (vectors) cannot feed it (Keras keeps its ConvLSTMCell
# private for the same reason).
RUN_INSIDE = {"ConvLSTM2DCell": "ConvLSTM2D"}


@functools.cache
def _covered_classes():
    """{layer class: the test file holding its contract case} (parsed once per session)."""
    classes = _layer_classes()
    covered = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        for name in _contract_names(path) & classes.keys():
            covered.setdefault(classes[name], str(path.relative_to(TESTS.parent)))
    for name, host in RUN_INSIDE.items():
        if name in classes and classes.get(host) in covered:
            covered.setdefault(classes[name], f"inside {host}: {covered[classes[host]]}")
    return covered


def test_every_layer_has_a_contract_case():
    covered = _covered_classes()
    missing = sorted({cls.__name__ for cls in _layer_classes().values() if cls not in covered})
    assert not missing, ("These layers of profond.layers.__all__ have no run_layer_test case "
                         f"(add one to CASES here or next to their tests): {missing}")


def test_the_walk_sees_cases_in_other_files():
    covered = _covered_classes()
    assert covered[L.Dense] == "tests/layers/test_layer_contract.py"
    assert covered[L.ELU] == "tests/layers/test_activation_layers.py"  # through a helper
    assert covered[L.Lambda] == "tests/layers/test_lambda.py"


def test_the_walk_counts_contract_tests_not_mere_mentions(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "CASES = [(L.Add, {}), (Flatten, {})]\n"
        "def _contract(cls):\n    run_layer_test(cls, {}, (2, 3), (2, 3))\n"
        "@pytest.mark.parametrize('cls', CASES)\ndef test_contract(cls):\n    _contract(cls)\n"
        "def test_other():\n    L.Dense(2)\n"
        "def test_direct():\n    run_layer_test(Reshape, {}, (2, 3), (2, 3))\n")
    names = _contract_names(probe)
    assert {"Add", "Flatten", "Reshape"} <= names and "Dense" not in names


def test_the_walk_resolves_aliases():
    assert L.MaxPool2D is L.MaxPooling2D and L.MaxPool2D in _covered_classes()
    assert np.all([issubclass(c, L.Layer) for c in _layer_classes().values()])
