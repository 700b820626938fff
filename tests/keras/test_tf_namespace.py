"""The tf-style namespace: ``tf.function``, shapes and specs, ``tf.nest``, devices and
``tf.config``, ``tf.strings``, ``tf.debugging``, ``tf.distribute``, dtypes, and NumPy interop.

Expected values are what TensorFlow 2.21 returns for the same calls (observed by hand); where
profond differs on purpose (eager ``function``, ``str`` instead of ``bytes``) the test says so.
"""

import collections
import operator

import numpy as np
import pytest

import profond as tf


# --- tf.function ----------------------------------------------------------------------------------
def test_function_decorates_with_and_without_arguments_and_runs_eagerly():
    calls = []

    @tf.function
    def double(x):
        calls.append(1)  # eager: the side effect happens at every call, not once at tracing
        return 2 * x

    @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
    def add_one(x):
        return x + 1

    np.testing.assert_array_equal(double(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    double(tf.constant(1.0))
    assert len(calls) == 2
    assert add_one(1) == 2
    assert double.python_function.__name__ == "double" and double.__name__ == "double"
    assert double.name == "double" and double.input_signature is None
    assert tf.executing_eagerly()


def test_function_gradients_flow_through():
    w = tf.Variable([1.0, 2.0])

    @tf.function
    def loss(x):
        return tf.reduce_sum(w * x)

    with tf.GradientTape() as tape:
        y = loss(tf.constant([3.0, 4.0]))
    (g,) = tape.gradient(y, [w])
    np.testing.assert_array_equal(g.numpy(), [3.0, 4.0])


def test_function_checks_its_input_signature():
    f = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec([None], tf.float32)])
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [2.0, 3.0])
    f([1.0, 2.0])  # Python floats count as float32, as in TF
    with pytest.raises(TypeError, match=r"must match TensorSpec\(shape=\(None,\), dtype=float32"):
        f(tf.constant([[1.0]]))
    with pytest.raises(TypeError, match="dtype=int32"):
        f(tf.constant(np.array([1, 2], dtype="int32")))
    with pytest.raises(TypeError, match="expected 1 positional"):
        f(tf.constant([1.0]), tf.constant([1.0]))
    with pytest.raises(TypeError, match="TensorSpec objects"):
        tf.function(lambda x: x, input_signature=[(None, 3)])


def test_function_on_a_method_binds_self():
    class Scaler:
        factor = 3.0

        @tf.function
        def __call__(self, x):
            return self.factor * x

    assert float(Scaler()(tf.constant(2.0))) == 6.0


def test_run_functions_eagerly_flag_round_trips():
    assert tf.config.functions_run_eagerly() is False
    try:
        tf.config.run_functions_eagerly(True)
        assert tf.config.functions_run_eagerly() is True
    finally:
        tf.config.run_functions_eagerly(False)


# --- TensorShape, TensorSpec, newaxis -------------------------------------------------------------
def test_tensor_shape_behaves_like_tf():
    s = tf.TensorShape([None, 3])
    assert repr(s) == "TensorShape([None, 3])" and str(s) == "(None, 3)"
    assert s.as_list() == [None, 3] and s.rank == 2 and len(s) == 2
    assert s[0] is None and s[1] == 3 and list(s) == [None, 3]
    assert s == [None, 3] and s == (None, 3) and s != [2, 3]
    assert s[1:] == tf.TensorShape([3]) and str(s[1:]) == "(3,)"
    assert not s.is_fully_defined() and s.num_elements() is None
    assert tf.TensorShape([2, 3]).num_elements() == 6
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert tf.TensorShape([2, None]).merge_with([None, 3]) == [2, 3]
    assert tf.TensorShape([2, 3]).concatenate([4]) == [2, 3, 4]
    unknown = tf.TensorShape(None)
    assert repr(unknown) == "TensorShape(None)" and unknown.rank is None
    with pytest.raises(ValueError, match="unknown TensorShape"):
        unknown.as_list()
    with pytest.raises(ValueError, match="not compatible"):
        tf.TensorShape([2]).merge_with([3])
    with pytest.raises(ValueError, match="Received: -1"):
        tf.TensorShape([-1])
    with pytest.raises(TypeError, match="int or None"):
        tf.TensorShape(["a"])


