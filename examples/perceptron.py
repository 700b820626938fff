"""The perceptron of the course: one neuron ŷ = σ(b + XᵀW) with W = [4, −2], b = 1.

Its decision boundary is ŷ = 0.5, that is b + XᵀW = 0: the line 4x₁ − 2x₂ + 1 = 0.
"""

import profond as tf

W = tf.constant([[4.0], [-2.0]])
b = tf.constant([1.0])


def neuron(x):
    """ŷ = σ(b + XᵀW)."""
    return tf.sigmoid(x @ W + b)


points = {"a": [-1.0, 2.0], "b": [0.0, -1.0]}
for name, p in points.items():
    y_hat = float(neuron(tf.constant([p]))[0, 0])
    side = "class 1" if y_hat >= 0.5 else "class 0"
    print(f"ŷ({name} = {tuple(p)}) = {y_hat:.5f}  -> {side}")

# Points on the boundary 4x₁ − 2x₂ + 1 = 0, i.e. x₂ = 2x₁ + 0.5, give ŷ = 0.5 exactly.
on_line = tf.constant([[x1, 2 * x1 + 0.5] for x1 in (-1.0, 0.0, 1.0)])
print("on the boundary 4x1 - 2x2 + 1 = 0: ŷ =", [round(float(v), 5) for v in neuron(on_line)[:, 0]])
