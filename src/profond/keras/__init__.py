"""``profond.keras``: the Keras API on profond's engine, so ``tf.keras.…`` course code runs as is.

    import profond as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])
"""

from profond import (
    activations,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from profond.keras import backend
from profond.layers import Input
from profond.models import Model, Sequential

__all__ = [
    "Input", "Model", "Sequential", "activations", "backend", "callbacks", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils",
]
