"""How profond works inside: the graph that an op records, and the engine that walks it back."""

import numpy as np

import profond as tf
from profond.autodiff import Function
from profond.autodiff.engine import topological_order
from profond.backend import array_module
from profond.testing import gradcheck

# %% graph
w = tf.Variable([[4.0], [-2.0]])
x = tf.constant([[-1.0, 2.0]])
with tf.GradientTape() as tape:
    z = x @ w + 1.0
    y_hat = tf.sigmoid(z)
print("y_hat was made by:", type(y_hat.creator).__name__)
print("which was fed by: ", [type(t.creator).__name__ for t in y_hat.creator.inputs])
order = topological_order([y_hat.creator])
print("the nodes, each after those feeding it:", [type(fn).__name__ for fn in order])

# %% chain_rule
(dw,) = tape.gradient(y_hat, [w])
s = float(y_hat[0, 0])
print("tape:        ∂ŷ/∂w =", dw.numpy().ravel())
print("chain rule:  σ'(z)·x = σ(z)(1 − σ(z))·x =", (s * (1 - s) * x.numpy()).ravel())

# %% new_op


class Cube(Function):
    """y = x³;  ∂y/∂x = 3x²."""

    def forward(self, x):
        return array_module(x).power(x, 3)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * 3 * x * x  # profond ops: this backward is differentiable too


t = tf.Variable(3.0, dtype="float64")
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = Cube()(t)
    dy = inner.gradient(y, t)
d2y = outer.gradient(dy, t)
print(f"y = {float(y)},  dy/dx = 3x² = {float(dy)},  d²y/dx² = 6x = {float(d2y)}")
rng = np.random.default_rng(0)
print("gradcheck (float64, finite differences):",
      gradcheck(lambda a: Cube()(a), [tf.constant(rng.normal(size=(3, 4)))]))
