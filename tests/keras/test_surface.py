"""The TF/Keras surface profond claims: import paths, names, and the errors for names it lacks.

``SURFACE`` lists the public TF/Keras modules and names that real programs import; each module is
imported by its path and each name read from it, so a name that disappears or a module that stops
being importable fails here. The last test (marker ``compat``) checks the "not implemented yet"
lists of ``profond._names`` against real TensorFlow.
"""

import doctest
import importlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import profond
from profond._names import REAL_NAMES

SURFACE = [
    ("profond", ["GradientTape", "Variable", "constant", "convert_to_tensor", "function",
                 "TensorShape", "TensorSpec", "newaxis", "device", "is_tensor", "float32",
                 "int64", "bool", "string", "as_dtype", "executing_eagerly", "stop_gradient",
                 "config", "data", "keras", "nest", "strings", "debugging", "distribute",
                 "dtypes", "saved_model", "experimental", "random", "nn", "image", "math",
                 "linalg", "print", "Assert", "assert_equal", "assert_rank", "as_string",
                 "random_normal_initializer", "random_uniform_initializer",
                 "constant_initializer", "zeros_initializer", "ones_initializer"]),
    ("profond.keras", ["Sequential", "Model", "Input", "Layer", "Variable", "InputSpec",
                       "KerasTensor", "Loss", "Metric", "Optimizer", "Initializer",
                       "Regularizer", "Constraint", "DTypePolicy", "layers", "models",
                       "optimizers", "losses", "metrics", "callbacks", "activations",
                       "initializers", "regularizers", "constraints", "datasets", "utils",
                       "preprocessing", "backend", "config", "mixed_precision", "applications",
                       "ops", "random"]),
    ("profond.keras.layers", ["Dense", "Dropout", "Flatten", "Conv2D", "MaxPooling2D", "LSTM",
                              "GRU", "Embedding", "BatchNormalization", "Input", "Layer"]),
    ("profond.keras.models", ["Sequential", "Model", "load_model"]),
    ("profond.keras.callbacks", ["EarlyStopping", "ModelCheckpoint", "History", "Callback"]),
    ("profond.keras.optimizers", ["SGD", "Adam", "RMSprop", "schedules"]),
    ("profond.keras.optimizers.schedules", ["ExponentialDecay"]),
    ("profond.keras.losses", ["SparseCategoricalCrossentropy", "MeanSquaredError"]),
    ("profond.keras.metrics", ["Accuracy", "Mean"]),
    ("profond.keras.activations", ["relu", "softmax", "sigmoid"]),
    ("profond.keras.initializers", ["GlorotUniform", "HeNormal"]),
    ("profond.keras.regularizers", ["L2"]),
    ("profond.keras.constraints", ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm",
                                   "max_norm", "get", "serialize", "deserialize"]),
    ("profond.keras.datasets.mnist", ["load_data"]),
    ("profond.keras.datasets.fashion_mnist", ["load_data"]),
    ("profond.keras.utils", ["to_categorical"]),
    ("profond.keras.backend", ["clear_session", "floatx", "set_floatx", "epsilon",
                               "image_data_format", "backend", "int_shape", "is_keras_tensor",
                               "standardize_dtype", "is_float_dtype", "is_int_dtype"]),
    ("profond.keras.saving", ["register_keras_serializable", "custom_object_scope",
                              "CustomObjectScope", "get_registered_name", "get_registered_object",
                              "serialize_keras_object", "deserialize_keras_object", "load_model",
                              "save_model", "load_weights", "save_weights"]),
    ("profond.keras.config", ["backend", "floatx", "set_floatx", "epsilon",
                              "image_data_format", "dtype_policy", "set_dtype_policy"]),
    ("profond.keras.mixed_precision", ["Policy", "DTypePolicy", "set_global_policy",
                                       "global_policy"]),
    ("profond.keras.applications", ["ResNet50", "MobileNetV2", "VGG16", "imagenet_utils",
                                    "resnet50", "mobilenet_v2", "efficientnet"]),
    ("profond.keras.applications.imagenet_utils", ["preprocess_input", "decode_predictions"]),
    ("profond.keras.applications.resnet50", ["preprocess_input", "decode_predictions",
                                             "ResNet50"]),
    ("profond.config", ["list_physical_devices", "list_logical_devices", "set_visible_devices",
                        "get_visible_devices", "run_functions_eagerly", "functions_run_eagerly",
                        "threading", "experimental", "set_soft_device_placement"]),
    ("profond.data", ["Dataset", "AUTOTUNE", "experimental"]),
    ("profond.data.experimental", ["AUTOTUNE", "cardinality", "INFINITE_CARDINALITY",
                                   "UNKNOWN_CARDINALITY"]),
    ("profond.nest", ["flatten", "map_structure", "pack_sequence_as", "is_nested",
                      "assert_same_structure"]),
    ("profond.dtypes", ["as_dtype", "float32", "int32", "bool", "string", "DType", "cast"]),
    ("profond.strings", ["lower", "upper", "split", "join", "length", "regex_replace", "strip",
                         "to_number", "as_string", "reduce_join", "substr"]),
    ("profond.debugging", ["assert_equal", "assert_near", "assert_shapes", "check_numerics",
                           "enable_check_numerics", "set_log_device_placement",
                           "assert_rank", "assert_less", "assert_greater"]),
    ("profond.distribute", ["get_strategy", "OneDeviceStrategy", "MirroredStrategy",
                            "ReduceOp", "has_strategy", "Strategy"]),
    ("profond.saved_model", ["save", "load"]),
    ("profond.keras.ops", ["add", "matmul", "mean"]),
    ("profond.keras.random", ["normal", "uniform"]),
    ("profond.math", ["reduce_sum", "exp"]),
]

