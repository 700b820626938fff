"""Chapter 5 — a multilayer perceptron on the handwritten digits, with Keras."""

import numpy as np

import profond as tf
from profond import viz
from profond.datasets import digits, fashion_mnist

# %% data
(x_train, y_train), (x_test, y_test) = digits.load_data()
print("images:", x_train.shape, x_test.shape, " pixel values:", x_train.min(), "to", x_train.max())
x_train = x_train.reshape(-1, 64).astype("float32") / 16  # 8×8 pixels 0–16 → 64 values in 0–1
x_test = x_test.reshape(-1, 64).astype("float32") / 16
print("labels of the first ten:", y_train[:10])

# %% model
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(64,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.summary()

# %% fit
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.1, verbose=0)
for epoch in (0, 4, 9, 19):
    h = history.history
    print(f"epoch {epoch + 1:2d}  loss {h['loss'][epoch]:.4f}  accuracy {h['accuracy'][epoch]:.4f}"
          f"  val_accuracy {h['val_accuracy'][epoch]:.4f}")

# %% evaluate
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}   test accuracy {accuracy:.4f}")
predicted = model.predict(x_test[:10], verbose=0).argmax(axis=1)
print("predicted:", predicted)
print("true:     ", y_test[:10])
print("errors on the test set:", int(np.sum(model.predict(x_test, verbose=0).argmax(1) != y_test)),
      "of", len(y_test))

# %% save
model.save("digits-mlp.profond")  # one zip file: the architecture (JSON) and the weights
again = tf.keras.models.load_model("digits-mlp.profond")
same = np.array_equal(again.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
print("reloaded model gives the same predictions:", same)

# %% fashion_data
(f_train, g_train), (f_test, g_test) = fashion_mnist.load_data()  # 60,000 + 10,000 images 28×28
print("Fashion-MNIST:", f_train.shape, f_test.shape)
print("classes:", ", ".join(fashion_mnist.CLASS_NAMES))
f_train = f_train[:12000].reshape(-1, 784).astype("float32") / 255  # a fifth, for a quick build
g_train = g_train[:12000]
f_test = f_test.reshape(-1, 784).astype("float32") / 255
viz.show_images(f_test[:16].reshape(-1, 28, 28), labels=g_test[:16],
                class_names=fashion_mnist.CLASS_NAMES, ncols=8)

# %% fashion_fit
tf.keras.utils.set_random_seed(0)
clothes = tf.keras.Sequential([
    tf.keras.Input(shape=(784,)),
    tf.keras.layers.Dense(256, activation="relu"),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
clothes.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
h = clothes.fit(f_train, g_train, epochs=5, batch_size=128, validation_split=0.1, verbose=0).history
print(f"after 5 epochs on 10,800 images: accuracy {h['accuracy'][-1]:.4f}, "
      f"val_accuracy {h['val_accuracy'][-1]:.4f}")
loss, accuracy = clothes.evaluate(f_test, g_test, verbose=0)
print(f"Fashion-MNIST test accuracy {accuracy:.4f} (10,000 test images)")
viz.plot_confusion_matrix(g_test, clothes.predict(f_test, verbose=0).argmax(axis=1),
                          class_names=fashion_mnist.CLASS_NAMES)
