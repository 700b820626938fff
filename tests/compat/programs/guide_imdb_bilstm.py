"""The IMDB bidirectional-LSTM example at a tiny size: reviews as lists of word indices of
different lengths (IMDB's shape: a start token 1, then indices below num_words), padded with
pad_sequences, Embedding(mask_zero=True) + two Bidirectional(LSTM) + a sigmoid Dense, compiled
with "adam" and binary cross-entropy as the example does, fit with validation data, evaluate and
predict. (keras.datasets.imdb.load_data checks the file's hash, so the data are made here.)"""

import numpy as np
from _common import emit, keras, set_fixed_weights

layers = keras.layers
max_features, maxlen = 30, 10
rng = np.random.default_rng(0)


def reviews(n):
    lengths = rng.integers(3, 15, size=n)
    return [[1] + rng.integers(2, max_features, size=length - 1).tolist() for length in lengths]


x_train, x_val = reviews(16), reviews(8)
y_train = rng.integers(0, 2, size=16)
y_val = rng.integers(0, 2, size=8)
results = {"lengths": [len(x) for x in x_train[:4]]}

results["pad_default"] = keras.utils.pad_sequences(x_train[:3], maxlen=6)
results["pad_post"] = keras.utils.pad_sequences(x_train[:3], maxlen=6, padding="post",
                                                truncating="post", value=0)
results["pad_no_maxlen"] = keras.utils.pad_sequences(x_train[:2]).shape
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
results["padded"] = [list(x_train.shape), str(x_train.dtype)]

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(max_features, 8, mask_zero=True)(inputs)
x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(4))(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
set_fixed_weights(model)
results["summary"] = [[layer.name, str(layer.output.shape), layer.count_params()]
                      for layer in model.layers] + [model.count_params()]
results["mask"] = model.layers[1].compute_mask(x_train[:2])

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=8, epochs=2, shuffle=False, verbose=0,
                    validation_data=(x_val, y_val))
results["history"] = history.history
results["evaluate"] = model.evaluate(x_val, y_val, batch_size=4, verbose=0)
predictions = model.predict(x_val, verbose=0)
# Rounded: Keras's Adam updates an Embedding's moments once per repeated token (its gradient is
# sparse), profond's once per step on the summed gradient (textbook Adam); they differ by ~1e-4.
results["predict"] = [list(predictions.shape), np.round(predictions[:3, 0], 3)]
same = keras.utils.pad_sequences([[5, 6, 7]], maxlen=maxlen)
longer = keras.utils.pad_sequences([[5, 6, 7]], maxlen=maxlen + 4)
results["padding_masked"] = bool(np.allclose(model.predict(same, verbose=0),
                                             model.predict(longer, verbose=0), atol=1e-6))
emit(results)
