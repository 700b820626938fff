"""Image ops on channels-last images: ``(batch, height, width, channels)`` or one ``(h, w, c)``.

Resizing, cropping, flips and affine warps (rotation, zoom, translation) only *move and blend*
pixels, so each of them is a linear map y = A x of the input. We build A's weights once on the
host and apply them with a differentiable op, whose backward applies Aᵀ (the same kind of op):
the gradient with respect to the image, and second derivatives, come for free.

- ``resize``: A is separable, y = R_h · x · R_wᵀ per channel, R_h of shape (new_h, h). Row i of R
  samples the input at s_i = (i + ½)·(in/out) − ½ (TF's half-pixel centres) with a kernel k:
  R[i, j] = k(j − s_i) / Σ_j k(j − s_i). With ``antialias`` and a downscale, k is stretched by
  in/out so that every input pixel contributes (a low-pass filter before subsampling).
- ``affine_transform``: output pixel (x, y) reads the input at ((a₀x + a₁y + a₂)/k, (b₀x + b₁y +
  b₂)/k), k = c₀x + c₁y + 1 (TF's projective transform), bilinearly or at the nearest pixel;
  outside the image the fill mode decides: ``reflect`` (d c b a | a b c d | d c b a), ``wrap``
  (a b c d | a b c d), ``nearest`` (a a a a | a b c d | d d d d) or ``constant`` (``fill_value``).
"""

import math

import numpy

from profond import backend
from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.elementwise import cast, clip_by_value, maximum
from profond.ops.indexing import getitem
from profond.ops.reduction import reduce_mean, reduce_std, reduce_sum
from profond.ops.shape import concat, expand_dims, pad, reshape, squeeze, transpose

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "mitchellcubic")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _batched(images, fn_name):
    """``images`` as a rank-4 tensor and whether a batch axis was added."""
    images = as_tensor(images)
    if images.ndim == 3:
        return expand_dims(images, 0), True
    if images.ndim != 4:
        raise ValueError(f"{fn_name}: expected images of rank 3 (h, w, c) or 4 (batch, h, w, c). "
                         f"Received: images.shape={tuple(images.shape)}")
    return images, False


def _unbatched(y, added):
    return squeeze(y, 0) if added else y


def _float(images):
    """Integer images are computed in the default float dtype (floats keep theirs)."""
    return images if images.dtype.kind == "f" else cast(images, backend.floatx())


# --- separable resampling: y = R_h · x · R_wᵀ --------------------------------------------------


class Resample(Function):
    """y[b, i, j, c] = Σ_p Σ_q R_h[i, p] R_w[j, q] x[b, p, q, c].

    Linear in x, so ∂L/∂x is the same op with the transposed matrices: Σ_i Σ_j R_h[i, p] R_w[j, q]
    ∂L/∂y[b, i, j, c].
    """

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols

    def forward(self, x):
        b, h, w, c = x.shape
        rows, cols = self.rows.astype(x.dtype), self.cols.astype(x.dtype)
        t = rows @ x.reshape(b, h, w * c)  # (b, new_h, w·c)
        t = t.reshape(b * rows.shape[0], w, c)
        y = cols @ t  # (b·new_h, new_w, c)
        return y.reshape(b, rows.shape[0], cols.shape[0], c)

    def backward(self, gy):
        return Resample(self.rows.T, self.cols.T)(gy)


def resample(images, rows, cols):
    """Apply the matrices ``rows`` (new_h, h) and ``cols`` (new_w, w) to rank-4 ``images``."""
    xp = array_module(images.data)
    return Resample(xp.asarray(rows), xp.asarray(cols))(images)


def _triangle(t):
    return numpy.maximum(0.0, 1.0 - numpy.abs(t))


def _keys_cubic(t):
    """Keys' cubic convolution kernel with a = −½ (TF's bicubic)."""
    t = numpy.abs(t)
    near = (1.5 * t - 2.5) * t * t + 1.0
    far = ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return numpy.where(t < 1, near, numpy.where(t < 2, far, 0.0))


