"""Image preprocessing layers: ``Resizing``, ``CenterCrop``, ``RandomCrop``, and the base class of
every image layer (channels-last by default, batched ``(n, h, w, c)`` or single ``(h, w, c)``
images; integer pixels are computed as floats). The array logic lives in ``profond.ops.image``.
"""

import numpy

from profond import backend, random
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.ops import image as image_ops
from profond.ops.elementwise import cast
from profond.ops.shape import expand_dims, squeeze, transpose
from profond.registry import register_serializable


class BaseImageLayer(Layer):
    """Shared plumbing: ``data_format``, a ``seed``, and ``transform(images, training)`` written
    for one rank-4 channels-last float batch."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: `data_format` must be 'channels_last' or "
                             f"'channels_first'. Received: data_format={data_format!r}")
        self.data_format = data_format or "channels_last"
        self.seed = seed
        self._generator = numpy.random.default_rng(seed) if seed is not None else None

    def _rng(self):
        """The layer's own generator when seeded, else profond's (``profond.set_seed``)."""
        return self._generator if self._generator is not None else random.generator()

    @staticmethod
    def _const(values, like, dtype=None):
        """Host-drawn random values as a tensor on ``like``'s device (``like``'s dtype)."""
        xp = backend.array_module(like.data)
        return Tensor._wrap(xp.asarray(values, dtype=dtype or like.dtype))

    def call(self, inputs, training=True):  # Keras: a direct call augments; predict passes False
        x = inputs if inputs.dtype.kind == "f" else cast(inputs, self.dtype)
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected images of rank 3 or 4. Received: "
                             f"inputs.shape={tuple(x.shape)}")
        single = x.ndim == 3
        if single:
            x = expand_dims(x, 0)
        first = self.data_format == "channels_first"
        if first:
            x = transpose(x, (0, 2, 3, 1))
        y = self.transform(x, bool(training))
        if first:
            y = transpose(y, (0, 3, 1, 2))
        return squeeze(y, 0) if single else y

    def transform(self, images, training):
        raise NotImplementedError

    def _hw_axes(self, rank):
        """The positions of height and width in an input shape of ``rank``."""
        h = rank - 3 if self.data_format == "channels_last" else rank - 2
        return h, h + 1

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def _check_hw(height, width, who):
    if height is None or width is None or int(height) < 1 or int(width) < 1:
        raise ValueError(f"{who}: `height` and `width` must be positive integers. Received: "
                         f"height={height}, width={width}")
    return int(height), int(width)


class _FixedSizeLayer(BaseImageLayer):
    """A layer whose outputs are ``height × width`` images."""

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected an input shape of rank 3 or 4. "
                             f"Received: input_shape={tuple(input_shape)}")
        h, w = self._hw_axes(len(shape))
        shape[h], shape[w] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


@register_serializable()
class Resizing(_FixedSizeLayer):
    """Resize images to ``height × width`` (``profond.image.resize``, differentiable).

    ``crop_to_aspect_ratio`` first crops the largest centred window with the target's aspect
    ratio (no distortion); ``pad_to_aspect_ratio`` instead pads the short side with
    ``fill_value``. ``interpolation``: bilinear, nearest, bicubic, area, lanczos3, lanczos5,
    mitchellcubic.

    >>> import numpy as np
    >>> Resizing(2, 3)(np.ones((1, 4, 6, 3))).shape
    (1, 2, 3, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _check_hw(height, width, "Resizing")
        if interpolation not in image_ops.INTERPOLATIONS:
            raise ValueError(f"Resizing: unknown `interpolation`. Expected one of "
                             f"{image_ops.INTERPOLATIONS}. Received: "
                             f"interpolation={interpolation!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of `crop_to_aspect_ratio` and "
                             "`pad_to_aspect_ratio` can be True.")
        if fill_mode != "constant":
            raise ValueError("Resizing: only fill_mode='constant' is supported. Received: "
                             f"fill_mode={fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.antialias = bool(antialias)

    def transform(self, images, training):
        size = (self.height, self.width)
        if self.crop_to_aspect_ratio:
            return image_ops.smart_resize(images, size, self.interpolation)
        if self.pad_to_aspect_ratio:
            images = image_ops.pad_to_aspect_ratio(images, size, self.fill_value)
        return image_ops.resize(images, size, self.interpolation, antialias=self.antialias)

    def get_config(self):
        config = super().get_config()
        config.update({"interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias})
        return config


@register_serializable()
class CenterCrop(_FixedSizeLayer):
    """Keep the central ``height × width`` window (offsets ⌊(H − h)/2⌋, ⌊(W − w)/2⌋); an image
    smaller than that is first cropped to the target's aspect ratio and resized (bilinear)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _check_hw(height, width, "CenterCrop")

    def transform(self, images, training):
        return _center_crop(images, self.height, self.width)


def _center_crop(images, height, width):
    h, w = images.shape[1], images.shape[2]
    if h >= height and w >= width:
        return image_ops.crop_to_bounding_box(images, (h - height) // 2, (w - width) // 2,
                                              height, width)
    return image_ops.smart_resize(images, (height, width))


@register_serializable()
class RandomCrop(_FixedSizeLayer):
    """While training, a ``height × width`` window at a random place (one per image); at
    inference, or for images smaller than the window, the largest centred window with the
    target's aspect ratio, resized to ``height × width`` (``smart_resize``). Differentiable with
    respect to the images (a crop copies pixels)."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _check_hw(height, width, "RandomCrop")

    def transform(self, images, training):
        from profond.ops.shape import stack

        n, h, w = images.shape[0], images.shape[1], images.shape[2]
        if not (training and h >= self.height and w >= self.width):
            return image_ops.smart_resize(images, (self.height, self.width))
        rng = self._rng()
        tops = rng.integers(0, h - self.height + 1, size=n)
        lefts = rng.integers(0, w - self.width + 1, size=n)
        crops = [image_ops.crop_to_bounding_box(images[i], int(t), int(left), self.height,
                                                self.width)
                 for i, (t, left) in enumerate(zip(tops, lefts))]
        return stack(crops, axis=0)

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config