# The modules of this surface whose docstring examples must keep running.
DOCTESTED = ["profond.config", "profond.function", "profond.autodiff.spec", "profond.nest",
             "profond.dtypes", "profond.strings", "profond.debugging", "profond.mixed_precision",
             "profond.applications", "profond.distribute.strategy", "profond.data.experimental",
             "profond._names"]


@pytest.mark.parametrize("module, names", SURFACE, ids=[m for m, _ in SURFACE])
def test_module_imports_by_path_and_has_its_names(module, names):
    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


@pytest.mark.parametrize("module", DOCTESTED)
def test_docstring_examples_run(module):
    importlib.import_module(module)
    # sys.modules, not getattr: ``profond.function`` is the decorator that shadows its module.
    result = doctest.testmod(sys.modules[module], optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_import_forms_of_courses():
    import profond.keras.layers as L
    from profond import keras
    from profond.keras.callbacks import EarlyStopping
    from profond.keras.models import Sequential

    assert keras is profond.keras
    assert L.Dense is profond.layers.Dense
    assert Sequential is profond.models.Sequential
    assert EarlyStopping is profond.callbacks.EarlyStopping
    assert profond.keras.constraints.MaxNorm is profond.constraints.MaxNorm


@pytest.mark.parametrize("module, name", [
    ("profond", "RaggedTensor"), ("profond", "SparseTensor"), ("profond", "Module"),
    ("profond.keras", "RematScope"), ("profond.keras.layers", "TFSMLayer"),
    ("profond.distribute", "TPUStrategy"), ("profond.keras.backend", "get_uid"),
    ("profond.experimental", "numpy"), ("profond.math", "bessel_i0"),
    ("profond.keras.callbacks", "OrbaxCheckpoint"), ("profond.keras.optimizers", "Muon"),
    ("profond.keras.losses", "Circle"), ("profond.linalg", "expm"),
])
def test_a_real_tf_name_profond_lacks_says_not_implemented_yet(module, name):
    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match="TensorFlow/Keras name that profond does not "
                                             "implement yet") as info:
        getattr(mod, name)
    assert repr(name) in str(info.value) and module in str(info.value)


@pytest.mark.parametrize("module", ["profond", "profond.keras", "profond.keras.layers",
                                    "profond.nest", "profond.strings", "profond.config",
                                    "profond.data.experimental"])
def test_an_unknown_name_says_it_is_not_in_profond(module):
    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match="profond has no such name, and neither does "
                                             "TensorFlow/Keras") as info:
        mod.NoSuchThing  # noqa: B018
    assert "'NoSuchThing'" in str(info.value)
    assert not hasattr(mod, "NoSuchThing")


def test_from_import_of_a_missing_name_is_an_import_error():
    with pytest.raises(ImportError):
        from profond.keras.layers import NoSuchLayer  # noqa: F401


def test_the_not_yet_lists_hold_no_name_profond_has_at_its_top():
    # A listed name that profond has is never reported (Python calls __getattr__ only for
    # missing names); this checks the lists do not claim something silly like "Dense".
    assert "Dense" in REAL_NAMES["profond.keras.layers"]
    assert "NoSuchThing" not in REAL_NAMES["profond"]


