"""Moving averages of the weights (``use_ema``): ``fit`` ends with the averaged weights; a
custom loop keeps its last weights until ``finalize_variable_values``; ``ema_overwrite_frequency``
puts the averages into the variables every n steps; the optimizer's variables and config."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights, tf

x, labels, targets = data(n=16)
results = {}

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh"),
                          keras.layers.Dense(1)])
set_fixed_weights(model)
optimizer = keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.8)
model.compile(optimizer=optimizer, loss="mse")
results["history"] = model.fit(x, targets, batch_size=4, epochs=2, shuffle=False,
                               verbose=0).history
results["weights_after_fit"] = model.get_weights()
# iteration, learning_rate, then one average per weight before the slots (whose own order
# differs: Keras interleaves Adam's momentum and velocity)
results["optimizer_variables"] = [v.path.split("/")[-1].split("_")[-1]
                                  for v in optimizer.variables[:6]]
config = optimizer.get_config()
results["config"] = {k: config[k] for k in ("use_ema", "ema_momentum",
                                            "ema_overwrite_frequency")}

# the validation of each epoch with the averaged weights (SwapEMAWeights), then evaluate
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
set_fixed_weights(model, seed=2)
model.compile(optimizer=keras.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.7),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
results["swapped_history"] = model.fit(
    x[:12], labels[:12], validation_data=(x[12:], labels[12:]), batch_size=4, epochs=3,
    shuffle=False, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()]).history
results["swapped_weights"] = model.get_weights()
results["swapped_evaluate"] = model.evaluate(x[12:], labels[12:], verbose=0, return_dict=True)

w = tf.Variable(np.array([1.0, -2.0], "float32"))
sgd = keras.optimizers.SGD(0.5, momentum=0.5, use_ema=True, ema_momentum=0.6,
                           ema_overwrite_frequency=4)
steps = []
for i in range(6):
    sgd.apply_gradients([(tf.constant(np.array([1.0, 0.5 * i], "float32")), w)])
    steps.append(w.numpy())
results["loop_weights"] = steps
sgd.finalize_variable_values([w])
results["finalized"] = w.numpy()
emit(results)
