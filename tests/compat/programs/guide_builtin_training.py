"""The "training & evaluation with built-in methods" guide at a tiny size: compile with objects
and with strings, several metrics, a custom loss function and a Loss subclass, a custom Metric
subclass, add_loss in a layer, class_weight and sample_weight, fit on a Dataset with
steps_per_epoch / validation_steps, callbacks (EarlyStopping, ModelCheckpoint,
LearningRateScheduler, a user's Callback) and a learning-rate schedule."""

import os
import tempfile

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

ops = keras.ops
layers = keras.layers
rng = np.random.default_rng(0)
x_train = rng.normal(size=(40, 12)).astype("float32")
y_train = rng.integers(0, 5, size=(40,))
x_val, y_val = x_train[-10:], y_train[-10:]
x_train, y_train = x_train[:-10], y_train[:-10]
results = {}


def get_uncompiled_model():
    inputs = keras.Input(shape=(12,), name="digits")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(5, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    set_fixed_weights(model)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def fit(model, *args, **kwargs):
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("shuffle", False)
    return model.fit(*args, **kwargs).history


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-2),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[keras.metrics.SparseCategoricalAccuracy(),
                       keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
results["fit"] = fit(model, x_train, y_train, batch_size=8, epochs=2,
                     validation_data=(x_val, y_val))
results["evaluate"] = model.evaluate(x_val, y_val, batch_size=4, verbose=0)
results["metrics_names"] = model.metrics_names
predictions = model.predict(x_val[:3], verbose=0)
results["predict"] = [list(predictions.shape), predictions[0]]

model = get_compiled_model()
results["strings"] = fit(model, x_train, y_train, batch_size=10, epochs=2)
results["string_names"] = [m.name for m in model.metrics]


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


y_train_one_hot = ops.one_hot(y_train, num_classes=5)
model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=custom_mean_squared_error)
results["loss_function"] = fit(model, x_train, y_train_one_hot, batch_size=10, epochs=2)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=CustomMSE())
results["loss_class"] = fit(model, x_train, y_train_one_hot, batch_size=10, epochs=2)
results["loss_class_call"] = CustomMSE()(y_train_one_hot[:4], model(x_train[:4]))


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-2),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[CategoricalTruePositives()])
results["custom_metric"] = fit(model, x_train, y_train, batch_size=10, epochs=2)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs


inputs = keras.Input(shape=(12,), name="digits")
x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
x = ActivityRegularizationLayer()(x)
x = layers.Dense(16, activation="relu", name="dense_2")(x)
outputs = layers.Dense(5, name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
results["add_loss"] = fit(model, x_train, y_train, batch_size=10, epochs=2)

class_weight = {0: 1.0, 1: 1.0, 2: 2.0, 3: 1.0, 4: 0.5}
model = get_compiled_model()
results["class_weight"] = fit(model, x_train, y_train, class_weight=class_weight,
                              batch_size=10, epochs=2)
sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 2] = 2.0
model = get_compiled_model()
results["sample_weight"] = fit(model, x_train, y_train, sample_weight=sample_weight,
                               batch_size=10, epochs=2)
results["sample_weight_eval"] = model.evaluate(x_val, y_val, sample_weight=np.linspace(
    0.5, 1.5, 10), verbose=0, return_dict=True)

train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(6).repeat()
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(4)
model = get_compiled_model()
results["dataset"] = fit(model, train_dataset, epochs=2, steps_per_epoch=3,
                         validation_data=val_dataset, validation_steps=2)
results["dataset_eval"] = model.evaluate(val_dataset, verbose=0, return_dict=True)


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs=None):
        self.per_batch_losses.append(logs.get("loss"))


def scheduler(epoch, lr):
    return lr if epoch < 1 else lr * 0.5


with tempfile.TemporaryDirectory() as folder:
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss_history = LossHistory()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=1,
                                      verbose=0),
        keras.callbacks.ModelCheckpoint(filepath=os.path.join(folder, "mymodel_{epoch}.keras"),
                                        save_best_only=True, monitor="val_loss", verbose=0),
        keras.callbacks.LearningRateScheduler(scheduler),
        loss_history,
    ]
    history = fit(model, x_train, y_train, batch_size=10, epochs=12, callbacks=callbacks,
                  validation_data=(x_val, y_val))
    saved = sorted(os.listdir(folder))
    best = keras.models.load_model(os.path.join(folder, saved[-1]))
    results["reloaded_best"] = best.predict(x_val[:2], verbose=0)
results["callbacks"] = history
results["epochs_run"] = len(history["loss"])
results["checkpoints"] = saved
results["per_batch_losses"] = loss_history.per_batch_losses[:4]
results["learning_rate_now"] = float(ops.convert_to_numpy(model.optimizer.learning_rate))

initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=2, decay_rate=0.5, staircase=True)
model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=lr_schedule),
              loss="sparse_categorical_crossentropy")
results["schedule"] = fit(model, x_train, y_train, batch_size=10, epochs=2)
results["schedule_values"] = [float(lr_schedule(step)) for step in range(5)]
results["schedule_config"] = lr_schedule.get_config()
emit(results)