# --- keras.backend, keras.config, mixed_precision, applications ----------------------------------
def test_backend_helpers():
    import profond.keras.backend as K

    assert K.backend() == "profond"  # honest: real Keras names its own engine here
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.image_data_format() == "channels_last"
    assert K.int_shape(np.ones((2, 3))) == (2, 3)
    assert K.int_shape(profond.constant([[1.0, 2.0]])) == (1, 2)
    with pytest.raises(TypeError, match="int_shape"):
        K.int_shape(3)
    assert K.is_keras_tensor(profond.keras.Input((3,)))
    assert not K.is_keras_tensor(profond.constant([1.0]))
    assert K.standardize_dtype(None) == "float32"
    assert K.standardize_dtype(np.float64) == "float64"
    assert K.standardize_dtype("string") == "string"
    with pytest.raises(ValueError, match="Invalid dtype: float"):
        K.standardize_dtype("float")
    assert K.is_float_dtype("float64") and not K.is_float_dtype("int32")
    assert K.is_int_dtype(np.uint8)
    profond.layers.Dense(2)
    K.clear_session()
    assert profond.layers.Dense(2).name == "dense"


def test_backend_keras2_samplers():
    # tf.keras.backend still has them and older guides call them (the VAE of the subclassing
    # guide samples ε with K.random_normal(shape=(batch, dim)), batch a scalar tensor).
    import profond.keras.backend as K

    batch = profond.shape(profond.zeros((4000, 3)))[0]
    eps = K.random_normal(shape=(batch, 3), seed=1)
    assert eps.shape == (4000, 3) and eps.dtype == np.float32
    assert abs(float(eps.numpy().mean())) < 0.1 and abs(float(eps.numpy().std()) - 1) < 0.1
    u = K.random_uniform((1000,), minval=2.0, maxval=3.0, dtype="float64", seed=2).numpy()
    assert u.dtype == np.float64 and 2.0 <= u.min() and u.max() < 3.0
    t = K.truncated_normal((1000,), mean=1.0, stddev=0.5, seed=3).numpy()
    assert np.all(np.abs(t - 1.0) <= 1.0)
    assert np.array_equal(K.random_normal((5,), seed=7).numpy(),
                          K.random_normal((5,), seed=7).numpy())


def test_config_settings_refuse_what_profond_would_ignore():
    cfg = profond.keras.config
    cfg.set_epsilon(1e-7)
    cfg.set_image_data_format("channels_last")
    with pytest.raises(NotImplementedError, match="epsilon"):
        cfg.set_epsilon(1e-5)
    with pytest.raises(NotImplementedError, match="channels_first"):
        cfg.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="Received: data_format='bad'"):
        cfg.set_image_data_format("bad")


def test_mixed_precision_accepts_float32_and_float64_only():
    mp = profond.keras.mixed_precision
    policy = mp.Policy("float32")
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("float32",) * 3
    assert repr(mp.global_policy()) == '<DTypePolicy "float32">'
    for name in ("mixed_float16", "mixed_bfloat16", "float16"):
        with pytest.raises(ValueError, match="float32 or float64 only"):
            mp.Policy(name)
        with pytest.raises(ValueError, match=f"Received: name='{name}'"):
            mp.set_global_policy(name)
    with pytest.raises(ValueError, match="Received: name='foo'"):
        mp.Policy("foo")
    try:
        mp.set_global_policy("float64")
        assert profond.config.floatx() == "float64"
        assert profond.layers.Dense(2)(np.ones((1, 3))).dtype == np.float64
        assert mp.global_policy() == mp.Policy("float64")
    finally:
        mp.set_global_policy("float32")
    assert profond.config.floatx() == "float32"
    assert mp.Policy.from_config(policy.get_config()) == policy