def test_tensor_get_shape_and_set_shape():
    t = tf.ones((2, 3))
    assert t.get_shape() == [2, 3] and t.get_shape().as_list() == [2, 3]
    t.set_shape([None, 3])
    with pytest.raises(ValueError, match=r"\(2, 3\) is not compatible with supplied shape"):
        t.set_shape([2, 4])


def test_tensor_spec():
    spec = tf.TensorSpec([None, 3], tf.float32, name="x")
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=float32, name='x')"
    assert spec.shape == [None, 3] and spec.dtype == np.float32 and spec.name == "x"
    assert spec == tf.TensorSpec((None, 3), "float32", name="x")
    assert spec.is_compatible_with(tf.zeros((2, 3)))
    assert not spec.is_compatible_with(tf.zeros((2, 4)))
    assert tf.TensorSpec((2,)).dtype == np.float32
    assert tf.TensorSpec.from_tensor(tf.constant([1, 2])).shape == [2]


def test_newaxis_and_is_tensor():
    x = tf.constant([1.0, 2.0])
    assert tf.newaxis is None and x[:, tf.newaxis].shape == (2, 1)
    assert tf.is_tensor(x) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor([1.0])


# --- tf.nest --------------------------------------------------------------------------------------
def test_nest_flatten_pack_map_like_tf():
    assert tf.nest.flatten({"b": 1, "a": (2, [3, 4])}) == [2, 3, 4, 1]
    assert tf.nest.flatten(None) == [None]
    assert tf.nest.is_nested([1]) and tf.nest.is_nested({}) and not tf.nest.is_nested(1)
    assert tf.nest.map_structure(lambda a, b: a + b, (1, {"x": 2}), (10, {"x": 20})) == \
        (11, {"x": 22})
    assert tf.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3]) == {"b": 3, "a": [1, 2]}
    point = collections.namedtuple("Point", "x y")
    assert tf.nest.map_structure(lambda a: a * 2, point(1, 2)) == point(2, 4)
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tf.nest.flatten(ordered) == [1, 2]  # an OrderedDict keeps its own order
    deep = [0]
    for _ in range(3000):
        deep = [deep]
    assert tf.nest.flatten(deep) == [0]


def test_nest_structure_errors():
    with pytest.raises(ValueError, match="same nested structure"):
        tf.nest.assert_same_structure((1, 2), (1, [2]))
    with pytest.raises(ValueError, match="same number of elements"):
        tf.nest.assert_same_structure((1, 2), (1, 2, 3))
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure((1, 2), [1, 2])
    tf.nest.assert_same_structure((1, 2), [1, 2], check_types=False)
    with pytest.raises(ValueError, match="same number of elements"):
        tf.nest.map_structure(lambda a, b: a, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match="3 leaves"):
        tf.nest.pack_sequence_as([0, [0, 0]], [1, 2])


# --- devices and tf.config ------------------------------------------------------------------------
def test_devices_are_honest_about_the_backend():
    cpu = tf.config.list_physical_devices("CPU")
    assert [(d.name, d.device_type) for d in cpu] == [("/physical_device:CPU:0", "CPU")]
    if tf.config.backend() == "numpy":
        assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    assert tf.config.experimental.list_physical_devices("CPU") == cpu
    tf.config.experimental.set_memory_growth(cpu[0], True)
    assert tf.config.experimental.get_memory_growth(cpu[0]) is True
    tf.config.set_visible_devices(cpu, "CPU")
    gpus = tf.config.list_physical_devices("GPU")
    tf.config.set_visible_devices([], "GPU")
    assert tf.config.get_visible_devices() == cpu
    tf.config.set_visible_devices(gpus, "GPU")
    with pytest.raises(ValueError, match="cannot be hidden"):
        tf.config.set_visible_devices([], "CPU")
    with pytest.raises(ValueError, match="device_type='XPU'"):
        tf.config.list_physical_devices("XPU")
    with pytest.raises(ValueError, match="set_memory_growth"):
        tf.config.experimental.set_memory_growth("/GPU:0", True)


