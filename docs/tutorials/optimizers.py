"""Chapter 6 — the optimizers compared on one problem: the same network, the same data, the same
initial weights, four update rules."""

import matplotlib.pyplot as plt

import profond as tf
from profond.datasets import digits

# %% setup_data
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16


def make_model():
    tf.keras.utils.set_random_seed(0)  # the same initial weights for every optimizer
    return tf.keras.Sequential([
        tf.keras.Input(shape=(64,)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


# %% compare
optimizers = {
    "SGD (η = 0.01)": tf.keras.optimizers.SGD(learning_rate=0.01),
    "SGD + momentum 0.9": tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "RMSprop": tf.keras.optimizers.RMSprop(learning_rate=0.001),
    "Adam": tf.keras.optimizers.Adam(learning_rate=0.001),
}
histories = {}
for name, optimizer in optimizers.items():
    model = make_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    histories[name] = model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0).history
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    loss = histories[name]["loss"]
    print(f"{name:>18}: J = {loss[0]:.4f} after 1 epoch, {loss[-1]:.4f} after 15;"
          f"  test accuracy {accuracy:.4f}")

# %% plot
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, history in histories.items():
    ax.plot(range(1, 16), history["loss"], marker=".", label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss J(W)")
ax.set_yscale("log")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
