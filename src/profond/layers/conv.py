"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv3D`` and their transposes (channels-last by
default); the depthwise and separable ones are in ``conv_depthwise.py``.

A 2-D convolution slides a (kh, kw, C, F) kernel over the image (cross-correlation, as every
deep-learning library):

    y[n, i, j, f] = g( b[f] + Σ_{u,v,c} x[n, i·s + u·d, j·s + v·d, c] · W[u, v, c, f] )

computed by ``profond.ops.conv2d`` as im2col + one GEMM. ``Conv1D`` is the same op on a 1-pixel-high
image; ``Conv3D``, grouped convolutions and the 1-D / 3-D transposes use the general
``profond.ops.conv_nd``. Kernels are stored in Keras's layouts, so Keras weights load as they are:
Conv1D (k, C/G, F), Conv2D (kh, kw, C/G, F), Conv3D (kd, kh, kw, C/G, F), the transposes (k…, F, C).
"""

from profond import _validation as check
from profond import activations, initializers, ops
from profond.layers.base import InputSpec, Layer
from profond.layers.core import _serialize, fused_activation
from profond.ops.conv import conv2d, conv2d_transpose, conv_output_length
from profond.ops.conv_nd import conv, conv_transpose
from profond.registry import register_serializable

# --- argument helpers shared by the conv, pooling and reshaping layers --------------------------


def _owner(layer):
    return f'Layer "{layer}": ' if layer else ""


def normalize_tuple(value, n, name, layer=None):
    """``3`` → ``(3, 3)`` (for n=2); a sequence must have n positive integers (``3.7`` is
    refused, not truncated). ``layer``: the layer, named in the error message."""
    return check.int_tuple(name, value, n, layer)


def normalize_padding(padding, allowed=("valid", "same"), layer=None):
    p = str(padding).lower()
    if p not in allowed:
        raise ValueError(f"{_owner(layer)}Expected `padding` to be one of {', '.join(allowed)}. "
                         f"Received: padding={padding!r}")
    return p


def normalize_data_format(data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected `data_format` 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def to_channels_last(x, data_format):
    """(N, C, ...) → (N, ..., C) when the layer works on channels_first data."""
    if data_format == "channels_first":
        return ops.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def from_channels_last(x, data_format):
    if data_format == "channels_first":
        return ops.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return x


def spatial_shape(shape, data_format):
    """The spatial sizes and channel count of an input shape."""
    if data_format == "channels_first":
        return tuple(shape[2:]), shape[1]
    return tuple(shape[1:-1]), shape[-1]


def make_shape(batch, spatial, channels, data_format):
    if data_format == "channels_first":
        return (batch, channels) + tuple(spatial)
    return (batch,) + tuple(spatial) + (channels,)


# --- the layers -----------------------------------------------------------------------------------


class BaseConv(Layer):
    """What the convolutions share: arguments, weights, bias, activation, config.

    Subclasses set ``rank`` (1, 2, 3) and ``_paddings``; ``groups`` G splits the C input channels
    and the F filters into G groups convolved separately (kernel (k…, C/G, F)).
    """

    rank = 2
    _paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        where = self
        filters = check.positive_int("filters", filters, where)
        groups = check.positive_int("groups", groups, where)
        if filters % groups:
            raise ValueError(f'Layer "{self.name}": the number of filters must be evenly '
                             f"divisible by the number of groups. Received: groups={groups}, "
                             f"filters={filters}")
        self.filters, self.groups = filters, groups
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", where)
        self.strides = normalize_tuple(strides, self.rank, "strides", where)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", where)
        self.padding = normalize_padding(padding, self._paddings, self.name)
        self.data_format = normalize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f'Layer "{self.name}": strides > 1 not supported with '
                             f"dilation_rate > 1. Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self._fused = fused_activation(activation, self.activation)  # run inside the conv op
        self.use_bias = check.boolean("use_bias", use_bias, where)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=self.rank + 2)
        self.kernel = None
        self.bias = None

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (in_channels // self.groups, self.filters)

    def build(self, input_shape):
        channels = spatial_shape(input_shape, self.data_format)[1]
        if channels is None:
            raise ValueError(f'The channel dimension of the inputs to layer "{self.name}" '
                             f"should be defined. Received: input_shape={input_shape}")
        if channels % self.groups:
            raise ValueError(f'Layer "{self.name}": the number of input channels must be evenly '
                             f"divisible by the number of groups. Received: groups={self.groups}"
                             f", input_shape={tuple(input_shape)}")
        self.kernel = self.add_weight(
            shape=self._kernel_shape(channels), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: int(channels)})

    def _bias_activation(self, y):
        """b + y, then g — on channels-last y."""
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)

    def call(self, inputs):
        """The general path (any rank, groups): ``profond.ops.conv_nd.conv``, then b and g."""
        x = to_channels_last(inputs, self.data_format)
        y = conv(x, self.kernel, self.strides, self.padding, self.dilation_rate)
        return from_channels_last(self._bias_activation(y), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, _ = spatial_shape(input_shape, self.data_format)
        out = []
        for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            pad = "same" if self.padding == "causal" else self.padding
            out.append(None if size is None else conv_output_length(size, k, s, pad, d))
        return make_shape(input_shape[0], out, self.filters, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(self.kernel_initializer, initializers),
            "bias_initializer": _serialize(self.bias_initializer, initializers),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "activity_regularizer": _serialize(self.activity_regularizer),
            "kernel_constraint": _serialize(self.kernel_constraint),
            "bias_constraint": _serialize(self.bias_constraint),
        })
        return config


@register_serializable()
class Conv2D(BaseConv):
    """2-D convolution: y = g(b + W ⋆ x), kernel (kh, kw, C/groups, F), input (N, H, W, C).

    'valid' padding gives H' = ⌊(H − d(kh − 1) − 1)/s⌋ + 1; 'same' gives H' = ⌈H/s⌉.

    >>> import profond as pf
    >>> layer = pf.layers.Conv2D(8, 3, activation="relu")
    >>> layer(pf.ones((2, 28, 28, 1))).shape
    (2, 26, 26, 8)
    >>> layer.kernel.shape
    (3, 3, 1, 8)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)

    def call(self, inputs):
        if self.groups > 1:
            return super().call(inputs)
        x = to_channels_last(inputs, self.data_format)
        if self._fused is not None:
            y = conv2d(x, self.kernel, self.strides, self.padding, self.dilation_rate,
                       bias=self.bias, activation=self._fused)
        else:
            y = self._bias_activation(
                conv2d(x, self.kernel, self.strides, self.padding, self.dilation_rate))
        return from_channels_last(y, self.data_format)


