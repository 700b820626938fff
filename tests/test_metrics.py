"""Metrics: values against NumPy, accumulation over batches, sample weights, resolution of
"accuracy" from the loss or the shapes, names in the logs, get / serialize."""

import numpy as np
import pytest

import profond as pf
from profond import losses, metrics, registry

RNG = np.random.default_rng(11)
N, K = 12, 5


def batches(*arrays, size=5):
    for i in range(0, len(arrays[0]), size):
        yield tuple(a[i:i + size] for a in arrays)


def run(metric, y_true, y_pred, sample_weight=None):
    """Feed the metric batch by batch (as fit does); the result must not depend on batching."""
    metric.reset_state()
    if sample_weight is None:
        for t, p in batches(y_true, y_pred):
            metric.update_state(t, p)
    else:
        for t, p, w in batches(y_true, y_pred, sample_weight):
            metric.update_state(t, p, sample_weight=w)
    value = metric.result()  # a 0-d float32 tensor, as Keras returns
    assert isinstance(value, pf.Tensor) and value.shape == () and value.dtype == "float32"
    return float(value)


def test_mean_and_sum():
    m = metrics.Mean()
    values = RNG.normal(size=N)
    for v in values:
        m.update_state(pf.constant(v))
    assert m.result() == pytest.approx(values.mean(), rel=1e-6)
    m.reset_state()
    assert m.result() == 0.0
    w = RNG.uniform(0, 2, N)
    m.update_state(values, sample_weight=w)
    assert m.result() == pytest.approx((values * w).sum() / w.sum())
    s = metrics.Sum()
    s.update_state(values)
    assert s.result() == pytest.approx(values.sum())


def test_accuracies_against_numpy():
    labels = RNG.integers(0, K, N)
    scores = RNG.normal(size=(N, K)).astype("float32")
    hot = np.eye(K)[labels]
    ref = (scores.argmax(-1) == labels).mean()
    assert run(metrics.SparseCategoricalAccuracy(), labels, scores) == pytest.approx(ref)
    assert run(metrics.SparseCategoricalAccuracy(), labels[:, None], scores) == pytest.approx(ref)
    assert run(metrics.SparseCategoricalAccuracy(), labels.astype("float32"), scores) == \
        pytest.approx(ref)
    assert run(metrics.CategoricalAccuracy(), hot, scores) == pytest.approx(ref)
    ranks = (scores > scores[np.arange(N), labels][:, None]).sum(-1)
    for k in (1, 2, 3):
        assert run(metrics.SparseTopKCategoricalAccuracy(k=k), labels, scores) == \
            pytest.approx((ranks < k).mean())
        assert run(metrics.TopKCategoricalAccuracy(k=k), hot, scores) == \
            pytest.approx((ranks < k).mean())
    y = RNG.integers(0, 2, (N, 1)).astype("float32")
    p = RNG.uniform(size=(N, 1))
    assert run(metrics.BinaryAccuracy(), y, p) == pytest.approx(((p > 0.5) == y).mean())
    assert run(metrics.BinaryAccuracy(threshold=0.7), y[:, 0], p) == \
        pytest.approx(((p > 0.7) == y).mean())
    assert run(metrics.Accuracy(), labels, scores.argmax(-1)) == pytest.approx(ref)


def test_sample_weight():
    labels, scores = RNG.integers(0, K, N), RNG.normal(size=(N, K))
    w = RNG.uniform(0, 2, N)
    hits = scores.argmax(-1) == labels
    got = run(metrics.SparseCategoricalAccuracy(), labels, scores, sample_weight=w)
    assert got == pytest.approx((hits * w).sum() / w.sum())


def test_regression_and_loss_metrics_against_numpy():
    y, p = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))
    assert run(metrics.MeanSquaredError(), y, p) == pytest.approx(((y - p) ** 2).mean())
    assert run(metrics.RootMeanSquaredError(), y, p) == \
        pytest.approx(np.sqrt(((y - p) ** 2).mean()))
    assert run(metrics.MeanAbsoluteError(), y, p) == pytest.approx(np.abs(y - p).mean())
    labels, z = RNG.integers(0, K, N), RNG.normal(size=(N, K))
    ref = float(losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z))
    got = run(metrics.SparseCategoricalCrossentropy(from_logits=True), labels, z)
    assert got == pytest.approx(ref, rel=1e-6)
    m = metrics.get("mse")
    assert m.name == "mse" and run(m, y, p) == pytest.approx(((y - p) ** 2).mean())


def test_updates_record_no_graph():
    p = pf.Variable(RNG.normal(size=(4, 3)))
    m = metrics.MeanSquaredError()
    m.update_state(np.zeros((4, 3)), p * 2)
    m.update_state(np.zeros((4, 3)), p)  # a tensor that requires grad: only its data is read
    assert m.result() == pytest.approx((5 * p.numpy() ** 2).mean() / 2)


