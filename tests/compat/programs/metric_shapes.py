"""A user's Metric subclass (add_weight / add_variable in __init__, update_state, result,
reset_state): the shapes and dtypes fit gives it, its values, and when it gets sample weights."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights, tf

x, labels, targets = data()


class Recorder(keras.metrics.Metric):
    """Counts hits of argmax(y_pred) == y_true, and records what update_state receives."""

    def __init__(self, name="hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
        self.calls = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.calls.append([list(y_true.shape)[1:], str(y_true.dtype.name if hasattr(
            y_true.dtype, "name") else y_true.dtype), list(y_pred.shape)[1:],
            sample_weight is not None])
        predicted = tf.cast(tf.argmax(y_pred, axis=-1), "float32")
        truth = tf.cast(tf.reshape(y_true, [-1]), "float32")
        self.hits.assign_add(tf.reduce_sum(tf.cast(tf.equal(predicted, truth), "float32")))
        self.seen.assign_add(tf.cast(tf.shape(truth)[0], "float32"))

    def result(self):
        return self.hits / self.seen

    def reset_state(self):
        self.hits.assign(0.0)
        self.seen.assign(0.0)


results = {}
for label, y, loss in [("sparse_flat", labels, "sparse_categorical_crossentropy"),
                       ("sparse_column", labels.reshape(-1, 1),
                        "sparse_categorical_crossentropy"),
                       ("float_labels", labels.astype("float32"),
                        "sparse_categorical_crossentropy")]:
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    set_fixed_weights(model)
    recorder = Recorder()
    weighted = Recorder(name="weighted_hits")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=[recorder],
                  weighted_metrics=[weighted])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        sample_weight=np.ones(12, dtype="float32"))
    results[label] = {"history": history.history,
                      "calls": sorted({str(c) for c in recorder.calls}),
                      "weighted_calls": sorted({str(c) for c in weighted.calls}),
                      "variables": [v.name for v in recorder.variables]}

standalone = Recorder()
standalone.update_state(np.array([0, 1, 2]), np.eye(3, dtype="float32")[[0, 2, 2]])
first = float(standalone.result())
standalone.reset_state()
standalone.update_state(np.array([1]), np.eye(3, dtype="float32")[[1]])
results["standalone"] = [first, float(standalone.result())]

mean = keras.metrics.Mean()
mean.update_state([1.0, 3.0])
mean.update_state([5.0], sample_weight=[2.0])
results["mean"] = float(mean.result())
emit(results)
