"""Convolution variants (issue 10, item 4): Conv1DTranspose, Conv3D (groups), Conv3DTranspose,
3-D pooling, DepthwiseConv1D/2D, SeparableConv1D/2D, grouped Conv1D/2D and ConvLSTM2D, with the
same weights: outputs, shapes, weight names and two epochs of SGD."""

import numpy as np
from _common import emit, keras, set_fixed_weights

layers = keras.layers
rng = np.random.default_rng(0)

video = keras.Input((3, 8, 8, 2))
v = layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(video)
v = layers.Conv3D(4, (1, 3, 3), padding="same", groups=1, activation="relu")(v)
v = layers.MaxPooling3D((1, 2, 2))(v)
v = layers.Conv3D(4, 2, padding="same", groups=2)(v)
v = layers.Conv3DTranspose(2, 2, strides=(1, 2, 2), padding="same")(v)
v = layers.AveragePooling3D((1, 2, 2), strides=(1, 2, 2), padding="same")(v)
a = layers.GlobalAveragePooling3D()(v)
b = layers.GlobalMaxPool3D()(v)

seq = keras.Input((9, 4))
s = layers.Conv1D(4, 3, groups=2, padding="causal")(seq)
s = layers.Conv1DTranspose(3, 3, strides=2, padding="same", output_padding=1)(s)
s = layers.SeparableConv1D(4, 3, depth_multiplier=2, activation="tanh")(s)
s = layers.DepthwiseConv1D(3, depth_multiplier=2)(s)
c = layers.GlobalAveragePooling1D()(s)

img = keras.Input((7, 7, 4))
i = layers.Conv2D(6, 3, groups=2, padding="same")(img)
i = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)(i)
i = layers.SeparableConv2D(4, 2, dilation_rate=1, activation="relu")(i)
d = layers.GlobalMaxPooling2D()(i)

out = layers.Dense(1)(layers.Concatenate()([a, b, c, d]))
model = keras.Model([video, seq, img], out)
set_fixed_weights(model)
xs = [rng.normal(size=(6,) + tuple(t.shape[1:])).astype("float32") for t in (video, seq, img)]
y = rng.normal(size=(6, 1)).astype("float32")

before = model.predict(xs, verbose=0)
model.compile(optimizer=keras.optimizers.SGD(1e-4), loss="mse")
history = model.fit(xs, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
emit({
    "shapes": [list(layer.output.shape[1:]) for layer in model.layers[3:]],
    "weights": [[w.name, list(w.shape)] for w in model.weights],
    "before": before,
    "loss": history.history["loss"],
    "after": model.predict(xs, verbose=0),
})