@register_serializable()
class Conv1D(BaseConv):
    """1-D convolution over time: y[n, t, f] = g(b[f] + Σ_{u,c} x[n, t·s + u·d, c] · W[u, c, f]).

    Input (N, T, C), kernel (k, C/groups, F). ``padding="causal"`` pads d·(k − 1) zeros on the
    left only, so the output at t never sees inputs after t. Runs as a 2-D convolution of height 1
    (a grouped one through ``profond.ops.conv_nd``).

    >>> import profond as pf
    >>> pf.layers.Conv1D(4, 5)(pf.ones((2, 40, 1))).shape
    (2, 36, 4)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        padding = self.padding
        if padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            x = ops.pad(x, [[0, 0], [left, 0], [0, 0]])
            padding = "valid"
        if self.groups > 1:
            y = conv(x, self.kernel, self.strides, padding, self.dilation_rate)
        else:
            n, t, c = x.shape
            k = self.kernel
            y = conv2d(ops.reshape(x, (n, 1, t, c)), ops.reshape(k, (1,) + tuple(k.shape)),
                       (1, self.strides[0]), padding, (1, self.dilation_rate[0]))
            y = ops.reshape(y, (n, y.shape[2], self.filters))
        return from_channels_last(self._bias_activation(y), self.data_format)


@register_serializable()
class Conv3D(BaseConv):
    """3-D convolution of volumes (N, D, H, W, C) (video, medical scans), kernel
    (kd, kh, kw, C/groups, F):

        y[n, i, j, l, f] = g(b[f] + Σ_{u,v,w,c} x[n, i·s + u·d, j·s + v·d, l·s + w·d, c]
                                                · W[u, v, w, c, f])

    >>> import profond as pf
    >>> pf.layers.Conv3D(4, 3, padding="same")(pf.ones((1, 8, 8, 8, 2))).shape
    (1, 8, 8, 8, 4)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


