"""The beginner quickstart's path (TF tutorial "quickstart for beginners"): MNIST-shaped images
scaled to [0, 1], a Sequential of Flatten / Dense / Dropout / Dense producing logits, softmax of
the first prediction, a from_logits loss, compile with 'adam' and 'accuracy', fit, evaluate with
verbose=2 and a probability model wrapping the trained one with Softmax."""

import contextlib
import io
import re

import numpy as np
from _common import emit, set_fixed_weights, tf

rng = np.random.default_rng(0)
# Small MNIST-like data: uint8 images 28x28 and digit labels, scaled as the tutorial does.
x_train = rng.integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
y_train = rng.integers(0, 10, size=(64,)).astype(np.uint8)
x_test = rng.integers(0, 256, size=(16, 28, 28), dtype=np.uint8)
y_test = rng.integers(0, 10, size=(16,)).astype(np.uint8)
x_train, x_test = x_train / 255.0, x_test / 255.0


def build(rate):
    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(rate),
        tf.keras.layers.Dense(10),
    ])
    set_fixed_weights(model)
    # Smaller fixed weights, so that the logits are of a trained model's size.
    model.set_weights([w * 0.05 for w in model.get_weights()])
    return model


results = {}
# The tutorial's model (dropout 0.2): only what dropout leaves deterministic is compared.
model = build(0.2)
predictions = model(x_train[:1]).numpy()
results["predictions"] = [type(predictions).__name__, list(predictions.shape), predictions]
results["softmax"] = tf.nn.softmax(predictions).numpy()
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
results["initial_loss"] = loss_fn(y_train[:1], predictions).numpy()
model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=2, verbose=0)
results["history_keys"] = list(history.history)
results["params"] = model.count_params()

# The same model without dropout: training is deterministic, so its numbers are compared.
model = build(0.0)
model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=3, batch_size=16, shuffle=False, verbose=0)
results["history"] = history.history
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    evaluation = model.evaluate(x_test, y_test, verbose=2)
results["evaluate"] = evaluation
# What verbose=2 shows, with timings and numbers blanked (their wording and order are compared).
line = printed.getvalue().strip().splitlines()[-1]
results["evaluate_line"] = re.sub(r"\d+(\.\d+)?(e-?\d+)?(ms|s|us)?", "#", line)

probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
probabilities = probability_model(x_test[:5])
results["probabilities"] = [list(probabilities.shape), probabilities,
                            np.sum(probabilities.numpy(), axis=1)]
results["probability_layers"] = [type(layer).__name__ for layer in probability_model.layers]
emit(results)