def _mitchell(t):
    """Mitchell–Netravali cubic with B = C = ⅓ (TF's ``mitchellcubic``)."""
    t = numpy.abs(t)
    near = (7 * t ** 3 - 12 * t ** 2 + 16 / 3) / 6
    far = (-7 / 3 * t ** 3 + 12 * t ** 2 - 20 * t + 32 / 3) / 6
    return numpy.where(t < 1, near, numpy.where(t < 2, far, 0.0))


def _lanczos(radius):
    def kernel(t):
        return numpy.where(numpy.abs(t) < radius, numpy.sinc(t) * numpy.sinc(t / radius), 0.0)
    return kernel


_KERNELS = {"bilinear": (_triangle, 1.0), "bicubic": (_keys_cubic, 2.0),
            "lanczos3": (_lanczos(3), 3.0), "lanczos5": (_lanczos(5), 5.0),
            "mitchellcubic": (_mitchell, 2.0)}


def resize_weights(in_size, out_size, method="bilinear", antialias=False):
    """The (out_size, in_size) matrix that resizes one axis (float64, rows sum to 1).

    >>> resize_weights(2, 4).round(2)
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    """
    scale = in_size / out_size  # input pixels per output pixel
    i = numpy.arange(out_size)
    j = numpy.arange(in_size)
    if method == "nearest":
        # TF's half-pixel nearest neighbour: input pixel ⌊(i + ½)·scale⌋.
        src = numpy.minimum(numpy.floor((i + 0.5) * scale).astype(int), in_size - 1)
        return (src[:, None] == j[None, :]).astype(numpy.float64)
    if method == "area":
        # Output pixel i averages the input interval [i·scale, (i+1)·scale), pixel j covering
        # [j, j+1): the weight is the length of the overlap divided by the interval's length.
        lo, hi = i[:, None] * scale, (i[:, None] + 1) * scale
        overlap = numpy.minimum(hi, j[None, :] + 1) - numpy.maximum(lo, j[None, :])
        return numpy.maximum(overlap, 0.0) / scale
    kernel, _ = _KERNELS[method]
    stretch = max(scale, 1.0) if antialias else 1.0
    centre = (i + 0.5) * scale  # in input coordinates where pixel j spans [j, j+1)
    w = kernel((j[None, :] + 0.5 - centre[:, None]) / stretch)
    # NOTE: taps that fall outside the image are dropped and the rest renormalized to sum to 1
    # (as TF does), so a constant image stays constant up to its border.
    total = w.sum(axis=1, keepdims=True)
    return w / numpy.where(numpy.abs(total) > 1e-12, total, 1.0)


def _check_method(method, fn_name):
    if method not in INTERPOLATIONS:
        raise ValueError(f"{fn_name}: expected `method` to be one of {INTERPOLATIONS}. "
                         f"Received: method={method!r}")


def _check_size(size, fn_name):
    if len(size) != 2 or any(int(s) <= 0 for s in size):
        raise ValueError(f"{fn_name}: expected `size` to be two positive integers "
                         f"(height, width). Received: size={tuple(size)}")
    return int(size[0]), int(size[1])


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False):
    """Resize images to ``size = (new_height, new_width)`` (``tf.image.resize``).

    Methods: ``bilinear`` (default), ``nearest``, ``bicubic`` (Keys, a = −½), ``area``,
    ``lanczos3``, ``lanczos5``, ``mitchellcubic``; TF's half-pixel centres (TF's bicubic reads
    its kernel from a 1024-entry table: our exact kernel differs from it by < 10⁻³).
    ``antialias`` widens the kernel when downscaling (all but nearest and area).
    Differentiable with respect to ``images``. The result is float, except that ``nearest``
    keeps the input's dtype, as in TF.

    >>> import profond as pf
    >>> pf.image.resize(pf.ones((5, 7, 3)), (2, 4)).shape
    (2, 4, 3)
    """
    _check_method(method, "resize")
    new_h, new_w = _check_size(size, "resize")
    x, added = _batched(images, "resize")
    h, w = x.shape[1], x.shape[2]
    if preserve_aspect_ratio:
        factor = min(new_h / h, new_w / w)
        new_h, new_w = max(int(round(h * factor)), 1), max(int(round(w * factor)), 1)
    if method != "nearest":
        x = _float(x)
    rows = resize_weights(h, new_h, method, antialias)
    cols = resize_weights(w, new_w, method, antialias)
    if method == "nearest":
        xp = array_module(x.data)
        y = getitem(x, (slice(None), xp.asarray(rows.argmax(1))[:, None],
                        xp.asarray(cols.argmax(1))[None, :]))
    else:
        y = resample(x, rows, cols)
    return _unbatched(y, added)


