"""Chapter — choosing the learning rate: too small, too large, and the range test (LR finder)."""

import matplotlib.pyplot as plt

import profond as tf
from profond import viz
from profond.datasets import digits

# %% data
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16


def make_model():
    tf.keras.utils.set_random_seed(0)
    return tf.keras.Sequential([
        tf.keras.Input((64,)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


# %% rates
for rate in (0.0001, 0.01, 1.0, 10.0):
    model = make_model()
    model.compile(optimizer=tf.keras.optimizers.SGD(rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    loss = model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0).history["loss"]
    print(f"η = {rate:<7}: training loss {loss[0]:8.4f} → {loss[-1]:8.4f}, "
          f"test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% finder
model = make_model()
model.compile(optimizer=tf.keras.optimizers.SGD(), loss="sparse_categorical_crossentropy")
lrs, losses, suggested = viz.find_learning_rate(model, x_train, y_train, steps=100)
print(f"suggested learning rate: {suggested:.3g}")
viz.plot_lr_finder(lrs, losses, suggested)
plt.show()

# %% check
model = make_model()
model.compile(optimizer=tf.keras.optimizers.SGD(suggested),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
print(f"5 epochs at η = {suggested:.3g}: "
      f"test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
