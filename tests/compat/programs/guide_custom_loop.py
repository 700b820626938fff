"""The custom training loop of the Keras guides: a Dataset of (x, y) batches, GradientTape,
optimizer.apply_gradients (and Keras 3's optimizer.apply), metrics driven by update_state /
result / reset_state, the same steps under @tf.function, and a layer that adds a loss in call,
read back from model.losses."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
rng = np.random.default_rng(0)
x_train = rng.normal(size=(24, 8)).astype("float32")
y_train = rng.integers(0, 4, size=(24,))
x_val, y_val = x_train[:8], y_train[:8]
results = {}


def make_model():
    inputs = keras.Input(shape=(8,), name="digits")
    x1 = layers.Dense(16, activation="relu")(inputs)
    x2 = layers.Dense(16, activation="relu")(x1)
    outputs = layers.Dense(4, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    set_fixed_weights(model)
    return model


# The guide shuffles the training set; here the batches keep their order, for compared numbers.
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(8)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(8)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

# Eager loop.
model = make_model()
optimizer = keras.optimizers.Adam(learning_rate=1e-2)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
eager = {"loss": [], "acc": [], "val_acc": []}
for _epoch in range(2):
    for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
        with tf.GradientTape() as tape:
            logits = model(x_batch_train, training=True)
            loss_value = loss_fn(y_batch_train, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc_metric.update_state(y_batch_train, logits)
        eager["loss"].append(float(loss_value))
        steps_per_epoch = step + 1
    eager["acc"].append(float(train_acc_metric.result()))
    train_acc_metric.reset_state()
    for x_batch_val, y_batch_val in val_dataset:
        val_acc_metric.update_state(y_batch_val, model(x_batch_val, training=False))
    eager["val_acc"].append(float(val_acc_metric.result()))
    val_acc_metric.reset_state()
results["eager"] = eager
results["steps_per_epoch"] = steps_per_epoch
results["after_reset"] = float(train_acc_metric.result())
results["grads"] = [len(grads), [list(g.shape) for g in grads]]
results["optimizer_iterations"] = int(optimizer.iterations.numpy())
shuffled = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(buffer_size=1024)
epoch_1 = [int(y) for _, y in shuffled]
epoch_2 = [int(y) for _, y in shuffled]
results["shuffle_is_permutation"] = [sorted(epoch_1) == sorted(y_train.tolist()),
                                     sorted(epoch_2) == sorted(epoch_1)]
results["weights_after"] = [w.numpy() for w in model.trainable_weights[-1:]]

# The same loop with compiled steps.
model = make_model()
optimizer = keras.optimizers.Adam(learning_rate=1e-2)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply(grads, model.trainable_weights)
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function
def test_step(x, y):
    val_logits = model(x, training=False)
    val_acc_metric.update_state(y, val_logits)


compiled = {"loss": [], "acc": [], "val_acc": []}
for _epoch in range(2):
    for x_batch_train, y_batch_train in train_dataset:
        compiled["loss"].append(float(train_step(x_batch_train, y_batch_train)))
    compiled["acc"].append(float(train_acc_metric.result()))
    train_acc_metric.reset_state()
    for x_batch_val, y_batch_val in val_dataset:
        test_step(x_batch_val, y_batch_val)
    compiled["val_acc"].append(float(val_acc_metric.result()))
    val_acc_metric.reset_state()
results["compiled"] = compiled


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-2 * tf.reduce_sum(inputs))
        return inputs


inputs = keras.Input(shape=(8,), name="digits")
x = layers.Dense(16, activation="relu")(inputs)
x = ActivityRegularizationLayer()(x)
x = layers.Dense(16, activation="relu")(x)
outputs = layers.Dense(4, name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
set_fixed_weights(model)
optimizer = keras.optimizers.SGD(learning_rate=0.05)


@tf.function
def train_step_with_losses(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
        extra = sum(model.losses)
        loss_value += extra
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    return loss_value, extra


with_losses = []
for x_batch_train, y_batch_train in train_dataset:
    loss_value, extra = train_step_with_losses(x_batch_train, y_batch_train)
    with_losses.append([float(loss_value), float(extra)])
results["with_layer_losses"] = with_losses

# The guide's GAN adds random noise to its labels: shapes and ranges only.
labels = tf.concat([tf.ones((4, 1)), tf.zeros((4, 1))], axis=0)
noisy_labels = labels + 0.05 * tf.random.uniform(labels.shape)
results["label_noise"] = [list(noisy_labels.shape), bool(tf.reduce_all(noisy_labels >= labels)),
                          bool(tf.reduce_all(noisy_labels < labels + 0.05))]
model(x_train[:4])
results["losses_after_call"] = [len(model.losses), float(model.losses[0])]
emit(results)