# --- cropping and padding ------------------------------------------------------------------------


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The window of ``target_height × target_width`` pixels starting at the given offsets."""
    x, added = _batched(image, "crop_to_bounding_box")
    h, w = x.shape[1], x.shape[2]
    if (offset_height < 0 or offset_width < 0 or target_height <= 0 or target_width <= 0
            or offset_height + target_height > h or offset_width + target_width > w):
        raise ValueError(
            "crop_to_bounding_box: the window must lie inside the image of size "
            f"({h}, {w}). Received: offset=({offset_height}, {offset_width}), "
            f"target=({target_height}, {target_width})")
    y = getitem(x, (slice(None), slice(offset_height, offset_height + target_height),
                    slice(offset_width, offset_width + target_width)))
    return _unbatched(y, added)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width,
                        constant_values=0):
    """Place the image at the given offsets inside a zero (``constant_values``) canvas."""
    x, added = _batched(image, "pad_to_bounding_box")
    h, w = x.shape[1], x.shape[2]
    after_h = target_height - offset_height - h
    after_w = target_width - offset_width - w
    if offset_height < 0 or offset_width < 0 or after_h < 0 or after_w < 0:
        raise ValueError(
            f"pad_to_bounding_box: an image of size ({h}, {w}) does not fit at offset "
            f"({offset_height}, {offset_width}) in ({target_height}, {target_width}).")
    y = pad(x, [[0, 0], [offset_height, after_h], [offset_width, after_w], [0, 0]],
            constant_values=constant_values)
    return _unbatched(y, added)


def central_crop(image, central_fraction):
    """Keep the central ``central_fraction`` ∈ (0, 1] of each side (``tf.image.central_crop``)."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_crop: expected 0 < central_fraction <= 1. "
                         f"Received: central_fraction={central_fraction}")
    x, added = _batched(image, "central_crop")
    h, w = x.shape[1], x.shape[2]
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    return _unbatched(crop_to_bounding_box(x, top, left, h - 2 * top, w - 2 * left), added)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre-crop the sides that are too long and zero-pad the ones that are too short."""
    x, added = _batched(image, "resize_with_crop_or_pad")
    h, w = x.shape[1], x.shape[2]
    ch, cw = min(h, target_height), min(w, target_width)
    x = crop_to_bounding_box(x, max(h - target_height, 0) // 2, max(w - target_width, 0) // 2,
                             ch, cw)
    x = pad_to_bounding_box(x, max(target_height - h, 0) // 2, max(target_width - w, 0) // 2,
                            target_height, target_width)
    return _unbatched(x, added)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resize keeping the aspect ratio so the image fits, then zero-pad it centrally."""
    x, added = _batched(image, "resize_with_pad")
    h, w = x.shape[1], x.shape[2]
    ratio = max(w / target_width, h / target_height)
    new_h, new_w = int(math.floor(h / ratio)), int(math.floor(w / ratio))
    x = resize(x, (new_h, new_w), method=method, antialias=antialias)
    # the offsets are computed from the unrounded sizes, as TF does
    top = max(0, int(math.floor((target_height - h / ratio) / 2)))
    left = max(0, int(math.floor((target_width - w / ratio) / 2)))
    return _unbatched(pad_to_bounding_box(x, top, left, target_height, target_width), added)


