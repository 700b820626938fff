"""Chapter — recurrent networks: the LSTM's gates by hand, images read by rows, masked padding."""

import numpy as np

import profond as tf
from profond.datasets import digits


# %% by_hand
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


tf.keras.utils.set_random_seed(0)
units, features, steps = 3, 2, 5
lstm = tf.keras.layers.LSTM(units, return_sequences=True)
x = np.random.default_rng(0).normal(size=(1, steps, features)).astype("float32")
outputs = lstm(x).numpy()[0]                      # h₁ … h₅
W, U, b = lstm.get_weights()                      # (2, 12), (3, 12), (12,): gates i, f, c̃, o
print("W", W.shape, " U", U.shape, " b", b.shape, " (4 gates side by side)")

h, c = np.zeros(units), np.zeros(units)
for t in range(steps):
    z = x[0, t] @ W + h @ U + b
    i, f, c_tilde, o = np.split(z, 4)
    i, f, o, c_tilde = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(c_tilde)
    c = f * c + i * c_tilde                       # forget part of the memory, write the new part
    h = o * np.tanh(c)                            # what the cell shows of its memory
    print(f"t = {t + 1}: forget gate {np.round(f, 2)}  input gate {np.round(i, 2)}  "
          f"h = {np.round(h, 3)}")
print("largest gap between h by hand and the layer's:",
      f"{np.abs(h - outputs[-1]).max():.1e}")

# %% rows
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = (x_train / 16).astype("float32")  # (1437, 8, 8): 8 time steps of 8 pixels (one row)
x_test = (x_test / 16).astype("float32")
tf.keras.utils.set_random_seed(0)
reader = tf.keras.Sequential([
    tf.keras.Input((8, 8)),
    tf.keras.layers.LSTM(32),                     # the last h: a summary of the 8 rows
    tf.keras.layers.Dense(10, activation="softmax"),
])
reader.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
reader.fit(x_train, y_train, epochs=10, batch_size=64, verbose=0)
print(f"LSTM reading the digits row by row: test accuracy "
      f"{reader.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% sentences
# A made-up language: words 1–3 are positive, 4–6 negative, 7–19 neutral; 0 is the padding.
rng = np.random.default_rng(0)


def sentence():
    words = rng.integers(1, 20, size=rng.integers(3, 16))   # 3 to 15 words
    positive, negative = np.sum(words <= 3), np.sum((words >= 4) & (words <= 6))
    return words, positive != negative, int(positive > negative)


pairs = [s for s in (sentence() for _ in range(2000)) if s[1]][:1400]  # no ties
texts = [words for words, _, _ in pairs]
labels = np.array([label for _, _, label in pairs])
padded = tf.keras.utils.pad_sequences(texts, maxlen=15, padding="post")   # zeros at the end
print("first sentence:", texts[0], " label", labels[0])
print("padded:        ", padded[0])
print("batch of sentences:", padded.shape, " positive share", labels.mean().round(3))

# %% mask
embed = tf.keras.layers.Embedding(20, 8, mask_zero=True)
reader_of_words = tf.keras.layers.LSTM(4)
alone = reader_of_words(embed(np.array([texts[0]]))).numpy()
with_padding = reader_of_words(embed(padded[:1])).numpy()
print("mask of the padded sentence:", np.asarray(embed.compute_mask(padded[:1])).astype(int)[0])
print("same output with and without the padding:", bool(np.allclose(alone, with_padding)))
no_mask = tf.keras.layers.Embedding(20, 8)
no_mask.build((None, 15))
no_mask.set_weights(embed.get_weights())
print("without mask_zero the padding changes it:",
      not np.allclose(alone, reader_of_words(no_mask(padded[:1])).numpy()))

# %% fit
tf.keras.utils.set_random_seed(0)
sentiment = tf.keras.Sequential([
    tf.keras.Input((15,), dtype="int64"),
    tf.keras.layers.Embedding(20, 8, mask_zero=True),   # word index → vector of 8 numbers
    tf.keras.layers.LSTM(16),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
sentiment.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
history = sentiment.fit(padded[:1000], labels[:1000], epochs=3, batch_size=32,
                        validation_data=(padded[1000:], labels[1000:]), verbose=0).history
for epoch in range(3):
    print(f"epoch {epoch + 1:2d}  loss {history['loss'][epoch]:.4f}  "
          f"val_accuracy {history['val_accuracy'][epoch]:.4f}")
tests = [[1, 9, 12, 4, 2], [4, 15, 5, 1, 8, 6, 7, 10, 11, 12, 13]]
print("P(positive) of", tests, "=",
      sentiment.predict(tf.keras.utils.pad_sequences(tests, 15, padding="post"),
                        verbose=0)[:, 0].round(3))
