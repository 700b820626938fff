"""The DCGAN tutorial's shape at a tiny size: a Sequential generator (Dense, BatchNormalization,
LeakyReLU, Reshape, Conv2DTranspose) and discriminator (Conv2D, LeakyReLU, Dropout, Flatten,
Dense), BinaryCrossentropy(from_logits=True), two Adam optimizers, two tapes open at once over one
forward pass, a compiled train step, and a tf.train.Checkpoint of both models and optimizers."""

import os
import tempfile

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
NOISE_DIM, BATCH_SIZE = 8, 4
rng = np.random.default_rng(0)
train_images = rng.integers(0, 256, size=(8, 8, 8, 1)).astype("float32")
train_images = (train_images - 127.5) / 127.5  # to [-1, 1], as the tutorial does
results = {}


def make_generator_model():
    model = keras.Sequential()
    model.add(layers.Dense(2 * 2 * 16, use_bias=False, input_shape=(NOISE_DIM,)))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Reshape((2, 2, 16)))
    assert model.output_shape == (None, 2, 2, 16)
    model.add(layers.Conv2DTranspose(8, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    assert model.output_shape == (None, 2, 2, 8)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(4, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False,
                                     activation="tanh"))
    assert model.output_shape == (None, 8, 8, 1)
    return model


def make_discriminator_model(rate):
    model = keras.Sequential()
    model.add(layers.Conv2D(4, (5, 5), strides=(2, 2), padding="same", input_shape=[8, 8, 1]))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(rate))
    model.add(layers.Conv2D(8, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(rate))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model


def fix(model, seed):
    """Fixed weights; BatchNormalization's moving variance made positive."""
    set_fixed_weights(model, seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([gamma, beta, mean, np.abs(variance) + 0.5])


def describe(model):
    return [[layer.name, list(layer.output.shape), layer.count_params()]
            for layer in model.layers] + [model.count_params()]


# The random parts of the tutorial: shapes only.
generator = make_generator_model()
noise = tf.random.normal([1, NOISE_DIM])
generated_image = generator(noise, training=False)
discriminator = make_discriminator_model(0.3)
decision = discriminator(generated_image)
results["random_shapes"] = [list(generated_image.shape), list(decision.shape),
                           list(generated_image[0, :, :, 0].shape)]
results["generator"] = describe(generator)
results["discriminator"] = describe(discriminator)
results["dropout_trains"] = bool(np.any(
    discriminator.layers[2](tf.ones((2, 64)), training=True).numpy() == 0))

# Compared numbers: fixed weights, fixed noise, dropout rate 0.
generator = make_generator_model()
discriminator = make_discriminator_model(0.0)
fix(generator, 1)
fix(discriminator, 2)
cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    return real_loss + fake_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator_optimizer = keras.optimizers.Adam(1e-2)
discriminator_optimizer = keras.optimizers.Adam(1e-2)
noises = rng.normal(size=(4, BATCH_SIZE, NOISE_DIM)).astype("float32")


@tf.function
def train_step(images, noise):
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)
        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)
        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)
    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    generator_optimizer.apply_gradients(zip(gradients_of_generator,
                                            generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator,
                                                discriminator.trainable_variables))
    return gen_loss, disc_loss


train_dataset = tf.data.Dataset.from_tensor_slices(train_images).batch(BATCH_SIZE)
losses = []
for epoch in range(2):
    for i, image_batch in enumerate(train_dataset):
        gen_loss, disc_loss = train_step(image_batch, noises[2 * epoch + i])
        losses.append([float(gen_loss), float(disc_loss)])
results["losses"] = losses
seed = noises[0][:2]
predictions = generator(seed, training=False)
results["predictions"] = [list(predictions.shape), predictions.numpy()[0, :2, :2, 0]]
results["moving_mean"] = generator.layers[1].moving_mean.numpy()[:4]
results["iterations"] = [int(generator_optimizer.iterations.numpy()),
                         int(discriminator_optimizer.iterations.numpy())]

with tempfile.TemporaryDirectory() as checkpoint_dir:
    checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt")
    checkpoint = tf.train.Checkpoint(generator_optimizer=generator_optimizer,
                                     discriminator_optimizer=discriminator_optimizer,
                                     generator=generator, discriminator=discriminator)
    checkpoint.save(file_prefix=checkpoint_prefix)
    before = generator(seed, training=False).numpy()
    train_step(train_images[:BATCH_SIZE], noises[0])
    changed = not np.allclose(generator(seed, training=False).numpy(), before)
    checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))
    restored = np.allclose(generator(seed, training=False).numpy(), before)
results["checkpoint"] = [changed, restored]
emit(results)
