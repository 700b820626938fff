"""``tf.nn``: the low-level neural-network functions under TensorFlow's names."""

from profond.activations import relu6, selu, silu, softplus, softsign, swish
from profond.ops.conv import conv2d, conv2d_transpose
from profond.ops.math import log_sigmoid
from profond.ops.nn import (
    dropout,
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
)
from profond.ops.norms import l2_normalize
from profond.ops.pooling import avg_pool2d, max_pool2d
from profond.ops.selection import in_top_k, top_k
from profond.ops.tf_nn import (
    avg_pool3d,
    batch_normalization,
    bias_add,
    compute_average_loss,
    conv1d,
    conv3d,
    depthwise_conv2d,
    embedding_lookup,
    l2_loss,
    max_pool3d,
    moments,
    scale_regularization_loss,
    separable_conv2d,
)

__all__ = [
    "avg_pool2d", "avg_pool3d", "batch_normalization", "bias_add", "compute_average_loss",
    "conv1d", "conv2d", "conv2d_transpose", "conv3d", "depthwise_conv2d", "dropout", "elu",
    "embedding_lookup", "gelu", "in_top_k", "l2_loss", "l2_normalize", "leaky_relu",
    "log_sigmoid", "log_softmax", "max_pool2d", "max_pool3d", "moments", "relu", "relu6",
    "scale_regularization_loss", "selu", "separable_conv2d", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh", "top_k",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402

_symbolic.install(globals(), __all__, prefix="nn.")
