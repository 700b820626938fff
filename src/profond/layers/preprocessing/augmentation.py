"""Data augmentation layers: random flips, rotations, zooms, translations, contrast and
brightness changes of images, drawn independently for each image of the batch.

They act while training and are the identity at inference, as in Keras 3: ``fit`` and a direct
call (``layer(images)``, ``model(images)``) augment; ``predict``, ``evaluate`` and
``training=False`` do not. Draws come from the layer's own generator when it has a ``seed``,
otherwise from profond's (``profond.set_seed``). Every transform moves or blends pixels with
differentiable ops, so gradients flow back to the input images.
"""

import math

from profond.layers.preprocessing.image import BaseImageLayer
from profond.ops import image as image_ops
from profond.ops.elementwise import clip_by_value, where
from profond.registry import register_serializable


def _range(factor, name, who, bounds=(-1.0, 1.0), symmetric=True):
    """``factor`` as a (lower, upper) pair: a number f gives (−f, f) (or (f, f) when not
    ``symmetric``), a pair is sorted; both ends must lie within ``bounds``."""
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(f"{who}: `{name}` must lie in [{bounds[0]}, {bounds[1]}]. "
                             f"Received: {name}={factor}")
        f = abs(float(factor))
        lower, upper = (-f, f) if symmetric else (f, f)
    elif isinstance(factor, (list, tuple)) and len(factor) == 2:
        lower, upper = sorted(float(v) for v in factor)
    else:
        raise ValueError(f"{who}: `{name}` must be a number or a pair of numbers. Received: "
                         f"{name}={factor}")
    if lower < bounds[0] or upper > bounds[1]:
        raise ValueError(f"{who}: `{name}` must lie in [{bounds[0]}, {bounds[1]}]. Received: "
                         f"{name}={factor}")
    return lower, upper


def _check_choice(value, choices, name, who):
    if value not in choices:
        raise ValueError(f"{who}: unknown `{name}`. Expected one of {choices}. Received: "
                         f"{name}={value!r}")


@register_serializable()
class RandomFlip(BaseImageLayer):
    """Flip each image left-right and/or upside down with probability ½.

    ``mode``: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (default; the two
    flips are drawn independently).
    """

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_choice(mode, self.MODES, "mode", "RandomFlip")
        self.mode = mode

    def transform(self, images, training):
        if not training:
            return images
        rng, n = self._rng(), images.shape[0]
        if self.mode != "vertical":
            coin = self._const(rng.uniform(size=(n, 1, 1, 1)) < 0.5, images, bool)
            images = where(coin, image_ops.flip_left_right(images), images)
        if self.mode != "horizontal":
            coin = self._const(rng.uniform(size=(n, 1, 1, 1)) < 0.5, images, bool)
            images = where(coin, image_ops.flip_up_down(images), images)
        return images

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "seed": self.seed})
        return config


class _AffineLayer(BaseImageLayer):
    """A random affine warp per image, read with ``interpolation`` and ``fill_mode``."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = type(self).__name__
        _check_choice(fill_mode, image_ops.FILL_MODES, "fill_mode", who)
        _check_choice(interpolation, ("bilinear", "nearest"), "interpolation", who)
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)

    def transform(self, images, training):
        if not training:
            return images
        n, h, w = images.shape[0], images.shape[1], images.shape[2]
        matrices = self.matrices(self._rng(), n, h, w)
        return image_ops.affine_transform(images, matrices, self.interpolation, self.fill_mode,
                                          self.fill_value)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value})
        return config


@register_serializable()
class RandomRotation(_AffineLayer):
    """Rotate each image about its centre by θ ~ 𝒰[lower, upper]·2π (``factor`` as a fraction of
    a full turn: 0.1 means up to ±36°; a positive angle turns counter-clockwise on screen)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _range(factor, "factor", "RandomRotation")

    def matrices(self, rng, n, h, w):
        angles = rng.uniform(self.factor[0], self.factor[1], size=n) * 2 * math.pi
        return image_ops.rotation_matrix(angles, h, w)

    def get_config(self):
        config = super().get_config()
        config["factor"] = list(self.factor)
        return config