def smart_resize(images, size, interpolation="bilinear"):
    """Resize to ``size`` without distortion: crop the largest centred window with the target's
    aspect ratio, then resize it (``keras.preprocessing.image.smart_resize``)."""
    new_h, new_w = _check_size(size, "smart_resize")
    x, added = _batched(images, "smart_resize")
    h, w = x.shape[1], x.shape[2]
    crop_h = min(h, int(w * new_h / new_w))
    crop_w = min(w, int(h * new_w / new_h))
    x = crop_to_bounding_box(x, (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w)
    return _unbatched(resize(x, (new_h, new_w), method=interpolation), added)


def pad_to_aspect_ratio(images, size, fill_value=0.0):
    """Pad both ends of the short side with ``fill_value`` towards the aspect ratio of ``size``
    (Keras's ``pad_to_aspect_ratio``: the same margin m = ⌊(target − side)/2⌋ on each end)."""
    new_h, new_w = size
    x, added = _batched(images, "pad_to_aspect_ratio")
    h, w = x.shape[1], x.shape[2]
    top = (max(h, int(w * new_h / new_w)) - h) // 2
    left = (max(w, int(h * new_w / new_h)) - w) // 2
    x = pad(x, [[0, 0], [top, top], [left, left], [0, 0]], constant_values=fill_value)
    return _unbatched(x, added)


# --- flips and rotations by quarter turns -----------------------------------------------------


def flip_left_right(image):
    """Mirror the columns (the width axis)."""
    x = as_tensor(image)
    return getitem(x, (Ellipsis, slice(None, None, -1), slice(None)))


def flip_up_down(image):
    """Mirror the rows (the height axis)."""
    x = as_tensor(image)
    return getitem(x, (Ellipsis, slice(None, None, -1), slice(None), slice(None)))


def rot90(image, k=1):
    """Rotate by k quarter turns counter-clockwise (``tf.image.rot90``)."""
    x, added = _batched(image, "rot90")
    k = int(k) % 4
    if k == 1:
        x = transpose(flip_left_right(x), (0, 2, 1, 3))
    elif k == 2:
        x = flip_up_down(flip_left_right(x))
    elif k == 3:
        x = flip_left_right(transpose(x, (0, 2, 1, 3)))
    return _unbatched(x, added)


def random_flip_left_right(image, seed=None):
    """Mirror each image with probability ½ (one draw per image)."""
    return _random_flip(image, seed, flip_left_right)


def random_flip_up_down(image, seed=None):
    """Flip each image upside down with probability ½ (one draw per image)."""
    return _random_flip(image, seed, flip_up_down)


def _random_flip(image, seed, flip):
    from profond import random
    from profond.ops.elementwise import where

    x, added = _batched(image, "random_flip")
    rng = numpy.random.default_rng(seed) if seed is not None else random.generator()
    xp = array_module(x.data)
    coin = xp.asarray(rng.uniform(size=(x.shape[0], 1, 1, 1)) < 0.5)
    return _unbatched(where(coin, flip(x), x), added)


# --- affine (projective) warps -------------------------------------------------------------------


class WeightedGather(Function):
    """y[b, n, c] = Σ_k w[b, n, k] · x[b, idx[b, n, k], c]  (x of shape (b, pixels, c)).

    Its transpose, ``WeightedScatter``, is the backward; each is the other's backward.
    """

    def __init__(self, idx, weights, n_pixels):
        self.idx, self.weights, self.n_pixels = idx, weights, n_pixels

    def forward(self, x):
        xp = array_module(x)
        b = xp.arange(x.shape[0])[:, None, None]
        picked = x[b, self.idx]  # (b, n, k, c)
        return (picked * self.weights[..., None].astype(x.dtype)).sum(axis=2)

    def backward(self, gy):
        return WeightedScatter(self.idx, self.weights, self.n_pixels)(gy)


class WeightedScatter(Function):
    """gx[b, idx[b, n, k], c] += w[b, n, k] · g[b, n, c] (repeated indices add up)."""

    def __init__(self, idx, weights, n_pixels):
        self.idx, self.weights, self.n_pixels = idx, weights, n_pixels

    def forward(self, g):
        xp = array_module(g)
        out = xp.zeros((g.shape[0], self.n_pixels, g.shape[2]), dtype=g.dtype)
        b = xp.broadcast_to(xp.arange(g.shape[0])[:, None, None], self.idx.shape)
        contrib = g[:, :, None, :] * self.weights[..., None].astype(g.dtype)
        xp.add.at(out, (b, self.idx), contrib)
        return out

    def backward(self, gg):
        return WeightedGather(self.idx, self.weights, self.n_pixels)(gg)


def _map_coordinates(t, size, mode):
    """Bring coordinates t outside [0, size − 1] back inside, per fill mode, the way TF's
    projective transform does."""
    if mode == "constant":
        return t
    if size <= 1:
        return numpy.zeros_like(t)
    if mode == "reflect":
        # period 2·size, mirrored about −½ and size − ½: d c b a | a b c d | d c b a
        period = 2 * size
        low = t + period * numpy.trunc(-t / period)  # in (−period, 0]
        low = numpy.where(low < -size, low + period, -low - 1)
        high = t - period * numpy.trunc(t / period)  # in [0, period)
        high = numpy.where(high >= size, period - high - 1, high)
        t = numpy.where(t < 0, low, numpy.where(t > size - 1, high, t))
    elif mode == "wrap":
        # NOTE: TF shifts by whole periods counted in units of (size − 1); we do the same so
        # that the pixels agree with TF's at the seams.
        low = t + size * (numpy.trunc(-t / (size - 1)) + 1)
        high = t - size * numpy.trunc(t / (size - 1))
        t = numpy.where(t < 0, low, numpy.where(t > size - 1, high, t))
    return numpy.clip(t, 0, size - 1)


def _taps(xs, ys, interpolation):
    """Neighbour rows, columns and weights of the sampling points: (…, K) arrays."""
    if interpolation == "nearest":
        # round half away from zero, as TF
        r = numpy.sign(ys) * numpy.floor(numpy.abs(ys) + 0.5)
        c = numpy.sign(xs) * numpy.floor(numpy.abs(xs) + 0.5)
        return r[..., None], c[..., None], numpy.ones(xs.shape + (1,))
    y0, x0 = numpy.floor(ys), numpy.floor(xs)
    dy, dx = ys - y0, xs - x0
    rows = numpy.stack([y0, y0, y0 + 1, y0 + 1], axis=-1)
    cols = numpy.stack([x0, x0 + 1, x0, x0 + 1], axis=-1)
    weights = numpy.stack([(1 - dy) * (1 - dx), (1 - dy) * dx, dy * (1 - dx), dy * dx], axis=-1)
    return rows, cols, weights


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Warp images with projective transforms (``keras.ops.image.affine_transform``).

    ``transform`` is ``[a0, a1, a2, b0, b1, b2, c0, c1]`` or one such row per image: the output
    pixel (x, y) (x the column) takes the input's value at ((a0·x + a1·y + a2)/k, (b0·x + b1·y +
    b2)/k), k = c0·x + c1·y + 1. Differentiable with respect to ``images`` (the transform itself
    is data, not a tensor that receives a gradient).
    """
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError("affine_transform: expected interpolation 'bilinear' or 'nearest'. "
                         f"Received: interpolation={interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: expected fill_mode in {FILL_MODES}. "
                         f"Received: fill_mode={fill_mode!r}")
    x, added = _batched(images, "affine_transform")
    x = _float(x)
    n, h, w, c = x.shape
    # NOTE: coordinates are computed in the images' float dtype: float32 as TF does, so that
    # points landing on a half-pixel round to the same neighbour as in TF; float64 exactly.
    cdt = numpy.dtype(x.dtype)
    t = numpy.asarray(transform.numpy() if isinstance(transform, Tensor) else transform,
                      dtype=cdt)
    t = numpy.broadcast_to(t.reshape(-1, 8), (n, 8)) if t.ndim == 1 or len(t) == 1 else t
    if t.shape != (n, 8):
        raise ValueError("affine_transform: expected `transform` of shape (8,) or "
                         f"({n}, 8). Received: transform.shape={t.shape}")
    oy, ox = numpy.meshgrid(numpy.arange(h, dtype=cdt), numpy.arange(w, dtype=cdt),
                            indexing="ij")
    a = t[:, :, None, None]
    k = a[:, 6] * ox + a[:, 7] * oy + 1.0
    bad = k == 0
    k = numpy.where(bad, cdt.type(1), k)
    xs = _map_coordinates((a[:, 0] * ox + a[:, 1] * oy + a[:, 2]) / k, w, fill_mode)
    ys = _map_coordinates((a[:, 3] * ox + a[:, 4] * oy + a[:, 5]) / k, h, fill_mode)
    rows, cols, weights = _taps(xs, ys, interpolation)
    inside = (rows >= 0) & (rows <= h - 1) & (cols >= 0) & (cols <= w - 1) & ~bad[..., None]
    # Taps outside the image read ``fill_value``: their weight goes to a constant term.
    fill_weight = numpy.where(inside, 0.0, weights).sum(-1)
    weights = numpy.where(inside, weights, 0.0)
    idx = (numpy.clip(rows, 0, h - 1) * w + numpy.clip(cols, 0, w - 1)).astype(numpy.int64)
    xp = array_module(x.data)
    flat = reshape(x, (n, h * w, c))
    y = WeightedGather(xp.asarray(idx.reshape(n, h * w, -1)),
                       xp.asarray(weights.reshape(n, h * w, -1)), h * w)(flat)
    if fill_value != 0 and fill_weight.any():
        const = xp.asarray((fill_weight.reshape(n, h * w, 1) * fill_value).astype(x.dtype))
        y = y + Tensor._wrap(const)
    return _unbatched(reshape(y, (n, h, w, c)), added)


def rotation_matrix(angles, height, width):
    """Transforms rotating images of ``height × width`` by ``angles`` (radians, one per image,
    counter-clockwise on screen for a positive angle) about their centre."""
    angles = numpy.asarray(angles, dtype=numpy.float64).reshape(-1)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    cos, sin = numpy.cos(angles), numpy.sin(angles)
    zero = numpy.zeros_like(angles)
    return numpy.stack([cos, -sin, cx - cx * cos + cy * sin,
                        sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)


def zoom_matrix(height_zoom, width_zoom, height, width):
    """Transforms reading the input at ``zoom`` times the distance from the centre (zoom > 1 shows
    more of the image: it zooms out)."""
    zy = numpy.asarray(height_zoom, dtype=numpy.float64).reshape(-1)
    zx = numpy.asarray(width_zoom, dtype=numpy.float64).reshape(-1)
    zero = numpy.zeros_like(zx)
    return numpy.stack([zx, zero, (width - 1) / 2 * (1 - zx),
                        zero, zy, (height - 1) / 2 * (1 - zy), zero, zero], axis=1)


def translation_matrix(dy, dx):
    """Transforms moving the content by ``dx`` pixels right and ``dy`` pixels down."""
    dy = numpy.asarray(dy, dtype=numpy.float64).reshape(-1)
    dx = numpy.asarray(dx, dtype=numpy.float64).reshape(-1)
    one, zero = numpy.ones_like(dx), numpy.zeros_like(dx)
    return numpy.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


# --- colour ------------------------------------------------------------------------------------


def adjust_brightness(image, delta):
    """y = x + δ (float images)."""
    x = _float(as_tensor(image))
    return x + delta


def adjust_contrast(images, contrast_factor):
    """y = (x − μ)·f + μ, μ the mean of each image's channel over its pixels."""
    x = _float(as_tensor(images))
    mean = reduce_mean(x, axis=(-3, -2), keepdims=True)
    return (x - mean) * contrast_factor + mean


