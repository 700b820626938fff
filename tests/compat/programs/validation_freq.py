"""validation_freq as an int and as a list of epochs, validation_split, and validation_data with
sample weights: which epochs get val_ entries, and their values."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights

x, labels, targets = data(n=20)


def fresh():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    set_fixed_weights(model)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


results = {}
results["every_2"] = fresh().fit(x, targets, batch_size=5, epochs=4, shuffle=False, verbose=0,
                                 validation_data=(x[:10], targets[:10]),
                                 validation_freq=2).history
results["list"] = fresh().fit(x, targets, batch_size=5, epochs=4, shuffle=False, verbose=0,
                              validation_data=(x[:10], targets[:10]),
                              validation_freq=[1, 4]).history
results["weighted_validation"] = fresh().fit(
    x, targets, batch_size=5, epochs=2, shuffle=False, verbose=0,
    validation_data=(x[:10], targets[:10], np.linspace(0.0, 1.0, 10))).history
results["validation_batch_size"] = fresh().fit(
    x, targets, batch_size=5, epochs=1, shuffle=False, verbose=0, validation_batch_size=3,
    validation_data=(x[:10], targets[:10]), validation_steps=2).history
emit(results)