@pytest.mark.parametrize("loss,cls", [
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    (losses.CategoricalCrossentropy, metrics.CategoricalAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    (losses.binary_crossentropy, metrics.BinaryAccuracy),
])
def test_accuracy_resolves_from_the_loss(loss, cls):
    for name in ("accuracy", "acc"):
        m = metrics.get(name, loss=loss)
        assert type(m) is cls and m.name == name


@pytest.mark.parametrize("y_true,y_pred,ref", [
    (np.array([1, 0, 2]), np.eye(3)[[1, 1, 2]], 2 / 3),  # sparse labels
    (np.array([[1], [0], [2]]), np.eye(3)[[1, 1, 2]], 2 / 3),
    (np.eye(3)[[1, 0, 2]], np.eye(3)[[1, 1, 1]], 1 / 3),  # one-hot labels
    (np.array([[1.0], [0.0], [1.0]]), np.array([[0.9], [0.2], [0.3]]), 2 / 3),  # binary
])
def test_accuracy_with_unknown_loss_decides_from_shapes(y_true, y_pred, ref):
    m = metrics.get("accuracy", loss="mse")
    m.update_state(y_true, y_pred)
    assert m.result() == pytest.approx(ref) and m.name == "accuracy"


def test_get_other_identifiers():
    m = metrics.BinaryAccuracy()
    assert metrics.get(m) is m and metrics.get(None) is None
    assert isinstance(metrics.get(metrics.MeanAbsoluteError), metrics.MeanAbsoluteError)
    assert metrics.get("sparse_categorical_accuracy").name == "sparse_categorical_accuracy"
    assert type(metrics.get("mae")) is metrics.MeanAbsoluteError
    custom = metrics.get(lambda t, p: np.abs(np.asarray(t) - np.asarray(p)).max(-1))
    custom.update_state([[1.0, 3.0]], [[0.0, 0.0]])
    assert custom.result() == 3.0
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'"):
        metrics.get("acuracy")


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="loss"), metrics.BinaryAccuracy(threshold=0.3, name="acc"),
    metrics.SparseTopKCategoricalAccuracy(k=2), metrics.MeanSquaredError(name="mse"),
    metrics.SparseCategoricalCrossentropy(from_logits=True), metrics.RootMeanSquaredError(),
    metrics.get("acc"),
])
def test_serialize_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["class_name"] == "metrics." + type(metric).__name__.lstrip("_")
    for back in (metrics.deserialize(config), registry.deserialize(config), metrics.get(config)):
        assert type(back) is type(metric) and back.get_config() == metric.get_config()


# --- a user's Metric subclass, as Keras calls it --------------------------------------------------


class _Hits(metrics.Metric):
    def __init__(self, name="hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")  # Keras 2 order
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
        self.per_class = self.add_weight((3,), "ones", name="per_class")  # Keras 3 order

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = pf.cast(pf.argmax(y_pred, axis=-1), "float32")
        truth = pf.cast(pf.reshape(y_true, [-1]), "float32")
        self.hits.assign_add(pf.reduce_sum(pf.cast(predicted == truth, "float32")))
        self.seen.assign_add(float(truth.shape[0]))

    def result(self):
        return self.hits / self.seen


def test_user_metric_variables_update_result_and_reset():
    m = _Hits()
    assert [v.name for v in m.variables] == ["hits", "seen", "per_class"]
    assert not any(v.trainable for v in m.variables)
    np.testing.assert_array_equal(m.per_class.numpy(), [1.0, 1.0, 1.0])
    value = m(np.array([0, 1, 2]), np.eye(3, dtype="float32")[[0, 2, 2]])
    assert isinstance(value, pf.Tensor) and float(value) == pytest.approx(2 / 3)
    m.reset_states()  # the Keras 2 name
    assert float(m.hits) == 0.0 and float(m.seen) == 0.0
    np.testing.assert_array_equal(m.per_class.numpy(), [0.0, 0.0, 0.0])  # Keras: zeros
    m.update_state(np.array([1]), np.eye(3, dtype="float32")[[1]])
    assert float(m.result()) == 1.0
    assert "hits" in repr(m)


def test_add_weight_before_super_init_is_a_clear_error():
    class Early(metrics.Metric):
        def __init__(self):
            self.v = self.add_weight(name="v")
            super().__init__()

    with pytest.raises(RuntimeError, match="super\\(\\).__init__\\(\\)"):
        Early()


def test_user_metric_in_fit_gets_labels_as_given_and_no_weights_unless_weighted():
    calls = []

    class Recorder(_Hits):
        def update_state(self, y_true, y_pred, sample_weight=None):
            calls.append((self.name, tuple(y_true.shape), str(y_true.dtype),
                          sample_weight is not None))
            super().update_state(y_true, y_pred, sample_weight)

    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    labels = np.arange(8) % 3
    inputs = pf.keras.Input((4,))
    model = pf.keras.Model(inputs, pf.keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[Recorder()],
                  weighted_metrics=[Recorder(name="weighted")])
    history = model.fit(x, labels, sample_weight=np.ones(8), batch_size=4, verbose=0).history
    assert set(calls) == {("hits", (4,), "int64", False), ("weighted", (4,), "int64", True)}
    assert list(history) == ["hits", "loss", "weighted"]
    calls.clear()
    model.fit(x, labels.reshape(-1, 1), batch_size=4, verbose=0)
    assert {c[1] for c in calls} == {(4, 1)}
