"""Chapter 1 — the neuron and the perceptron: ŷ = σ(b + XᵀW), the course's exercise."""

import numpy as np

import profond as tf

# %% neuron
W = tf.constant([[4.0], [-2.0]])  # the weights w₁ = 4, w₂ = −2
b = tf.constant([1.0])            # the bias


def neuron(x):
    """ŷ = σ(b + XᵀW): a weighted sum, then the sigmoid activation."""
    return tf.sigmoid(x @ W + b)


# %% exercise
for name, point in {"a": [-1.0, 2.0], "b": [0.0, -1.0]}.items():
    z = float((tf.constant([point]) @ W + b)[0, 0])
    y_hat = float(neuron(tf.constant([point]))[0, 0])
    print(f"x_{name} = {tuple(point)}:  z = b + XᵀW = {z:+.0f}   ŷ = σ(z) = {y_hat:.5f}")

# %% boundary
on_line = tf.constant([[x1, 2 * x1 + 0.5] for x1 in (-1.0, 0.0, 1.0)])
print("ŷ on the line 4x₁ − 2x₂ + 1 = 0:", [round(float(v), 5) for v in neuron(on_line)[:, 0]])

# %% learning
# Rosenblatt's rule on the logical AND: w ← w + η (y − ŷ) x, with the step function as activation.
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([0, 0, 0, 1], dtype="float32")
w, bias, eta = np.zeros(2, dtype="float32"), 0.0, 0.1
epochs = 0
while True:
    epochs += 1
    errors = 0
    for x_i, y_i in zip(X, y):
        y_hat = float(x_i @ w + bias > 0)
        w += eta * (y_i - y_hat) * x_i
        bias += eta * (y_i - y_hat)
        errors += int(y_hat != y_i)
    if errors == 0:
        break
print(f"converged after {epochs} epochs: w = {w}, b = {bias:.1f}")
print("predictions:", (X @ w + bias > 0).astype(int), " targets:", y.astype(int))
