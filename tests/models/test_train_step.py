"""Custom training as Keras 3 does it: what train_step receives, compute_loss / compute_metrics,
a model's own metric trackers, TF-Keras's compiled_loss / compiled_metrics, step functions, and
the clear errors for bad steps, bad metrics and bad data. (The same programs are compared with
real TensorFlow in tests/compat.)"""

import numpy as np
import pytest

import profond as pf

keras = pf.keras
RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 4)).astype("float32")
LABELS = RNG.integers(0, 3, size=(12,))
TARGETS = RNG.normal(size=(12, 1)).astype("float32")


def functional(outputs=1, activation=None, cls=keras.Model):
    inputs = keras.Input((4,))
    return cls(inputs, keras.layers.Dense(outputs, activation=activation)(inputs))


def kinds(received):
    return [type(d).__name__ + (str(len(d)) if isinstance(d, tuple) else "") for d in received]


class Recording(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = []

    def train_step(self, data):
        self.received.append(data)
        return super().train_step(data)

    def test_step(self, data):
        self.received.append(data)
        return super().test_step(data)

    def predict_step(self, data):
        self.received.append(data)
        return super().predict_step(data)


def test_train_step_receives_what_keras_gives():
    model = functional(3, "softmax", cls=Recording)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(X, LABELS, batch_size=6, verbose=0)
    model.fit(X, LABELS, sample_weight=np.ones(12), batch_size=6, verbose=0)
    model.fit(X, LABELS, class_weight={0: 2.0}, batch_size=6, verbose=0)
    model.evaluate(X, LABELS, batch_size=12, verbose=0)
    model.predict(X, batch_size=12, verbose=0)
    assert kinds(model.received) == ["tuple2"] * 2 + ["tuple3"] * 4 + ["tuple2", "Tensor"]
    x, y = model.received[0]
    assert x.shape == (6, 4) and y.shape == (6,) and y.dtype == "int64"  # labels as given


def test_fit_without_targets_passes_x_alone_and_generators_pass_their_tuples():
    class Energy(keras.Model):
        def train_step(self, data):
            self.seen = data
            return {"n": float(keras.utils.unpack_x_y_sample_weight(data)[0].shape[0])}

    model = functional(cls=Energy)
    model.compile("sgd")
    assert model.fit(X, batch_size=5, verbose=0).history == {"n": [2.0]}
    assert isinstance(model.seen, pf.Tensor)
    model.fit(((X[:3],) for _ in range(2)), verbose=0)
    assert isinstance(model.seen, tuple) and len(model.seen) == 1


def test_trackers_are_metrics_reset_each_epoch_and_shown_in_history():
    class Tracked(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with pf.GradientTape() as tape:
                loss = keras.losses.MeanSquaredError()(y, self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, self(x))
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    model = Tracked()
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # no training: every epoch the same
    assert [m.name for m in model.metrics] == ["loss", "loss", "mae"]
    history = model.fit(X, TARGETS, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    assert list(history) == ["loss", "mae"]
    assert history["loss"][0] == pytest.approx(history["loss"][1])  # reset at each epoch
    assert model.mae_metric.count == 12


def test_keras3_guide_loop_over_metrics_with_compile_metrics():
    class Guide(keras.Model):
        def train_step(self, data):
            x, y = data
            with pf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = functional(3, "softmax", cls=Guide)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    history = model.fit(X, LABELS, verbose=0).history
    assert list(history) == ["accuracy", "loss"]
    assert 0 < history["loss"][0] < 5


def test_tf_keras_compiled_loss_and_compiled_metrics():
    class Old(keras.Model):
        def train_step(self, data):
            x, y = data
            with pf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = functional(cls=Old)
    model.compile(keras.optimizers.SGD(0.0), "mse", metrics=["mae"])
    history = model.fit(X, TARGETS, batch_size=12, verbose=0).history
    pred = model.predict(X, verbose=0)
    # As in Keras 3's shim: compiled_metrics gives the Mean "loss" tracker the predictions.
    assert history["loss"][0] == pytest.approx(float(np.mean(pred)), rel=1e-5)
    assert history["mae"][0] == pytest.approx(float(np.mean(np.abs(pred - TARGETS))), rel=1e-5)
    loss = model.compiled_loss(pf.constant(TARGETS), pf.constant(pred))
    assert float(loss) == pytest.approx(float(np.mean((pred - TARGETS) ** 2)), rel=1e-5)


def test_step_functions_are_callables_kept_on_the_model():
    model = functional()
    model.compile("sgd", "mse")
    step = model.make_train_function()
    assert step is model.train_function and step is model.make_train_function()
    logs = step((pf.constant(X), pf.constant(TARGETS)))
    assert set(logs) == {"loss"} and isinstance(logs["loss"], float)
    assert set(model.make_test_function()(iter([(X, TARGETS)]))) == {"loss"}
    assert model.make_predict_function()(pf.constant(X)).shape == (12, 1)


@pytest.mark.parametrize("returned", [3.0, [1.0, 2.0], None])
def test_train_step_returning_a_non_dict_is_a_clear_error(returned):
    class Bad(keras.Model):
        def train_step(self, data):
            return returned

    model = functional(cls=Bad)
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="`train_step` must return a dict.*Received: a value of "
                                        f"type {type(returned).__name__}"):
        model.fit(X, TARGETS, verbose=0)


def test_metric_with_a_vector_result_is_a_clear_error_and_dict_results_are_merged():
    class Vector(keras.metrics.Metric):
        def __init__(self, name="vector"):
            super().__init__(name=name)
            self.v = self.add_variable(shape=(2,), initializer="zeros", name="v")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.v.assign_add(np.ones(2, "float32"))

        def result(self):
            return self.v

    class Pair(Vector):
        def result(self):
            return {"first": self.v[0], "second": self.v[1] * 2}

    model = functional()
    model.compile("sgd", "mse", metrics=[Vector()])
    with pytest.raises(ValueError, match="'vector' must be a scalar.*shape \\(2,\\)"):
        model.fit(X, TARGETS, verbose=0)
    model.compile("sgd", "mse", metrics=[Pair(name="pair")])
    history = model.fit(X, TARGETS, batch_size=6, verbose=0).history
    assert list(history) == ["first", "loss", "second"] and history["second"] == [4.0]


def test_no_loss_is_a_clear_error():
    model = functional()
    model.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(X, TARGETS, verbose=0)
