"""The basic regression tutorial's path (fuel efficiency): a CSV in the Auto MPG format read with
pandas (``na_values``, ``comment``, ``sep``), ``dropna``, one-hot origins with ``get_dummies``,
``sample``/``drop`` for the split, ``Normalization`` adapted to the features (and to one column
with ``axis=None``), linear and deep models on DataFrames and Series, ``mean_absolute_error`` with
Adam and ``validation_split``, the history as a DataFrame, ``evaluate`` and ``predict``."""

import os
import shutil
import tempfile

import numpy as np
import pandas as pd
from _common import emit, tf

layers = tf.keras.layers
results = {}

# A small file in the format of UCI's auto-mpg.data: space separated, '?' for unknown
# horsepower, the car's name after a tab.
rng = np.random.default_rng(0)
lines = []
for i in range(60):
    cylinders = int(rng.choice([4, 6, 8]))
    displacement = 45.0 * cylinders + rng.normal(0, 15)
    horsepower = 0.45 * displacement + rng.normal(0, 8)
    weight = 1500 + 8 * displacement + rng.normal(0, 150)
    acceleration = 20 - horsepower / 20 + rng.normal(0, 1)
    year, origin = int(rng.integers(70, 83)), int(rng.integers(1, 4))
    mpg = 48 - weight / 140 + 0.4 * (year - 70) + rng.normal(0, 1.5)
    power = "?" if i in (7, 31) else f"{horsepower:.1f}"
    lines.append(f"{mpg:.1f}   {cylinders}   {displacement:.1f}      {power}      {weight:.0f}.  "
                 f"    {acceleration:.1f}   {year}  {origin}\t\"car {i}\"")
folder = tempfile.mkdtemp()
path = os.path.join(folder, "auto-mpg.data")
with open(path, "w") as file:
    file.write("\n".join(lines) + "\n")

column_names = ["MPG", "Cylinders", "Displacement", "Horsepower", "Weight",
                "Acceleration", "Model Year", "Origin"]
raw_dataset = pd.read_csv(path, names=column_names, na_values="?", comment="\t", sep=" ",
                          skipinitialspace=True)
shutil.rmtree(folder)
dataset = raw_dataset.copy()
results["missing"] = dataset.isna().sum().to_dict()
dataset = dataset.dropna()
dataset["Origin"] = dataset["Origin"].map({1: "USA", 2: "Europe", 3: "Japan"})
dataset = pd.get_dummies(dataset, columns=["Origin"], prefix="", prefix_sep="", dtype=float)
train_dataset = dataset.sample(frac=0.8, random_state=0)
test_dataset = dataset.drop(train_dataset.index)
train_features = train_dataset.copy()
test_features = test_dataset.copy()
train_labels = train_features.pop("MPG")
test_labels = test_features.pop("MPG")
results["columns"] = list(train_features.columns)

# Normalization of all the features.
normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
results["normalizer"] = [normalizer.mean.numpy(), list(normalizer.mean.shape),
                         normalizer.variance.numpy()]
first = np.array(train_features[:1])
results["normalized_first"] = normalizer(first).numpy()

# Linear regression on one variable: horsepower.
horsepower = np.array(train_features["Horsepower"])
horsepower_normalizer = layers.Normalization(input_shape=[1], axis=None)
horsepower_normalizer.adapt(horsepower)
horsepower_model = tf.keras.Sequential([horsepower_normalizer, layers.Dense(units=1)])
horsepower_model.layers[1].set_weights([np.array([[0.5]], "float32"),
                                        np.array([0.0], "float32")])
results["horsepower_layers"] = [[layer.name, type(layer).__name__, layer.count_params()]
                                for layer in horsepower_model.layers]
results["horsepower_untrained"] = horsepower_model.predict(horsepower[:10], verbose=0)
horsepower_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
                         loss="mean_absolute_error")
history = horsepower_model.fit(train_features["Horsepower"], train_labels, epochs=15,
                               verbose=0, validation_split=0.2, shuffle=False)
hist = pd.DataFrame(history.history)
hist["epoch"] = history.epoch
results["horsepower_history_tail"] = hist.tail().to_dict(orient="list")
test_results = {}
test_results["horsepower_model"] = horsepower_model.evaluate(
    test_features["Horsepower"], test_labels, verbose=0)
x = tf.linspace(0.0, 250, 251)
y = horsepower_model.predict(x, verbose=0)
results["horsepower_line"] = [list(y.shape), y[::50].ravel()]

# Linear regression on all the features.
linear_model = tf.keras.Sequential([normalizer, layers.Dense(units=1)])
results["linear_untrained_shape"] = list(linear_model.predict(train_features[:10],
                                                              verbose=0).shape)
linear_model.layers[1].kernel.assign(np.full((9, 1), 0.1, "float32"))
results["linear_kernel"] = [list(linear_model.layers[1].kernel.shape),
                            linear_model.layers[1].kernel.numpy().ravel()]
linear_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
                     loss="mean_absolute_error")
history = linear_model.fit(train_features, train_labels, epochs=15, verbose=0,
                           validation_split=0.2, shuffle=False)
results["linear_history"] = history.history
test_results["linear_model"] = linear_model.evaluate(test_features, test_labels, verbose=0)


# A deep neural network on all the features.
def build_and_compile_model(norm):
    model = tf.keras.Sequential([
        norm,
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(loss="mean_absolute_error", optimizer=tf.keras.optimizers.Adam(0.001))
    return model


dnn_model = build_and_compile_model(normalizer)
dnn_model.build((None, len(train_features.columns)))
draw = np.random.default_rng(1)
dnn_model.set_weights(dnn_model.get_weights()[:3] + [
    (draw.normal(size=w.shape) / np.sqrt(w.shape[0]) if w.ndim > 1
     else np.zeros(w.shape)).astype("float32") for w in dnn_model.get_weights()[3:]])
results["dnn_params"] = [dnn_model.count_params(),
                         len(dnn_model.trainable_weights), len(dnn_model.non_trainable_weights)]
history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0,
                        epochs=10, shuffle=False)
results["dnn_history"] = history.history
test_results["dnn_model"] = dnn_model.evaluate(test_features, test_labels, verbose=0)
test_predictions = dnn_model.predict(test_features, verbose=0).flatten()
results["dnn_predictions"] = test_predictions
results["test_results"] = pd.DataFrame(test_results, index=["Mean absolute error [MPG]"]).T \
    .to_dict(orient="index")
emit(results)
