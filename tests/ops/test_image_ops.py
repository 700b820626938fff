"""Image ops (``profond.ops.image`` / ``profond.image``): values against PyTorch where it has the
op (``F.interpolate``, ``F.grid_sample``, ``F.unfold``), against NumPy closed forms elsewhere;
gradients by central differences and second derivatives (the ops are linear in the image)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond.ops import image as I
from profond.testing import check_against_torch, gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def images(*shape):
    return RNG.standard_normal(shape)


def nchw(fn):
    """A torch function on NCHW tensors, seen from NHWC arrays."""
    return lambda t: fn(t.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


# --- resize ------------------------------------------------------------------------------------

SIZES = [(3, 4), (14, 18), (4, 11), (7, 9)]


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_bilinear_matches_torch_half_pixel(size, dtype):
    x = images(2, 7, 9, 3)
    check_against_torch(lambda t: I.resize(t, size),
                        nchw(lambda t: F.interpolate(t, size=size, mode="bilinear",
                                                     align_corners=False)), [x], dtype=dtype)


@pytest.mark.parametrize("method", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_resize_antialias_matches_torch(method, size):
    # torch's antialiased kernels are TF's: triangle, and Keys' cubic with a = −½
    x = images(2, 7, 9, 3)
    check_against_torch(lambda t: I.resize(t, size, method, antialias=True),
                        nchw(lambda t: F.interpolate(t, size=size, mode=method,
                                                     align_corners=False, antialias=True)), [x])


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_resize_nearest_matches_torch_nearest_exact(size):
    x = images(2, 7, 9, 3)
    want = F.interpolate(torch.tensor(x).permute(0, 3, 1, 2), size=size, mode="nearest-exact")
    np.testing.assert_array_equal(I.resize(x, size, "nearest").numpy(),
                                  want.permute(0, 2, 3, 1).numpy())
    check_against_torch(lambda t: I.resize(t, size, "nearest"),
                        nchw(lambda t: F.interpolate(t, size=size, mode="nearest-exact")), [x])


def test_resize_area_matches_average_pooling_for_integer_factors():
    x = images(2, 8, 9, 2)
    check_against_torch(lambda t: I.resize(t, (4, 3), "area"),
                        nchw(lambda t: F.avg_pool2d(t, (2, 3))), [x])


def test_resize_area_keeps_the_mean_for_any_factor():
    x = images(1, 7, 9, 1)
    y = I.resize(x, (3, 4), "area").numpy()
    np.testing.assert_allclose(y.mean(), x.mean(), rtol=1e-10)


@pytest.mark.parametrize("method", ["bicubic", "lanczos3", "lanczos5", "mitchellcubic"])
def test_resize_kernels_reproduce_constants_and_weights_sum_to_one(method):
    for n_in, n_out in [(7, 3), (5, 12), (6, 6)]:
        w = I.resize_weights(n_in, n_out, method)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    x = np.full((1, 5, 6, 2), 3.25)
    np.testing.assert_allclose(I.resize(x, (9, 4), method).numpy(), 3.25, rtol=1e-12)


def test_resize_bicubic_closed_form():
    # Keys' kernel (a = −½) at offset ½: weights (−1/16, 9/16, 9/16, −1/16) between 4 pixels
    w = I.resize_weights(4, 8, "bicubic")
    # output 3 samples input position (3 + ½)/2 − ½ = 1.25: taps at 0, 1, 2, 3
    t = np.array([-1.25, -0.25, 0.75, 1.75])
    a = -0.5
    k = np.where(np.abs(t) < 1, (a + 2) * np.abs(t) ** 3 - (a + 3) * t ** 2 + 1,
                 a * np.abs(t) ** 3 - 5 * a * t ** 2 + 8 * a * np.abs(t) - 4 * a)
    np.testing.assert_allclose(w[3], k / k.sum(), rtol=1e-12)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "area", "lanczos3", "nearest"])
def test_resize_gradients(method):
    x = images(2, 5, 6, 2)
    gradcheck(lambda t: I.resize(t, (3, 8), method, antialias=True), [x])
    gradgradcheck(lambda t: pf.square(I.resize(t, (4, 3), method)), [x])


def test_resize_unbatched_int_and_aspect_ratio():
    x = RNG.integers(0, 255, (6, 8, 3)).astype(np.uint8)
    y = pf.image.resize(x, (3, 4))
    assert y.shape == (3, 4, 3) and y.dtype == np.float32
    assert pf.image.resize(x, (3, 4), method="nearest").dtype == np.uint8
    assert pf.image.resize(x, (6, 6), preserve_aspect_ratio=True).shape == (4, 6, 3)


def test_resize_errors():
    with pytest.raises(ValueError, match="method"):
        I.resize(images(1, 4, 4, 1), (2, 2), method="cubic")
    with pytest.raises(ValueError, match="size"):
        I.resize(images(1, 4, 4, 1), (0, 2))
    with pytest.raises(ValueError, match="rank 3"):
        I.resize(images(4, 4), (2, 2))


# --- affine transforms ----------------------------------------------------------------------------


def _grid(transform, h, w):
    """torch's normalized sampling grid (align_corners=True) for TF-style transforms."""
    oy, ox = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    a = np.asarray(transform)[:, :, None, None]
    xs = a[:, 0] * ox + a[:, 1] * oy + a[:, 2]
    ys = a[:, 3] * ox + a[:, 4] * oy + a[:, 5]
    return torch.tensor(np.stack([2 * xs / (w - 1) - 1, 2 * ys / (h - 1) - 1], axis=-1))


