"""The tf-style namespace as programs use it: tf.function, TensorShape/TensorSpec, tf.nest,
tf.device and tf.config, tf.strings, tf.debugging, tf.distribute, tf.data.experimental, and NumPy
functions on tensors. Strings are compared as text (TF returns bytes, profond str)."""

import numpy as np
from _common import emit, tf


def text(values):
    """Strings as a (nested) list of str, whether they arrive as bytes or str."""
    values = values.numpy() if hasattr(values, "numpy") else np.asarray(values)
    return np.vectorize(lambda s: s.decode() if isinstance(s, bytes) else str(s),
                        otypes=[object])(values).tolist()


def raises(fn, *errors):
    try:
        fn()
    except errors:
        return True
    return False


results = {}

calls = []


@tf.function
def double(x):
    calls.append(1)
    return 2 * x


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def add_one(x):
    return x + 1


results["function"] = {
    "double": double(tf.constant([1.0, 2.0])),
    "signature": add_one(tf.constant([1.0, 2.0])),
    "python_function": double.python_function.__name__,
    "bad_shape_raises": raises(lambda: add_one(tf.constant([[1.0]])), TypeError, ValueError),
    "run_eagerly_flag": tf.config.functions_run_eagerly(),
}

shape = tf.TensorShape([None, 3])
spec = tf.TensorSpec([None, 3], tf.float32, name="x")
results["shapes"] = {
    "repr": repr(shape), "str": str(shape), "as_list": shape.as_list(), "rank": shape.rank,
    "dims": [shape[0], shape[1]], "eq_list": shape == [None, 3], "slice": str(shape[1:]),
    "compatible": [shape.is_compatible_with([5, 3]), shape.is_compatible_with([5, 4])],
    "merge": tf.TensorShape([2, None]).merge_with([None, 3]).as_list(),
    "num_elements": [tf.TensorShape([2, 3]).num_elements(), shape.num_elements()],
    "unknown": [repr(tf.TensorShape(None)), tf.TensorShape(None).rank],
    "spec": [spec.shape.as_list(), spec.dtype.name, spec.name],
    "spec_compatible": [spec.is_compatible_with(tf.zeros((2, 3))),
                        spec.is_compatible_with(tf.zeros((2, 4)))],
    "newaxis": list(tf.constant([1.0, 2.0])[:, tf.newaxis].shape),
}

results["nest"] = {
    "flatten": tf.nest.flatten({"b": 1, "a": (2, [3, 4])}),
    "flatten_none": tf.nest.flatten(None),
    "is_nested": [tf.nest.is_nested([1]), tf.nest.is_nested(1), tf.nest.is_nested({})],
    "map": tf.nest.map_structure(lambda a, b: a + b, (1, {"x": 2}), (10, {"x": 20})),
    "pack": tf.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3]),
    "mismatch_raises": [
        raises(lambda: tf.nest.assert_same_structure((1, 2), (1, [2])), ValueError),
        raises(lambda: tf.nest.assert_same_structure((1, 2), (1, 2, 3)), ValueError),
        raises(lambda: tf.nest.assert_same_structure((1, 2), [1, 2]), TypeError),
    ],
}

with tf.device("/GPU:0"):  # soft placement: runs wherever the framework can
    on_device = tf.constant([1.0]) * 3.0
results["config"] = {
    "cpus": [(d.name, d.device_type) for d in tf.config.list_physical_devices("CPU")],
    "logical_cpus": [d.name for d in tf.config.list_logical_devices("CPU")],
    "device_ctx": on_device,
    "bad_device_raises": raises(lambda: tf.device("foo").__enter__(), ValueError),
    "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
}

s = tf.strings
results["strings"] = {
    "lower": text(s.lower(["AbC", "X"])), "upper": text(s.upper("ab")),
    "split": text(s.split("a,b", sep=",")), "join": text(s.join(["a", "b"], separator="-")),
    "join_arrays": text(s.join([["a", "b"], ["c", "d"]])),
    "length": s.length(["abc", "é"]), "length_chars": s.length("é", unit="UTF8_CHAR"),
    "regex": text(s.regex_replace(["a1b22"], r"\d+", "#")),
    "regex_first": text(s.regex_replace("aaa", "a", "b", replace_global=False)),
    "strip": text(s.strip([" a "])), "to_number": s.to_number(["1.5", "2"]),
    "to_int": s.to_number(["3"], out_type=tf.int32),
    "as_string": [text(s.as_string([1.5, 2.0])), text(s.as_string([1, 2])),
                  text(s.as_string([1.5], precision=2))],
    "reduce_join": [text(s.reduce_join(["a", "b"], separator=",")),
                    text(s.reduce_join([["a", "b"], ["c", "d"]], axis=1))],
}

d = tf.debugging
results["debugging"] = {
    "equal_ok": d.assert_equal(tf.constant([1, 2]), tf.constant([1, 2])) is None,
    "equal_fails": raises(lambda: d.assert_equal(tf.constant([1, 2]), tf.constant([1, 3])),
                          Exception),
    "near_ok": raises(lambda: d.assert_near(tf.constant([1.0]), tf.constant([1.000001])),
                      Exception),
    "near_fails": raises(lambda: d.assert_near(tf.constant([1.0]), tf.constant([1.1])),
                         Exception),
    "check_numerics": d.check_numerics(tf.constant([1.0, 2.0]), "ok"),
    "nan_fails": raises(lambda: d.check_numerics(tf.constant([np.nan]), "bad"), Exception),
    "shapes_ok": d.assert_shapes([(tf.ones((2, 3)), ("N", "D")), (tf.ones((2,)), ("N",))]),
    "shapes_fail": raises(lambda: d.assert_shapes([(tf.ones((2, 3)), ("N", "D")),
                                                   (tf.ones((2, 4)), ("N", "D"))]), ValueError),
}

strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    inside = tf.distribute.get_strategy() is strategy
x = tf.constant([1.0, 2.0])
results["distribute"] = {
    "replicas": strategy.num_replicas_in_sync, "scope": inside,
    "has_strategy_outside": tf.distribute.has_strategy(),
    "run": strategy.run(lambda a: a * 2, args=(tf.constant(3.0),)),
    "reduce_none": strategy.reduce(tf.distribute.ReduceOp.SUM, x, axis=None),
    "reduce_mean": strategy.reduce("MEAN", x, axis=0),
    "dataset": [b for b in strategy.experimental_distribute_dataset(
        tf.data.Dataset.range(4).batch(2))],
}

ds = tf.data.Dataset.range(10).batch(4)
results["data"] = {
    "cardinality": tf.data.experimental.cardinality(ds),
    "infinite": tf.data.experimental.cardinality(ds.repeat()),
    "constants": [tf.data.experimental.AUTOTUNE, tf.data.experimental.INFINITE_CARDINALITY,
                  tf.data.experimental.UNKNOWN_CARDINALITY],
}

t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
a = np.full((2, 2), 2.0, dtype="float32")
results["numpy"] = {
    "mean": float(np.mean(t)), "sum0": np.sum(t, axis=0), "asarray": np.asarray(t),
    "left_is_tensor": [tf.is_tensor(a + t), tf.is_tensor(a * t), tf.is_tensor(a @ t)],
    "left_values": a - t, "is_tensor": [tf.is_tensor(t), tf.is_tensor(a)],
    "dtype": [tf.as_dtype("float32").name, tf.float32 == t.dtype],
}

emit(results)
