"""Chapter 3 — loss functions and the objective J(W): the mean of the losses over the examples."""

import matplotlib.pyplot as plt
import numpy as np

import profond as tf

# %% mse
y_true = np.array([[1.0], [0.0], [2.0]], dtype="float32")
y_pred = np.array([[0.8], [0.3], [1.5]], dtype="float32")
by_hand = np.mean((y_pred - y_true) ** 2)
keras = tf.keras.losses.MeanSquaredError()(y_true, y_pred)
print(f"MSE by hand: {by_hand:.5f}   with Keras: {float(keras):.5f}")

# %% bce
y = np.array([1.0, 0.0, 1.0, 1.0], dtype="float32")
p = np.array([0.9, 0.2, 0.6, 0.99], dtype="float32")
by_hand = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
keras = tf.keras.losses.BinaryCrossentropy()(y, p)
print(f"binary cross-entropy by hand: {by_hand:.5f}   with Keras: {float(keras):.5f}")

# %% cce
labels = np.array([2, 0], dtype="int64")                # classes as integers
probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]], dtype="float32")
by_hand = -np.mean(np.log(probabilities[np.arange(2), labels]))
keras = tf.keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
print(f"categorical cross-entropy by hand: {by_hand:.5f}   with Keras: {float(keras):.5f}")

# %% objective
# J(w) for the neuron ŷ = σ(w·x) on four points, as the single weight w varies.
x = np.array([-2.0, -1.0, 1.0, 2.0], dtype="float32")
t = np.array([0.0, 0.0, 1.0, 1.0], dtype="float32")
bce = tf.keras.losses.BinaryCrossentropy()
mse = tf.keras.losses.MeanSquaredError()
ws = np.linspace(-4, 4, 81).astype("float32")
J_bce = [float(bce(t, tf.sigmoid(w * x))) for w in ws]
J_mse = [float(mse(t, tf.sigmoid(w * x))) for w in ws]
print(f"J(w) at w = −4, 0, 4 (cross-entropy): {J_bce[0]:.4f}, {J_bce[40]:.4f}, {J_bce[80]:.4f}")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ws, J_bce, label="cross-entropy")
ax.plot(ws, J_mse, label="MSE")
ax.set_xlabel("w")
ax.set_ylabel("J(w)")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
