"""Chapter 2 — activation functions g(z) and their derivatives g'(z), computed by GradientTape."""

import matplotlib.pyplot as plt
import numpy as np

import profond as tf

# %% derivatives
z = tf.Variable(np.linspace(-4.0, 4.0, 161).astype("float32"))
activations = {
    "sigmoid": tf.sigmoid,
    "tanh": tf.tanh,
    "relu": tf.nn.relu,
    "leaky_relu": tf.nn.leaky_relu,
    "softplus": tf.nn.softplus,
}
values, slopes = {}, {}
for name, g in activations.items():
    with tf.GradientTape() as tape:
        out = g(z)
    values[name] = out.numpy()
    slopes[name] = tape.gradient(out, z).numpy()  # g'(z), element by element

for name in activations:
    picks = [values[name][i] for i in (40, 80, 120)]  # z = −2, 0, 2
    print(f"{name:>10}: g(−2), g(0), g(2) = {np.round(picks, 4)}   "
          f"max g'(z) = {slopes[name].max():.4f}")

# %% formulas
s = values["sigmoid"]
gap = np.abs(slopes["sigmoid"] - s * (1 - s)).max()
print(f"σ'(z) = σ(z)(1 − σ(z)):   largest gap {gap:.1e}")
t = values["tanh"]
gap = np.abs(slopes["tanh"] - (1 - t**2)).max()
print(f"tanh'(z) = 1 − tanh²(z):  largest gap {gap:.1e}")

# %% plot
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for name in activations:
    left.plot(z.numpy(), values[name], label=name)
    right.plot(z.numpy(), slopes[name], label=name)
left.set_title("g(z)")
right.set_title("g'(z)")
left.legend()
for ax in (left, right):
    ax.grid(alpha=0.3)
    ax.set_xlabel("z")
plt.show()