def rgb_to_grayscale(images):
    """Luma Y = 0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of size 1."""
    x = as_tensor(images)
    if x.shape[-1] != 3:
        raise ValueError("rgb_to_grayscale: expected 3 channels (RGB) in the last axis. "
                         f"Received: images.shape={tuple(x.shape)}")
    xf = _float(x)
    xp = array_module(xf.data)
    weights = Tensor._wrap(xp.asarray([0.2989, 0.5870, 0.1140], dtype=xf.dtype))
    gray = reduce_sum(xf * weights, axis=-1, keepdims=True)
    return gray if x.dtype.kind == "f" else cast(gray, x.dtype)


def grayscale_to_rgb(images):
    """Repeat the single channel three times."""
    x = as_tensor(images)
    return concat([x, x, x], axis=-1)


def per_image_standardization(image):
    """(x − μ) / max(σ, 1/√N) per image, N its number of values (``tf.image`` semantics)."""
    x = _float(as_tensor(image))
    axes = (-3, -2, -1)
    n = x.shape[-1] * x.shape[-2] * x.shape[-3]
    mean = reduce_mean(x, axis=axes, keepdims=True)
    std = reduce_std(x, axis=axes, keepdims=True)
    return (x - mean) / maximum(std, 1.0 / math.sqrt(n))


