"""``keras.ops.nn``: activations, normalization and losses with Keras 3's signatures.

The three cross-entropies and ``gelu`` only adapt argument conventions (``keras.ops`` puts
``target`` first and reduces nothing for the binary one; its ``gelu`` defaults to the tanh
approximation); the math is ``profond.losses`` / ``profond.activations``.
"""

from profond import losses as _losses
from profond.activations import (
    elu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from profond.activations import gelu as _gelu
from profond.ops.math import log_sigmoid
from profond.ops.nn_extra import (
    average_pool,
    celu,
    conv,
    conv_transpose,
    depth_to_space,
    depthwise_conv,
    dot_product_attention,
    glu,
    hard_shrink,
    hard_tanh,
    layer_normalization,
    max_pool,
    psnr,
    rms_normalization,
    separable_conv,
    soft_shrink,
    space_to_depth,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
)
from profond.ops.norms import normalize
from profond.ops.numpy_api import batch_normalization, moments, multi_hot, one_hot
from profond.ops.reduction import logsumexp
from profond.ops.selection import in_top_k, top_k
from profond.ops.shape import expand_dims as _expand


def gelu(x, approximate=True):
    """x Φ(x); Keras's ops default is the tanh approximation (``activations.gelu``'s is not)."""
    return _gelu(x, approximate=approximate)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise −[t log p + (1 − t) log(1 − p)] (no reduction, as ``keras.ops``)."""
    return _losses.binary_crossentropy(_expand(target, -1), _expand(output, -1), from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """−Σₖ tₖ log pₖ along ``axis``, one value per sample."""
    return _losses.categorical_crossentropy(target, output, from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """−log p[target] for integer targets, one value per sample."""
    return _losses.sparse_categorical_crossentropy(target, output, from_logits, axis=axis)


__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy",
    "celu", "conv", "conv_transpose", "depth_to_space", "depthwise_conv",
    "dot_product_attention", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "in_top_k", "layer_normalization", "leaky_relu", "log_sigmoid",
    "log_softmax", "logsumexp", "max_pool", "moments", "multi_hot", "normalize", "one_hot",
    "psnr", "relu", "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth",
    "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh_shrink", "threshold", "top_k",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402
from profond.ops.numpy_api import EAGER_ONLY as _EAGER_ONLY  # noqa: E402

_symbolic.install(globals(), [n for n in __all__ if n not in _EAGER_ONLY], prefix="keras.ops.")
