"""Image reshaping layers: ``UpSampling2D``, ``ZeroPadding2D``, ``Cropping2D``.

They only move values, so their gradients move them back (a sum over each upsampled block,
a crop of the padded gradient, a zero-padding of the cropped one).
"""

from profond import ops
from profond.layers.base import InputSpec, Layer
from profond.layers.conv import (
    from_channels_last,
    make_shape,
    normalize_data_format,
    normalize_tuple,
    spatial_shape,
    to_channels_last,
)
from profond.registry import register_serializable


def _pairs(value, name):
    """``1`` → ((1, 1), (1, 1)); ``(1, 2)`` → ((1, 1), (2, 2)); ((t, b), (l, r)) kept."""
    if isinstance(value, int):
        value = (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"Expected `{name}` to be an int, a tuple of 2 ints or a tuple of 2 "
                         f"tuples of 2 ints. Received: {name}={value}")
    out = []
    for v in value:
        v = (v, v) if isinstance(v, int) else tuple(int(a) for a in v)
        if len(v) != 2 or min(v) < 0:
            raise ValueError(f"Expected `{name}` to hold non-negative ints. "
                             f"Received: {name}={value}")
        out.append(v)
    return tuple(out)


@register_serializable()
class UpSampling2D(Layer):
    """Nearest-neighbour upsampling: y[n, i, j, c] = x[n, ⌊i/sh⌋, ⌊j/sw⌋, c].

    Done as reshape → broadcast → reshape (no index arrays); the gradient sums each sh×sw block.

    >>> import profond as pf
    >>> pf.layers.UpSampling2D()(pf.ones((1, 7, 7, 3))).shape
    (1, 14, 14, 3)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size")
        self.data_format = normalize_data_format(data_format)
        if interpolation != "nearest":
            raise ValueError(f'Layer "{self.name}": only interpolation="nearest" is supported. '
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        n, h, w, c = x.shape
        sh, sw = self.size
        x = ops.broadcast_to(ops.reshape(x, (n, h, 1, w, 1, c)), (n, h, sh, w, sw, c))
        y = ops.reshape(x, (n, h * sh, w * sw, c))
        return from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, c = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else s * k for s, k in zip(spatial, self.size)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"size": list(self.size), "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config


@register_serializable()
class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros: ``padding`` = p, (ph, pw) or ((top, bottom), (left, right)).

    >>> import profond as pf
    >>> pf.layers.ZeroPadding2D(1)(pf.ones((1, 5, 5, 2))).shape
    (1, 7, 7, 2)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, "padding")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        y = ops.pad(x, [(0, 0), self.padding[0], self.padding[1], (0, 0)])
        return from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, c = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else s + sum(p) for s, p in zip(spatial, self.padding)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": [list(p) for p in self.padding],
                       "data_format": self.data_format})
        return config


@register_serializable()
class Cropping2D(Layer):
    """Removes rows and columns at the edges: ``cropping`` = ((top, bottom), (left, right)).

    >>> import profond as pf
    >>> pf.layers.Cropping2D(((1, 2), (0, 1)))(pf.ones((1, 6, 6, 2))).shape
    (1, 3, 5, 2)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "cropping")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        (t, b), (left, r) = self.cropping
        h, w = x.shape[1], x.shape[2]
        if t + b >= h or left + r >= w:
            raise ValueError(f'Layer "{self.name}": the cropping {self.cropping} leaves nothing '
                             f"of the input. Received: input shape {tuple(inputs.shape)}")
        y = x[:, t:h - b, left:w - r, :]
        return from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, c = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else s - sum(p) for s, p in zip(spatial, self.cropping)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": [list(p) for p in self.cropping],
                       "data_format": self.data_format})
        return config
