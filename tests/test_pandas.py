"""pandas in and out (issue 18): DataFrames and Series to fit / evaluate / predict and to
Dataset.from_tensor_slices, a dict of columns to a model with one Input per column (text columns
included), History as a DataFrame, and plot_history of that DataFrame."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
import profond as tf  # noqa: E402

L = tf.keras.layers


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.random(64), "b": rng.random(64),
                       "colour": rng.choice(["red", "green", "blue"], 64)})
    df["y"] = ((df["a"] + (df["colour"] == "red")) > 1).astype("int64")
    return df


def test_fit_evaluate_predict_take_dataframes_and_series(frame):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((2,)), L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(frame[["a", "b"]], frame["y"], epochs=3, verbose=0)
    curves = pd.DataFrame(history.history)
    assert list(curves.columns) == ["accuracy", "loss"] and len(curves) == 3
    np.testing.assert_allclose(model.predict(frame[["a", "b"]], verbose=0),
                               model.predict(frame[["a", "b"]].to_numpy(), verbose=0))
    assert len(model.evaluate(frame[["a", "b"]], frame["y"], verbose=0)) == 2


def test_dataset_from_dataframe_and_dict_of_columns(frame):
    features, labels = next(iter(tf.data.Dataset.from_tensor_slices(
        (frame[["a", "b"]], frame["y"])).batch(8)))
    assert features.shape == (8, 2) and labels.shape == (8,)
    columns, _ = next(iter(tf.data.Dataset.from_tensor_slices(
        (dict(frame[["a", "b"]]), frame["y"])).batch(8)))
    assert sorted(columns) == ["a", "b"] and columns["a"].shape == (8,)
    np.testing.assert_allclose(columns["b"].numpy(), frame["b"].to_numpy()[:8], rtol=1e-6)


def test_dict_of_columns_feeds_inputs_by_name_text_columns_too(frame):
    tf.keras.utils.set_random_seed(0)
    a, b = tf.keras.Input((1,), name="a"), tf.keras.Input((1,), name="b")
    colour = tf.keras.Input((1,), name="colour", dtype="string")
    lookup = L.StringLookup()
    lookup.adapt(frame["colour"].to_numpy())
    one_hot = L.CategoryEncoding(lookup.vocabulary_size(), output_mode="one_hot")(lookup(colour))
    x = L.Concatenate()([a, b, one_hot])
    model = tf.keras.Model({"a": a, "b": b, "colour": colour},
                           L.Dense(1, activation="sigmoid")(L.Dense(8, activation="relu")(x)))
    model.compile(tf.keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    data = {c: frame[[c]] for c in ("a", "b", "colour")}  # (n, 1) DataFrames, strings in one
    history = model.fit(data, frame["y"], epochs=60, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.85  # needs the colour: red alone adds 1
    with pytest.raises(ValueError, match="numeric array"):
        model.fit({**data, "a": pd.DataFrame({"a": [[1, 2]] * 64})}, frame["y"], verbose=0)


def test_plot_history_takes_the_dataframe(frame):
    pytest.importorskip("matplotlib")
    from profond import viz

    curves = pd.DataFrame({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.8]})
    fig = viz.plot_history(curves)
    assert fig.axes and viz.best_epoch(curves) == 2


@pytest.mark.slow
def test_tabular_example_beats_nothing_and_matches_a_linear_model():
    example = pathlib.Path(__file__).resolve().parents[1] / "examples" / "tabular_pandas.py"
    done = subprocess.run([sys.executable, str(example), "--epochs", "60"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ours, linear = map(float, re.search(r"profond ([0-9.]+), scikit-learn LinearRegression "
                                        r"([0-9.]+)", done.stdout).groups())
    assert ours < 1.15 * linear  # the target's own spread (its MAE around the mean) is ~66
