"""Chapter 8 — explaining a prediction: which pixels made the network say "this digit"?"""

import numpy as np

import profond as tf
from profond import viz
from profond.datasets import digits

# %% model
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = (x_train / 16).astype("float32")[..., None]  # (n, 8, 8, 1) images
x_test = (x_test / 16).astype("float32")[..., None]
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.Input((8, 8, 1)),
    tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
print(f"test accuracy: {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% attributions
x = x_test[:6]
predicted = model.predict(x, verbose=0).argmax(axis=1)
print("predicted classes:", predicted, "  true:", y_test[:6])
saliency = tf.explain.saliency(model, x)  # |∂f_c/∂x|
ig, delta = tf.explain.integrated_gradients(model, x, steps=64, return_convergence_delta=True)
print("saliency maps:", saliency.shape, "  integrated gradients:", ig.shape)
# Completeness: the attributions add up to f_c(x) − f_c(black image), up to delta.
print("largest |delta| =", f"{np.abs(delta).max():.2e}")

# %% show
viz.show_attributions(x, ig, titles=[f"predicted {c}" for c in predicted])
