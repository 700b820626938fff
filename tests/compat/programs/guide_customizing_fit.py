"""The "customizing what happens in fit()" guide at a tiny size: train_step with
self.compute_loss and the self.metrics loop, a lower-level version with its own trackers and no
compiled loss, sample weights, a custom test_step, TF-Keras's compiled_loss / compiled_metrics,
and a GAN whose compile takes two optimizers and a loss function."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 6)).astype("float32")
y = rng.normal(size=(16, 1)).astype("float32")
sw = np.linspace(0.2, 1.8, 16).astype("float32")
results = {}


class CustomModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def functional(cls):
    inputs = keras.Input(shape=(6,))
    outputs = layers.Dense(1)(inputs)
    model = cls(inputs, outputs)
    set_fixed_weights(model)
    return model


model = functional(CustomModel)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
results["fit"] = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
results["metrics"] = [m.name for m in model.metrics]
results["fit_weighted"] = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=2,
                                    shuffle=False, verbose=0).history
results["evaluate"] = model.evaluate(x, y, batch_size=8, verbose=0)
results["evaluate_dict"] = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)


class LowLevel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


model = functional(LowLevel)
model.compile(optimizer=keras.optimizers.Adam(0.01))
results["low_level"] = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
results["low_level_reset"] = [float(m.result()) for m in model.metrics]


class TFKeras2Style(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


model = functional(TFKeras2Style)
model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
results["compiled_loss"] = model.fit(x, y, batch_size=8, epochs=2, shuffle=False,
                                     verbose=0).history

# The GAN of the guide: 4x4 "digits", latent vectors taken from the images for compared numbers.
LATENT_DIM = 3
images = rng.uniform(size=(8, 4, 4, 1)).astype("float32")
discriminator = keras.Sequential(
    [keras.Input(shape=(4, 4, 1)), layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same"),
     layers.LeakyReLU(negative_slope=0.2), layers.GlobalMaxPooling2D(), layers.Dense(1)],
    name="discriminator")
generator = keras.Sequential(
    [keras.Input(shape=(LATENT_DIM,)), layers.Dense(2 * 2 * 4),
     layers.LeakyReLU(negative_slope=0.2), layers.Reshape((2, 2, 4)),
     layers.Conv2DTranspose(4, (4, 4), strides=(2, 2), padding="same"),
     layers.LeakyReLU(negative_slope=0.2), layers.Conv2D(1, (3, 3), padding="same",
                                                         activation="sigmoid")],
    name="generator")
set_fixed_weights(discriminator, 2)
set_fixed_weights(generator, 3)


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = tf.reshape(real_images, (batch_size, -1))[:, :self.latent_dim]
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors = 1.0 - random_latent_vectors
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


gan = GAN(discriminator=discriminator, generator=generator, latent_dim=LATENT_DIM)
gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.003),
            g_optimizer=keras.optimizers.Adam(learning_rate=0.003),
            loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)
results["gan"] = gan.fit(dataset, epochs=2, verbose=0).history
results["gan_iterations"] = [int(gan.d_optimizer.iterations.numpy()),
                             int(gan.g_optimizer.iterations.numpy())]
seed_generator = keras.random.SeedGenerator(1337)
first = keras.random.normal(shape=(4, LATENT_DIM), seed=seed_generator)
second = keras.random.normal(shape=(4, LATENT_DIM), seed=seed_generator)
results["seed_generator"] = [list(first.shape), bool(np.any(first.numpy() != second.numpy()))]
results["generated"] = generator(images[:1, 0, :LATENT_DIM, 0]).numpy()[0, :2, :2, 0]
emit(results)
