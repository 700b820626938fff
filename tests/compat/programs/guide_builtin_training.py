"""The "training & evaluation with built-in methods" guide at a tiny size: compile with objects
and with strings, several metrics, a custom loss function and a Loss subclass, a custom Metric
subclass, add_loss in a layer, class_weight and sample_weight, fit on a Dataset with
steps_per_epoch / validation_steps, callbacks (EarlyStopping, ModelCheckpoint,
LearningRateScheduler, TensorBoard, a user's Callback) and a learning-rate schedule; also
validation_split, a weighted Dataset, a PyDataset, and a two-input two-output model."""

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

model = get_compiled_model()
results["validation_split"] = fit(model, x_train, y_train, batch_size=8, validation_split=0.2,
                                  epochs=2)
weighted_dataset = tf.data.Dataset.from_tensor_slices(
    (x_train, y_train, sample_weight)).batch(10)
model = get_compiled_model()
results["dataset_sample_weight"] = fit(model, weighted_dataset, epochs=2)


class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
        return batch_x, batch_y


model = get_compiled_model()
results["py_dataset"] = fit(model, ExamplePyDataset(x_train, y_train, batch_size=8), epochs=2,
                            validation_data=ExamplePyDataset(x_val, y_val, batch_size=8))

# A model with two inputs and two outputs: losses and metrics per output, as lists and dicts.
image_input = keras.Input(shape=(6, 6, 1), name="img_input")
timeseries_input = keras.Input(shape=(None, 3), name="ts_input")
x1 = layers.Conv2D(2, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)
x2 = layers.Conv1D(2, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)
x = layers.concatenate([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(4, name="class_output")(x)
model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
set_fixed_weights(model)
img_data = rng.normal(size=(12, 6, 6, 1)).astype("float32")
ts_data = rng.normal(size=(12, 5, 3)).astype("float32")
score_targets = rng.normal(size=(12, 1)).astype("float32")
class_targets = rng.integers(0, 4, size=(12,))
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-2),
    loss={"score_output": keras.losses.MeanSquaredError(),
          "class_output": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
    metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(),
                              keras.metrics.MeanAbsoluteError()],
             "class_output": [keras.metrics.SparseCategoricalAccuracy()]},
    loss_weights={"score_output": 2.0, "class_output": 1.0})
results["multi_output_dicts"] = fit(
    model, {"img_input": img_data, "ts_input": ts_data},
    {"score_output": score_targets, "class_output": class_targets}, batch_size=4, epochs=2)
model.compile(optimizer=keras.optimizers.RMSprop(1e-2),
              loss=[keras.losses.MeanSquaredError(),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True)],
              loss_weights=[0.5, 1.0])
results["multi_output_lists"] = fit(model, [img_data, ts_data], [score_targets, class_targets],
                                    batch_size=6, epochs=1)


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
with tempfile.TemporaryDirectory() as log_dir:
    tensorboard_callback = keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1,
                                                       update_freq="epoch")
    results["schedule"] = fit(model, x_train, y_train, batch_size=10, epochs=2,
                              validation_data=(x_val, y_val), callbacks=[tensorboard_callback])
    results["tensorboard_runs"] = sorted(
        run for run in os.listdir(log_dir)
        if any(name.startswith("events.out.tfevents") for name in os.listdir(
            os.path.join(log_dir, run))))
results["schedule_values"] = [float(lr_schedule(step)) for step in range(5)]
results["schedule_config"] = lr_schedule.get_config()
emit(results)