def test_gpus_are_listed_only_while_the_cupy_backend_is_active(monkeypatch):
    import types

    from profond import backend, config

    fake_cupy = types.SimpleNamespace(
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 2)))
    monkeypatch.setitem(__import__("sys").modules, "cupy", fake_cupy)
    assert config.list_physical_devices("GPU") == []  # NumPy backend: no GPU, even with CuPy
    monkeypatch.setattr(backend, "backend", lambda: "cupy")
    gpus = config.list_physical_devices("GPU")
    assert [g.name for g in gpus] == ["/physical_device:GPU:0", "/physical_device:GPU:1"]
    assert [d.name for d in config.list_logical_devices("GPU")] == ["/device:GPU:0",
                                                                    "/device:GPU:1"]
    monkeypatch.setattr(backend, "set_backend", lambda name: switched.append(name))
    switched = []
    try:
        config.set_visible_devices(gpus[:1], "GPU")
        assert config.get_visible_devices("GPU") == gpus[:1] and switched == []
        config.set_visible_devices([], "GPU")
        assert switched == ["numpy"] and config.get_visible_devices("GPU") == []
        assert config.list_logical_devices("GPU") == []
    finally:
        config.set_visible_devices(gpus, "GPU")


@pytest.mark.parametrize("name", ["/CPU:0", "/GPU:0", "/device:GPU:1", "cpu", "GPU:0",
                                  "/job:localhost/replica:0/task:0/device:CPU:0", None, ""])
def test_device_context_accepts_tf_names(name):
    with tf.device(name):
        y = tf.constant([1.0]) * 2.0
    assert float(y[0]) == 2.0


@pytest.mark.parametrize("name", ["foo", "/XPU:0", "/GPU:x"])
def test_device_context_rejects_unknown_names(name):
    with pytest.raises(ValueError, match="Unknown device name"):
        with tf.device(name):
            pass


def test_threading_maps_intra_op_to_blas_threads():
    t = tf.config.threading
    assert t.get_inter_op_parallelism_threads() == 0
    t.set_inter_op_parallelism_threads(2)
    assert t.get_inter_op_parallelism_threads() == 2
    t.set_inter_op_parallelism_threads(0)
    t.set_intra_op_parallelism_threads(0)  # 0: the default, nothing changed
    with pytest.raises(ValueError, match="num_threads=-1"):
        t.set_intra_op_parallelism_threads(-1)


def test_intra_op_threads_without_threadpoolctl_warns(monkeypatch):
    from profond import config

    def missing(n):
        raise ImportError("set_num_threads needs threadpoolctl")

    monkeypatch.setattr(config, "set_num_threads", missing)
    with pytest.warns(UserWarning, match="had no effect: set_num_threads needs threadpoolctl"):
        tf.config.threading.set_intra_op_parallelism_threads(2)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 2
    tf.config.threading.set_intra_op_parallelism_threads(0)


