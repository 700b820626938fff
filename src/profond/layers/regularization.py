"""``SpatialDropout2D``: dropout of whole feature maps.

Neighbouring pixels of a feature map are strongly correlated, so ordinary dropout barely
regularizes a conv net; SpatialDropout2D zeroes entire channels instead. While training, for each
example n and channel c, with keep ~ Bernoulli(1 − rate):

    y[n, :, :, c] = x[n, :, :, c] · keep[n, c] / (1 − rate)

At inference it is the identity.
"""

import numpy

from profond import ops
from profond.layers.base import InputSpec, Layer
from profond.layers.conv import normalize_data_format
from profond.registry import register_serializable


@register_serializable()
class SpatialDropout2D(Layer):
    """Drops whole channels with probability ``rate`` while training (scaled by 1/(1 − rate)).

    >>> import profond as pf
    >>> layer = pf.layers.SpatialDropout2D(0.5)
    >>> layer(pf.ones((1, 2, 2, 3))).shape  # not training: unchanged
    (1, 2, 2, 3)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.data_format = normalize_data_format(data_format)
        self.seed = seed
        self._rng = numpy.random.default_rng(seed) if seed is not None else None
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            noise_shape = (n, inputs.shape[1], 1, 1)
        else:
            noise_shape = (n, 1, 1, inputs.shape[3])
        seed = None if self._rng is None else int(self._rng.integers(2**31))
        return ops.dropout(inputs, self.rate, training=True, noise_shape=noise_shape, seed=seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "data_format": self.data_format, "seed": self.seed})
        return config