@pytest.mark.parametrize("fill_mode,padding", [("constant", "zeros"), ("nearest", "border")])
def test_affine_rotation_matches_torch_grid_sample(fill_mode, padding):
    x = images(2, 7, 9, 3)
    t = I.rotation_matrix([0.4, -2.0], 7, 9)
    grid = _grid(t, 7, 9)
    check_against_torch(
        lambda v: I.affine_transform(v, t, "bilinear", fill_mode),
        nchw(lambda v: F.grid_sample(v, grid, mode="bilinear", padding_mode=padding,
                                     align_corners=True)), [x])


def test_affine_nearest_interpolation_matches_torch():
    x = images(2, 7, 9, 3)
    t = I.rotation_matrix([0.3, 1.1], 7, 9)
    want = F.grid_sample(torch.tensor(x).permute(0, 3, 1, 2), _grid(t, 7, 9), mode="nearest",
                         padding_mode="zeros", align_corners=True).permute(0, 2, 3, 1)
    np.testing.assert_allclose(I.affine_transform(x, t, "nearest").numpy(), want.numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("fill_mode,np_mode", [("reflect", "symmetric"), ("wrap", "wrap"),
                                               ("nearest", "edge")])
def test_affine_fill_modes_on_whole_pixel_shifts(fill_mode, np_mode):
    # moving the content right by 3 and down by 2 reads the input 3 columns left, 2 rows up
    x = images(1, 5, 6, 2)
    t = I.translation_matrix(2, 3)
    y = I.affine_transform(x, t, "bilinear", fill_mode).numpy()
    padded = np.pad(x, [(0, 0), (2, 0), (3, 0), (0, 0)], mode=np_mode)
    np.testing.assert_allclose(y, padded[:, :5, :6], atol=1e-12)
    if fill_mode == "wrap":
        np.testing.assert_allclose(y, np.roll(x, (2, 3), axis=(1, 2)), atol=1e-12)


def test_affine_constant_fill_value_and_identity():
    x = images(2, 4, 5, 1)
    np.testing.assert_allclose(I.affine_transform(x, [1, 0, 0, 0, 1, 0, 0, 0]).numpy(), x)
    y = I.affine_transform(x, I.translation_matrix([0, 0], [10, -10]), fill_value=0.5).numpy()
    np.testing.assert_allclose(y, 0.5)


def test_affine_zoom_matrix_keeps_the_centre():
    x = images(1, 5, 5, 1)
    y = I.affine_transform(x, I.zoom_matrix([0.5], [0.5], 5, 5)).numpy()
    assert y[0, 2, 2, 0] == pytest.approx(x[0, 2, 2, 0])
    # zoom 0.5 reads at half the distance: output (0, 0) samples input (1, 1)
    assert y[0, 0, 0, 0] == pytest.approx(x[0, 1, 1, 0])


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_affine_gradients(fill_mode):
    x = images(2, 5, 6, 2)
    t = I.rotation_matrix([0.5, 2.5], 5, 6) + np.array([0, 0, 1.3, 0, 0, -0.7, 0, 0])
    gradcheck(lambda v: I.affine_transform(v, t, "bilinear", fill_mode, 0.3), [x])
    gradgradcheck(lambda v: pf.square(I.affine_transform(v, t, "bilinear", fill_mode)), [x])


def test_affine_errors():
    x = images(2, 4, 4, 1)
    with pytest.raises(ValueError, match="fill_mode"):
        I.affine_transform(x, np.eye(3).ravel()[:8], fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation"):
        I.affine_transform(x, np.eye(3).ravel()[:8], interpolation="bicubic")
    with pytest.raises(ValueError, match="transform"):
        I.affine_transform(x, np.zeros((3, 8)))


# --- flips, rotations, crops, padding -----------------------------------------------------------


def test_flips_and_rot90_match_numpy():
    x = images(2, 3, 4, 2)
    np.testing.assert_array_equal(pf.image.flip_left_right(x).numpy(), x[:, :, ::-1])
    np.testing.assert_array_equal(pf.image.flip_up_down(x).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(pf.image.flip_left_right(x[0]).numpy(), x[0, :, ::-1])
    for k in range(-1, 6):
        np.testing.assert_array_equal(pf.image.rot90(x, k).numpy(), np.rot90(x, k, axes=(1, 2)))
        np.testing.assert_array_equal(pf.image.rot90(x[0], k).numpy(), np.rot90(x[0], k))
    gradcheck(lambda t: pf.image.rot90(t, 1), [x])


def test_random_flip_left_right_flips_some_images():
    x = images(64, 2, 3, 1)
    y = pf.image.random_flip_left_right(x, seed=3).numpy()
    flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped | kept) and 10 < flipped.sum() < 54


def test_crops_and_pads():
    x = images(2, 7, 9, 3)
    np.testing.assert_array_equal(pf.image.central_crop(x, 0.5).numpy(), x[:, 1:6, 2:7])
    np.testing.assert_array_equal(pf.image.crop_to_bounding_box(x, 1, 2, 3, 4).numpy(),
                                  x[:, 1:4, 2:6])
    p = pf.image.pad_to_bounding_box(x, 1, 2, 10, 12).numpy()
    assert p.shape == (2, 10, 12, 3) and np.all(p[:, 0] == 0) and np.all(p[:, :, :2] == 0)
    np.testing.assert_array_equal(p[:, 1:8, 2:11], x)
    r = pf.image.resize_with_crop_or_pad(x, 5, 11).numpy()
    np.testing.assert_array_equal(r[:, :, 1:10], x[:, 1:6])
    assert np.all(r[:, :, 0] == 0) and np.all(r[:, :, 10] == 0)
    with pytest.raises(ValueError, match="central_fraction"):
        pf.image.central_crop(x, 1.5)
    with pytest.raises(ValueError, match="inside the image"):
        pf.image.crop_to_bounding_box(x, 5, 0, 3, 3)


def test_resize_with_pad_keeps_aspect_ratio():
    x = images(2, 7, 9, 3)
    y = pf.image.resize_with_pad(x, 6, 6).numpy()
    # 7×9 scaled by 6/9 is 4.67×6 → resized to 4×6; TF's top offset ⌊(6 − 4.67)/2⌋ = 0
    np.testing.assert_allclose(y[:, :4], I.resize(x, (4, 6)).numpy(), atol=1e-12)
    assert np.all(y[:, 4:] == 0)


def test_smart_resize_and_pad_to_aspect_ratio():
    x = images(1, 7, 9, 2)
    # target 4×6 (ratio 1.5): crop 6×9 centred (rows 0..5), then resize
    np.testing.assert_allclose(I.smart_resize(x, (4, 6)).numpy(),
                               I.resize(x[:, 0:6], (4, 6)).numpy(), atol=1e-12)
    p = I.pad_to_aspect_ratio(x, (9, 7), fill_value=-1.0).numpy()
    # 9·9/7 = 11.57 → 11 rows: ⌊(11 − 7)/2⌋ = 2 on each side
    assert p.shape == (1, 11, 9, 2) and np.all(p[:, :2] == -1) and np.all(p[:, 9:] == -1)


# --- colour and value ops -------------------------------------------------------------------------


def test_adjust_contrast_brightness_and_standardization():
    x = images(2, 4, 5, 3)
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(pf.image.adjust_contrast(x, 1.7).numpy(),
                               (x - mean) * 1.7 + mean, atol=1e-12)
    np.testing.assert_allclose(pf.image.adjust_brightness(x, 0.25).numpy(), x + 0.25)
    m = x.mean(axis=(1, 2, 3), keepdims=True)
    s = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(60))
    np.testing.assert_allclose(pf.image.per_image_standardization(x).numpy(), (x - m) / s,
                               atol=1e-12)
    const = np.ones((3, 3, 1))  # σ = 0: divided by 1/√N, not by zero
    assert np.all(pf.image.per_image_standardization(const).numpy() == 0)
    gradcheck(lambda t: pf.image.adjust_contrast(t, 0.6), [x])
    gradcheck(pf.image.per_image_standardization, [x])


def test_rgb_to_grayscale():
    x = images(2, 3, 4, 3)
    want = x @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(pf.image.rgb_to_grayscale(x).numpy(), want[..., None],
                               atol=1e-12)
    u8 = RNG.integers(0, 255, (3, 4, 3)).astype(np.uint8)
    assert pf.image.rgb_to_grayscale(u8).dtype == np.uint8
    assert pf.image.grayscale_to_rgb(want[..., None]).shape == (2, 3, 4, 3)
    with pytest.raises(ValueError, match="3 channels"):
        pf.image.rgb_to_grayscale(images(2, 3, 4, 2))


def test_convert_image_dtype():
    u8 = np.array([[[0], [128], [255]]], dtype=np.uint8)
    np.testing.assert_allclose(pf.image.convert_image_dtype(u8, "float32").numpy(),
                               u8 / 255.0, rtol=1e-6)
    f = np.array([[[0.0], [0.5], [0.999], [1.0]]], dtype=np.float32)
    # x·(255 + ½) truncated, as TF
    np.testing.assert_array_equal(pf.image.convert_image_dtype(f, "uint8").numpy().ravel(),
                                  [0, 127, 255, 255])
    over = np.array([[[-0.2], [1.3]]], dtype=np.float32)
    np.testing.assert_array_equal(
        pf.image.convert_image_dtype(over, "uint8", saturate=True).numpy().ravel(), [0, 255])
    i16 = pf.image.convert_image_dtype(u8, "int16").numpy().ravel()
    np.testing.assert_array_equal(i16, [0, 128 * 128, 255 * 128])


# --- patches --------------------------------------------------------------------------------------


def test_extract_patches_matches_torch_unfold():
    x = images(2, 7, 9, 3)

    def torch_patches(t):
        u = F.unfold(t.permute(0, 3, 1, 2), kernel_size=(3, 2), stride=(2, 3), dilation=(1, 2))
        n, _, length = u.shape  # (n, c·kh·kw, L) → (n, oh, ow, kh·kw·c)
        u = u.reshape(n, 3, 3 * 2, length).permute(0, 3, 2, 1).reshape(n, length, -1)
        return u.reshape(n, 3, 3, -1)

    check_against_torch(lambda t: pf.image.extract_patches(t, [1, 3, 2, 1], [1, 2, 3, 1],
                                                           [1, 1, 2, 1], "VALID"),
                        torch_patches, [x])


def test_extract_patches_same_padding():
    x = images(1, 5, 5, 1)
    y = pf.image.extract_patches(x, [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME").numpy()
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    assert y.shape == (1, 3, 3, 9)
    np.testing.assert_array_equal(y[0, 1, 2], padded[0, 2:5, 4:7, 0].ravel())
