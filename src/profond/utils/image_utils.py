"""Images as arrays and back, through Pillow (``pip install 'profond[images]'``), as in Keras:
``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize``.

Arrays are channels-last, ``(height, width, channels)`` with 1 (grayscale), 3 (RGB) or 4 (RGBA)
channels.
"""

import io

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor

_PIL_METHODS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil():
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Reading and writing images needs Pillow: pip install 'profond[images]'"
        ) from error
    return Image


def _channels_last(x, data_format, name):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{name}: expected `data_format` 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return numpy.moveaxis(x, 0, -1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A Pillow image from an array of shape (height, width, 1 | 3 | 4).

    With ``scale`` (default) the values are stretched to 0–255 first:
    x ← 255 (x − min x) / (max x − min x).

    >>> array_to_img(numpy.zeros((2, 3, 3))).size  # Pillow gives (width, height)
    (3, 2)
    """
    image_module = _pil()
    x = numpy.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an array of rank 3 (height, width, channels). "
                         f"Received: an array of shape {x.shape}")
    x = _channels_last(x, data_format, "array_to_img")
    if scale:
        x = x - numpy.min(x)
        top = numpy.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[-1]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if numpy.max(x) > 255:  # 32-bit integer pixels
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels. Received: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """The pixels of a Pillow image as an array of shape (height, width, channels), float32 by
    default (a grayscale image gets one channel)."""
    x = numpy.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    if data_format == "channels_first":
        return numpy.moveaxis(x, -1, 0)
    return _channels_last(x, data_format, "img_to_array")


def _check_interpolation(interpolation, name, allowed=_PIL_METHODS):
    if interpolation not in allowed:
        raise ValueError(f"{name}: expected `interpolation` in {list(allowed)}. "
                         f"Received: interpolation={interpolation!r}")


def _center_crop_box(width, height, target_width, target_height):
    """The largest box of the target's aspect ratio centred in a (width, height) image (sizes
    rounded down, as Keras does)."""
    crop_width = max(1, min(width, int(height * target_width / target_height)))
    crop_height = max(1, min(height, int(width * target_height / target_width)))
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return left, top, left + crop_width, top + crop_height


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Read an image file (a path, or a file object) as a Pillow image.

    ``color_mode``: "grayscale", "rgb" or "rgba"; ``target_size``: ``(height, width)`` to resize
    to, with ``interpolation`` (Pillow's "nearest", "bilinear", "bicubic", "hamming", "box",
    "lanczos"); ``keep_aspect_ratio`` crops the centre to the target's aspect ratio first.
    """
    image_module = _pil()
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError(f"load_img: expected `color_mode` 'grayscale', 'rgb' or 'rgba'. "
                         f"Received: color_mode={color_mode!r}")
    _check_interpolation(interpolation, "load_img")
    if hasattr(path, "read"):
        img = image_module.open(path)
    else:
        with open(path, "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    mode = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
    if color_mode == "grayscale" and img.mode in ("L", "I;16", "I"):
        mode = img.mode
    if img.mode != mode:
        img = img.convert(mode)
    if target_size is not None:
        height, width = target_size
        if (img.width, img.height) != (width, height):
            resample = getattr(image_module.Resampling, interpolation.upper())
            box = _center_crop_box(img.width, img.height, width, height) if keep_aspect_ratio \
                else None
            img = img.resize((width, height), resample, box=box)
    return img


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array ``x`` (height, width, channels) as an image file (the format from
    ``file_format`` or the file's extension; extra arguments go to Pillow's ``save``)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format in ("jpg", "jpeg") or str(path).lower().endswith(
            (".jpg", ".jpeg"))):
        img = img.convert("RGB")  # JPEG has no alpha channel
    img.save(path, format=file_format, **kwargs)


# --- resizing as tf.image.resize (half-pixel centres, no antialiasing) --------------------------
def _axis_weights(n_in, n_out):
    """For each output position: the two input positions it reads and the weight of the second.

    Output pixel o has its centre at c = (o + ½)·n_in/n_out − ½ in input coordinates (clamped to
    the image); it mixes pixels ⌊c⌋ and ⌊c⌋ + 1 with weights 1 − w and w, w = c − ⌊c⌋.
    """
    c = numpy.clip((numpy.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    low = numpy.floor(c).astype(numpy.int64)
    return low, numpy.minimum(low + 1, n_in - 1), (c - low).astype(numpy.float32)


def resize_array(x, size, interpolation="bilinear"):
    """Resize images ``(..., height, width, channels)`` to ``size = (height, width)``.

    "bilinear" and "nearest" are computed as ``tf.image.resize`` does (half-pixel centres, no
    antialiasing), giving float32 (bilinear) or the input dtype (nearest); the other methods go
    through Pillow one channel at a time.
    """
    x = numpy.asarray(x)
    height, width = int(size[0]), int(size[1])
    if interpolation == "nearest":
        rows = numpy.minimum(((numpy.arange(height) + 0.5) * x.shape[-3] / height).astype(int),
                             x.shape[-3] - 1)
        cols = numpy.minimum(((numpy.arange(width) + 0.5) * x.shape[-2] / width).astype(int),
                             x.shape[-2] - 1)
        return x[..., rows, :, :][..., cols, :]
    if interpolation == "bilinear":
        x = x.astype(numpy.float32)
        r0, r1, wr = _axis_weights(x.shape[-3], height)
        c0, c1, wc = _axis_weights(x.shape[-2], width)
        rows = x[..., r0, :, :] * (1 - wr)[:, None, None] + x[..., r1, :, :] * wr[:, None, None]
        return rows[..., c0, :] * (1 - wc)[:, None] + rows[..., c1, :] * wc[:, None]
    _check_interpolation(interpolation, "resize")
    image_module = _pil()
    resample = getattr(image_module.Resampling, interpolation.upper())
    flat = x.astype(numpy.float32).reshape((-1,) + x.shape[-3:])
    out = numpy.empty((len(flat), height, width, x.shape[-1]), numpy.float32)
    for i, image in enumerate(flat):
        for k in range(x.shape[-1]):
            channel = image_module.fromarray(image[:, :, k], "F")
            out[i, :, :, k] = numpy.asarray(channel.resize((width, height), resample))
    return out.reshape(x.shape[:-3] + out.shape[1:])


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last",
                 backend_module=None):
    """Resize an image (or a batch) to ``size`` without distorting it: crop the largest centred
    box of the target's aspect ratio, then resize it (Keras's ``smart_resize``)."""
    is_tensor = hasattr(x, "numpy")
    x = numpy.asarray(x.numpy() if is_tensor else x)
    if x.ndim not in (3, 4):
        raise ValueError("smart_resize: expected an image (height, width, channels) or a batch. "
                         f"Received: shape {x.shape}")
    if data_format == "channels_first":
        x = numpy.moveaxis(x, -3, -1)
    height, width = x.shape[-3], x.shape[-2]
    left, top, right, bottom = _center_crop_box(width, height, size[1], size[0])
    out = resize_array(x[..., top:bottom, left:right, :], size, interpolation)
    if data_format == "channels_first":
        out = numpy.moveaxis(out, -1, -3)
    return Tensor(out) if is_tensor else out


__all__ = ["array_to_img", "img_to_array", "load_img", "resize_array", "save_img", "smart_resize"]
