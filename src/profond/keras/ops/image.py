"""``keras.ops.image``: image ops with Keras 3's argument names (channels last). The work is
``profond.ops.image``; ``resize`` and ``rgb_to_grayscale`` only rename arguments."""

from profond.ops import image as _image
from profond.ops.image import affine_transform


def _channels_last(data_format, name):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"keras.ops.image.{name} supports channels-last images in "
                                  f"profond. Received: data_format={data_format!r}")


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize (N, H, W, C) or (H, W, C) images to ``size`` = (height, width)."""
    _channels_last(data_format, "resize")
    if crop_to_aspect_ratio:
        return _image.smart_resize(images, size, interpolation)
    if pad_to_aspect_ratio:
        images = _image.pad_to_aspect_ratio(images, size, fill_value)
    return _image.resize(images, size, method=interpolation, antialias=antialias)


def rgb_to_grayscale(images, data_format=None):
    """Luma of RGB images, keeping a channel axis of size 1."""
    _channels_last(data_format, "rgb_to_grayscale")
    return _image.rgb_to_grayscale(images)


__all__ = ["affine_transform", "resize", "rgb_to_grayscale"]
