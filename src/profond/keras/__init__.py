"""``profond.keras``: the Keras API on profond's engine, so ``tf.keras.…`` course code runs as is.
Every submodule is a real module mirroring Keras's import paths (``from profond.keras.layers
import Dense``, ``import profond.keras.callbacks as C``); each only re-exports profond's own.

    import profond as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])
"""

from profond.keras import (
    activations,
    backend,
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
from profond.layers import Input
from profond.models import Model, Sequential

__all__ = [
    "Input", "Model", "Sequential", "activations", "backend", "callbacks", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils",
]
