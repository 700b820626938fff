"""``tf.nn``: the low-level neural-network functions under TensorFlow's names."""

from profond.ops.conv import conv2d, conv2d_transpose
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
from profond.ops.pooling import avg_pool2d, max_pool2d

__all__ = [
    "avg_pool2d", "conv2d", "conv2d_transpose", "dropout", "elu", "gelu", "leaky_relu",
    "log_softmax", "max_pool2d", "relu", "sigmoid", "sigmoid_cross_entropy_with_logits",
    "softmax", "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
    "tanh",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402

_symbolic.install(globals(), __all__, prefix="nn.")
