"""Depthwise and separable convolutions (MobileNet's, Xception's building blocks).

A depthwise convolution filters each of the C input channels on its own with M =
``depth_multiplier`` kernels, and never mixes channels (kernel (k…, C, M), C·M outputs):

    y[n, o, c·M + m] = g( b[c·M + m] + Σ_u x[n, o·s + u·d, c] · W[u, c, m] )

A separable convolution follows it with a pointwise (1×1) convolution P (1…, C·M, F) that mixes
the channels: y = g(b + P ⋆ (W ⋆_depthwise x)). It costs k·C·M + C·M·F weights instead of the
k·C·F of a full convolution. Both run through ``profond.ops.depthwise`` (K multiply-adds of
strided views, no im2col) and, for the pointwise step, ``profond.ops.conv_nd.conv``.
"""

from profond import _validation as check
from profond import activations, initializers
from profond.layers.base import InputSpec, Layer
from profond.layers.conv import (
    from_channels_last,
    make_shape,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    spatial_shape,
    to_channels_last,
)
from profond.layers.core import _serialize
from profond.ops.conv import conv_output_length
from profond.ops.conv_nd import conv
from profond.ops.depthwise import depthwise_conv
from profond.registry import register_serializable


class _BaseDepthwise(Layer):
    """The arguments, depthwise kernel, bias and activation the depthwise and separable layers
    share. Subclasses set ``rank`` and ``_depthwise_name`` (Keras: "kernel" for DepthwiseConv,
    "depthwise_kernel" for SeparableConv)."""

    rank = 2
    _depthwise_name = "kernel"

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.depth_multiplier = check.positive_int("depth_multiplier", depth_multiplier, self)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, self.rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", self)
        self.padding = normalize_padding(padding, layer=self.name)
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = depthwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.bias = None

    def _out_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        channels = spatial_shape(input_shape, self.data_format)[1]
        if channels is None:
            raise ValueError(f'The channel dimension of the inputs to layer "{self.name}" '
                             f"should be defined. Received: input_shape={input_shape}")
        kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, name=self._depthwise_name,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        setattr(self, self._depthwise_name, kernel)
        self._build_pointwise(channels)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self._out_channels(channels),), initializer=self.bias_initializer,
                name="bias", regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: int(channels)})

    def _build_pointwise(self, channels):
        pass

    def _convolve(self, x):
        return depthwise_conv(x, getattr(self, self._depthwise_name), self.strides, self.padding,
                              self.dilation_rate)

    def call(self, inputs):
        y = self._convolve(to_channels_last(inputs, self.data_format))
        if self.use_bias:
            y = y + self.bias
        return from_channels_last(self.activation(y), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, channels = spatial_shape(input_shape, self.data_format)
        out = [None if n is None else conv_output_length(n, k, s, self.padding, d)
               for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        return make_shape(input_shape[0], out, self._out_channels(channels), self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": _serialize(self.depthwise_initializer, initializers),
            "bias_initializer": _serialize(self.bias_initializer, initializers),
            "depthwise_regularizer": _serialize(self.depthwise_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "activity_regularizer": _serialize(self.activity_regularizer),
            "depthwise_constraint": _serialize(self.depthwise_constraint),
            "bias_constraint": _serialize(self.bias_constraint),
        })
        return config


@register_serializable()
class DepthwiseConv2D(_BaseDepthwise):
    """Depthwise 2-D convolution: each channel its own ``depth_multiplier`` filters, kernel
    (kh, kw, C, M) named "kernel", output channels C·M (channel c·M + m from W[:, :, c, m]).

    >>> import profond as pf
    >>> layer = pf.layers.DepthwiseConv2D(3, depth_multiplier=2)
    >>> layer(pf.ones((1, 5, 6, 3))).shape
    (1, 3, 4, 6)
    >>> layer.kernel.shape
    (3, 3, 3, 2)
    """

    rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, **kwargs)


@register_serializable()
class DepthwiseConv1D(_BaseDepthwise):
    """Depthwise 1-D convolution over (N, T, C), kernel (k, C, M), output channels C·M.

    >>> import profond as pf
    >>> pf.layers.DepthwiseConv1D(3, depth_multiplier=2)(pf.ones((1, 5, 3))).shape
    (1, 3, 6)
    """

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, **kwargs)


class _BaseSeparable(_BaseDepthwise):
    """A depthwise convolution then a pointwise one: weights "depthwise_kernel" (k…, C, M),
    "pointwise_kernel" (1…, C·M, F) and "bias" (F,), as Keras's."""

    _depthwise_name = "depthwise_kernel"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.filters = check.positive_int("filters", filters, self)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = pointwise_regularizer
        self.pointwise_constraint = pointwise_constraint

    def _out_channels(self, channels):
        return self.filters

    def _build_pointwise(self, channels):
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)

    def _convolve(self, x):
        return conv(super()._convolve(x), self.pointwise_kernel)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "pointwise_initializer": _serialize(self.pointwise_initializer, initializers),
            "pointwise_regularizer": _serialize(self.pointwise_regularizer),
            "pointwise_constraint": _serialize(self.pointwise_constraint),
        })
        return config


@register_serializable()
class SeparableConv2D(_BaseSeparable):
    """Separable 2-D convolution: a depthwise (kh, kw, C, M) then a pointwise (1, 1, C·M, F)
    convolution, y = g(b + P ⋆ (W ⋆_depthwise x)).

    >>> import profond as pf
    >>> layer = pf.layers.SeparableConv2D(4, 3, depth_multiplier=2)
    >>> layer(pf.ones((1, 5, 6, 3))).shape
    (1, 3, 4, 4)
    >>> layer.pointwise_kernel.shape
    (1, 1, 6, 4)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, **kwargs)


@register_serializable()
class SeparableConv1D(_BaseSeparable):
    """Separable 1-D convolution: a depthwise (k, C, M) then a pointwise (1, C·M, F) one.

    >>> import profond as pf
    >>> pf.layers.SeparableConv1D(4, 3)(pf.ones((1, 5, 3))).shape
    (1, 3, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, **kwargs)


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
