"""Inputs keyed by Input name and targets keyed by output name, with per-output losses, loss
weights and metrics as dicts: History/evaluate names, order and values."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights

x, labels, targets = data()
extra = np.random.default_rng(5).normal(size=(12, 2)).astype("float32")

a = keras.Input((4,), name="in_a")
b = keras.Input((2,), name="in_b")
hidden = keras.layers.Dense(5, activation="tanh", name="hidden")(
    keras.layers.Concatenate(name="join")([a, b]))
cls = keras.layers.Dense(3, activation="softmax", name="cls")(hidden)
reg = keras.layers.Dense(1, name="reg")(hidden)
model = keras.Model({"in_a": a, "in_b": b}, {"reg": reg, "cls": cls})
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.1),
              loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
              loss_weights={"cls": 1.0, "reg": 0.5},
              metrics={"cls": ["accuracy"], "reg": ["mae", keras.metrics.RootMeanSquaredError()]})
inputs = {"in_b": extra, "in_a": x}  # not in the models' order: paired by name
outputs = {"reg": targets, "cls": labels}
history = model.fit(inputs, outputs, batch_size=4, epochs=2, shuffle=False, verbose=0,
                    validation_data=(inputs, outputs))
as_list = model.evaluate(inputs, outputs, batch_size=6, verbose=0)
as_dict = model.evaluate(inputs, outputs, batch_size=6, verbose=0, return_dict=True)
predicted = model.predict(inputs, batch_size=6, verbose=0)

emit({"history": history.history, "evaluate": as_list, "evaluate_dict": as_dict,
      "output_names": list(model.output_names),
      "predict_keys": sorted(predicted), "predict_reg": predicted["reg"][:3]})
