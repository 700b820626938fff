"""XOR learned by a 2-layer MLP written with raw tensors, GradientTape and a hand-written SGD step.

No single neuron separates XOR (it is not linearly separable); one hidden layer of tanh units does.
"""

import numpy as np

import profond as tf

tf.set_seed(1)
X = tf.constant([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = tf.constant([[0.0], [1.0], [1.0], [0.0]])

W1 = tf.Variable(tf.random.normal((2, 8), stddev=1.0))
b1 = tf.Variable(np.zeros(8, dtype="float32"))
W2 = tf.Variable(tf.random.normal((8, 1), stddev=1.0))
b2 = tf.Variable(np.zeros(1, dtype="float32"))
params = [W1, b1, W2, b2]
learning_rate = 0.5

for epoch in range(2000):
    with tf.GradientTape() as tape:
        hidden = tf.tanh(X @ W1 + b1)                     # forward propagation
        logits = hidden @ W2 + b2
        cost = tf.reduce_mean(tf.sigmoid_cross_entropy_with_logits(Y, logits))  # J(W)
    grads = tape.gradient(cost, params)                  # back-propagation
    for p, g in zip(params, grads):                      # gradient descent
        p.assign_sub(learning_rate * g)
    if epoch % 500 == 0:
        print(f"epoch {epoch:4d}  J = {float(cost):.4f}")

y_hat = tf.sigmoid(tf.tanh(X @ W1 + b1) @ W2 + b2).numpy()[:, 0]
for x, p in zip(X.numpy(), y_hat):
    print(f"XOR{tuple(int(v) for v in x)} = {p:.3f}")
accuracy = float(np.mean((y_hat > 0.5) == Y.numpy()[:, 0].astype(bool)))
print(f"accuracy: {accuracy:.2f}")
