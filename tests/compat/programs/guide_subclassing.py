"""The subclassing guide's path ("making new layers and models via subclassing"): layers with
weights made in ``__init__`` or in ``build``, non-trainable weights updated with ``assign_add``,
layers nested in layers, ``add_loss`` in ``call`` (and regularizer losses) read from
``layer.losses``, a model trained on its ``add_loss`` losses alone, ``get_config`` /
``from_config``, the ``training`` argument, and a variational autoencoder with a sampling layer
(only its deterministic parts are compared)."""

import numpy as np
from _common import emit, keras

layers, ops = keras.layers, keras.ops
rng = np.random.default_rng(0)
results = {}


def fixed_weights(model, seed=1):
    """The same initial weights in both frameworks, of a sensible size: N(0, 1/fan_in) kernels,
    small biases (drawn in the order of get_weights)."""
    draw = np.random.default_rng(seed)
    model.set_weights([
        (draw.normal(size=w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
         else draw.normal(scale=0.1, size=w.shape)).astype(w.dtype)
        for w in model.get_weights()])


class Linear(keras.layers.Layer):
    """Weights made in __init__, from a known input size."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


x = ops.ones((2, 2))
linear_layer = Linear(4, 2)
y = linear_layer(x)
results["linear"] = [list(y.shape), linear_layer.weights == [linear_layer.w, linear_layer.b],
                     [list(w.shape) for w in linear_layer.weights]]


class ComputeSum(keras.layers.Layer):
    """A non-trainable weight updated during the call."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


my_sum = ComputeSum(2)
x = ops.ones((2, 2))
first = my_sum(x).numpy()
second = my_sum(x).numpy()
results["compute_sum"] = [first, second, len(my_sum.weights),
                          len(my_sum.non_trainable_weights), len(my_sum.trainable_weights)]


class LazyLinear(keras.layers.Layer):
    """Weights made in build, once the input size is known."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLPBlock(keras.layers.Layer):
    """Layers nested in a layer: their weights are tracked by the outer one."""

    def __init__(self):
        super().__init__()
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


mlp = MLPBlock()
results["mlp_before"] = [len(mlp.weights), mlp.built]
y = mlp(ops.ones(shape=(3, 64)))
results["mlp_after"] = [list(y.shape), len(mlp.weights), len(mlp.trainable_weights)]
fixed_weights(mlp)
results["mlp_values"] = mlp(np.linspace(-1, 1, 3 * 64).reshape(3, 64).astype("float32"))


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


layer = OuterLayer()
results["losses_before"] = len(layer.losses)
_ = layer(ops.zeros((1, 1)))
results["losses_once"] = len(layer.losses)
_ = layer(ops.ones((1, 1)))
results["losses_reset"] = [len(layer.losses), [float(loss) for loss in layer.losses]]


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.dense(inputs)


layer = OuterLayerWithKernelRegularizer()
_ = layer(ops.zeros((1, 1)))
fixed_weights(layer)
results["regularizer_losses"] = [float(loss) for loss in layer.losses]

# A model whose only loss is the one its layer adds, then one with a compiled loss as well.
inputs = keras.Input(shape=(3,))
outputs = ActivityRegularizationLayer()(layers.Dense(2)(inputs))
model = keras.Model(inputs, outputs)
fixed_weights(model)
data, targets = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2))
model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
results["add_loss_and_mse"] = model.fit(data, targets, batch_size=4, epochs=2, shuffle=False,
                                        verbose=0).history
model = keras.Model(inputs, outputs)
fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.5))
results["add_loss_only"] = model.fit(data, batch_size=4, epochs=2, shuffle=False,
                                     verbose=0).history


class SerializableLinear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


layer = SerializableLinear(64, name="my_linear")
config = layer.get_config()
new_layer = SerializableLinear.from_config(config)
results["config"] = [sorted(config), config["units"], config["name"], config["trainable"],
                     [new_layer.name, new_layer.units, new_layer.built]]


class CustomDropout(keras.layers.Layer):
    """The training argument: dropout only while training."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


dropout = CustomDropout(0.5)
values = np.arange(1, 201, dtype="float32").reshape(10, 20)
at_inference = dropout(values)
in_training = dropout(values, training=True).numpy()
kept = in_training != 0
results["custom_dropout"] = [
    bool(np.array_equal(at_inference, values)), list(in_training.shape),
    bool(np.allclose(in_training[kept], values[kept] * 2)), bool(0.2 < kept.mean() < 0.8)]


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32,
                 name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


original_dim = 784
x_train = (rng.integers(0, 256, size=(32, 28, 28)) / 255.0).reshape(32, 784).astype("float32")
vae = VariationalAutoEncoder(original_dim, 64, 32)
reconstructed = vae(x_train[:4])
fixed_weights(vae)
reconstructed = vae(x_train[:4])
z_mean, z_log_var, _ = vae.encoder(x_train[:4])
# The KL term depends on the encoder's deterministic outputs only: it is compared.
results["vae"] = [list(reconstructed.shape), len(vae.losses), float(vae.losses[0]),
                  z_mean, z_log_var, len(vae.trainable_weights),
                  [layer.name for layer in vae.layers]]
vae.compile(keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.MeanSquaredError())
history = vae.fit(x_train, x_train, epochs=2, batch_size=16, verbose=0)
results["vae_fit"] = [list(history.history), len(history.history["loss"]),
                      bool(np.all(np.isfinite(history.history["loss"])))]
emit(results)
