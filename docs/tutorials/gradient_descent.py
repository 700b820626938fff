"""Chapter 4 — gradient descent: by hand, derivatives written out, then with GradientTape."""

import numpy as np

import profond as tf

# %% data
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=100).astype("float32")
y = (3.0 * x - 0.5 + rng.normal(0, 0.1, size=100)).astype("float32")  # y = 3x − 0.5 + noise

# %% by_hand
# J(a, b) = 1/n Σ (a·xᵢ + b − yᵢ)²
# ∂J/∂a = 2/n Σ (a·xᵢ + b − yᵢ)·xᵢ      ∂J/∂b = 2/n Σ (a·xᵢ + b − yᵢ)
a, b, eta = 0.0, 0.0, 0.5
for step in range(101):
    error = a * x + b - y
    J = np.mean(error**2)
    dJ_da, dJ_db = 2 * np.mean(error * x), 2 * np.mean(error)
    if step % 25 == 0:
        print(f"step {step:3d}  a = {a:.4f}  b = {b:.4f}  J(a, b) = {J:.5f}")
    a, b = a - eta * dJ_da, b - eta * dJ_db  # θ ← θ − η ∂J/∂θ

# %% tape_gradient
a_t, b_t = tf.Variable(0.0), tf.Variable(0.0)
with tf.GradientTape() as tape:
    J = tf.reduce_mean((a_t * x + b_t - y) ** 2)
grad_a, grad_b = tape.gradient(J, [a_t, b_t])
error = 0.0 * x + 0.0 - y
print(f"at a = b = 0:  tape ∂J/∂a = {float(grad_a):.5f}, by hand {2 * np.mean(error * x):.5f}")
print(f"               tape ∂J/∂b = {float(grad_b):.5f}, by hand {2 * np.mean(error):.5f}")

# %% with_tape
for _ in range(101):
    with tf.GradientTape() as tape:
        J = tf.reduce_mean((a_t * x + b_t - y) ** 2)  # forward propagation, recorded
    grad_a, grad_b = tape.gradient(J, [a_t, b_t])     # back-propagation
    a_t.assign_sub(eta * grad_a)                      # gradient descent
    b_t.assign_sub(eta * grad_b)
print(f"after 101 steps: a = {float(a_t):.4f}, b = {float(b_t):.4f}   (by hand: {a:.4f}, {b:.4f})")

# %% optimizer
a_o, b_o = tf.Variable(0.0), tf.Variable(0.0)
optimizer = tf.keras.optimizers.SGD(learning_rate=eta)
for _ in range(101):
    with tf.GradientTape() as tape:
        J = tf.reduce_mean((a_o * x + b_o - y) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(J, [a_o, b_o]), [a_o, b_o]))
print(f"with keras.optimizers.SGD: a = {float(a_o):.4f}, b = {float(b_o):.4f}")
