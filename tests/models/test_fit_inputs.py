"""What fit accepts (arrays, dicts by name, Dataset, PyDataset, generators, pandas) and the
epoch bookkeeping (steps_per_epoch, validation_freq, initial_epoch, class_weight), with the clear
errors for data that cannot be right."""

import warnings

import numpy as np
import pytest

import profond as pf

keras = pf.keras
RNG = np.random.default_rng(1)
X = RNG.normal(size=(12, 4)).astype("float32")
LABELS = RNG.integers(0, 3, size=(12,))
TARGETS = RNG.normal(size=(12, 1)).astype("float32")


def assert_same_history(h1, h2):
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5, err_msg=key)


def regression(lr=0.05):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(keras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def two_inputs_two_outputs():
    a, b = keras.Input((4,), name="in_a"), keras.Input((2,), name="in_b")
    hidden = keras.layers.Concatenate()([a, b])
    model = keras.Model({"in_a": a, "in_b": b},
                        {"reg": keras.layers.Dense(1, name="reg")(hidden),
                         "cls": keras.layers.Dense(3, activation="softmax", name="cls")(hidden)})
    model.compile("sgd", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    return model


class Batches(pf.keras.utils.PyDataset):
    def __init__(self):
        super().__init__()
        self.ends = 0

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return X[4 * i:4 * i + 4], TARGETS[4 * i:4 * i + 4]

    def on_epoch_end(self):
        self.ends += 1


def test_every_source_trains_the_same_as_arrays():
    reference = regression()
    start = reference.get_weights()
    expected = reference.fit(X, TARGETS, batch_size=4, epochs=2, shuffle=False,
                             verbose=0).history

    def gen():
        while True:
            for i in range(0, 12, 4):
                yield X[i:i + 4], TARGETS[i:i + 4]

    sources = {
        "dataset": dict(x=pf.data.Dataset.from_tensor_slices((X, TARGETS)).batch(4)),
        "pydataset": dict(x=Batches()),
        "generator": dict(x=gen(), steps_per_epoch=3),
        "lists": dict(x=X.tolist(), y=TARGETS.tolist(), batch_size=4),
    }
    for name, kwargs in sources.items():
        model = regression()
        model.set_weights(start)
        history = model.fit(epochs=2, shuffle=False, verbose=0, **kwargs).history
        for key in expected:
            np.testing.assert_allclose(history[key], expected[key], rtol=1e-5, err_msg=name)


def test_pydataset_calls_on_epoch_end_once_per_epoch():
    sequence = Batches()
    regression().fit(sequence, epochs=3, verbose=0)
    assert sequence.ends == 3


def test_pandas_objects():
    pd = pytest.importorskip("pandas")
    history = regression().fit(pd.DataFrame(X), pd.Series(TARGETS[:, 0]), verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_dicts_are_paired_by_name_not_by_order():
    model = two_inputs_two_outputs()
    start = model.get_weights()
    xb = RNG.normal(size=(12, 2)).astype("float32")
    h1 = model.fit({"in_b": xb, "in_a": X}, {"reg": TARGETS, "cls": LABELS}, batch_size=12,
                   shuffle=False, verbose=0).history
    model.set_weights(start)
    h2 = model.fit([X, xb], {"cls": LABELS, "reg": TARGETS}, batch_size=12, shuffle=False,
                   verbose=0).history
    assert list(h1) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    assert_same_history(h1, h2)
    assert h1["loss"][0] == pytest.approx(h1["cls_loss"][0] + 0.5 * h1["reg_loss"][0])
    logs = model.evaluate({"in_a": X, "in_b": xb}, {"cls": LABELS, "reg": TARGETS}, verbose=0,
                          return_dict=True)
    values = model.evaluate({"in_a": X, "in_b": xb}, {"cls": LABELS, "reg": TARGETS},
                            verbose=0)
    assert values == pytest.approx([logs[k] for k in ("loss", "cls_loss", "reg_loss",
                                                      "cls_accuracy")])


@pytest.mark.parametrize("x_keys, y_keys, match", [
    (("in_a", "bogus"), ("cls", "reg"), "key 'bogus', which matches no input name.*in_a"),
    (("in_a", "in_b"), ("cls", "regg"), "key 'regg', which matches no output name.*'cls', "
                                        "'reg'"),
])
def test_dict_keys_that_match_nothing_are_clear_errors(x_keys, y_keys, match):
    model = two_inputs_two_outputs()
    arrays = {"in_a": X, "in_b": X[:, :2], "bogus": X[:, :2], "cls": LABELS, "reg": TARGETS,
              "regg": TARGETS}
    with pytest.raises(ValueError, match=match):
        model.fit({k: arrays[k] for k in x_keys}, {k: arrays[k] for k in y_keys}, verbose=0)


def test_compile_keys_that_match_no_output_are_clear_errors():
    model = two_inputs_two_outputs()
    model.compile("sgd", loss={"clss": "mse", "reg": "mse"})
    with pytest.raises(ValueError, match="'clss' in `loss` matches no output.*\\['cls', 'reg'\\]"):
        model.fit({"in_a": X, "in_b": X[:, :2]}, {"cls": LABELS, "reg": TARGETS}, verbose=0)


def test_validation_freq_int_list_and_bad_values():
    kwargs = dict(epochs=4, batch_size=6, verbose=0, validation_data=(X, TARGETS))
    assert len(regression().fit(X, TARGETS, validation_freq=2, **kwargs).history["val_loss"]) \
        == 2
    history = regression().fit(X, TARGETS, validation_freq=[1, 4], **kwargs).history
    assert len(history["val_loss"]) == 2 and len(history["loss"]) == 4
    for bad in (0, -1, "2"):
        with pytest.raises(ValueError, match="validation_freq"):
            regression().fit(X, TARGETS, validation_freq=bad, **kwargs)


def test_steps_per_epoch_goes_on_from_where_the_last_epoch_stopped():
    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            sizes.append(self.model.seen)

    class Counting(keras.Model):
        def train_step(self, data):
            self.seen = getattr(self, "seen", 0) + data[0].shape[0]
            return super().train_step(data)

    sizes = []
    inputs = keras.Input((4,))
    model = Counting(inputs, keras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    model.fit(X, TARGETS, batch_size=5, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0,
              callbacks=[Count()])
    assert sizes == [10, 12, 22]  # 5 + 5, then the last 2, then a new pass


def test_initial_epoch_and_generator_running_dry():
    history = regression().fit(X, TARGETS, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = regression().fit(((X, TARGETS) for _ in range(2)), epochs=3, verbose=0)
    assert history.epoch == [0] and "ran out of data" in str(caught[-1].message)


def test_generator_must_yield_tuples_and_bad_combinations():
    with pytest.raises(ValueError, match="generator must return a tuple.*Received: ndarray"):
        regression().fit((X for _ in range(2)), verbose=0)
    with pytest.raises(ValueError, match="`y` must not be given"):
        regression().fit(Batches(), TARGETS, verbose=0)
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`"):
        regression().fit(X, TARGETS, class_weight={0: 1.0}, sample_weight=np.ones(12),
                         verbose=0)
    with pytest.raises(ValueError, match="only supported for Models with a single output"):
        two_inputs_two_outputs().fit({"in_a": X, "in_b": X[:, :2]}, {"cls": LABELS,
                                     "reg": TARGETS}, class_weight={0: 2.0}, verbose=0)


def test_class_weight_equals_the_matching_sample_weight_and_works_on_a_dataset():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile("sgd", "sparse_categorical_crossentropy")
    start = model.get_weights()
    weights = {0: 0.5, 1: 2.0, 2: 1.5}
    h1 = model.fit(X, LABELS, class_weight=weights, shuffle=False, verbose=0).history
    model.set_weights(start)
    h2 = model.fit(X, LABELS, sample_weight=np.array([weights[k] for k in LABELS]),
                   shuffle=False, verbose=0).history
    model.set_weights(start)
    h3 = model.fit(pf.data.Dataset.from_tensor_slices((X, LABELS)).batch(12),
                   class_weight=weights, verbose=0).history
    assert_same_history(h1, h2)
    assert_same_history(h1, h3)


def test_shuffle_batch_keeps_each_batch_whole():
    history = regression().fit(X, TARGETS, batch_size=4, shuffle="batch", verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_list_outputs_are_named_by_their_layers_as_in_keras():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(5, activation="relu")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(3, activation="softmax", name="probs")(hidden),
                                 keras.layers.Dense(1, name="value")(hidden)])
    model.compile("sgd", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 2.0],
                  metrics=[["accuracy"], ["mae"]], weighted_metrics=[["accuracy"], []])
    history = model.fit(X, [LABELS, TARGETS], sample_weight=np.linspace(0, 1, 12), verbose=0,
                        validation_data=(X, [LABELS, TARGETS])).history
    assert list(history) == ["loss", "probs_accuracy", "probs_loss", "probs_weighted_accuracy",
                             "val_loss", "val_probs_accuracy", "val_probs_loss",
                             "val_probs_weighted_accuracy", "val_value_loss", "val_value_mae",
                             "value_loss", "value_mae"]
    assert model.metrics_names == ["loss", "compile_metrics", "probs_loss", "value_loss"]
    values = model.evaluate(X, [LABELS, TARGETS], verbose=0)
    logs = model.evaluate(X, [LABELS, TARGETS], verbose=0, return_dict=True)
    order = ["loss", "probs_loss", "value_loss", "probs_accuracy", "probs_weighted_accuracy",
             "value_mae"]
    assert values == pytest.approx([logs[k] for k in order])
    assert logs["loss"] == pytest.approx(logs["probs_loss"] + 2 * logs["value_loss"], rel=1e-5)
