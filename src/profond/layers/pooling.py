"""Pooling layers: max / average over windows, and global pooling over all positions.

    MaxPooling2D       y[n, i, j, c] = max_{u<kh, v<kw} x[n, i·s + u, j·s + v, c]
    AveragePooling2D   y[n, i, j, c] = 1/(kh·kw) Σ_{u,v} x[n, i·s + u, j·s + v, c]
    GlobalAveragePooling2D   y[n, c] = 1/(H·W) Σ_{i,j} x[n, i, j, c]

Strides default to the pool size (windows that tile the image: pooled by a reshape, no copy).
The 1-D versions pool (N, T, C) sequences as 1-pixel-high images; the 3-D ones pool (N, D, H, W, C)
volumes over d×h×w boxes.
"""

from profond import ops
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
from profond.ops.conv import conv_output_length
from profond.ops.pooling import avg_pool2d, avg_pool3d, max_pool2d, max_pool3d
from profond.registry import register_serializable


class BasePooling(Layer):
    rank = 2
    _op = None  # max_pool2d, avg_pool2d (ranks 1, 2), max_pool3d, avg_pool3d from ops.pooling

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", self)
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, self.rank, "strides", self))
        self.padding = normalize_padding(padding, layer=self.name)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        pool = type(self)._op
        if self.rank == 1:
            n, t, c = x.shape
            y = pool(ops.reshape(x, (n, 1, t, c)), (1, self.pool_size[0]),
                     (1, self.strides[0]), self.padding)
            y = ops.reshape(y, (n, y.shape[2], c))
        else:
            y = pool(x, self.pool_size, self.strides, self.padding)
        return from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, channels = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else conv_output_length(s, k, st, self.padding)
               for s, k, st in zip(spatial, self.pool_size, self.strides)]
        return make_shape(input_shape[0], out, channels, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                       "padding": self.padding, "data_format": self.data_format})
        return config


@register_serializable()
class MaxPooling2D(BasePooling):
    """Max over each pool_size window; the gradient goes to the window's argmax.

    >>> import profond as pf
    >>> pf.layers.MaxPooling2D()(pf.ones((1, 28, 28, 3))).shape
    (1, 14, 14, 3)
    """

    rank = 2
    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable()
class AveragePooling2D(BasePooling):
    """Mean over each pool_size window ('same' padding: padded zeros are not counted).

    >>> import profond as pf
    >>> pf.layers.AveragePooling2D(3)(pf.ones((1, 9, 9, 2))).shape
    (1, 3, 3, 2)
    """

    rank = 2
    _op = staticmethod(avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable()
class MaxPooling1D(BasePooling):
    """Max over windows of ``pool_size`` time steps: (N, T, C) → (N, T', C).

    >>> import profond as pf
    >>> pf.layers.MaxPooling1D()(pf.ones((2, 40, 4))).shape
    (2, 20, 4)
    """

    rank = 1
    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable()
class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` time steps: (N, T, C) → (N, T', C)."""

    rank = 1
    _op = staticmethod(avg_pool2d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable()
class MaxPooling3D(BasePooling):
    """Max over each d×h×w box of a volume (N, D, H, W, C).

    >>> import profond as pf
    >>> pf.layers.MaxPooling3D()(pf.ones((1, 4, 6, 8, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3
    _op = staticmethod(max_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable()
class AveragePooling3D(BasePooling):
    """Mean over each d×h×w box of a volume ('same' padding: padded zeros are not counted).

    >>> import profond as pf
    >>> pf.layers.AveragePooling3D(2)(pf.ones((1, 4, 6, 8, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3
    _op = staticmethod(avg_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class BaseGlobalPooling(Layer):
    rank = 2
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        if self.data_format == "channels_first":
            return tuple(range(2, self.rank + 2))
        return tuple(range(1, self.rank + 1))

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


@register_serializable()
class GlobalAveragePooling2D(BaseGlobalPooling):
    """y[n, c] = 1/(H·W) Σ_{i,j} x[n, i, j, c]: (N, H, W, C) → (N, C).

    >>> import profond as pf
    >>> pf.layers.GlobalAveragePooling2D()(pf.ones((2, 5, 5, 3))).shape
    (2, 3)
    """

    rank = 2
    _reduce = staticmethod(ops.reduce_mean)


@register_serializable()
class GlobalMaxPooling2D(BaseGlobalPooling):
    """y[n, c] = max_{i,j} x[n, i, j, c]: (N, H, W, C) → (N, C)."""

    rank = 2
    _reduce = staticmethod(ops.reduce_max)


@register_serializable()
class GlobalAveragePooling1D(BaseGlobalPooling):
    """y[n, c] = 1/T Σ_t x[n, t, c]: (N, T, C) → (N, C).

    With a mask m (from ``Embedding(mask_zero=True)``, say), the mean runs over the kept steps
    only, as in Keras: y[n, c] = Σ_t m[n, t] x[n, t, c] / Σ_t m[n, t]. The output has no mask.
    """

    rank = 1
    _reduce = staticmethod(ops.reduce_mean)
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        weights = ops.cast(mask, inputs.dtype)
        weights = ops.expand_dims(weights, 1 if self.data_format == "channels_first" else -1)
        axis = self._axes()
        total = ops.reduce_sum(inputs * weights, axis=axis, keepdims=self.keepdims)
        return total / ops.reduce_sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


@register_serializable()
class GlobalMaxPooling1D(BaseGlobalPooling):
    """y[n, c] = max_t x[n, t, c]: (N, T, C) → (N, C)."""

    rank = 1
    _reduce = staticmethod(ops.reduce_max)


@register_serializable()
class GlobalAveragePooling3D(BaseGlobalPooling):
    """y[n, c] = 1/(D·H·W) Σ_{i,j,l} x[n, i, j, l, c]: (N, D, H, W, C) → (N, C)."""

    rank = 3
    _reduce = staticmethod(ops.reduce_mean)


@register_serializable()
class GlobalMaxPooling3D(BaseGlobalPooling):
    """y[n, c] = max_{i,j,l} x[n, i, j, l, c]: (N, D, H, W, C) → (N, C)."""

    rank = 3
    _reduce = staticmethod(ops.reduce_max)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D
