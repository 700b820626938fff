"""The expert quickstart's path (TF tutorial "quickstart for experts"): MNIST-shaped images with a
channel axis added by ``tf.newaxis``, ``tf.data`` pipelines with shuffle and batch, a subclassed
Model of Conv2D / Flatten / Dense, ``@tf.function`` train and test steps with a GradientTape, the
Mean and SparseCategoricalAccuracy metrics called as functions and reset each epoch, and the
tutorial's per-epoch print with f-string formatting of the metric results."""

import importlib

import numpy as np
from _common import emit, tf

# The tutorial's `from tensorflow.keras.layers import Dense, Flatten, Conv2D` and
# `from tensorflow.keras import Model`, through the framework's real module paths.
Model = importlib.import_module(f"{tf.__name__}.keras").Model
keras_layers = importlib.import_module(f"{tf.__name__}.keras.layers")
Conv2D, Dense, Flatten = keras_layers.Conv2D, keras_layers.Dense, keras_layers.Flatten

rng = np.random.default_rng(0)
x_train = rng.integers(0, 256, size=(48, 28, 28), dtype=np.uint8) / 255.0
y_train = rng.integers(0, 10, size=(48,)).astype(np.uint8)
x_test = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8) / 255.0
y_test = rng.integers(0, 10, size=(20,)).astype(np.uint8)
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")
results = {"x_train": [list(x_train.shape), str(x_train.dtype)]}

# The tutorial shuffles: the order is random, so only what shuffling keeps is compared.
shuffled = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(10000).batch(32)
batches = [(images.shape, labels) for images, labels in shuffled]
results["shuffled"] = [[list(shape) for shape, _ in batches],
                       sorted(np.concatenate([labels.numpy() for _, labels in batches]).tolist())
                       == sorted(y_train.tolist())]
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(8, 3, activation="relu")
        self.flatten = Flatten()
        self.d1 = Dense(32, activation="relu")
        self.d2 = Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


model = MyModel()
model(x_train[:1])
# Fixed initial weights of a sensible size: N(0, 1/fan_in) kernels, small biases.
fixed = np.random.default_rng(1)
model.set_weights([
    (fixed.normal(size=w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
     else fixed.normal(scale=0.1, size=w.shape)).astype(w.dtype)
    for w in model.get_weights()])
results["variables"] = [[v.name, list(v.shape)] for v in model.trainable_variables]

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam()
train_loss = tf.keras.metrics.Mean(name="train_loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
test_loss = tf.keras.metrics.Mean(name="test_loss")
test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)
    test_loss(t_loss)
    test_accuracy(labels, predictions)


printed, values = [], []
for epoch in range(3):
    train_loss.reset_state()
    train_accuracy.reset_state()
    test_loss.reset_state()
    test_accuracy.reset_state()
    for images, labels in train_ds:
        train_step(images, labels)
    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)
    printed.append(
        f"Epoch {epoch + 1}, "
        f"Loss: {train_loss.result():0.2f}, "
        f"Accuracy: {train_accuracy.result() * 100:0.2f}, "
        f"Test Loss: {test_loss.result():0.2f}, "
        f"Test Accuracy: {test_accuracy.result() * 100:0.2f}")
    values.append([float(m.result()) for m in (train_loss, train_accuracy, test_loss,
                                                 test_accuracy)])
results["printed"] = printed
results["values"] = values
results["optimizer_iterations"] = int(optimizer.iterations.numpy())
results["metric_names"] = [m.name for m in (train_loss, train_accuracy, test_loss,
                                            test_accuracy)]
emit(results)