def deconv_output_length(size, k, stride, padding, output_padding=None, dilation=1):
    """Output length of a transposed convolution (Keras's rule)."""
    if size is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(k - stride, 0)
        return size * stride
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


class BaseConvTranspose(BaseConv):
    """A transposed convolution (the input gradient of a convolution): upsamples by ``strides``.

    Each input position scatters W[u, f, c]·x[n, i, c] over an output window at i·s:

        y[n, i·s + u·d, f] += Σ_c x[n, i, c] · W[u, f, c]   (then + b, g)

    Kernel (k…, F, C) as Keras's. 'same' padding gives n' = n·s; 'valid' n·s + max(k − s, 0);
    ``output_padding`` p (< s) gives n' = (n − 1)·s + k − 2·pad + p, pad = k//2 for 'same'.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        groups = kwargs.pop("groups", 1)  # accepted only as 1 (older profond configs hold it)
        if groups != 1:
            raise ValueError(f"{type(self).__name__} does not take `groups` (as Keras). "
                             f"Received: groups={groups}")
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = check.int_tuple("output_padding", output_padding, self.rank,
                                                  self, minimum=0)
            if any(not 0 <= p < s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f'Layer "{self.name}": `output_padding` must be {self.rank} '
                                 f"int(s) ≥ 0 and strictly less than `strides`. Received: "
                                 f"output_padding={output_padding}, strides={self.strides}")

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (self.filters, in_channels)

    def _out_spatial(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        return tuple(deconv_output_length(n, k, s, self.padding, p, d) for n, k, s, p, d in
                     zip(spatial, self.kernel_size, self.strides, pads, self.dilation_rate))

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        y = conv_transpose(x, self.kernel, self._out_spatial(x.shape[1:-1]), self.strides,
                           self.padding, self.dilation_rate)
        return from_channels_last(self._bias_activation(y), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, _ = spatial_shape(input_shape, self.data_format)
        return make_shape(input_shape[0], self._out_spatial(spatial), self.filters,
                          self.data_format)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = (None if self.output_padding is None
                                    else list(self.output_padding))
        return config


@register_serializable()
class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution: (N, T, C) → (N, T', F), kernel (k, F, C).

    >>> import profond as pf
    >>> pf.layers.Conv1DTranspose(2, 3, strides=2, padding="same")(pf.ones((1, 5, 4))).shape
    (1, 10, 2)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)


@register_serializable()
class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution: (N, H, W, C) → (N, H', W', F), kernel (kh, kw, F, C).

    >>> import profond as pf
    >>> pf.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(pf.ones((1, 7, 7, 8))).shape
    (1, 14, 14, 3)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)

    def call(self, inputs):  # the tuned 2-D path of profond.ops.conv
        x = to_channels_last(inputs, self.data_format)
        y = conv2d_transpose(x, self.kernel, self._out_spatial(x.shape[1:3]), self.strides,
                             self.padding, self.dilation_rate)
        return from_channels_last(self._bias_activation(y), self.data_format)


@register_serializable()
class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution: (N, D, H, W, C) → (N, D', H', W', F), kernel
    (kd, kh, kw, F, C).

    >>> import profond as pf
    >>> pf.layers.Conv3DTranspose(2, 3, strides=2, padding="same")(pf.ones((1, 3, 4, 5, 1))).shape
    (1, 6, 8, 10, 2)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
