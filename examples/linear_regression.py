"""Linear regression y = a·x + b found by gradient descent on J(a, b) = 1/n Σ (a·xᵢ + b − yᵢ)²."""

import numpy as np

import profond as tf

tf.set_seed(0)
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=200).astype("float32")
y = 3.0 * x - 0.5 + rng.normal(0, 0.05, size=200).astype("float32")

a = tf.Variable(0.0)
b = tf.Variable(0.0)
learning_rate = 0.5
for step in range(200):
    with tf.GradientTape() as tape:
        y_hat = a * x + b                        # forward propagation
        cost = tf.reduce_mean((y_hat - y) ** 2)  # J(a, b)
    da, db = tape.gradient(cost, [a, b])         # back-propagation
    a.assign_sub(learning_rate * da)             # gradient descent: θ ← θ − η ∂J/∂θ
    b.assign_sub(learning_rate * db)
    if step % 50 == 0:
        print(f"step {step:3d}  J = {float(cost):.5f}")

print(f"found y = {float(a):.3f}·x + {float(b):.3f}  (true: y = 3.000·x - 0.500)")
