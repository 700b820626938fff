"""The Sequential model guide's path: a Sequential from a list and by ``add``, ``pop``, names,
weights created on first call, ``Input`` first (or ``input_shape``), ``summary()`` while adding
layers, a feature extractor made from ``model.inputs`` and ``[layer.output for layer in
model.layers]`` (and from ``get_layer(name).output``), and transfer learning with
``layer.trainable = False`` before compile and fit."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
results = {}


def summary_lines(model):
    """What ``model.summary()`` prints, as lines."""
    printed = []
    model.summary(print_fn=lambda text, **kwargs: printed.append(text))
    return "\n".join(printed).rstrip("\n").split("\n")


def facts(model):
    """A summary's rows: name, class, output shape and parameter count of each layer."""
    return [[layer.name, type(layer).__name__, list(layer.output.shape), layer.count_params()]
            for layer in model.layers]


# Define a Sequential model with 3 layers, and call it on a test input.
model = keras.Sequential([
    layers.Dense(2, activation="relu", name="layer1"),
    layers.Dense(3, activation="relu", name="layer2"),
    layers.Dense(4, name="layer3"),
])
x = tf.ones((3, 3))
y = model(x)
results["call"] = [list(y.shape), [layer.name for layer in model.layers]]

# Incrementally, with add, then pop.
model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
model.add(layers.Dense(3, activation="relu", name="layer2"))
model.add(layers.Dense(4, name="layer3"))
model.pop()
results["after_pop"] = [model.name, len(model.layers)]

# Weights are created when the layer first sees an input.
layer = layers.Dense(3)
results["layer_weights_before"] = len(layer.weights)
layer(tf.ones((1, 4)))
results["layer_weights_after"] = [[w.name, list(w.shape)] for w in layer.weights]
model = keras.Sequential([
    layers.Dense(2, activation="relu"),
    layers.Dense(3, activation="relu"),
    layers.Dense(4),
])
results["model_weights_before"] = len(model.weights)
model(tf.ones((1, 4)))
results["model_weights_after"] = [[w.name, w.path, list(w.shape)] for w in model.weights]
results["auto_names"] = [layer.name for layer in model.layers]

# Input first: the model is built at once and summary() works while adding layers.
model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
results["input_first"] = [len(model.layers), facts(model), summary_lines(model)]
model = keras.Sequential()
model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
results["input_shape"] = [len(model.layers), facts(model)]

# The guide's convolutional stack, with summaries on the way.
model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
results["conv_summary"] = summary_lines(model)
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(2))
results["conv_facts"] = facts(model)
model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(10))
results["conv_output"] = [list(model.output_shape), model.count_params()]

# Feature extraction: every layer's output, or one intermediate layer's.
initial_model = keras.Sequential([
    keras.Input(shape=(250, 250, 3)),
    layers.Conv2D(32, 5, strides=2, activation="relu"),
    layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
    layers.Conv2D(32, 3, activation="relu"),
])
set_fixed_weights(initial_model)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)
image = np.random.default_rng(0).uniform(size=(1, 250, 250, 3)).astype("float32")
features = feature_extractor(image)
results["features"] = [[list(f.shape), float(tf.reduce_mean(f)), float(tf.reduce_max(f))]
                       for f in features]
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
features = feature_extractor(image)
results["intermediate"] = [list(features.shape), float(tf.reduce_mean(features))]

# Transfer learning: freeze all layers except the last one, then train.
rng = np.random.default_rng(1)
x_small = rng.normal(size=(16, 784)).astype("float32")
y_small = rng.integers(0, 10, size=(16,))
model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(10),
])
set_fixed_weights(model)
model.set_weights([w * 0.1 for w in model.get_weights()])
frozen_before = [w.copy() for w in model.get_weights()]
for layer in model.layers[:-1]:
    layer.trainable = False
results["trainable"] = [len(model.trainable_weights), len(model.non_trainable_weights),
                        [layer.trainable for layer in model.layers]]
model.compile(optimizer=keras.optimizers.SGD(0.1),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x_small, y_small, batch_size=8, epochs=2, shuffle=False, verbose=0)
after = model.get_weights()
results["transfer_history"] = history.history
results["frozen_unchanged"] = [bool(np.array_equal(a, b)) for a, b in zip(frozen_before, after)]
# NOTE: the "Optimizer params" line differs on purpose: profond keeps the learning rate in
# float64 (8 bytes, exact float64 training), Keras in float32 (4 bytes).
results["transfer_summary_tail"] = summary_lines(model)[-3:-1]
emit(results)
