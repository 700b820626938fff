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
    debugging,
    distribute,
    dtypes,
    experimental,
    image,
    initializers,
    keras,
    layers,
    linalg,
    losses,
    math,
    metrics,
    models,
    nest,
    nn,
    optimizers,
    random,
    registry,
    regularizers,
    saved_model,
    saving,
    strings,
    testing,
    train,
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
from profond.autodiff.spec import TensorShape, TensorSpec
from profond.config import device
from profond.debugging import (  # TF keeps these at its top level too
    Assert,
    assert_equal,
    assert_greater,
    assert_less,
    assert_rank,
)
from profond.debugging import tf_print as print
from profond.dtypes import (  # tf.float32 … are NumPy dtypes (see profond.dtypes)
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from profond.function import function  # the decorator (it shadows the module of that name)
from profond.initializers import Constant as constant_initializer  # TF 2's top-level aliases
from profond.initializers import Ones as ones_initializer
from profond.initializers import RandomNormal as random_normal_initializer
from profond.initializers import RandomUniform as random_uniform_initializer
from profond.initializers import Zeros as zeros_initializer
from profond.ops import *  # noqa: F403 - the TF-style op namespace
from profond.ops.misc import shape
from profond.strings import as_string

__version__ = "0.1.0"

bool_ = _np.bool_
newaxis = None
"""``x[:, tf.newaxis]`` adds an axis of size 1, as ``None`` does in NumPy."""


def set_seed(seed):
    """Seed every random draw of profond (alias of ``profond.random.set_seed``)."""
    random.set_seed(seed)


def stop_gradient(x):
    """The same values, with no gradient flowing back through them."""
    return convert_to_tensor(x).detach()


def is_tensor(x):
    """True for a profond ``Tensor`` or ``Variable`` (not for NumPy arrays), as ``tf.is_tensor``."""
    return isinstance(x, Tensor)


def executing_eagerly():
    """Always ``True``: profond runs every op as soon as it is called, even in ``function``."""
    return True


# Packages imported at first use (``tf.explain.saliency``, ``tf.rl.DQN``): they need optional
# extras, or are large, and ``import profond`` stays quick without them.
_LAZY_PACKAGES = ("explain", "federated", "generative", "onnx", "privacy", "rl", "unsupervised",
                  "viz")


def __getattr__(name):
    if name in _LAZY_PACKAGES:
        import importlib

        return importlib.import_module(f"profond.{name}")
    from profond._names import missing_name

    raise missing_name(__name__, name)