# --- tf.strings -----------------------------------------------------------------------------------
def test_strings_match_tf_on_unicode():
    s = tf.strings
    np.testing.assert_array_equal(s.lower(["AbC", "X"]), ["abc", "x"])
    assert s.upper("ab") == "AB" and s.upper(b"ab") == "AB"
    pieces = s.split(["a b", "c d e"])
    assert [p.tolist() for p in pieces] == [["a", "b"], ["c", "d", "e"]]
    np.testing.assert_array_equal(s.split("a,b", sep=","), ["a", "b"])
    assert s.join(["a", "b"], separator="-") == "a-b"
    np.testing.assert_array_equal(s.join([["a", "b"], ["c", "d"]]), ["ac", "bd"])
    np.testing.assert_array_equal(s.length(["abc", "é"]).numpy(), [3, 2])  # UTF-8 bytes
    assert int(s.length("é", unit="UTF8_CHAR")) == 1
    np.testing.assert_array_equal(s.regex_replace(["a1b22"], r"\d+", "#"), ["a#b#"])
    assert s.regex_replace("aaa", "a", "b", replace_global=False) == "baa"
    np.testing.assert_array_equal(s.strip([" a "]), ["a"])
    got = s.to_number(["1.5", "2"])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [1.5, 2.0])
    assert s.to_number(["3"], out_type=tf.int32).dtype == np.int32
    np.testing.assert_array_equal(s.as_string([1.5, 2.0]), ["1.500000", "2.000000"])
    np.testing.assert_array_equal(s.as_string([1, 2]), ["1", "2"])
    np.testing.assert_array_equal(s.as_string([1.5], precision=2), ["1.50"])
    np.testing.assert_array_equal(s.as_string([True]), ["true"])
    assert s.reduce_join(["a", "b"], separator=",") == "a,b"
    np.testing.assert_array_equal(s.reduce_join([["a", "b"], ["c", "d"]], axis=1), ["ab", "cd"])
    np.testing.assert_array_equal(s.substr(["hello"], 1, 3), ["ell"])


def test_strings_errors():
    with pytest.raises(ValueError, match="could not convert string: 'x'"):
        tf.strings.to_number(["x"])
    with pytest.raises(TypeError, match="strings.lower expects strings"):
        tf.strings.lower([1, 2])
    with pytest.raises(ValueError, match="unit='CHAR'"):
        tf.strings.length("a", unit="CHAR")
    with pytest.raises(TypeError, match="numbers or booleans"):
        tf.strings.as_string(["a"])


# --- tf.debugging ---------------------------------------------------------------------------------
def test_debugging_assertions():
    d = tf.debugging
    assert d.assert_equal(tf.constant([1, 2]), [1, 2]) is None
    with pytest.raises(d.InvalidArgumentError, match=r"x == y did not hold.*\[\[1\]\]"):
        d.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))
    with pytest.raises(ValueError, match="^boom\n"):  # InvalidArgumentError is a ValueError
        d.assert_less([2], [1], message="boom")
    d.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.000001]))
    with pytest.raises(d.InvalidArgumentError, match="rtol=1.19209e-06"):
        d.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]))
    d.assert_rank(tf.ones((2, 3)), 2)
    with pytest.raises(d.InvalidArgumentError, match="rank 2"):
        d.assert_rank(tf.ones((2, 3)), 1)
    with pytest.raises(TypeError, match="dtype float64"):
        d.assert_type(tf.constant([1.0]), tf.float64)
    d.assert_positive([1, 2])
    with pytest.raises(d.InvalidArgumentError):
        d.assert_non_negative([0, -1])


def test_check_numerics_returns_its_tensor_or_names_the_problem():
    x = tf.constant([1.0, 2.0])
    assert tf.debugging.check_numerics(x, "ok") is x
    with pytest.raises(tf.debugging.InvalidArgumentError, match="bad : Tensor had NaN values"):
        tf.debugging.check_numerics(tf.constant([1.0, np.nan]), "bad")
    with pytest.raises(tf.debugging.InvalidArgumentError, match="Inf"):
        tf.debugging.assert_all_finite(tf.constant([np.inf]), "inf")
    tf.debugging.set_log_device_placement(True)
    assert tf.debugging.get_log_device_placement() is True
    tf.debugging.set_log_device_placement(False)


