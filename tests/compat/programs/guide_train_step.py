"""The custom train_step patterns of the Keras guides: Keras 3's compute_loss + self.metrics
loop (with compile_metrics), TF-Keras 2's compiled_loss / compiled_metrics, and
compute_metrics; plus a metric whose result is a dict."""

from _common import data, emit, keras, set_fixed_weights, tf

x, labels, targets = data()


class Keras3Style(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class ComputeMetricsStyle(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self.compute_metrics(x, y, y_pred, None)


class TwoStats(keras.metrics.Metric):
    """A metric whose result is a dict: each key becomes a log entry."""

    def __init__(self, name="two_stats", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(tf.reduce_sum(y_pred))
        self.count.assign_add(tf.cast(tf.shape(y_pred)[0], "float32"))

    def result(self):
        return {"mean_output": self.total / self.count, "seen": self.count}


def build(cls, metrics):
    inputs = keras.Input((4,))
    model = cls(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    set_fixed_weights(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=metrics)
    return model


results = {}
model = build(Keras3Style, ["accuracy"])
results["keras3"] = model.fit(x, labels, batch_size=4, epochs=2, shuffle=False,
                              verbose=0).history
results["keras3_metrics"] = [m.name for m in model.metrics]
model = build(ComputeMetricsStyle, ["accuracy", TwoStats()])
results["compute_metrics"] = model.fit(x, labels, batch_size=4, epochs=2, shuffle=False,
                                       verbose=0).history
results["evaluate"] = model.evaluate(x, labels, verbose=0)
results["evaluate_dict"] = model.evaluate(x, labels, verbose=0, return_dict=True)
model = build(keras.Model, ["accuracy"])
model.make_train_function()
results["make_train_function"] = callable(model.train_function)
emit(results)
