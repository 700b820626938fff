"""compile / fit / evaluate / predict: the course snippets, data formats, callbacks, errors."""

import time

import numpy as np
import pytest

import profond as pf
from profond import callbacks, layers, models


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def blobs(n=300, d=8, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    y = rng.integers(0, k, n)
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return x, y


def small_model(d=8, k=3):
    return models.Sequential([layers.Dense(16, activation="relu", input_shape=(d,)),
                              layers.Dense(k, activation="softmax")])


def test_course_snippet_runs_unchanged():
    x_train = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    y_train = np.random.default_rng(1).integers(0, 10, 64)
    model = models.Sequential([
        layers.Dense(128, activation="relu", input_shape=(784,)),
        layers.Dense(64),
        layers.Dense(32),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
    assert isinstance(history, callbacks.History) and history is model.history
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 10
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(isinstance(v, float) for v in history.history["accuracy"])


def test_fit_lowers_loss_and_evaluate_predict():
    x, y = blobs()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss < 0.5 * before[0] and acc > 0.9
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and abs(logs["loss"] - loss) < 1e-6
    proba = model.predict(x, batch_size=64, verbose=0)
    assert isinstance(proba, np.ndarray) and proba.shape == (300, 3)
    assert np.mean(proba.argmax(1) == y) == pytest.approx(acc)


def test_predict_records_no_graph():
    model = small_model()
    seen = []

    class Spy(layers.Layer):
        def call(self, x):
            seen.append(pf.is_grad_enabled())
            return x

    model.add(Spy())
    model.predict(np.ones((3, 8)), verbose=0)
    assert seen and not any(seen[1:])


def test_validation_split_holds_out_the_last_examples_as_keras_does():
    x, y = blobs(300)
    order = np.argsort(y, kind="stable")  # sorted by label: the last 30% is one class
    x, y = x[order], y[order]
    trained_on, validated_on = [], []

    class Recording(models.Sequential):
        def train_step(self, data):
            trained_on.append(data[1].numpy())
            return super().train_step(data)

        def test_step(self, data):
            validated_on.append(data[1].numpy())
            return super().test_step(data)

    model = Recording([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.warns(UserWarning, match="sorted by label"):
        hist = model.fit(x, y, epochs=1, validation_split=0.3, verbose=0)
    assert np.array_equal(np.sort(np.concatenate(trained_on)), y[:210])
    assert np.array_equal(np.concatenate(validated_on), y[210:])
    assert list(hist.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_length_mismatch_is_a_clear_error():
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as e:
        model.fit(np.ones((10, 8)), np.zeros(9), verbose=0)
    assert "10" in str(e.value) and "9" in str(e.value)
    with pytest.raises(ValueError, match="compile"):
        small_model().fit(np.ones((10, 8)), np.zeros(10), verbose=0)


def test_data_formats_lists_tensors_pandas_dataset():
    x, y = blobs(64)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    model.fit(pf.constant(x), pf.constant(y), epochs=1, verbose=0)
    pd = pytest.importorskip("pandas") if _has("pandas") else None
    if pd is not None:
        model.fit(pd.DataFrame(x), pd.Series(y), epochs=1, verbose=0)
    from profond.data import Dataset

    ds = Dataset.from_tensor_slices((x, y)).shuffle(64).batch(16)
    hist = model.fit(ds, epochs=2, validation_data=ds, verbose=0)
    assert len(hist.history["val_loss"]) == 2
    weighted = Dataset.from_tensor_slices((x, y, np.ones(64, np.float32))).batch(16)
    assert np.isfinite(model.evaluate(weighted, verbose=0))
    assert model.predict(Dataset.from_tensor_slices(x).batch(10), verbose=0).shape == (64, 3)


def _has(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_callbacks_params_and_stop_training():
    x, y = blobs(96)
    events = []

    class Stopper(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append(dict(self.params))

        def on_epoch_end(self, epoch, logs=None):
            events.append(epoch)
            if epoch == 1:
                self.model.stop_training = True

    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=10, batch_size=32, callbacks=[Stopper()], verbose=0)
    assert events == [{"epochs": 10, "steps": 3, "verbose": 0}, 0, 1]
    assert len(hist.history["loss"]) == 2


def test_verbose_prints_progress(capsys):
    x, y = blobs(32)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "loss" in out and "acc" in out


def test_class_weight_sample_weight_and_initial_epoch():
    x, y = blobs(90)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=3, initial_epoch=1, class_weight={0: 1.0, 1: 2.0, 2: 0.5},
                     verbose=0)
    assert hist.epoch == [1, 2]
    hist = model.fit(x, y, epochs=1, sample_weight=np.ones(90), verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    zero = model.evaluate(x, y, sample_weight=np.zeros(90), verbose=0)
    assert zero == pytest.approx(0.0, abs=1e-6)


def test_regularization_losses_are_added():
    class Penalized(layers.Layer):
        def call(self, x):
            self.add_loss(pf.constant(5.0))
            return x

    model = models.Sequential([layers.Dense(1, input_shape=(2,), kernel_initializer="zeros"),
                               Penalized()])
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(np.ones((4, 2)), np.zeros((4, 1)), verbose=0)
    assert loss == pytest.approx(5.0)


def test_custom_train_step_override():
    calls = []

    class Custom(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data[0], data[1]
            with pf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = pf.reduce_mean(pf.square(y_pred - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            calls.append(1)
            return {"my_loss": loss}

    model = Custom()
    model.compile(optimizer="sgd")
    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    hist = model.fit(x, x.sum(1, keepdims=True), epochs=5, batch_size=8, verbose=0)
    assert len(calls) == 25 and hist.history["my_loss"][-1] < hist.history["my_loss"][0]


@pytest.mark.slow
def test_digits_reaches_high_accuracy_quickly():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.2,
                                                        random_state=0, stratify=digits.target)
    pf.set_seed(42)
    model = models.Sequential([
        layers.Dense(128, activation="relu", input_shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    elapsed = time.perf_counter() - start
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"digits: test accuracy {acc:.4f} in {elapsed:.2f} s")
    assert acc >= 0.97
    assert elapsed < 15
