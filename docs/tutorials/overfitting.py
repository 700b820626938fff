"""Chapter 7 — train, validation and test sets; over-fitting, and EarlyStopping to stop in time."""

import matplotlib.pyplot as plt

import profond as tf
from profond.datasets import digits

# %% split
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16
# A small training set makes over-fitting easy to see: 200 images to learn, 300 to validate.
x_small, y_small = x_train[:200], y_train[:200]
x_val, y_val = x_train[200:500], y_train[200:500]
print("train:", x_small.shape, " validation:", x_val.shape, " test:", x_test.shape)


def make_model():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(64,)),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# %% overfit
model = make_model()
history = model.fit(x_small, y_small, epochs=60, batch_size=32,
                    validation_data=(x_val, y_val), verbose=0).history
best = min(range(60), key=lambda e: history["val_loss"][e])
print(f"best validation loss {history['val_loss'][best]:.4f} at epoch {best + 1}; "
      f"at epoch 60: {history['val_loss'][-1]:.4f} (training loss {history['loss'][-1]:.5f})")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(range(1, 61), history["loss"], label="training")
ax.plot(range(1, 61), history["val_loss"], label="validation")
ax.axvline(best + 1, color="gray", linestyle="--", label=f"best epoch ({best + 1})")
ax.set_xlabel("epoch")
ax.set_ylabel("loss")
ax.set_yscale("log")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% early_stopping
model = make_model()
stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=5,
                                        restore_best_weights=True)
run = model.fit(x_small, y_small, epochs=60, batch_size=32, validation_data=(x_val, y_val),
                callbacks=[stop], verbose=0)
print(f"EarlyStopping stopped after {len(run.history['loss'])} epochs "
      f"and kept the weights of epoch {stop.best_epoch + 1}")
print(f"test accuracy: {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
