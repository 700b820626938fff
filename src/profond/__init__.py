"""profond: a deep-learning framework built from first principles on NumPy, with the Keras/TF API.

    import profond as tf
    x = tf.constant([[1.0, 2.0]])
    w = tf.Variable(tf.random.normal((2, 1)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(x @ w - 1.0))
    (dw,) = tape.gradient(loss, [w])
"""

import numpy as _np

from profond import (
    activations,
    callbacks,
    config,
    data,
    datasets,
    initializers,
    keras,
    layers,
    losses,
    metrics,
    models,
    nn,
    optimizers,
    random,
    registry,
    regularizers,
    saving,
    testing,
    utils,
    viz,
)
from profond.autodiff import (
    Function,
    GradientTape,
    Tensor,
    Variable,
    backward,
    constant,
    convert_to_tensor,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from profond.ops import *  # noqa: F403 - the TF-style op namespace
from profond.ops.misc import shape

__version__ = "0.1.0"

float16 = _np.float16
float32 = _np.float32
float64 = _np.float64
int32 = _np.int32
int64 = _np.int64
bool_ = _np.bool_


def set_seed(seed):
    """Seed every random draw of profond (alias of ``profond.random.set_seed``)."""
    random.set_seed(seed)


def stop_gradient(x):
    """The same values, with no gradient flowing back through them."""
    return convert_to_tensor(x).detach()
