"""The functional API guide's path: a model from ``Input`` through layer calls, its summary and
training with ``validation_split``; an encoder and a decoder model used as layers of an
autoencoder; an ensemble merged with ``layers.average``; a multi-input, multi-output model
(Embedding, LSTM, ``concatenate``, named outputs) trained with dicts of inputs, targets, losses
and ``loss_weights``; a small ResNet with ``layers.add``; a shared Embedding; ``get_layer``."""

import numpy as np
from _common import emit, keras, tf

layers = keras.layers
rng = np.random.default_rng(0)
results = {}


def fixed_weights(model, seed=1):
    """The same initial weights in both frameworks, of a sensible size: N(0, 1/fan_in) kernels,
    small biases (drawn in the order of get_weights)."""
    draw = np.random.default_rng(seed)
    model.set_weights([
        (draw.normal(size=w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
         else draw.normal(scale=0.1, size=w.shape)).astype(w.dtype)
        for w in model.get_weights()])


def facts(model):
    """A summary's rows: name, class, output shape(s) and parameter count of each layer."""
    rows = []
    for layer in model.layers:
        output = layer.output
        shapes = ([list(o.shape) for o in output] if isinstance(output, (list, tuple))
                  else list(output.shape))
        rows.append([layer.name, type(layer).__name__, shapes, layer.count_params()])
    return rows


# A first model, trained on MNIST-shaped vectors.
inputs = keras.Input(shape=(784,))
results["input"] = [list(inputs.shape), str(inputs.dtype)]
dense = layers.Dense(64, activation="relu")
x = dense(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
fixed_weights(model)
results["mnist_model"] = [model.name, facts(model), model.count_params()]
x_train = (rng.integers(0, 256, size=(40, 28, 28)) / 255.0).reshape(40, 784).astype("float32")
y_train = rng.integers(0, 10, size=(40,))
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=8, epochs=2, validation_split=0.2,
                    shuffle=False, verbose=0)
results["mnist_history"] = history.history
results["mnist_evaluate"] = model.evaluate(x_train[:10], y_train[:10], verbose=0)

# An encoder and a decoder, each a model, used as layers of an autoencoder.
encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
decoder_input = keras.Input(shape=(16,), name="encoded_img")
x = layers.Reshape((4, 4, 1))(decoder_input)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
encoded_img = encoder(autoencoder_input)
decoded_img = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
fixed_weights(autoencoder)
results["encoder"] = facts(encoder)
results["decoder"] = facts(decoder)
results["autoencoder"] = facts(autoencoder)
images = rng.uniform(size=(2, 28, 28, 1)).astype("float32")
reconstructed = autoencoder(images)
results["reconstructed"] = [list(reconstructed.shape), float(tf.reduce_mean(reconstructed)),
                            np.allclose(decoder(encoder(images)), reconstructed, atol=1e-6)]


# An ensemble of three models, averaged.
def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1, model2, model3 = get_model(), get_model(), get_model()
inputs = keras.Input(shape=(128,))
y1, y2, y3 = model1(inputs), model2(inputs), model3(inputs)
outputs = layers.average([y1, y2, y3])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
fixed_weights(ensemble_model)
vectors = rng.normal(size=(3, 128)).astype("float32")
results["ensemble"] = [[type(layer).__name__ for layer in ensemble_model.layers],
                       ensemble_model(vectors),
                       (model1(vectors) + model2(vectors) + model3(vectors)) / 3]

# Multiple inputs and outputs: ticket priority and department from title, body and tags.
num_tags, num_words, num_departments = 12, 1000, 4
title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Embedding(num_words, 64)(title_input)
body_features = layers.Embedding(num_words, 64)(body_input)
title_features = layers.LSTM(128)(title_features)
body_features = layers.LSTM(32)(body_features)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)
model = keras.Model(inputs=[title_input, body_input, tags_input],
                    outputs={"priority": priority_pred, "department": department_pred})
fixed_weights(model)
results["tickets"] = facts(model)
results["tickets_io"] = [[t.name for t in model.inputs], sorted(model.output_names)]
# NOTE: no word twice in a batch. With a repeated word, TensorFlow's RMSprop squares each
# occurrence's embedding gradient separately (IndexedSlices) instead of their sum, so its update
# is not the one of the dense gradient that profond (and Keras on other backends) applies.
title_data = rng.permutation(num_words)[:160].reshape(16, 10)
body_data = rng.permutation(num_words)[:320].reshape(16, 20)
tags_data = rng.integers(0, 2, size=(16, num_tags)).astype("float32")
priority_targets = rng.uniform(size=(16, 1)).astype("float32")
# NOTE: one department per ticket (one-hot rows). The guide draws multi-hot rows, for which
# TensorFlow's fused softmax cross-entropy gives the gradient of one-hot rows (its documentation
# says the gradient is then incorrect); profond differentiates the loss as written.
dept_targets = np.eye(num_departments, dtype="float32")[rng.integers(0, num_departments, 16)]
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
          "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
    loss_weights={"priority": 1.0, "department": 0.2},
)
history = model.fit({"title": title_data, "body": body_data, "tags": tags_data},
                    {"priority": priority_targets, "department": dept_targets},
                    epochs=2, batch_size=8, shuffle=False, verbose=0)
results["tickets_history"] = history.history
predicted = model.predict({"title": title_data[:3], "body": body_data[:3],
                           "tags": tags_data[:3]}, verbose=0)
results["tickets_predict"] = {key: predicted[key] for key in sorted(predicted)}

# A toy ResNet: residual connections with layers.add.
inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])
x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs, name="toy_resnet")
fixed_weights(model)
results["resnet"] = [facts(model), model.count_params()]
cifar = rng.integers(0, 256, size=(2, 32, 32, 3)).astype("float32") / 255.0
results["resnet_predict"] = model.predict(cifar, verbose=0)
results["resnet_layers"] = [model.get_layer(index=6).name, type(model.get_layer("img")).__name__]

# A shared embedding layer used by two inputs.
shared_embedding = layers.Embedding(1000, 128)
text_input_a = keras.Input(shape=(None,), dtype="int32")
text_input_b = keras.Input(shape=(None,), dtype="int32")
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)
shared = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
results["shared"] = [len(shared.layers), len(shared.weights), str(text_input_a.dtype),
                     list(encoded_input_b.shape)]
emit(results)