@register_serializable()
class RandomZoom(_AffineLayer):
    """Zoom each image about its centre: it is read at z ~ 𝒰[1 + lower, 1 + upper] times the
    distance from the centre, so a positive factor zooms *out* (z > 1 shows more) and a negative
    one zooms in. ``width_factor=None`` keeps the aspect ratio (the same z for both axes)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = self._check(height_factor, "height_factor")
        self._width = None if width_factor is None else self._check(width_factor, "width_factor")

    @staticmethod
    def _check(factor, name):
        lower, upper = _range(factor, name, "RandomZoom")
        if lower <= -1.0:
            raise ValueError(f"RandomZoom: `{name}` must be in (-1, 1]. Received: "
                             f"{name}={factor}")
        return lower, upper

    def matrices(self, rng, n, h, w):
        zy = 1.0 + rng.uniform(self._height[0], self._height[1], size=n)
        zx = zy if self._width is None else 1.0 + rng.uniform(self._width[0], self._width[1],
                                                              size=n)
        return image_ops.zoom_matrix(zy, zx, h, w)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


@register_serializable()
class RandomTranslation(_AffineLayer):
    """Shift each image by dy ~ 𝒰[lower, upper]·height pixels down and dx ~ 𝒰[…]·width right
    (factors are fractions of the image size; negative values move up / left)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _range(height_factor, "height_factor", "RandomTranslation")
        self._width = _range(width_factor, "width_factor", "RandomTranslation")

    def matrices(self, rng, n, h, w):
        dy = rng.uniform(self._height[0], self._height[1], size=n) * h
        dx = rng.uniform(self._width[0], self._width[1], size=n) * w
        return image_ops.translation_matrix(dy, dx)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


class _ValueRangeLayer(BaseImageLayer):
    """A random pixel-value change, clipped to ``value_range`` afterwards."""

    def __init__(self, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2 \
                or value_range[0] >= value_range[1]:
            raise ValueError(f"{type(self).__name__}: `value_range` must be a pair (low, high) "
                             f"with low < high. Received: value_range={value_range}")
        self.value_range = [float(v) for v in value_range]

    def transform(self, images, training):
        if not training:
            return images
        return clip_by_value(self.adjust(images, self._rng()), *self.value_range)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": list(self.factor), "value_range": self.value_range,
                       "seed": self.seed})
        return config


@register_serializable()
class RandomContrast(_ValueRangeLayer):
    """y = (x − μ)·f + μ with f ~ 𝒰[1 − lower, 1 + upper] per image, μ the mean of each image's
    channel; then clipped to ``value_range``. A number ``factor`` gives lower = upper = factor
    (as Keras documents; Keras 3's own code draws f in [1, 1 + factor] then)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = _range(factor, "factor", "RandomContrast", bounds=(0.0, 1.0),
                             symmetric=False)

    def adjust(self, images, rng):
        lower, upper = self.factor
        f = rng.uniform(1.0 - lower, 1.0 + upper, size=(images.shape[0], 1, 1, 1))
        return image_ops.adjust_contrast(images, self._const(f, images))


@register_serializable()
class RandomBrightness(_ValueRangeLayer):
    """y = x + δ with δ ~ 𝒰[lower, upper]·(high − low) per image (``factor`` a fraction of the
    ``value_range``, in [−1, 1]), then clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.factor = _range(factor, "factor", "RandomBrightness")

    def adjust(self, images, rng):
        low, high = self.value_range
        delta = rng.uniform(self.factor[0], self.factor[1], size=(images.shape[0], 1, 1, 1))
        return image_ops.adjust_brightness(images, self._const(delta * (high - low), images))
