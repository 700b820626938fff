"""The "intro to autoencoders" tutorial at a tiny size: a subclassed Dense autoencoder whose
encoder and decoder are Sequential attributes, a denoising convolutional one (Conv2D down,
Conv2DTranspose up) trained on noisy images clipped with tf.clip_by_value, and anomaly detection
on ECG-like rows: min-max scaling, training on normal rows only with an MAE loss, a threshold of
mean + std of the reconstruction error, and the rows flagged by tf.math.less."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
losses = keras.losses
rng = np.random.default_rng(0)
results = {}

# Basic autoencoder on 6x6 "images".
x_train = rng.uniform(size=(16, 6, 6)).astype("float32")
x_test = rng.uniform(size=(8, 6, 6)).astype("float32")


class Autoencoder(keras.Model):
    def __init__(self, latent_dim, shape):
        super().__init__()
        self.latent_dim = latent_dim
        self.shape = shape
        self.encoder = keras.Sequential([
            layers.Flatten(),
            layers.Dense(latent_dim, activation="relu"),
        ])
        self.decoder = keras.Sequential([
            layers.Dense(int(tf.math.reduce_prod(shape).numpy()), activation="sigmoid"),
            layers.Reshape(shape),
        ])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


shape = x_test.shape[1:]
autoencoder = Autoencoder(4, shape)
autoencoder(x_train[:1])
set_fixed_weights(autoencoder)
autoencoder.compile(optimizer="adam", loss=losses.MeanSquaredError())
results["basic"] = autoencoder.fit(x_train, x_train, epochs=2, batch_size=8, shuffle=False,
                                   validation_data=(x_test, x_test), verbose=0).history
encoded_imgs = autoencoder.encoder(x_test).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
results["encoded"] = [list(encoded_imgs.shape), encoded_imgs[0]]
results["decoded"] = [list(decoded_imgs.shape), decoded_imgs[0, 0, :3]]
results["weights"] = [len(autoencoder.weights), len(autoencoder.encoder.weights)]

# Denoising: the random noise of the tutorial (shapes only), then fixed noise.
images = rng.uniform(size=(8, 8, 8, 1)).astype("float32")
noise_factor = 0.2
noisy = images + noise_factor * tf.random.normal(shape=images.shape)
results["random_noise"] = [list(noisy.shape), noisy.dtype.name]
noisy = images + noise_factor * rng.normal(size=images.shape).astype("float32")
noisy = tf.clip_by_value(noisy, clip_value_min=0.0, clip_value_max=1.0)
results["clipped"] = [float(tf.reduce_min(noisy)), float(tf.reduce_max(noisy))]


class Denoise(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = keras.Sequential([
            layers.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, (3, 3), activation="relu", padding="same", strides=2),
            layers.Conv2D(2, (3, 3), activation="relu", padding="same", strides=2)])
        self.decoder = keras.Sequential([
            layers.Conv2DTranspose(2, kernel_size=3, strides=2, activation="relu",
                                   padding="same"),
            layers.Conv2DTranspose(4, kernel_size=3, strides=2, activation="relu",
                                   padding="same"),
            layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same")])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


denoiser = Denoise()
denoiser(images[:1])
set_fixed_weights(denoiser, 2)
denoiser.compile(optimizer="adam", loss=losses.MeanSquaredError())
results["denoise"] = denoiser.fit(noisy, images, epochs=2, batch_size=4, shuffle=False,
                                  validation_data=(noisy, images), verbose=0).history
# Shapes without the batch axis: a Sequential without an Input that is first called eagerly keeps
# that call's batch size (1 here) in Keras and None in profond (a known difference).
results["denoise_layers"] = [
    [[layer.name.split("_")[0], list(layer.output.shape)[1:], layer.count_params()]
     for layer in part.layers] for part in (denoiser.encoder, denoiser.decoder)]
encoded = denoiser.encoder(noisy).numpy()
decoded = denoiser.decoder(encoded).numpy()
results["denoised"] = [list(encoded.shape), list(decoded.shape), decoded[0, 0, :3, 0]]

# Anomaly detection on ECG-like rows: normal rows are smooth, abnormal ones are not.
t = np.linspace(0, 2 * np.pi, 20)
normal = np.sin(t) + 0.1 * rng.normal(size=(30, 20))
abnormal = rng.normal(size=(10, 20))
raw_data = np.concatenate([normal, abnormal]).astype("float32")
labels = np.array([1] * 30 + [0] * 10)
order = rng.permutation(40)
raw_data, labels = raw_data[order], labels[order]
train_data, test_data = raw_data[:28], raw_data[28:]
train_labels, test_labels = labels[:28], labels[28:]
min_val = tf.reduce_min(train_data)
max_val = tf.reduce_max(train_data)
train_data = (train_data - min_val) / (max_val - min_val)
test_data = (test_data - min_val) / (max_val - min_val)
train_data = tf.cast(train_data, tf.float32)
test_data = tf.cast(test_data, tf.float32)
train_labels = train_labels.astype(bool)
test_labels = test_labels.astype(bool)
normal_train_data = train_data[train_labels]
normal_test_data = test_data[test_labels]
anomalous_test_data = test_data[~test_labels]
results["split"] = [list(normal_train_data.shape), list(anomalous_test_data.shape)]


class AnomalyDetector(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = keras.Sequential([
            layers.Dense(8, activation="relu"),
            layers.Dense(4, activation="relu"),
            layers.Dense(2, activation="relu")])
        self.decoder = keras.Sequential([
            layers.Dense(4, activation="relu"),
            layers.Dense(8, activation="relu"),
            layers.Dense(20, activation="sigmoid")])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


autoencoder = AnomalyDetector()
autoencoder(normal_train_data[:1])
set_fixed_weights(autoencoder, 3)
autoencoder.compile(optimizer="adam", loss="mae")
history = autoencoder.fit(normal_train_data, normal_train_data, epochs=3, batch_size=8,
                          validation_data=(test_data, test_data), shuffle=False, verbose=0)
results["anomaly_history"] = history.history
reconstructions = autoencoder.predict(normal_train_data, verbose=0)
train_loss = keras.losses.mae(reconstructions, normal_train_data)
threshold = np.mean(train_loss) + np.std(train_loss)
results["threshold"] = float(threshold)
results["train_loss"] = [list(train_loss.shape), train_loss.numpy()[:3]]


def predict(model, data, threshold):
    reconstructions = model(data)
    loss = keras.losses.mae(reconstructions, data)
    return tf.math.less(loss, threshold)


preds = predict(autoencoder, test_data, threshold)
results["preds"] = [preds.dtype.name, preds.numpy().tolist()]
results["accuracy"] = float(np.mean(preds.numpy() == test_labels))
emit(results)
