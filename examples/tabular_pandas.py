"""Tabular data from pandas: a DataFrame with numeric and text columns, preprocessing layers,
a functional model with one input per column.

The data: scikit-learn's diabetes table (442 patients, bundled with scikit-learn: nothing to
download), with its ``sex`` column written as text the way a CSV gives it. The target is disease
progression one year later. Numeric columns go through ``Normalization`` (adapted on the
training set), ``sex`` through ``StringLookup`` → ``CategoryEncoding`` (one-hot). The history
becomes a DataFrame, and the test error is compared with scikit-learn's linear regression on the
same split.

    python examples/tabular_pandas.py            # prints the test MAE of both models
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

import profond as tf

L = tf.keras.layers


def load():
    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame["sex"] = frame["sex"].map({1.0: "female", 2.0: "male"})  # as a CSV would write it
    return train_test_split(frame, test_size=0.2, random_state=0)


def build(train):
    numeric = [c for c in train.columns if c not in ("sex", "target")]
    inputs, encoded = {}, []
    for name in numeric:
        inputs[name] = tf.keras.Input((1,), name=name)
        norm = L.Normalization(name=f"{name}_norm")
        norm.adapt(train[name].to_numpy(dtype="float32").reshape(-1, 1))
        encoded.append(norm(inputs[name]))
    inputs["sex"] = tf.keras.Input((1,), name="sex", dtype="string")
    lookup = L.StringLookup(name="sex_lookup")
    lookup.adapt(train["sex"].to_numpy())
    one_hot = L.CategoryEncoding(num_tokens=lookup.vocabulary_size(), output_mode="one_hot")
    encoded.append(one_hot(lookup(inputs["sex"])))
    x = L.Concatenate()(encoded)
    x = L.Dense(32, activation="relu")(x)
    x = L.Dropout(0.1)(x)
    output = L.Dense(1)(x)
    model = tf.keras.Model(inputs, output)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def columns(frame):
    """The dict of columns the model takes: one (n, 1) array per ``Input`` name."""
    return {c: frame[[c]].to_numpy() for c in frame.columns if c != "target"}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args(argv)
    tf.keras.utils.set_random_seed(0)
    train, test = load()
    model = build(train)
    history = model.fit(columns(train), train["target"], epochs=args.epochs, batch_size=32,
                        validation_split=0.2, verbose=0)
    curves = pd.DataFrame(history.history)
    print(curves.tail(3).round(1).to_string())
    mae = model.evaluate(columns(test), test["target"], verbose=0)[1]
    numeric = pd.get_dummies(train.drop(columns="target"), dtype=float)
    baseline = LinearRegression().fit(numeric, train["target"])
    test_numeric = pd.get_dummies(test.drop(columns="target"), dtype=float)
    baseline_mae = np.abs(baseline.predict(test_numeric) - test["target"]).mean()
    print(f"test MAE: profond {mae:.1f}, scikit-learn LinearRegression {baseline_mae:.1f}")


if __name__ == "__main__":
    main()