def test_top_level_assert_and_print(capsys):
    assert tf.assert_equal is tf.debugging.assert_equal and tf.as_string is tf.strings.as_string
    tf.Assert(tf.constant([True, True]), ["never shown"])
    with pytest.raises(tf.debugging.InvalidArgumentError, match=r"assertion failed: \[\[1, 2\]\]"):
        tf.Assert(tf.constant([True, False]), [tf.constant([1, 2])])
    tf.print("loss", tf.constant(0.5), tf.constant([1, 2, 3]), tf.constant(list(range(10))))
    assert capsys.readouterr().err == "loss 0.5 [1 2 3] [0 1 2 ... 7 8 9]\n"  # stderr, as TF
    tf.print(tf.constant(list(range(10))), summarize=-1, sep=",", end="!",
             output_stream=__import__("sys").stdout)
    assert capsys.readouterr().out == "[0 1 2 3 4 5 6 7 8 9]!"


def test_assert_shapes_like_tf():
    ok = tf.debugging.assert_shapes
    ok([(tf.ones((2, 3)), ("N", "D")), (tf.ones((2,)), ("N",))])
    ok([(tf.ones((2, 3)), (None, 3))])
    ok([(tf.ones((2, 3, 4)), (..., "N"))])
    ok([(tf.ones((1,)), ())])
    err = tf.debugging.InvalidArgumentError
    with pytest.raises(err, match="dimension 1 must have size 3. Received size 4"):
        ok([(tf.ones((2, 3)), ("N", "D")), (tf.ones((2, 4)), ("N", "D"))])
    with pytest.raises(err, match="must have rank 1"):
        ok([(tf.ones((2, 3)), (2,))])


# --- tf.distribute --------------------------------------------------------------------------------
def test_single_replica_strategies():
    default = tf.distribute.get_strategy()
    assert default.num_replicas_in_sync == 1 and not tf.distribute.has_strategy()
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        assert tf.distribute.get_strategy() is strategy and tf.distribute.has_strategy()
        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    assert tf.distribute.get_strategy() is default
    x = tf.constant([1.0, 2.0])
    assert float(strategy.run(lambda a: a * 2, args=(tf.constant(3.0),))) == 6.0
    assert strategy.reduce(tf.distribute.ReduceOp.SUM, x, axis=None) is x
    assert float(strategy.reduce("MEAN", x, axis=0)) == 1.5
    assert float(strategy.reduce("sum", x, axis=0)) == 3.0
    ds = tf.data.Dataset.range(4).batch(2)
    assert strategy.experimental_distribute_dataset(ds) is ds
    assert tf.distribute.get_replica_context().num_replicas_in_sync == 1
    assert tf.distribute.OneDeviceStrategy("/cpu:0").num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="reduce_op='MAX'"):
        strategy.reduce("MAX", x, axis=0)
    with pytest.raises(NotImplementedError, match="one replica"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])
    with pytest.raises(ValueError, match="Unknown device name"):
        tf.distribute.OneDeviceStrategy("/tpu:0")
    with pytest.raises(AttributeError, match="does not implement yet"):
        tf.distribute.TPUStrategy  # noqa: B018


# --- dtypes, saved_model, data.experimental -------------------------------------------------------
def test_dtypes():
    assert tf.float32 == np.float32 and tf.dtypes.float64 == np.dtype("float64")
    assert tf.float32.name == "float32" and isinstance(tf.int64, tf.DType)
    assert np.zeros(2, dtype=tf.float16).dtype == np.float16 and tf.bool.name == "bool"
    assert tf.constant([1], dtype=tf.int8).dtype == tf.int8 and tf.string.kind == "U"
    assert tf.constant([1.0]).dtype == tf.float32 and tf.constant([1.0]).dtype.name == "float32"
    assert tf.as_dtype("float") == np.float32 and tf.dtypes.as_dtype("double") == np.float64
    assert tf.as_dtype(np.int64) == np.int64 and tf.as_dtype(float) == np.float32
    assert tf.dtypes.cast(tf.constant([1.7]), tf.int32).dtype == np.int32
    for bad in ("foo", None, object):
        with pytest.raises(TypeError, match="Cannot convert"):
            tf.as_dtype(bad)


