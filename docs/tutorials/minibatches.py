"""Chapter — mini-batches and tf.data: the same descent, one small batch of examples at a time."""

import numpy as np

import profond as tf
from profond.datasets import digits

# %% dataset
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16
dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
print("examples:", len(x_train))
for x, y in dataset.shuffle(2000, seed=0).batch(32).take(2):
    print("one batch:", x.shape, y.shape, " labels:", y.numpy()[:8], "…")
print("batches per epoch with batch_size=32:", len(list(dataset.batch(32))))

# %% loop
tf.keras.utils.set_random_seed(0)
w = tf.Variable(tf.random.normal((64, 10), stddev=0.01))
b = tf.Variable(tf.zeros((10,)))
optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)
for epoch in range(10):
    for x, y in dataset.shuffle(2000, seed=epoch).batch(32):
        with tf.GradientTape() as tape:
            logits = x @ w + b                                              # forward propagation
            cost = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))  # J on the batch
        grads = tape.gradient(cost, [w, b])                                 # back-propagation
        optimizer.apply_gradients(zip(grads, [w, b]))                       # one step per batch
    if epoch in (0, 4, 9):
        accuracy = np.mean(tf.argmax(x_test @ w + b, axis=1).numpy() == y_test)
        print(f"epoch {epoch + 1:2d}: J on the last batch {float(cost):.4f}, "
              f"test accuracy {accuracy:.4f}")

# %% batch_size
for batch_size in (8, 64, len(x_train)):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((64,)),
                                 tf.keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=batch_size, verbose=0)
    steps = -(-len(x_train) // batch_size)
    print(f"batch_size {batch_size:4d}: {steps:3d} step(s) per epoch, "
          f"test accuracy after 5 epochs {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
