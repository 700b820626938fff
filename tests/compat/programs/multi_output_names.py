"""A model with a list of outputs: losses, loss weights and metrics as lists (and a flat list of
one metric per output); the names in History and the order of evaluate's list."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights

x, labels, targets = data()
one_hot = np.eye(3, dtype="float32")[labels]

inputs = keras.Input((4,), name="features")
hidden = keras.layers.Dense(6, activation="relu", name="hidden")(inputs)
probs = keras.layers.Dense(3, activation="softmax", name="probs")(hidden)
value = keras.layers.Dense(1, name="value")(hidden)
model = keras.Model(inputs, [probs, value])
set_fixed_weights(model)
results = {"output_names": list(model.output_names)}

model.compile(optimizer=keras.optimizers.SGD(0.05),
              loss=["categorical_crossentropy", "mse"], loss_weights=[1.0, 2.0],
              metrics=[["accuracy", "categorical_crossentropy"], ["mae"]])
results["nested"] = model.fit(x, [one_hot, targets], batch_size=4, epochs=2, shuffle=False,
                              verbose=0).history
results["evaluate"] = model.evaluate(x, [one_hot, targets], batch_size=12, verbose=0)
results["metrics_names"] = model.metrics_names

model.compile(optimizer=keras.optimizers.SGD(0.05),
              loss=["sparse_categorical_crossentropy", "mae"], metrics=["accuracy", "mse"])
results["flat"] = model.fit(x, [labels, targets], batch_size=6, epochs=2, shuffle=False,
                            verbose=0, validation_split=0.0,
                            validation_data=(x[:6], [labels[:6], targets[:6]])).history

single = keras.Model(inputs, keras.layers.Dense(3, name="logits")(hidden))
set_fixed_weights(single, seed=3)
single.compile(optimizer="sgd",
               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
               metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
results["single"] = single.fit(x, labels, batch_size=4, epochs=1, shuffle=False,
                               verbose=0).history
results["single_evaluate"] = single.evaluate(x, labels, verbose=0)
emit(results)
