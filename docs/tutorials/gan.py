"""Chapter — generative adversarial networks: a small DCGAN on the digits, two ways, its score."""

import numpy as np

import profond as tf
from profond import viz
from profond.datasets import digits
from profond.generative import check_gan, frechet_distance

L = tf.keras.layers

# %% data
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = (x_train[..., None] / 8 - 1).astype("float32")  # 0–16 → [−1, 1], as tanh gives
x_test = (x_test[..., None] / 8 - 1).astype("float32")
print("real images:", x_train.shape, "values", x_train.min(), "to", x_train.max())

# %% models
latent_dim = 16


def build_generator():
    return tf.keras.Sequential([
        L.Input((latent_dim,)),
        L.Dense(4 * 4 * 32), L.LeakyReLU(0.2), L.Reshape((4, 4, 32)),
        L.Conv2DTranspose(32, 4, strides=2, padding="same"),    # 4×4 → 8×8
        L.BatchNormalization(), L.LeakyReLU(0.2),
        L.Conv2D(1, 3, padding="same", activation="tanh"),      # one channel in [−1, 1]
    ], name="generator")


def build_discriminator():
    return tf.keras.Sequential([
        L.Input((8, 8, 1)),
        L.Conv2D(32, 3, strides=2, padding="same"), L.LeakyReLU(0.2),   # 8×8 → 4×4
        L.Conv2D(64, 3, strides=2, padding="same"), L.LeakyReLU(0.2),   # 4×4 → 2×2
        L.Flatten(), L.Dropout(0.2),
        L.Dense(1),                                              # a logit: "real" when high
    ], name="discriminator")


tf.keras.utils.set_random_seed(0)
generator, discriminator = build_generator(), build_discriminator()
check_gan(generator, discriminator, latent_dim)   # the shapes fit, or a clear error now
print(f"generator: {generator.count_params():,} weights, "
      f"discriminator: {discriminator.count_params():,}")

# %% losses
bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_logits, fake_logits):
    """J_D = BCE(1, D(x)) + BCE(0, D(G(z))): real images labelled 1, generated ones 0."""
    return bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits),
                                                             fake_logits)


def generator_loss(fake_logits):
    """J_G = BCE(1, D(G(z))): G wants D to say "real" (the non-saturating loss)."""
    return bce(tf.ones_like(fake_logits), fake_logits)


# %% subclass
class GAN(tf.keras.Model):
    """D and G trained in turn by fit(): train_step does one step of each."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator, self.generator = discriminator, generator
        self.d_loss_tracker = tf.keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = tf.keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        n = real_images.shape[0]
        # 1. the discriminator learns to tell real from generated
        fake_images = self.generator(tf.random.normal((n, latent_dim)), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
        weights = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        # 2. the generator learns to fool the (updated) discriminator, with fresh codes
        with tf.GradientTape() as tape:
            fake_images = self.generator(tf.random.normal((n, latent_dim)), training=True)
            g_loss = generator_loss(self.discriminator(fake_images, training=True))
        weights = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}


gan = GAN(discriminator, generator)
gan.compile(d_optimizer=tf.keras.optimizers.Adam(2e-3, beta_1=0.5),
            g_optimizer=tf.keras.optimizers.Adam(2e-3, beta_1=0.5))
history = gan.fit(x_train, epochs=12, batch_size=64, verbose=0).history
for epoch in (0, 3, 7, 11):
    print(f"epoch {epoch + 1:2d}  d_loss {history['d_loss'][epoch]:.3f}  "
          f"g_loss {history['g_loss'][epoch]:.3f}")

# %% two_tapes
tf.keras.utils.set_random_seed(1)
g2, d2 = build_generator(), build_discriminator()
g_optimizer = tf.keras.optimizers.Adam(2e-3, beta_1=0.5)
d_optimizer = tf.keras.optimizers.Adam(2e-3, beta_1=0.5)
dataset = tf.data.Dataset.from_tensor_slices(x_train).shuffle(len(x_train), seed=0).batch(64)
for epoch in range(2):
    for real_images in dataset:
        z = tf.random.normal((real_images.shape[0], latent_dim))
        # one forward pass, recorded by both tapes; each network takes its own gradient
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = g2(z, training=True)
            real_logits = d2(real_images, training=True)
            fake_logits = d2(fake_images, training=True)
            g_loss = generator_loss(fake_logits)
            d_loss = discriminator_loss(real_logits, fake_logits)
        g_grads = g_tape.gradient(g_loss, g2.trainable_variables)
        d_grads = d_tape.gradient(d_loss, d2.trainable_variables)
        g_optimizer.apply_gradients(zip(g_grads, g2.trainable_variables))
        d_optimizer.apply_gradients(zip(d_grads, d2.trainable_variables))
    print(f"loop, epoch {epoch + 1}: d_loss {float(d_loss):.3f}  g_loss {float(g_loss):.3f}")

# %% samples
samples = generator.predict(tf.random.normal((32, latent_dim)), verbose=0)
viz.show_images(samples[..., 0] * 0.5 + 0.5, ncols=16)  # back to [0, 1] to draw them

# %% score
tf.keras.utils.set_random_seed(0)
judge = tf.keras.Sequential([
    L.Input((8, 8, 1)),
    L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(),
    L.Flatten(), L.Dense(64, activation="relu", name="features"), L.Dense(10),
])
judge.compile(optimizer="adam", metrics=["accuracy"],
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
judge.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
accuracy = judge.evaluate(x_test, y_test, verbose=0)[1]
print(f"the judge, a digit classifier: test accuracy {accuracy:.3f}")
features = tf.keras.Model(judge.inputs, judge.get_layer("features").output)


def score(images):
    """Mean top-class probability, share of each class, Fréchet distance to the test images."""
    probs = tf.nn.softmax(judge.predict(images, verbose=0)).numpy()
    shares = np.bincount(probs.argmax(1), minlength=10) / len(probs)
    fd = frechet_distance(features.predict(images, verbose=0), features.predict(x_test, verbose=0))
    return probs.max(1).mean(), shares, fd


n = len(x_test)
top, shares, fd = score(generator.predict(tf.random.normal((n, latent_dim)), verbose=0))
_, _, fd_best = score(x_train[:n])
_, _, fd_worst = score(build_generator().predict(tf.random.normal((n, latent_dim)), verbose=0))
print(f"generated digits: mean top-class probability {top:.3f}")
print("share of each class:", np.round(shares, 2))
print(f"Fréchet distance to the test digits: generated {fd:.2f}, real training digits "
      f"{fd_best:.2f} (the best), untrained generator {fd_worst:.2f}")