def convert_image_dtype(image, dtype, saturate=False):
    """Convert between integer images in [0, MAX] and float images in [0, 1].

    int → float: x / MAX; float → int: x·(MAX + ½) truncated (``saturate`` clips first);
    int → int: rescale by the ratio of maxima; float → float: cast.
    """
    x = as_tensor(image)
    src, dst = numpy.dtype(x.dtype), numpy.dtype(dtype)
    if src == dst:
        return x
    if src.kind == "f" and dst.kind == "f":
        return cast(x, dst)
    if src.kind in "iu" and dst.kind == "f":
        return cast(x, dst) / float(numpy.iinfo(src).max)
    if src.kind == "f":
        info = numpy.iinfo(dst)
        y = x * (info.max + 0.5)
        if saturate:
            y = clip_by_value(y, float(info.min), float(info.max))
        return cast(y, dst)
    scale = (numpy.iinfo(dst).max + 1) / (numpy.iinfo(src).max + 1)
    return cast(cast(x, numpy.float64) * scale, dst)


# --- patches -------------------------------------------------------------------------------------


def extract_patches(images, sizes, strides, rates=(1, 1, 1, 1), padding="VALID"):
    """Each output pixel holds the flattened (kh, kw, c) patch around it (``tf.image``).

    ``sizes``, ``strides`` and ``rates`` are ``[1, h, w, 1]``; ``padding`` ``VALID`` or ``SAME``.
    Differentiable (a gather: overlapping patches add their gradients).
    """
    x, added = _batched(images, "extract_patches")
    (_, kh, kw, _), (_, sh, sw, _), (_, rh, rw, _) = sizes, strides, rates
    n, h, w, c = x.shape
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1  # effective (dilated) patch size
    padding = padding.upper()
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + eh - h, 0), max((ow - 1) * sw + ew - w, 0)
        x = pad(x, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
    elif padding == "VALID":
        oh, ow = (h - eh) // sh + 1, (w - ew) // sw + 1
    else:
        raise ValueError(f"extract_patches: padding must be VALID or SAME. Received: {padding!r}")
    if oh <= 0 or ow <= 0:
        raise ValueError(f"extract_patches: patches of {kh}×{kw} (rates {rh}, {rw}) do not fit "
                         f"in images of size ({h}, {w}).")
    xp = array_module(x.data)
    r = (xp.arange(oh) * sh)[:, None, None, None] + (xp.arange(kh) * rh)[None, None, :, None]
    q = (xp.arange(ow) * sw)[None, :, None, None] + (xp.arange(kw) * rw)[None, None, None, :]
    y = getitem(x, (slice(None), r, q))  # (n, oh, ow, kh, kw, c)
    return _unbatched(reshape(y, (n, oh, ow, kh * kw * c)), added)
