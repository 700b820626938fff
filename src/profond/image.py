"""``tf.image``: image ops with TensorFlow's names (the logic lives in ``profond.ops.image``).

>>> import profond as tf
>>> tf.image.resize(tf.ones((2, 8, 8, 3)), (4, 4)).shape
(2, 4, 4, 3)
"""

from profond.ops.image import (
    adjust_brightness,
    adjust_contrast,
    affine_transform,
    central_crop,
    convert_image_dtype,
    crop_to_bounding_box,
    extract_patches,
    flip_left_right,
    flip_up_down,
    grayscale_to_rgb,
    pad_to_bounding_box,
    per_image_standardization,
    random_flip_left_right,
    random_flip_up_down,
    resize,
    resize_with_crop_or_pad,
    resize_with_pad,
    rgb_to_grayscale,
    rot90,
)


class ResizeMethod:
    """The ``method`` names of ``resize`` (``tf.image.ResizeMethod.BILINEAR`` …)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    MITCHELLCUBIC = "mitchellcubic"


__all__ = [
    "ResizeMethod", "adjust_brightness", "adjust_contrast", "affine_transform", "central_crop",
    "convert_image_dtype", "crop_to_bounding_box", "extract_patches", "flip_left_right",
    "flip_up_down", "grayscale_to_rgb", "pad_to_bounding_box", "per_image_standardization",
    "random_flip_left_right", "random_flip_up_down", "resize", "resize_with_crop_or_pad",
    "resize_with_pad", "rgb_to_grayscale", "rot90",
]
