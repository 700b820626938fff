"""The weather-forecasting example at a tiny size: a multivariate series normalized with the
training split's mean and std, windows cut by keras.utils.timeseries_dataset_from_array
(sequence_length, sampling_rate, sequence_stride, start/end indices, targets shifted into the
future), an LSTM regression fit on the window Dataset with a validation Dataset, EarlyStopping and
a weights-only ModelCheckpoint, then predictions on a few validation windows."""

import os
import tempfile

import numpy as np
from _common import emit, keras, set_fixed_weights

rng = np.random.default_rng(0)
hours = np.arange(120, dtype="float32")
series = np.stack([np.sin(hours / 6.0) * 10 + 5, np.cos(hours / 9.0) * 3 + 1000,
                   rng.normal(size=120) * 2 + 60], axis=1).astype("float32")
split_fraction, step, past, future = 0.75, 2, 12, 3
train_split = int(split_fraction * len(series))
results = {}

mean = series[:train_split].mean(axis=0)
std = series[:train_split].std(axis=0)
features = (series - mean) / std
train_data, val_data = features[:train_split], features[train_split:]

# Windows of `past` hours sampled every `step` hours; target: feature 0, `future` hours later.
start = past + future
x_train = train_data
y_train = features[start:train_split + start, [0]]
sequence_length = past // step
batch_size = 8
dataset_train = keras.utils.timeseries_dataset_from_array(
    x_train, y_train, sequence_length=sequence_length, sampling_rate=step,
    batch_size=batch_size)
x_end = len(val_data) - past - future
x_val = val_data[:x_end]
y_val = features[train_split + start:, [0]]
dataset_val = keras.utils.timeseries_dataset_from_array(
    x_val, y_val, sequence_length=sequence_length, sampling_rate=step, batch_size=batch_size)

for batch in dataset_train.take(1):
    inputs, targets = batch
results["first_batch"] = [list(inputs.shape), list(targets.shape), inputs.numpy()[0, :2],
                          targets.numpy()[:2]]
results["batches"] = [sum(1 for _ in dataset_train), sum(1 for _ in dataset_val)]
results["windows"] = [int(sum(x.shape[0] for x, _ in dataset_train)),
                      int(sum(x.shape[0] for x, _ in dataset_val))]

# The API's other arguments on a series one can read at a glance.
counting = np.arange(20)
strided = keras.utils.timeseries_dataset_from_array(
    counting, counting * 10, sequence_length=4, sequence_stride=3, sampling_rate=2,
    start_index=1, end_index=18, batch_size=2)
results["strided"] = [[x.numpy(), y.numpy()] for x, y in strided]
unlabelled = keras.utils.timeseries_dataset_from_array(counting, None, sequence_length=5,
                                                       batch_size=4)
results["unlabelled"] = [x.numpy().tolist() for x in unlabelled][-1]

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(8)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)
model = keras.Model(inputs=inputs, outputs=outputs)
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
results["summary"] = [[layer.name, str(layer.output.shape), layer.count_params()]
                      for layer in model.layers]

with tempfile.TemporaryDirectory() as folder:
    path_checkpoint = os.path.join(folder, "model_checkpoint.weights.h5")
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=2)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss", filepath=path_checkpoint, verbose=0, save_weights_only=True,
        save_best_only=True)
    history = model.fit(dataset_train, epochs=4, validation_data=dataset_val,
                        callbacks=[es_callback, modelckpt_callback], verbose=0)
    results["history"] = history.history
    results["checkpoint_written"] = os.path.exists(path_checkpoint)
    last = model.predict(dataset_val, verbose=0)
    model.load_weights(path_checkpoint)
    best = model.predict(dataset_val, verbose=0)
results["predict"] = [list(last.shape), last[:3, 0]]
results["best_epoch_weights"] = best[:3, 0]
for x, y in dataset_val.take(2):
    results.setdefault("take", []).append([model.predict(x, verbose=0)[0], y[0].numpy()])
emit(results)
