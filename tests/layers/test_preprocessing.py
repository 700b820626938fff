"""Feature preprocessing layers (Normalization, Rescaling, Discretization, CategoryEncoding,
Hashing) and the image layers Resizing / CenterCrop: the layer contract, Keras's behaviour on
small arrays (observed with TensorFlow 2.21 / Keras 3; the oracles here are NumPy, torch or
closed forms), adapt on arrays and Datasets, save/load of adapted statistics, errors."""

import hashlib
import os
import tempfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import layers as L
from profond.testing import check_layer_against_torch, gradcheck, run_layer_test

RNG = np.random.default_rng(3)


def save_and_load(model):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.profond")
        pf.saving.save_model(model, path)
        return pf.saving.load_model(path)


# --- Normalization ------------------------------------------------------------------------------


def test_normalization_contract():
    run_layer_test(L.Normalization, {}, (4, 3), (4, 3), expected_num_non_trainable_weights=3)
    run_layer_test(L.Normalization, {"axis": (1, 2)}, (2, 3, 4), (2, 3, 4),
                   expected_num_non_trainable_weights=3)
    run_layer_test(L.Normalization, {"mean": [1.0, 2.0], "variance": [4.0, 9.0]}, (3, 2), (3, 2))


@pytest.mark.parametrize("axis", [-1, None, (1, 2), (-1, 1)], ids=str)
def test_normalization_adapt_matches_numpy_float64(axis):
    data = RNG.normal(2.0, 3.0, (50, 3, 4))
    layer = L.Normalization(axis=axis, dtype="float64")
    layer.adapt(data)
    keep = () if axis is None else tuple(a % 3 for a in np.atleast_1d(axis))
    reduce = tuple(a for a in range(3) if a not in keep)
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(axis=reduce, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(axis=reduce, keepdims=True),
                               rtol=1e-12)
    z = layer(data).numpy()
    np.testing.assert_allclose(z.mean(axis=reduce), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=reduce), 1, rtol=1e-10)
    assert int(layer.count.numpy()) == data.size // max(1, int(np.prod(
        [data.shape[a] for a in keep])))


def test_normalization_streaming_adapt_array_and_dataset_agree():
    data = RNG.normal(-1.0, 5.0, (53, 4)) + 1e4  # a large offset: the naive Σx² would lose digits
    whole = L.Normalization(dtype="float64")
    whole.adapt(data)
    chunks = L.Normalization(dtype="float64")
    chunks.adapt(data, batch_size=7)  # uneven batches, combined with Chan's update
    ds = L.Normalization(dtype="float64")
    ds.adapt(pf.data.Dataset.from_tensor_slices(data).batch(10))
    for layer in (whole, chunks, ds):
        np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(0), rtol=1e-14)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(0), rtol=1e-10)
    partial = L.Normalization(dtype="float64")
    partial.adapt(pf.data.Dataset.from_tensor_slices(data).batch(10), steps=2)
    np.testing.assert_allclose(partial.adapt_mean.numpy(), data[:20].mean(0), rtol=1e-14)
    # (x, y) elements: the features are used
    xy = L.Normalization()
    xy.adapt(pf.data.Dataset.from_tensor_slices((data, np.zeros(53))).batch(16))
    np.testing.assert_allclose(xy.adapt_mean.numpy(), data.mean(0), rtol=1e-6)


def test_normalization_given_statistics_and_invert():
    layer = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(layer(np.ones((3, 2))).numpy(), [[0.0, -1 / 3]] * 3, rtol=1e-6)
    inv = L.Normalization(mean=1.0, variance=4.0, invert=True)
    np.testing.assert_allclose(inv(np.ones((3, 2))).numpy(), 3.0)
    zero_var = L.Normalization(mean=0.0, variance=0.0)  # σ is floored at 1e-7, no division by 0
    assert np.all(np.isfinite(zero_var(np.ones((2, 2))).numpy()))


def test_normalization_is_differentiable_like_torch():
    layer = L.Normalization(dtype="float64")
    data = RNG.normal(size=(20, 3))
    layer.adapt(data)
    check_layer_against_torch(
        layer, lambda x, w: (x - w[0]) / torch.sqrt(w[1]), data[:5])
    gradcheck(lambda t: layer(t), [data[:4]])


def test_normalization_save_load_keeps_adapted_statistics():
    data = RNG.normal(5.0, 2.0, (40, 3)).astype("float32")
    norm = L.Normalization()
    model = pf.models.Sequential([L.Input(shape=(3,)), norm])
    norm.adapt(data)
    loaded = save_and_load(model)
    np.testing.assert_array_equal(loaded.layers[0].adapt_mean.numpy(), norm.adapt_mean.numpy())
    np.testing.assert_allclose(loaded(data).numpy(), model(data).numpy())
    assert abs(float(loaded(data).numpy().mean())) < 1e-5


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="batch axis"):
        L.Normalization(axis=0)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        L.Normalization(axis=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="adapt"):
        L.Normalization(mean=0.0, variance=1.0).adapt(np.ones((2, 1)))
    with pytest.raises(ValueError, match="must broadcast"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.ones((2, 3)))


