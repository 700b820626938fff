"""Augmentation layers: the layer contract, identity at inference, Keras's transforms checked on
fixed factors against NumPy / torch (``grid_sample``), per-image draws, seeding, gradients,
errors, and use inside a model that is fitted."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import layers as L
from profond.testing import gradcheck, run_layer_test

RNG = np.random.default_rng(5)

LAYERS = [
    (L.RandomFlip, {"seed": 1}),
    (L.RandomFlip, {"mode": "vertical"}),
    (L.RandomRotation, {"factor": 0.2, "seed": 2}),
    (L.RandomZoom, {"height_factor": (-0.3, 0.2), "width_factor": 0.1}),
    (L.RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.1, 0.3),
                           "fill_mode": "constant", "fill_value": 0.5}),
    (L.RandomContrast, {"factor": 0.5, "value_range": (-10, 10)}),
    (L.RandomBrightness, {"factor": (-0.2, 0.4), "value_range": [-5, 5]}),
]


def ids(p):
    return p[0].__name__ + "-" + "-".join(sorted(p[1]))


@pytest.mark.parametrize("cls,kwargs", LAYERS, ids=[ids(p) for p in LAYERS])
def test_contract_and_identity_at_inference(cls, kwargs):
    run_layer_test(cls, kwargs, (2, 6, 7, 3), (2, 6, 7, 3))
    x = RNG.normal(size=(4, 6, 7, 3)).astype("float32")
    layer = cls(**kwargs)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    ys = [layer(x, training=True).numpy() for _ in range(8)]  # a flip may leave all 4 as they are
    assert ys[0].shape == x.shape and any(not np.allclose(y, x) for y in ys)
    assert layer(x[0], training=True).shape == x[0].shape  # a single image
    u8 = RNG.integers(0, 5, (2, 6, 7, 3)).astype(np.uint8)
    assert layer(u8, training=True).dtype == np.float32


@pytest.mark.parametrize("cls,kwargs", LAYERS[2:], ids=[ids(p) for p in LAYERS[2:]])
def test_seeding(cls, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "seed"}
    x = RNG.normal(size=(3, 5, 6, 2)).astype("float32")
    a, b = cls(**kwargs, seed=11), cls(**kwargs, seed=11)
    np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    pf.set_seed(4)
    first = cls(**kwargs)(x, training=True).numpy()
    pf.set_seed(4)
    np.testing.assert_array_equal(cls(**kwargs)(x, training=True).numpy(), first)
    # each image of the batch gets its own draw
    same = np.repeat(x[:1], 4, axis=0)
    out = cls(**kwargs, seed=3)(same, training=True).numpy()
    assert not np.allclose(out[0], out[1])


def test_random_flip_modes():
    x = RNG.normal(size=(1, 3, 4, 1)).astype("float32")
    batch = np.repeat(x, 64, axis=0)
    variants = {"horizontal": [x[0], x[0, :, ::-1]], "vertical": [x[0], x[0, ::-1]],
                "horizontal_and_vertical": [x[0], x[0, :, ::-1], x[0, ::-1], x[0, ::-1, ::-1]]}
    for mode, allowed in variants.items():
        out = L.RandomFlip(mode, seed=0)(batch, training=True).numpy()
        seen = [np.mean([np.array_equal(o, v) for o in out]) for v in allowed]
        assert sum(seen) == pytest.approx(1.0)  # every output is one of the allowed flips
        assert min(seen) > 0.1  # and each of them happens
    with pytest.raises(ValueError, match="mode"):
        L.RandomFlip("diagonal")


def test_rotation_quarter_turn_is_rot90():
    x = RNG.normal(size=(2, 5, 5, 3))
    layer = L.RandomRotation((0.25, 0.25), dtype="float64")
    np.testing.assert_allclose(layer(x, training=True).numpy(), np.rot90(x, 1, axes=(1, 2)),
                               atol=1e-9)


def test_rotation_matches_torch_grid_sample():
    x = RNG.normal(size=(2, 6, 8, 3))
    theta = 0.07 * 2 * np.pi
    layer = L.RandomRotation((0.07, 0.07), fill_mode="constant", dtype="float64")
    # output pixel (x, y) reads the input at R(θ)·(x − c) + c, c the image centre
    oy, ox = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    cx, cy = 3.5, 2.5
    xs = np.cos(theta) * (ox - cx) - np.sin(theta) * (oy - cy) + cx
    ys = np.sin(theta) * (ox - cx) + np.cos(theta) * (oy - cy) + cy
    grid = torch.tensor(np.stack([2 * xs / 7 - 1, 2 * ys / 5 - 1], -1)[None].repeat(2, 0))
    want = F.grid_sample(torch.tensor(x).permute(0, 3, 1, 2), grid, align_corners=True,
                         padding_mode="zeros").permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(layer(x, training=True).numpy(), want, atol=1e-12)


def test_zoom_matches_torch_grid_sample():
    x = RNG.normal(size=(1, 7, 9, 2))
    layer = L.RandomZoom((-0.4, -0.4), (0.5, 0.5), fill_mode="nearest", dtype="float64")
    zy, zx = 0.6, 1.5  # read at z times the distance from the centre
    oy, ox = np.meshgrid(np.arange(7), np.arange(9), indexing="ij")
    xs, ys = zx * (ox - 4) + 4, zy * (oy - 3) + 3
    grid = torch.tensor(np.stack([xs / 4 - 1, ys / 3 - 1], -1)[None])
    want = F.grid_sample(torch.tensor(x).permute(0, 3, 1, 2), grid, align_corners=True,
                         padding_mode="border").permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(layer(x, training=True).numpy(), want, atol=1e-12)


@pytest.mark.parametrize("fill_mode,np_mode", [("reflect", "symmetric"), ("wrap", "wrap"),
                                               ("nearest", "edge"), ("constant", "constant")])
def test_translation_fill_modes(fill_mode, np_mode):
    x = RNG.normal(size=(2, 8, 6, 1))
    # 0.25·8 = 2 rows down, −0.5·6 = 3 columns left
    layer = L.RandomTranslation((0.25, 0.25), (-0.5, -0.5), fill_mode=fill_mode,
                                dtype="float64")
    padded = np.pad(x, [(0, 0), (2, 0), (0, 3), (0, 0)], mode=np_mode)
    np.testing.assert_allclose(layer(x, training=True).numpy(), padded[:, :8, 3:], atol=1e-12)


def test_contrast_and_brightness_per_image():
    x = RNG.uniform(0, 255, size=(6, 4, 5, 3))
    y = L.RandomContrast(0.4, value_range=(-1e4, 1e4), seed=0, dtype="float64")(
        x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    f = (y - mean) / (x - mean)  # one contrast factor per image, in [0.6, 1.4]
    np.testing.assert_allclose(f, f[:, :1, :1, :1] * np.ones_like(f), rtol=1e-9)
    assert np.all((f > 0.6) & (f < 1.4)) and np.ptp(f[:, 0, 0, 0]) > 0
    clipped = L.RandomContrast(0.9, seed=0)(x, training=True).numpy()
    assert clipped.min() >= 0 and clipped.max() <= 255
    b = L.RandomBrightness(0.2, value_range=(0, 255), seed=0, dtype="float64")
    z = b(x, training=True).numpy()
    inside = (z > 0) & (z < 255)
    delta = np.where(inside, z - x, np.nan)
    per_image = np.nanmax(delta, axis=(1, 2, 3))
    np.testing.assert_allclose(np.nanmin(delta, axis=(1, 2, 3)), per_image, atol=1e-9)
    assert np.all(np.abs(per_image) <= 0.2 * 255) and z.min() >= 0 and z.max() <= 255


def test_random_crop():
    x = RNG.normal(size=(5, 7, 9, 2)).astype("float32")
    run_layer_test(L.RandomCrop, {"height": 4, "width": 5, "seed": 0}, (2, 7, 9, 2),
                   (2, 4, 5, 2))
    out = L.RandomCrop(4, 5, seed=1)(x, training=True).numpy()
    windows = set()
    for img, o in zip(x, out):
        hits = [(i, j) for i in range(4) for j in range(5)
                if np.array_equal(img[i:i + 4, j:j + 5], o)]
        assert hits  # a window of its own image
        windows.add(hits[0])
    assert len(windows) > 1
    # inference: the largest centred window with the target's aspect ratio, resized
    np.testing.assert_allclose(L.RandomCrop(4, 5)(x, training=False).numpy(),
                               pf.image.resize(x[:, :, 0:8], (4, 5)).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="height"):
        L.RandomCrop(0, 3)


def test_gradients_flow_through_fixed_transforms():
    x = RNG.normal(size=(2, 5, 6, 2))
    for layer in [L.RandomRotation((0.1, 0.1), fill_mode="reflect", dtype="float64"),
                  L.RandomZoom((0.3, 0.3), dtype="float64"),
                  L.RandomTranslation((0.1, 0.1), (0.2, 0.2), fill_mode="wrap",
                                      dtype="float64"),
                  L.RandomContrast((0.5, 0.5), value_range=(-100, 100), dtype="float64")]:
        gradcheck(lambda t, layer=layer: layer(t, training=True), [x])


def test_factor_validation():
    with pytest.raises(ValueError, match="factor"):
        L.RandomRotation(1.5)
    with pytest.raises(ValueError, match="factor"):
        L.RandomRotation([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="height_factor"):
        L.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="fill_mode"):
        L.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation"):
        L.RandomTranslation(0.1, 0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(-0.2)
    with pytest.raises(ValueError, match="value_range"):
        L.RandomBrightness(0.1, value_range=(1, 0))
    with pytest.raises(ValueError, match="data_format"):
        L.RandomFlip(data_format="nhwc")


def test_augmentation_in_a_fitted_model_is_identity_at_predict():
    x = RNG.normal(size=(16, 6, 6, 1)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    aug = pf.models.Sequential([L.Input(shape=(6, 6, 1)), L.RandomFlip(seed=0),
                                L.RandomRotation(0.1, seed=0)])
    model = pf.models.Sequential([aug, L.Flatten(), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    np.testing.assert_array_equal(aug.predict(x, verbose=0), x)


def test_training_defaults_as_in_keras():
    """Keras 3: a direct call and ``model(x)`` augment, ``predict`` and ``evaluate`` do not."""
    x = np.arange(2 * 4 * 4, dtype="float32").reshape(2, 4, 4, 1)
    flip = L.RandomFlip("horizontal", seed=1)
    assert any(not np.array_equal(flip(x).numpy(), x) for _ in range(5))
    model = pf.keras.Sequential([L.Input((4, 4, 1)), L.RandomFlip("horizontal", seed=1)])
    assert any(not np.array_equal(model(x).numpy(), x) for _ in range(5))
    for _ in range(3):
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    dropout = L.Dropout(0.5)
    np.testing.assert_array_equal(dropout(np.ones((2, 8), "float32")).numpy(), 1.0)
