"""A subclassed model with its own train_step and metric trackers (Keras guide pattern), and what
train_step / test_step / predict_step receive for each kind of data."""

import numpy as np
from _common import data, emit, keras, set_fixed_weights, tf

x, labels, targets = data()
received = []


def shape_of(part):
    """The shape without the batch size (TensorFlow traces each step with an unknown one)."""
    if part is None:
        return None
    if isinstance(part, (list, tuple)):
        return [shape_of(p) for p in part]
    return list(part.shape)[1:]


def describe(data):
    if isinstance(data, tuple):
        return ["tuple", [shape_of(p) for p in data]]
    return ["single", shape_of(data)]


class Tracked(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.mse = keras.losses.MeanSquaredError()

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        received.append(["train"] + describe(data))
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.mse(y, y_pred, sample_weight=sample_weight)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        received.append(["test"] + describe(data))
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.mse(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def predict_step(self, data):
        received.append(["predict"] + describe(data))
        return super().predict_step(data)

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


model = Tracked()
model(x[:1])
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.1))
history = model.fit(x, targets, batch_size=4, epochs=3, shuffle=False, verbose=0,
                    validation_data=(x[:8], targets[:8]))
weighted = model.fit(x, targets, sample_weight=np.linspace(0.5, 1.5, 12), batch_size=6,
                     epochs=1, shuffle=False, verbose=0)
evaluation = model.evaluate(x, targets, batch_size=6, verbose=0, return_dict=True)
model.predict(x, batch_size=6, verbose=0)


class Unsupervised(keras.Model):
    """fit(x) without targets: what does train_step receive?"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)
        self.tracker = keras.metrics.Mean(name="energy")

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        received.append(["unsupervised"] + describe(data))
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            energy = tf.reduce_mean(tf.square(self(x, training=True)))
        grads = tape.gradient(energy, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.tracker.update_state(energy)
        return {"energy": self.tracker.result()}


unsupervised = Unsupervised()
unsupervised(x[:1])
set_fixed_weights(unsupervised, seed=2)
unsupervised.compile(optimizer=keras.optimizers.SGD(0.05))
energy = unsupervised.fit(x, batch_size=6, epochs=2, shuffle=False, verbose=0)

emit({"history": history.history, "weighted": weighted.history, "evaluate": evaluation,
      "energy": energy.history, "received": sorted({str(r) for r in received}),
      "metrics": [m.name for m in model.metrics]})
