"""fit over a Python generator (infinite, with steps_per_epoch), a PyDataset (keras.utils.Sequence
too), a tf.data Dataset, and validation data given as a generator; steps_per_epoch and
validation_steps; initial_epoch."""

from _common import data, emit, keras, set_fixed_weights, tf

x, labels, targets = data(n=12)


def batches(forever=True):
    while True:
        for i in range(0, 12, 4):
            yield x[i:i + 4], targets[i:i + 4]
        if not forever:
            return


class Batches(keras.utils.PyDataset):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def __len__(self):
        return 12 // self.size

    def __getitem__(self, index):
        rows = slice(index * self.size, (index + 1) * self.size)
        return x[rows], targets[rows]


class OldStyle(keras.utils.Sequence):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return x[index * 6:(index + 1) * 6], targets[index * 6:(index + 1) * 6]


def fresh():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    set_fixed_weights(model)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


results = {}
model = fresh()
results["generator"] = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0).history
# NOTE: one epoch only with a validation generator: TensorFlow reads a generator ahead (prefetch),
# so which batches a second validation sees depends on its buffering.
results["validation_generator"] = model.fit(batches(), steps_per_epoch=3, epochs=1, verbose=0,
                                            validation_data=batches(),
                                            validation_steps=3).history
model = fresh()
sequence = Batches(4)
results["pydataset"] = model.fit(sequence, epochs=3, verbose=0, shuffle=False).history
results["pydataset_evaluate"] = model.evaluate(Batches(6), verbose=0)
model = fresh()
results["sequence"] = model.fit(OldStyle(), epochs=2, verbose=0, shuffle=False,
                                validation_data=Batches(6)).history
model = fresh()
dataset = tf.data.Dataset.from_tensor_slices((x, targets)).batch(5)
results["dataset"] = model.fit(dataset, epochs=2, verbose=0,
                               validation_data=dataset.take(1)).history
model = fresh()
history = model.fit(x, targets, batch_size=4, epochs=4, initial_epoch=2, shuffle=False,
                    verbose=0)
results["initial_epoch"] = [history.epoch, history.history]
model = fresh()
results["steps_per_epoch_arrays"] = model.fit(x, targets, batch_size=5, steps_per_epoch=2,
                                              epochs=2, shuffle=False, verbose=0).history
results["predict_generator"] = model.predict(
    ((x[i:i + 6],) for i in range(0, 12, 6)), verbose=0)[:2]
emit(results)