# --- Rescaling ----------------------------------------------------------------------------------


def test_rescaling():
    run_layer_test(L.Rescaling, {"scale": 1 / 255}, (2, 4, 4, 3), (2, 4, 4, 3))
    run_layer_test(L.Rescaling, {"scale": [1.0, 2.0, 0.5], "offset": [0.0, 1.0, -1.0]},
                   (2, 3), (2, 3))
    u8 = RNG.integers(0, 256, (2, 3, 3, 1)).astype(np.uint8)
    y = L.Rescaling(1 / 127.5, offset=-1)(u8)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), u8 / 127.5 - 1, rtol=1e-6, atol=1e-6)
    layer = L.Rescaling(0.5, offset=2.0, dtype="float64")
    check_layer_against_torch(layer, lambda x, w: x * 0.5 + 2.0, RNG.normal(size=(3, 2)))


# --- Discretization ------------------------------------------------------------------------------


def test_discretization_buckets_like_keras():
    layer = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = layer(np.array([[-1.5, 0.0, 0.5, 1.0, 2.0, 3.0]]))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 1, 2, 3, 3]])
    x = RNG.normal(size=(4, 5))
    np.testing.assert_array_equal(layer(x).numpy(), np.digitize(x, [0.0, 1.0, 2.0]))
    hot = L.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    np.testing.assert_array_equal(hot(np.array([-1.0, 0.5, 3.0])).numpy(), np.eye(3))
    multi = L.Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")
    np.testing.assert_array_equal(multi(np.array([[-1.0, 0.5, 3.0, 3.0]])).numpy(), [[1, 1, 1]])
    count = L.Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")
    np.testing.assert_array_equal(count(np.array([[-1.0, 0.5, 3.0, 3.0]])).numpy(), [[1, 1, 2]])


def test_discretization_adapt_quantiles_and_config():
    layer = L.Discretization(num_bins=4)
    layer.adapt(np.arange(100.0).reshape(-1, 1))
    assert layer.bin_boundaries == [24.0, 49.0, 74.0]  # what Keras finds too
    data = RNG.normal(size=1000)
    layer = L.Discretization(num_bins=5)
    layer.adapt(pf.data.Dataset.from_tensor_slices(data).batch(100))
    counts = np.bincount(layer(data).numpy(), minlength=5)
    assert counts.sum() == 1000 and np.all(np.abs(counts - 200) <= 1)  # equal-frequency bins
    clone = L.Discretization.from_config(layer.get_config())
    np.testing.assert_array_equal(clone(data).numpy(), layer(data).numpy())
    run_layer_test(L.Discretization, {"bin_boundaries": [-0.5, 0.0, 0.5]}, (3, 4), (3, 4))
    run_layer_test(L.Discretization, {"bin_boundaries": [0.0], "output_mode": "one_hot"},
                   (5,), (5, 2))


def test_discretization_errors():
    with pytest.raises(ValueError, match="exactly one"):
        L.Discretization()
    with pytest.raises(ValueError, match="sorted"):
        L.Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="output_mode"):
        L.Discretization(bin_boundaries=[0.0], output_mode="tf_idf")
    with pytest.raises(ValueError, match="adapt"):
        L.Discretization(num_bins=3)(np.ones((2, 2)))


# --- CategoryEncoding ---------------------------------------------------------------------------


def test_category_encoding_like_keras():
    one = L.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one(np.array([3, 2, 0, 1])).numpy(), np.eye(4)[[3, 2, 0, 1]])
    assert one(np.array([[1], [2]])).shape == (2, 4)
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    multi = L.CategoryEncoding(4)
    np.testing.assert_array_equal(multi(x).numpy(), [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0],
                                                     [0, 1, 0, 1]])
    count = L.CategoryEncoding(4, output_mode="count")
    w = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    np.testing.assert_allclose(count(x, count_weights=w).numpy(),
                               [[0.1, 0.2, 0, 0], [0.2, 0, 0, 0], [0, 0.2, 0.3, 0],
                                [0, 0.2, 0, 0.4]], rtol=1e-6)
    np.testing.assert_array_equal(count(x).numpy()[1], [2, 0, 0, 0])
    run_layer_test(L.CategoryEncoding, {"num_tokens": 10}, (3, 4), (3, 10), input_dtype="int64")


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens"):
        L.CategoryEncoding(0)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        L.CategoryEncoding(4)(np.array([[5]]))
    with pytest.raises(ValueError, match="sparse"):
        L.CategoryEncoding(4, sparse=True)