def test_tf2_initializer_aliases():
    assert tf.random_normal_initializer is tf.keras.initializers.RandomNormal
    init = tf.random_normal_initializer(mean=1.0, stddev=0.0)
    np.testing.assert_array_equal(np.asarray(init((2, 2))), np.ones((2, 2)))
    np.testing.assert_array_equal(np.asarray(tf.constant_initializer(3.0)((2,))), [3.0, 3.0])
    assert np.asarray(tf.zeros_initializer()((3,))).sum() == 0
    assert np.asarray(tf.ones_initializer()((3,))).sum() == 3


def test_saved_model_points_to_profond_files():
    with pytest.raises(NotImplementedError, match=r"model.save\('model.profond'\)"):
        tf.saved_model.save(object(), "/tmp/x")
    with pytest.raises(NotImplementedError, match="SavedModel"):
        tf.saved_model.load("/tmp/x")


def test_data_experimental_cardinality():
    ds = tf.data.Dataset.range(10).batch(4)
    n = tf.data.experimental.cardinality(ds)
    assert tf.is_tensor(n) and n.dtype == np.int64 and int(n) == 3
    assert int(tf.data.experimental.cardinality(ds.repeat())) == \
        tf.data.experimental.INFINITE_CARDINALITY == -1
    assert tf.data.experimental.UNKNOWN_CARDINALITY == -2
    assert tf.data.experimental.AUTOTUNE == tf.data.AUTOTUNE
    with pytest.raises(TypeError, match="Dataset"):
        tf.data.experimental.cardinality([1, 2])


# --- NumPy interop --------------------------------------------------------------------------------
def test_numpy_functions_on_tensors_return_numpy():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t).dtype == np.float32 and isinstance(np.asarray(t), np.ndarray)
    m = np.mean(t)
    assert m == 2.5 and isinstance(m, np.floating) and not tf.is_tensor(m)
    assert isinstance(np.exp(t), np.ndarray)  # a ufunc sees the values
    assert isinstance(np.add(np.ones(2), t), np.ndarray)
    assert np.concatenate([t, np.ones((1, 2), "float32")]).shape == (3, 2)
    np.testing.assert_array_equal(np.sum(t, axis=0), [4.0, 6.0])
    assert np.shape(t) == (2, 2) and np.ndim(t) == 2
    np.testing.assert_allclose(t, [[1, 2], [3, 4]])
    assert (t.ndim, t.shape, t.dtype) == (2, (2, 2), np.float32)
    assert isinstance(t.numpy(), np.ndarray)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.matmul, operator.lt, operator.eq],
                         ids=lambda op: op.__name__)
def test_operators_with_a_numpy_array_on_either_side_give_tensors(op):
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    a = np.array([[2.0, 0.5], [1.0, 3.0]], dtype="float32")
    left, right = op(a, t), op(t, a)  # `a + t` runs ndarray.__add__ first: it must defer
    assert tf.is_tensor(left) and tf.is_tensor(right)
    np.testing.assert_allclose(left.numpy(), op(a, t.numpy()), rtol=1e-6)
    np.testing.assert_allclose(right.numpy(), op(t.numpy(), a), rtol=1e-6)


def test_numpy_on_the_left_stays_differentiable_and_scalars_keep_float32():
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(np.array([3.0, 4.0], dtype="float32") * w)
    (g,) = tape.gradient(y, [w])
    np.testing.assert_array_equal(g.numpy(), [3.0, 4.0])
    assert (np.float32(2.0) * w).dtype == np.float32 and tf.is_tensor(np.float64(2.0) + w)
