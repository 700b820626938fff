"""``profond.keras``: the Keras API on profond's engine, so ``tf.keras.…`` course code runs as is.
Every submodule is a real module mirroring Keras's import paths (``from profond.keras.layers
import Dense``, ``import profond.keras.callbacks as C``); each only re-exports profond's own.

    import profond as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])
"""

from profond.autodiff import Variable
from profond.constraints import Constraint
from profond.initializers import Initializer
from profond.keras import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from profond.layers import Input, InputSpec, KerasTensor, Layer
from profond.losses import Loss
from profond.metrics import Metric
from profond.mixed_precision import DTypePolicy
from profond.models import Model, Sequential
from profond.optimizers import Optimizer
from profond.regularizers import Regularizer

__all__ = [
    "Constraint", "DTypePolicy", "Initializer", "Input", "InputSpec", "KerasTensor", "Layer",
    "Loss", "Metric", "Model", "Optimizer", "Regularizer", "Sequential", "Variable",
    "activations", "applications", "backend", "callbacks", "config", "constraints", "datasets",
    "initializers", "layers", "losses", "metrics", "mixed_precision", "models", "ops",
    "optimizers", "preprocessing", "random", "regularizers", "saving", "utils",
]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