# --- Hashing --------------------------------------------------------------------------------------


def blake_bin(value, num_bins, key=b""):
    digest = hashlib.blake2b(str(value).encode(), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "little") % num_bins


def test_hashing_is_stable_and_documented():
    words = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    out = L.Hashing(num_bins=3)(words)
    assert out.dtype == np.int64 and out.shape == (5, 1)
    np.testing.assert_array_equal(out.numpy().ravel(), [blake_bin(w, 3) for w in "ABCDE"])
    ints = L.Hashing(num_bins=7)(np.array([[1], [2], [30]])).numpy().ravel()
    np.testing.assert_array_equal(ints, [blake_bin(v, 7) for v in (1, 2, 30)])
    masked = L.Hashing(num_bins=3, mask_value="")(np.array([["A"], [""], ["C"]])).numpy().ravel()
    assert masked[1] == 0 and masked[0] == 1 + blake_bin("A", 2)
    salted = L.Hashing(num_bins=1000, salt=133)(words).numpy().ravel()
    key = (133).to_bytes(8, "little") * 2
    np.testing.assert_array_equal(salted, [blake_bin(w, 1000, key) for w in "ABCDE"])
    hot = L.Hashing(num_bins=3, output_mode="one_hot")(np.array(["A", "B"])).numpy()
    np.testing.assert_array_equal(hot, np.eye(3)[[blake_bin("A", 3), blake_bin("B", 3)]])
    run_layer_test(L.Hashing, {"num_bins": 5}, (4, 2), (4, 2), input_dtype="int64")


def test_hashing_errors():
    with pytest.raises(ValueError, match="num_bins"):
        L.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        L.Hashing(num_bins=3, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="string or integer"):
        L.Hashing(num_bins=3)(np.array([[0.5]]))


# --- Resizing and CenterCrop ----------------------------------------------------------------------


def test_resizing_contract_and_torch():
    run_layer_test(L.Resizing, {"height": 3, "width": 5}, (2, 6, 7, 2), (2, 3, 5, 2))
    run_layer_test(L.Resizing, {"height": 4, "width": 4, "crop_to_aspect_ratio": True},
                   (2, 6, 8, 1), (2, 4, 4, 1))
    layer = L.Resizing(5, 9, dtype="float64")
    check_layer_against_torch(
        layer, lambda x, w: F.interpolate(x.permute(0, 3, 1, 2), size=(5, 9), mode="bilinear",
                                          align_corners=False).permute(0, 2, 3, 1),
        RNG.normal(size=(2, 4, 6, 3)))


def test_resizing_options():
    x = RNG.normal(size=(1, 7, 9, 2)).astype("float32")
    crop = L.Resizing(4, 6, crop_to_aspect_ratio=True)(x).numpy()
    np.testing.assert_allclose(crop, pf.image.resize(x[:, 0:6], (4, 6)).numpy(), atol=1e-6)
    padded = L.Resizing(6, 4, pad_to_aspect_ratio=True, fill_value=0.5)(x).numpy()
    # 7×9 towards the ratio 6:4 needs ⌊9·6/4⌋ = 13 rows: 3 rows of 0.5 above and below
    want = np.pad(x, [(0, 0), (3, 3), (0, 0), (0, 0)], constant_values=0.5)
    np.testing.assert_allclose(padded, pf.image.resize(want, (6, 4)).numpy(), atol=1e-6)
    single = L.Resizing(3, 3)(x[0])
    assert single.shape == (3, 3, 2)
    first = L.Resizing(3, 4, data_format="channels_first")(np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_allclose(np.transpose(first.numpy(), (0, 2, 3, 1)),
                               pf.image.resize(x, (3, 4)).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        L.Resizing(2, 2, interpolation="cubic")
    with pytest.raises(ValueError, match="only one"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="positive"):
        L.Resizing(0, 2)


def test_center_crop():
    run_layer_test(L.CenterCrop, {"height": 3, "width": 4}, (2, 7, 9, 3), (2, 3, 4, 3))
    x = RNG.normal(size=(2, 7, 9, 3))
    np.testing.assert_array_equal(L.CenterCrop(3, 4, dtype="float64")(x).numpy(),
                                  x[:, 2:5, 2:6])
    # smaller than the window: crop to the aspect ratio, then resize
    up = L.CenterCrop(8, 12, dtype="float64")(x).numpy()
    np.testing.assert_allclose(up, pf.image.resize(x[:, 0:6], (8, 12)).numpy(), atol=1e-12)
