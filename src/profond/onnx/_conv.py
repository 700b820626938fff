"""Converters of the convolutions, poolings and spatial layers (padding, cropping, upsampling).

Tensors stay channels-last in the graph; each op that ONNX defines on NCHW (Conv, ConvTranspose,
MaxPool, AveragePool) is wrapped in a pair of Transposes, which onnxruntime fuses where two meet.
"""

import numpy

from profond.onnx._layers import _activated, converts


def _channels_first(g, x, rank, base):
    return g.op("Transpose", [x], f"{base}/to_nchw", perm=[0, rank + 1, *range(1, rank + 1)])


def _channels_last(g, x, rank, base):
    return g.op("Transpose", [x], base, perm=[0, *range(2, rank + 2), 1])


def _spatial(layer, shape):
    cf = getattr(layer, "data_format", "channels_last") == "channels_first"
    return list(shape[2:] if cf else shape[1:-1])


def _same_pads(size, k, stride, dilation):
    """TF's 'same' placement (before, after): the odd pixel goes after."""
    k_eff = (k - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def _pads(layer, shape, kernel, dilation):
    """ONNX ``pads`` (all befores, then all afters) for 'valid', 'same' or 'causal'."""
    rank = len(kernel)
    if layer.padding == "valid":
        return [0] * (2 * rank)
    if layer.padding == "causal":
        return [(kernel[0] - 1) * dilation[0], 0]
    sizes = _spatial(layer, shape)
    if any(s is None for s in sizes):
        raise NotImplementedError(
            f'profond.onnx: layer "{layer.name}" ({type(layer).__name__}) with padding="same" '
            f"needs known spatial sizes. Received: input shape {tuple(shape)}")
    pairs = [_same_pads(s, k, st, d) for s, k, st, d in
             zip(sizes, kernel, layer.strides, dilation)]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _around_nchw(g, layer, x, shape, body):
    """Run ``body(x_nchw) -> y_nchw`` on a channels-last tensor (no transposes when the layer is
    channels_first already)."""
    rank = len(shape) - 2
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return body(x)
    y = body(_channels_first(g, x, rank, layer.name))
    return _channels_last(g, y, rank, f"{layer.name}/to_channels_last")


def _bias_activation(g, layer, y):
    if layer.use_bias:  # on channels-last y; channels-first gets a (F, 1, …) bias
        rank = layer.rank
        if layer.data_format == "channels_first":
            b = g.weight(layer.name, layer.bias, lambda a: a.reshape((-1,) + (1,) * rank))
        else:
            b = g.weight(layer.name, layer.bias)
        y = g.op("Add", [y, b], f"{layer.name}/bias_add")
    return _activated(g, layer, y)


@converts("Conv1D", "Conv2D", "Conv3D")
def _conv(g, layer, xs, shapes):
    """Keras's kernel (k…, C/G, F) is ONNX's (F, C/G, k…)."""
    rank = layer.rank
    perm = (rank + 1, rank, *range(rank))
    w = g.weight(layer.name, layer.kernel, lambda a: numpy.transpose(a, perm))
    pads = _pads(layer, shapes[0], layer.kernel_size, layer.dilation_rate)

    def body(x):
        return g.op("Conv", [x, w], f"{layer.name}/conv", kernel_shape=list(layer.kernel_size),
                    strides=list(layer.strides), dilations=list(layer.dilation_rate),
                    group=layer.groups, pads=pads)

    return [_bias_activation(g, layer, _around_nchw(g, layer, xs[0], shapes[0], body))]


@converts("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def _conv_transpose(g, layer, xs, shapes):
    """Keras's kernel (k…, F, C) is ONNX's (C, F, k…). The output size is Keras's; the pads
    crop the full output the way TF places 'same' padding (before = total // 2)."""
    rank = layer.rank
    w = g.weight(layer.name, layer.kernel,
                 lambda a: numpy.transpose(a, (rank + 1, rank, *range(rank))))
    sizes = _spatial(layer, shapes[0])
    if any(s is None for s in sizes):
        raise NotImplementedError(
            f'profond.onnx: layer "{layer.name}" ({type(layer).__name__}) needs known spatial '
            f"sizes. Received: input shape {tuple(shapes[0])}")
    targets = layer._out_spatial(tuple(sizes))
    begins, ends, extra = [], [], []
    for n, out, k, s, d in zip(sizes, targets, layer.kernel_size, layer.strides,
                               layer.dilation_rate):
        k_eff = (k - 1) * d + 1
        full = (n - 1) * s + k_eff
        before = _same_pads(out, k, s, d)[0] if layer.padding == "same" else 0
        after = full - out - before
        begins.append(before)
        ends.append(max(after, 0))
        extra.append(max(-after, 0))  # the output is longer than the full one: output_padding

    def body(x):
        return g.op("ConvTranspose", [x, w], f"{layer.name}/conv_transpose",
                    kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                    dilations=list(layer.dilation_rate), pads=begins + ends,
                    output_padding=extra if any(extra) else None)

    return [_bias_activation(g, layer, _around_nchw(g, layer, xs[0], shapes[0], body))]


@converts("DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D")
def _depthwise(g, layer, xs, shapes):
    """A grouped Conv with one group per input channel: Keras's depthwise kernel (k…, C, M) is
    ONNX's (C·M, 1, k…), output channel c·M + m. A separable conv adds the 1×1 pointwise one."""
    rank = layer.rank
    kernel = getattr(layer, layer._depthwise_name)
    channels = kernel.shape[-2]

    def to_onnx(a):
        flat = a.reshape(a.shape[:rank] + (-1,))  # (k…, C·M)
        return numpy.moveaxis(flat, -1, 0)[:, None]

    w = g.weight(layer.name, kernel, to_onnx)
    pads = _pads(layer, shapes[0], layer.kernel_size, layer.dilation_rate)
    pointwise = getattr(layer, "pointwise_kernel", None)

    def body(x):
        y = g.op("Conv", [x, w], f"{layer.name}/depthwise", kernel_shape=list(layer.kernel_size),
                 strides=list(layer.strides), dilations=list(layer.dilation_rate),
                 group=int(channels), pads=pads)
        if pointwise is None:
            return y
        pw = g.weight(layer.name, pointwise,
                      lambda a: numpy.transpose(a, (rank + 1, rank, *range(rank))))
        return g.op("Conv", [y, pw], f"{layer.name}/pointwise", kernel_shape=[1] * rank)

    return [_bias_activation(g, layer, _around_nchw(g, layer, xs[0], shapes[0], body))]


@converts("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
          "AveragePooling2D", "AveragePooling3D")
def _pool(g, layer, xs, shapes):
    """'same' average pooling divides by the in-bounds count (count_include_pad=0), as Keras."""
    op = "MaxPool" if type(layer).__name__.startswith("Max") else "AveragePool"
    pads = _pads(layer, shapes[0], layer.pool_size, (1,) * layer.rank)

    def body(x):
        return g.op(op, [x], f"{layer.name}/pool", kernel_shape=list(layer.pool_size),
                    strides=list(layer.strides), pads=pads)

    return [g.op("Identity", [_around_nchw(g, layer, xs[0], shapes[0], body)], layer.name)]


@converts("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
          "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def _global_pool(g, layer, xs, shapes):
    op = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    return [g.reduce(op, xs[0], layer._axes(), layer.name, keepdims=layer.keepdims)]


@converts("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def _zero_padding(g, layer, xs, shapes):
    pairs = layer.padding
    pairs = [tuple(pairs)] if isinstance(pairs[0], int) else [tuple(p) for p in pairs]
    ndim = len(shapes[0])
    first = 2 if getattr(layer, "data_format", "channels_last") == "channels_first" else 1
    before, after = [0] * ndim, [0] * ndim
    for i, (a, b) in enumerate(pairs):
        before[first + i], after[first + i] = a, b
    return [g.op("Pad", [xs[0], g.ints(f"{layer.name}/pads", before + after)], layer.name)]


@converts("Cropping1D", "Cropping2D", "Cropping3D")
def _cropping(g, layer, xs, shapes):
    """x[:, a:−b, …] on each spatial axis (an end of 0 crops nothing: to the end)."""
    pairs = layer.cropping
    pairs = [tuple(pairs)] if isinstance(pairs[0], int) else [tuple(p) for p in pairs]
    first = 2 if getattr(layer, "data_format", "channels_last") == "channels_first" else 1
    starts = [a for a, _ in pairs]
    ends = [-b if b else 2**62 for _, b in pairs]
    axes = [first + i for i in range(len(pairs))]
    return [g.op("Slice", [xs[0], g.ints(f"{layer.name}/starts", starts),
                           g.ints(f"{layer.name}/ends", ends),
                           g.ints(f"{layer.name}/axes", axes)], layer.name)]


@converts("UpSampling1D", "UpSampling2D", "UpSampling3D")
def _upsampling(g, layer, xs, shapes):
    """Nearest-neighbour repeat of each row / column (``interpolation="nearest"`` only)."""
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" (UpSampling2D) exports '
                                  f"only interpolation='nearest'. Received: "
                                  f"interpolation={layer.interpolation!r}")
    sizes = layer.size if isinstance(layer.size, (tuple, list)) else (layer.size,)
    scales = [1.0] * len(shapes[0])
    first = 2 if getattr(layer, "data_format", "channels_last") == "channels_first" else 1
    for i, s in enumerate(sizes):
        scales[first + i] = float(s)
    scales = g.const(f"{layer.name}/scales", numpy.asarray(scales, numpy.float32),
                     numpy.float32)
    return [g.op("Resize", [xs[0], "", scales], layer.name, mode="nearest",
                 nearest_mode="floor", coordinate_transformation_mode="asymmetric")]
