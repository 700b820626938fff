"""The course's Keras / TF snippets run unchanged with ``import profond as tf``."""

import numpy as np

import profond as tf


def small_mnist_like(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    centers = rng.normal(0, 1, (10, 784)).astype("float32")
    x = centers[y] + rng.normal(0, 0.5, (n, 784)).astype("float32")
    return x, y


def test_sequential_snippet():
    x_train, y_train = small_mnist_like()
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(128, activation='relu', input_shape=(784,)),
        tf.keras.layers.Dense(64),
        tf.keras.layers.Dense(32),
        tf.keras.layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert history.history["accuracy"][-1] > 0.95
    loss, acc = model.evaluate(x_train, y_train, verbose=0)
    assert acc > 0.95 and model.predict(x_train[:5], verbose=0).shape == (5, 10)


def test_custom_dense_layer_snippet():
    class MyDense(tf.keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return tf.matmul(inputs, self.w) + self.b

    layer = MyDense(4, 2)
    y = layer(tf.ones((2, 2)))
    assert y.shape == (2, 4) and len(layer.trainable_weights) == 2
    np.testing.assert_allclose(y.numpy()[0], layer.w.numpy().sum(0) + layer.b.numpy(), rtol=1e-6)


def test_gradient_tape_training_loop_snippet():
    x, y = small_mnist_like(512)
    batch_size = 64
    model = tf.keras.Sequential([tf.keras.layers.Dense(64, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(512).batch(batch_size)
    losses = []
    for _epoch in range(3):
        for x_batch, y_batch in dataset:
            with tf.GradientTape() as tape:
                logits = model(x_batch, training=True)
                loss_value = loss_fn(y_batch, logits)
            gradients = tape.gradient(loss_value, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            losses.append(float(loss_value))
    assert np.mean(losses[-8:]) < np.mean(losses[:8]) / 3


def test_sigmoid_output_with_binary_crossentropy_is_stable():
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(loss="binary_crossentropy")
    model.set_weights([np.array([[1000.0], [0.0]], "float32"), np.zeros(1, "float32")])
    # σ(−1000) underflows to 0 in float32: only the from-logits form gives the true loss, 1000.
    assert model.evaluate(np.array([[-1.0, 0.0]]), np.array([[1.0]]), verbose=0) == 1000.0


def test_tf_nn_and_keras_namespaces():
    logits = tf.constant([[2.0, 1.0, 0.1]])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=logits)
    np.testing.assert_allclose(float(loss[0]), -np.log(np.exp(2) / np.exp([2, 1, 0.1]).sum()),
                               rtol=1e-6)
    assert tf.keras.utils.to_categorical([1, 0], 3).shape == (2, 3)
    tf.keras.backend.clear_session()
    assert tf.keras.layers.Dense(2).name == "dense"