def test_applications_refuse_builders_and_preprocess_like_keras():
    apps = profond.keras.applications
    with pytest.raises(NotImplementedError, match="ResNet50 is not implemented"):
        apps.ResNet50(weights="imagenet")
    x = np.arange(2 * 2 * 2 * 3, dtype="float32").reshape(2, 2, 2, 3)
    before = x.copy()
    # Reference values printed by Keras 3 (TensorFlow 2.21) for x[0, 0, 0] = (0, 1, 2).
    np.testing.assert_allclose(apps.resnet50.preprocess_input(x)[0, 0, 0],
                               [-101.939, -115.779, -123.68], rtol=1e-6)
    np.testing.assert_allclose(apps.imagenet_utils.preprocess_input(x, mode="caffe")[0, 0, 0],
                               [-101.939, -115.779, -123.68], rtol=1e-6)
    np.testing.assert_allclose(apps.mobilenet_v2.preprocess_input(x)[0, 0, 0],
                               [-1.0, -0.99215686, -0.9843137], rtol=1e-6)
    np.testing.assert_allclose(apps.densenet.preprocess_input(x)[0, 0, 0],
                               [-2.117904, -2.0182073, -1.7695861], rtol=1e-6)
    np.testing.assert_array_equal(apps.efficientnet.preprocess_input(x), x)
    np.testing.assert_array_equal(x, before)  # never modified in place
    first = np.transpose(x, (0, 3, 1, 2))
    np.testing.assert_allclose(
        apps.imagenet_utils.preprocess_input(first, data_format="channels_first")[0, :, 0, 0],
        [-101.939, -115.779, -123.68], rtol=1e-6)
    t = profond.Variable(x)
    with profond.GradientTape() as tape:
        y = profond.reduce_sum(apps.imagenet_utils.preprocess_input(t, mode="torch"))
    (g,) = tape.gradient(y, [t])
    np.testing.assert_allclose(g.numpy()[0, 0, 0], 1 / 255 / np.array([0.229, 0.224, 0.225]),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"Received: shape=\(1, 10\)"):
        apps.imagenet_utils.decode_predictions(np.ones((1, 10)))
    with pytest.raises(ValueError, match="Received: mode='bad'"):
        apps.imagenet_utils.preprocess_input(x, mode="bad")


def test_decode_predictions_reads_the_class_index(tmp_path, monkeypatch):
    apps = profond.keras.applications
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json"):
        apps.imagenet_utils.decode_predictions(np.ones((1, 1000)))
    (tmp_path / "models").mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, 7], preds[0, 3], preds[1, 999] = 0.9, 0.1, 1.0
    top = apps.imagenet_utils.decode_predictions(preds, top=2)
    assert top[0][0] == ("n00000007", "class_7", pytest.approx(0.9))
    assert top[0][1][:2] == ("n00000003", "class_3")
    assert top[1][0][:2] == ("n00000999", "class_999") and len(top[1]) == 2


@pytest.mark.compat
def test_not_yet_lists_are_real_tensorflow_names():
    root = pathlib.Path(__file__).parents[2]
    python = root / ".venv-compat" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make compat`.")
    own = {"profond.mixed_precision": "keras.mixed_precision",
           "profond.applications": "keras.applications"}
    paths = {m: own.get(m) or ("keras" + m[len("profond.keras"):] if m.startswith("profond.keras")
                               else "tf" + m[len("profond"):]) for m in REAL_NAMES}
    for legacy in ("image", "sequence", "text"):  # TF-Keras's modules, reached through tf.keras
        paths[f"profond.keras.preprocessing.{legacy}"] = f"tf.keras.preprocessing.{legacy}"
    paths["profond.keras.preprocessing"] = "tf.keras.preprocessing"
    script = ("import os, json; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
              "import tensorflow as tf, keras\n"
              f"paths = {paths!r}\n"
              "print(json.dumps({k: dir(eval(v)) for k, v in paths.items()}))")
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True,
                          timeout=300, check=True)
    real = json.loads(done.stdout.strip().splitlines()[-1])
    for module, names in real.items():
        extra = REAL_NAMES[module] - set(names)
        assert not extra, f"{module}: not TensorFlow names: {sorted(extra)}"


def test_keras_saving_module_registers_and_loads(tmp_path):
    # keras.saving.register_keras_serializable is how Keras 3 guides register a custom layer
    # (working_with_rnns registers its NestedCell that way); the class then loads from a file.
    from profond import keras

    @keras.saving.register_keras_serializable(package="g1")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2.0 * x

    assert keras.saving.get_registered_name(Twice) == "g1>Twice"
    assert keras.saving.get_registered_object("g1>Twice") is Twice
    model = keras.Sequential([keras.Input((3,)), Twice()])
    path = str(tmp_path / "twice.keras")
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.layers[0], Twice)
    np.testing.assert_allclose(loaded(np.ones((1, 3), "float32")).numpy(), 2.0)
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras.saving.save_weights(dense, str(tmp_path / "d.weights.safetensors"))
    keras.saving.load_weights(other, str(tmp_path / "d.weights.safetensors"))
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), dense.layers[0].kernel.numpy())
    with pytest.raises(AttributeError, match="KerasFileEditor"):
        getattr(keras.saving, "KerasFileEditor")  # noqa: B009 - the attribute access is the test
