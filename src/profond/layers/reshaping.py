"""Reshaping layers: ``UpSampling1D/2D/3D``, ``ZeroPadding1D/2D/3D``, ``Cropping1D/2D/3D``,
``Permute``, ``RepeatVector``.

They only move values, so their gradients move them back (a sum over each upsampled block,
a crop of the padded gradient, a zero-padding of the cropped one, the inverse permutation, a sum
over the repeats).
"""

from profond import _validation as check
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


def _pairs(value, name, where, n=2):
    """For n spatial axes: ``1`` → ((1, 1),) * n; ``(1, 2)`` → ((1, 1), (2, 2)); a tuple of n
    (before, after) pairs is kept. Every entry an integer ≥ 0 (``1.5`` is refused)."""
    items = (value,) * n if check.is_integer(value) else value
    pairs = None
    if isinstance(items, (list, tuple)) and len(items) == n:
        pairs = [(v, v) if check.is_integer(v) else v for v in items]
    if pairs is None or not all(isinstance(p, (list, tuple)) and len(p) == 2 and all(
            check.is_integer(a) and a >= 0 for a in p) for p in pairs):
        raise check.fail(name, value, f"an integer, a tuple of {n} integers or a tuple of {n} "
                         "(before, after) pairs of integers, all >= 0", where)
    return tuple((int(a), int(b)) for a, b in pairs)


def _pair(value, name, where):
    """For one axis (Cropping1D, ZeroPadding1D): ``1`` → (1, 1); (before, after) kept."""
    items = (value, value) if check.is_integer(value) else value
    if not isinstance(items, (list, tuple)) or len(items) != 2 or not all(
            check.is_integer(v) and v >= 0 for v in items):
        raise check.fail(name, value, "an integer or a tuple of 2 integers, all >= 0", where)
    return (int(items[0]), int(items[1]))


def _upsample(x, sizes):
    """Nearest-neighbour upsampling of the spatial axes 1..k of a channels-last tensor by
    ``sizes``, as reshape → broadcast → reshape (no index arrays)."""
    n, *spatial, c = x.shape
    wide = [n]
    tiled = [n]
    for d, k in zip(spatial, sizes):
        wide += [d, 1]
        tiled += [d, k]
    x = ops.broadcast_to(ops.reshape(x, tuple(wide) + (c,)), tuple(tiled) + (c,))
    return ops.reshape(x, (n,) + tuple(d * k for d, k in zip(spatial, sizes)) + (c,))


def _crop(x, layer, cropping, inputs):
    """Remove ``cropping`` [(before, after), ...] from the spatial axes 1..k (channels last)."""
    spatial = x.shape[1:-1]
    if any(a + b >= d for (a, b), d in zip(cropping, spatial)):
        raise ValueError(f'Layer "{layer.name}": the `cropping` {cropping} must be smaller than '
                         f"the input. Received: inputs.shape={tuple(inputs.shape)}")
    index = (slice(None),) + tuple(slice(a, d - b) for (a, b), d in zip(cropping, spatial))
    return x[index + (slice(None),)]


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
        self.size = normalize_tuple(size, 2, "size", self)
        self.data_format = normalize_data_format(data_format)
        if interpolation != "nearest":
            raise ValueError(f'Layer "{self.name}": only interpolation="nearest" is supported. '
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        return from_channels_last(_upsample(x, self.size), self.data_format)

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
        self.padding = _pairs(padding, "padding", self)
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
        self.cropping = _pairs(cropping, "cropping", self)
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


@register_serializable()
class UpSampling1D(Layer):
    """Repeats each time step ``size`` times: (batch, steps, c) → (batch, steps·size, c).

    >>> import profond as pf
    >>> pf.layers.UpSampling1D(3)(pf.ones((2, 4, 5))).shape
    (2, 12, 5)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 1, "size", self)[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return _upsample(inputs, (self.size,))

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


@register_serializable()
class UpSampling3D(Layer):
    """Nearest-neighbour upsampling of volumes: (batch, d, h, w, c) → (batch, d·s₁, h·s₂, w·s₃, c).

    >>> import profond as pf
    >>> pf.layers.UpSampling3D((1, 2, 3))(pf.ones((1, 2, 2, 2, 3))).shape
    (1, 2, 4, 6, 3)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 3, "size", self)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        return from_channels_last(_upsample(x, self.size), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, c = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else s * k for s, k in zip(spatial, self.size)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"size": list(self.size), "data_format": self.data_format})
        return config


