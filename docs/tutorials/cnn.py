"""Chapter — convolutional networks: a convolution by hand, filters, feature maps, a small CNN."""

import matplotlib.pyplot as plt
import numpy as np

import profond as tf
from profond import viz
from profond.datasets import digits, fashion_mnist

# %% image
(_, _), (clothes, clothes_labels) = fashion_mnist.load_data()
image = clothes[0].astype("float32") / 255  # a 28×28 grayscale image, values in [0, 1]
print("image:", image.shape, " class:", fashion_mnist.CLASS_NAMES[clothes_labels[0]])


# %% by_hand
def convolve(image, kernel):
    """The feature map of one filter, 'valid' padding, stride 1:
    Z[i, j] = Σ_u Σ_v X[i + u, j + v] · K[u, v]."""
    k = kernel.shape[0]
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1), dtype="float32")
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
    return out


filters = {
    "vertical edges": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], "float32"),   # Sobel
    "horizontal edges": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], "float32"),
    "blur": np.full((3, 3), 1 / 9, "float32"),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "float32"),
}
maps = {name: convolve(image, kernel) for name, kernel in filters.items()}
print("28×28 image, 3×3 filter, no padding → feature map", maps["blur"].shape)

fig, axes = plt.subplots(1, 5, figsize=(11, 2.6))
axes[0].imshow(image, cmap="gray")
axes[0].set_title("image")
for ax, (name, feature_map) in zip(axes[1:], maps.items()):
    if "edges" in name:  # signed: red where the left side is brighter, blue the reverse
        limit = np.abs(feature_map).max()
        ax.imshow(feature_map, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        ax.imshow(feature_map, cmap="gray")
    ax.set_title(name)
for ax in axes:
    ax.axis("off")

# %% layer
conv = tf.keras.layers.Conv2D(4, 3, use_bias=False)   # 4 filters of 3×3, 'valid' padding
conv.build((None, 28, 28, 1))
kernel = np.stack(list(filters.values()), axis=-1)[:, :, None, :]  # (3, 3, 1 input, 4 outputs)
conv.set_weights([kernel])
out = conv(image[None, :, :, None]).numpy()          # a batch of one image, one channel
print("Conv2D output:", out.shape, " (batch, height, width, filters)")
by_hand = np.stack(list(maps.values()), axis=-1)
print("largest gap to the maps computed by hand:", float(np.abs(out[0] - by_hand).max()))
print("with padding='same':", tf.keras.layers.Conv2D(4, 3, padding="same")(out).shape,
      "  with strides=2:", tf.keras.layers.Conv2D(4, 3, strides=2)(out).shape)

# %% pooling
pooled = tf.keras.layers.MaxPooling2D(pool_size=2)(out).numpy()
by_hand = out[0, :26, :26].reshape(13, 2, 13, 2, 4).max(axis=(1, 3))  # the max of each 2×2 block
print("MaxPooling2D:", out.shape, "→", pooled.shape,
      "  same as by hand:", bool(np.array_equal(pooled[0], by_hand)))

# %% cnn
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = (x_train / 16).astype("float32")[..., None]  # (1437, 8, 8, 1)
x_test = (x_test / 16).astype("float32")[..., None]
tf.keras.utils.set_random_seed(0)
cnn = tf.keras.Sequential([
    tf.keras.Input((8, 8, 1)),
    tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
    tf.keras.layers.MaxPooling2D(),                                    # 8×8 → 4×4
    tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
    tf.keras.layers.MaxPooling2D(),                                    # 4×4 → 2×2
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10, activation="softmax"),
])
cnn.summary()

# %% fit
cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = cnn.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
print(f"after 15 epochs: training accuracy {history.history['accuracy'][-1]:.4f}")
print(f"test accuracy {cnn.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% learned
viz.show_filters(cnn.get_layer("conv1"))
probe = tf.keras.Model(cnn.inputs, cnn.get_layer("conv1").output)  # the first layer's output
feature_maps = probe.predict(x_test[:1], verbose=0)[0]                # (8, 8, 16)
print("feature maps of the first test image:", feature_maps.shape)
viz.show_images(np.concatenate([x_test[:1, ..., 0], np.moveaxis(feature_maps, -1, 0)]),
                labels=np.arange(17), class_names=["input"] + [f"map {k}" for k in range(16)],
                ncols=9)
