"""class_weight (integer, one-hot and binary labels) and sample_weight, with weighted_metrics."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights

x, labels, targets = data(n=16)
sample_weight = np.linspace(0.2, 2.0, 16).astype("float32")


def fresh(loss, outputs=3, activation="softmax"):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(inputs))
    set_fixed_weights(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    return model


results = {}
model = fresh("sparse_categorical_crossentropy")
results["class_weight"] = model.fit(x, labels, class_weight={0: 0.5, 1: 2.0, 2: 1.0},
                                    batch_size=5, epochs=2, shuffle=False, verbose=0).history
model = fresh("sparse_categorical_crossentropy")
results["sample_weight"] = model.fit(x, labels, sample_weight=sample_weight, batch_size=5,
                                     epochs=2, shuffle=False, verbose=0).history
results["evaluate_weighted"] = model.evaluate(x, labels, sample_weight=sample_weight,
                                              verbose=0, return_dict=True)
model = fresh("categorical_crossentropy")
results["one_hot"] = model.fit(x, np.eye(3, dtype="float32")[labels],
                               class_weight={0: 3.0, 2: 0.5}, batch_size=8, epochs=2,
                               shuffle=False, verbose=0).history
model = fresh("binary_crossentropy", outputs=1, activation="sigmoid")
binary = (labels > 0).astype("float32")
results["binary"] = model.fit(x, binary, class_weight={0: 2.0, 1: 0.5}, batch_size=8,
                              epochs=2, shuffle=False, verbose=0).history
emit(results)
