"""``tf.nn`` functions with TensorFlow's own signatures, written with profond's ops (the ``tf.nn``
face re-exports them). TF names its convolution strides and padding in upper case ("SAME",
"VALID") and, for ``conv1d``/``conv2d``/``conv3d``, may give strides with the batch and channel
entries ``[1, s, s, 1]``: both are accepted here.
"""

from profond.backend import replicas
from profond.ops import conv_nd, depthwise, pooling
from profond.ops._util import as_tensor
from profond.ops.elementwise import multiply, sqrt, square
from profond.ops.indexing import gather
from profond.ops.reduction import reduce_mean, reduce_sum
from profond.ops.shape import reshape


def _spatial(strides, rank, name):
    """TF's strides: an int, ``rank`` ints, or ``rank + 2`` ints with 1 at batch and channels."""
    if isinstance(strides, int):
        return strides
    strides = tuple(int(s) for s in strides)
    if len(strides) == rank + 2:
        if strides[0] != 1 or strides[-1] != 1:
            raise ValueError(f"{name}: strides over the batch and channel axes must be 1. "
                             f"Received: strides={strides}")
        strides = strides[1:-1]
    if len(strides) != rank:
        raise ValueError(f"{name}: expected {rank} or {rank + 2} strides. Received: {strides}")
    return strides


def _padding(padding, name):
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"{name}: expected padding 'SAME' or 'VALID' (explicit paddings are not "
                         f"supported). Received: padding={padding!r}")
    return padding.lower()


def _check_format(data_format, allowed, name):
    if data_format not in (None, *allowed):
        raise ValueError(f"{name}: only channels-last data ({allowed[0]}) is supported. "
                         f"Received: data_format={data_format!r}")


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    """1-D convolution of (N, W, C) by filters (k, C, F)."""
    _check_format(data_format, ("NWC",), "conv1d")
    return conv_nd.conv(input, filters, _spatial(stride, 1, "conv1d"), _padding(padding, "conv1d"),
                        _spatial(dilations or 1, 1, "conv1d"))


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    """3-D convolution of (N, D, H, W, C) by filters (kd, kh, kw, C, F)."""
    _check_format(data_format, ("NDHWC",), "conv3d")
    return conv_nd.conv(input, filters, _spatial(strides, 3, "conv3d"),
                        _padding(padding, "conv3d"), _spatial(dilations or 1, 3, "conv3d"))


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,  # noqa: A002
                     name=None):
    """Each channel of (N, H, W, C) convolved with its own M filters (kh, kw, C, M)."""
    _check_format(data_format, ("NHWC",), "depthwise_conv2d")
    return depthwise.depthwise_conv(input, filter, _spatial(strides, 2, "depthwise_conv2d"),
                                    _padding(padding, "depthwise_conv2d"),
                                    _spatial(dilations or 1, 2, "depthwise_conv2d"))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     data_format=None, dilations=None, name=None):
    """A depthwise convolution followed by a 1×1 (pointwise) one."""
    _check_format(data_format, ("NHWC",), "separable_conv2d")
    return depthwise.separable_conv(input, depthwise_filter, pointwise_filter,
                                    _spatial(strides, 2, "separable_conv2d"),
                                    _padding(padding, "separable_conv2d"),
                                    _spatial(dilations or 1, 2, "separable_conv2d"))


def _pool(fn, input, ksize, strides, padding, rank, name):  # noqa: A002
    return fn(input, _spatial(ksize, rank, name), _spatial(strides, rank, name),
              _padding(padding, name))


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """Maximum over (kd, kh, kw) windows of (N, D, H, W, C)."""
    _check_format(data_format, ("NDHWC",), "max_pool3d")
    return _pool(pooling.max_pool3d, input, ksize, strides, padding, 3, "max_pool3d")


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """Mean over (kd, kh, kw) windows of (N, D, H, W, C)."""
    _check_format(data_format, ("NDHWC",), "avg_pool3d")
    return _pool(pooling.avg_pool3d, input, ksize, strides, padding, 3, "avg_pool3d")


def bias_add(value, bias, data_format=None, name=None):
    """value + bias, the bias laid along the last (channels) axis."""
    _check_format(data_format, ("NHWC", "N...C"), "bias_add")
    value, bias = as_tensor(value), as_tensor(bias, value)
    if bias.ndim != 1 or bias.shape[0] != value.shape[-1]:
        raise ValueError(f"bias_add: expected a bias of shape ({value.shape[-1]},). Received: "
                         f"bias.shape={bias.shape}")
    return value + bias


def l2_loss(t, name=None):
    """½ Σ t², TF's weight-decay term."""
    return reduce_sum(square(as_tensor(t))) * 0.5


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows ``params[ids]`` (ids of any shape); ``max_norm`` clips each row's L2 norm."""
    rows = gather(params, ids)
    if max_norm is not None:
        norm = sqrt(reduce_sum(square(rows), axis=-1, keepdims=True))
        scale = (norm > max_norm).astype(rows.dtype) * (max_norm / (norm + 1e-12) - 1.0) + 1.0
        rows = multiply(rows, scale)
    return rows


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) of ``x`` over ``axes``, TF's signature (TF 2 ignores ``shift`` too)."""
    x = as_tensor(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = reduce_mean(x, axes, keepdims=True)
    variance = reduce_mean(square(x - mean), axes, keepdims=True)
    if not keepdims:
        kept = tuple(s for i, s in enumerate(x.shape) if i not in {a % x.ndim for a in axes})
        mean, variance = reshape(mean, kept), reshape(variance, kept)
    return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x − mean) / √(variance + ε) · scale + offset (TF's argument order)."""
    y = (as_tensor(x) - mean) / sqrt(as_tensor(variance) + variance_epsilon)
    if scale is not None:
        y = y * scale
    return y + offset if offset is not None else y


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """Σ loss / global batch size (when not given: this replica's batch size times the number
    of replicas, as in TensorFlow: summed over data-parallel processes, the mean of all)."""
    loss = as_tensor(per_example_loss)
    if sample_weight is not None:
        loss = loss * sample_weight
    n = global_batch_size
    if n is None:
        group = replicas.group()
        n = (loss.shape[0] if loss.ndim else 1) * (group.size if group is not None else 1)
    return reduce_sum(loss) / float(n)


def scale_regularization_loss(regularization_loss):
    """The regularization loss divided by the number of data-parallel replicas (their gradients
    are summed), as is in one process."""
    group = replicas.group()
    return as_tensor(regularization_loss) / float(group.size if group is not None else 1)
