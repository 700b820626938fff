"""The other functions of ``keras.ops.nn``: shrinkage and sparse activations, layer and RMS
normalization, scaled dot-product attention, space/depth moves, and pooling and convolutions with
Keras's argument order (channels last, over profond's convolution and pooling ops). All are
compositions of differentiable ops, so their gradients (and second derivatives) come from those.
"""

import math

import numpy

from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor, normalize_axis
from profond.ops.conv_nd import conv as conv_nd
from profond.ops.conv_nd import conv_transpose as _conv_transpose
from profond.ops.depthwise import depthwise_conv as _depthwise
from profond.ops.depthwise import separable_conv as _separable
from profond.ops.elementwise import clip_by_value, exp, log, minimum, sqrt, square, where
from profond.ops.linalg import matmul
from profond.ops.nn import relu, sigmoid, softmax, tanh
from profond.ops.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d
from profond.ops.reduction import reduce_mean, reduce_sum
from profond.ops.shape import expand_dims, reshape, split, squeeze, transpose


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, α (e^{x/α} − 1))."""
    x = as_tensor(x)
    return relu(x) + minimum(0, (exp(x * (1.0 / alpha)) - 1) * alpha)


def glu(x, axis=-1):
    """The gated linear unit: split x in halves a, b along ``axis``, return a · σ(b)."""
    x = as_tensor(x)
    ax = normalize_axis(axis, x.ndim)[0]
    if x.shape[ax] % 2:
        raise ValueError(f"glu expects an even size along axis {axis}. Received: shape={x.shape}")
    a, b = split(x, 2, ax)
    return a * sigmoid(b)


def hard_tanh(x):
    """clip(x, −1, 1)."""
    return clip_by_value(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = as_tensor(x)
    return where(abs(x.data) > threshold, x, 0)


def soft_shrink(x, threshold=0.5):
    """x − threshold above it, x + threshold below −threshold, 0 in between."""
    x = as_tensor(x)
    d = x.data
    return where(d > threshold, x - threshold, where(d < -threshold, x + threshold, 0))


def tanh_shrink(x):
    """x − tanh x."""
    x = as_tensor(x)
    return x - tanh(x)


def threshold(x, threshold, default_value):
    """x where x > threshold, else ``default_value``."""
    x = as_tensor(x)
    return where(x.data > threshold, x, default_value)


def sparse_plus(x):
    """0 for x ≤ −1, (x + 1)²/4 for |x| < 1, x for x ≥ 1: a smooth, sparse softplus."""
    x = as_tensor(x)
    d = x.data
    return where(d <= -1, 0, where(d >= 1, x, square(x + 1) * 0.25))


def sparse_sigmoid(x):
    """clip((x + 1)/2, 0, 1): a piecewise-linear sigmoid reaching 0 and 1."""
    return clip_by_value((as_tensor(x) + 1) * 0.5, 0.0, 1.0)


def squareplus(x, b=4):
    """(x + √(x² + b)) / 2, a smooth ReLU."""
    x = as_tensor(x)
    return (x + sqrt(square(x) + b)) * 0.5


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """(x − mean) / √(var + ε) over ``axis``, then · γ + β (ε = 1e-7 by default, as Keras)."""
    x = as_tensor(x)
    eps = 1e-7 if epsilon is None else epsilon
    m = reduce_mean(x, axis, keepdims=True)
    c = x - m
    y = c / sqrt(reduce_mean(square(c), axis, keepdims=True) + eps)
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / √(mean(x²) + ε) over ``axis``, then · scale."""
    x = as_tensor(x)
    eps = 1e-7 if epsilon is None else epsilon
    y = x / sqrt(reduce_mean(square(x), axis, keepdims=True) + eps)
    return y if scale is None else y * scale


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(Q Kᵀ · scale + bias, masked) V for inputs (batch, length, heads, dim), as
    ``keras.ops.dot_product_attention``; scale = 1/√dim by default, ``mask`` true where a key
    may be attended, ``is_causal`` hides the keys after each query."""
    if flash_attention:
        raise ValueError("dot_product_attention: flash attention is not available in profond. "
                         "Received: flash_attention=True")
    q, k, v = (transpose(as_tensor(t), (0, 2, 1, 3)) for t in (query, key, value))  # b h t d
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = matmul(q, transpose(k, (0, 1, 3, 2))) * scale
    if attn_logits_soft_cap is not None:
        logits = tanh(logits * (1.0 / attn_logits_soft_cap)) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + bias
    keep = None
    if mask is not None:
        keep = mask.data if isinstance(mask, Tensor) else mask
    if is_causal:
        tq, tk = logits.shape[-2:]
        causal = numpy.tril(numpy.ones((tq, tk), dtype=bool), tk - tq)
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = where(keep, logits, float(-1e9 if logits.dtype.itemsize > 2 else -3e4))
    return transpose(matmul(softmax(logits, -1), v), (0, 2, 1, 3))


def _channels_last(inputs, data_format, name, ranks=(4,)):
    x = as_tensor(inputs)
    if x.ndim not in ranks or data_format not in (None, "channels_last"):
        raise NotImplementedError(
            f"{name} supports channels-last inputs of rank {' or '.join(map(str, ranks))} in "
            f"profond. Received: shape={x.shape}, data_format={data_format}")
    return x


def _pool(pool2d, pool3d, name, inputs, pool_size, strides, padding, data_format):
    x = _channels_last(inputs, data_format, name, (3, 4, 5))
    if x.ndim == 5:
        return pool3d(x, pool_size, strides, padding)
    if x.ndim == 4:
        return pool2d(x, pool_size, strides, padding)
    one = (lambda v: v if v is None or isinstance(v, int) else int(v[0]))  # noqa: E731
    p, st = one(pool_size), one(strides)
    y = pool2d(expand_dims(x, 1), (1, p), None if st is None else (1, st), padding)
    return squeeze(y, 1)  # 1-D: a 2-D pool over a height of 1


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over the spatial axes of (N, *spatial, C) inputs (1 to 3 spatial axes)."""
    return _pool(max_pool2d, max_pool3d, "max_pool", inputs, pool_size, strides, padding,
                 data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over the spatial axes of (N, *spatial, C) inputs."""
    return _pool(avg_pool2d, avg_pool3d, "average_pool", inputs, pool_size, strides, padding,
                 data_format)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """r-D convolution (r = 1, 2, 3) of (N, *spatial, C) inputs with a (k…, C/groups, F) kernel
    (Keras's argument order; the work is ``profond.ops.conv_nd.conv``)."""
    x = _channels_last(inputs, data_format, "conv", (3, 4, 5))
    return conv_nd(x, kernel, strides, padding, dilation_rate)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Each channel convolved with its own filters, kernel (k…, C, M) (Keras's argument order)."""
    x = _channels_last(inputs, data_format, "depthwise_conv", (3, 4, 5))
    return _depthwise(x, kernel, strides, padding, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise then a 1×…×1 pointwise convolution (Keras's argument order)."""
    x = _channels_last(inputs, data_format, "separable_conv", (3, 4, 5))
    return _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, dilation_rate)

def sparsemax(x, axis=-1):
    """The Euclidean projection of x onto the probability simplex (Martins & Astudillo 2016):
    max(x − τ, 0) with τ chosen so the result sums to 1; exactly 0 for small entries.

    NOTE: τ = (Σ_{i∈S} xᵢ − 1) / |S| over the support S, found on the sorted values; written
    with differentiable ops on the fixed support, its Jacobian is diag(s) − s sᵀ/|S|.
    """
    x = as_tensor(x)
    ax = normalize_axis(axis, x.ndim)[0]
    d = numpy.moveaxis(x.numpy(), ax, -1)
    z = -numpy.sort(-d, axis=-1)
    k = numpy.arange(1, d.shape[-1] + 1)
    in_support = 1 + k * z > numpy.cumsum(z, -1)
    size = in_support.sum(-1, keepdims=True)
    tau = (numpy.take_along_axis(numpy.cumsum(z, -1), size - 1, -1) - 1) / size
    xp = array_module(x.data)
    mask = xp.asarray(numpy.moveaxis(d > tau, -1, ax))  # found on the host, used on x's device
    support = Tensor._wrap(mask.astype(x.dtype))
    count = Tensor._wrap(mask.sum(ax, keepdims=True).astype(x.dtype))
    tau_t = (reduce_sum(x * support, ax, keepdims=True) - 1) / count
    return relu(x - tau_t)


def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio 20 log₁₀(max_val) − 10 log₁₀(mean((x1 − x2)²)), in dB."""
    mse = reduce_mean(square(as_tensor(x1) - as_tensor(x2)))
    return 20 * math.log10(max_val) - 10 * log(mse) * (1 / math.log(10))


def _check_blocks(x, block_size, data_format, name):
    x = _channels_last(x, data_format, name)
    if int(block_size) < 2:
        raise ValueError(f"{name} expects block_size >= 2. Received: block_size={block_size}")
    return x, int(block_size)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move channel blocks into space: (N, H, W, C·b²) → (N, H·b, W·b, C)."""
    x, b = _check_blocks(x, block_size, data_format, "depth_to_space")
    n, h, w, c = x.shape
    if c % (b * b):
        raise ValueError(f"depth_to_space expects channels divisible by block_size²={b * b}. "
                         f"Received: shape={x.shape}")
    y = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move b×b spatial blocks into channels: (N, H, W, C) → (N, H/b, W/b, C·b²)."""
    x, b = _check_blocks(x, block_size, data_format, "space_to_depth")
    n, h, w, c = x.shape
    if h % b or w % b:
        raise ValueError(f"space_to_depth expects height and width divisible by block_size={b}. "
                         f"Received: shape={x.shape}")
    y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h // b, w // b, b * b * c))


def _transpose_length(n, k, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution along one axis."""
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == "valid" else n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """The transposed convolution of (N, *spatial, C) inputs with a (k…, F, C) kernel (Keras's
    argument order and output size; the work is ``profond.ops.conv_nd.conv_transpose``)."""
    x = _channels_last(inputs, data_format, "conv_transpose", (3, 4, 5))
    kernel = as_tensor(kernel)
    r = x.ndim - 2

    def per_axis(v):
        return (v,) * r if v is None or isinstance(v, int) else tuple(v)

    st, op, dil = per_axis(strides), per_axis(output_padding), per_axis(dilation_rate)
    pad = str(padding).lower()
    out = tuple(_transpose_length(x.shape[1 + i], kernel.shape[i], st[i], pad, op[i], dil[i])
                for i in range(r))
    return _conv_transpose(x, kernel, out, st, pad, dil)