@register_serializable()
class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of the time axis: ``padding`` = p or (before, after).

    >>> import profond as pf
    >>> pf.layers.ZeroPadding1D((1, 2))(pf.ones((2, 4, 3))).shape
    (2, 7, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pair(padding, "padding", self)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        y = ops.pad(x, [(0, 0), self.padding, (0, 0)])
        return from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        (steps,), c = spatial_shape(input_shape, self.data_format)
        out = [None if steps is None else steps + sum(self.padding)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": list(self.padding), "data_format": self.data_format})
        return config


@register_serializable()
class ZeroPadding3D(Layer):
    """Adds zeros around volumes: ``padding`` = p, (pd, ph, pw) or three (before, after) pairs.

    >>> import profond as pf
    >>> pf.layers.ZeroPadding3D(1)(pf.ones((1, 2, 2, 2, 3))).shape
    (1, 4, 4, 4, 3)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, "padding", self, 3)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        y = ops.pad(x, [(0, 0), *self.padding, (0, 0)])
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
class Cropping1D(Layer):
    """Removes time steps at the start and end: ``cropping`` = c or (before, after).

    >>> import profond as pf
    >>> pf.layers.Cropping1D((1, 2))(pf.ones((2, 6, 3))).shape
    (2, 3, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair(cropping, "cropping", self)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return _crop(inputs, self, (self.cropping,), inputs)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps - sum(self.cropping),
                input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["cropping"] = list(self.cropping)
        return config


@register_serializable()
class Cropping3D(Layer):
    """Removes slices at the edges of volumes: ``cropping`` = c, (cd, ch, cw) or three
    (before, after) pairs.

    >>> import profond as pf
    >>> pf.layers.Cropping3D(((1, 0), (0, 1), (1, 1)))(pf.ones((1, 4, 4, 4, 3))).shape
    (1, 3, 3, 2, 3)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "cropping", self, 3)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        x = to_channels_last(inputs, self.data_format)
        return from_channels_last(_crop(x, self, self.cropping, inputs), self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, c = spatial_shape(input_shape, self.data_format)
        out = [None if s is None else s - sum(p) for s, p in zip(spatial, self.cropping)]
        return make_shape(input_shape[0], out, c, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": [list(p) for p in self.cropping],
                       "data_format": self.data_format})
        return config


@register_serializable()
class Permute(Layer):
    """Reorders the axes of every example: ``dims`` is a permutation of 1..k (the batch axis,
    0, stays first). ``Permute((2, 1))`` turns (batch, steps, features) into
    (batch, features, steps).

    >>> import profond as pf
    >>> pf.layers.Permute((2, 1))(pf.ones((2, 3, 4))).shape
    (2, 4, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (list, tuple)) or not all(check.is_integer(d) for d in dims):
            raise check.fail("dims", dims, "a tuple of integers, a permutation of 1, …, k (the "
                             "axes of an example; the batch axis 0 stays first)", self)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of "
                             "indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={tuple(dims)}")
        self.dims = tuple(int(d) for d in dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


@register_serializable()
class RepeatVector(Layer):
    """Repeats a vector ``n`` times: (batch, features) → (batch, n, features); the usual bridge
    from an encoder's summary vector to a decoder RNN.

    >>> import profond as pf
    >>> pf.layers.RepeatVector(3)(pf.ones((2, 5))).shape
    (2, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check.positive_int("n", n, self)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        batch, features = inputs.shape
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
