"""Keras's other data sets in profond: CIFAR-10/100 (binary files), Boston and California housing
(IMDB and Reuters: ``test_text_datasets.py``). Each test writes a small file in the real format,
serves it from a ``file://`` URL (never the network) and loads it through the real code path:
download, hash check, cache, extraction, parsing."""

import hashlib
import io
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from profond.datasets import boston_housing, california_housing, cifar10, cifar100


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never touch ~/.profond nor a real mirror in tests."""
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROFOND_DATASETS_URL", raising=False)


def serve(monkeypatch, module, path, hash_attribute="SHA256", **extra):
    """Point ``module``'s download at the local file ``path``, with its real hash."""
    digest = hashlib.new("md5" if hash_attribute == "MD5" else "sha256", path.read_bytes())
    monkeypatch.setattr(module, "ORIGIN", path.as_uri())
    monkeypatch.setattr(module, hash_attribute, digest.hexdigest())
    for name, value in extra.items():
        monkeypatch.setattr(module, name, value)


# --- CIFAR ----------------------------------------------------------------------------------------
def cifar_records(images, labels):
    """Binary CIFAR records: label byte(s), then the red, green and blue planes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return np.concatenate([labels.astype(np.uint8), planes], axis=1).tobytes()


def write_tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_cifar10_reads_the_binary_version(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, (12, 1))
    members = {f"cifar-10-batches-bin/data_batch_{i}.bin":
               cifar_records(images[2 * (i - 1) : 2 * i], labels[2 * (i - 1) : 2 * i])
               for i in range(1, 6)}
    members["cifar-10-batches-bin/test_batch.bin"] = cifar_records(images[10:], labels[10:])
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    write_tar(tmp_path / "cifar-10-binary.tar.gz", members)
    serve(monkeypatch, cifar10, tmp_path / "cifar-10-binary.tar.gz")

    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1)
    np.testing.assert_array_equal(x_train, images[:10])  # channels last, batches in order
    np.testing.assert_array_equal(y_test, labels[10:])
    cached = tmp_path / "home" / "datasets" / "cifar-10-binary_extracted"
    assert cached.is_dir()
    monkeypatch.setattr(urllib.request, "urlopen", None)  # a second load never downloads
    np.testing.assert_array_equal(cifar10.load_data()[1][0], images[10:])


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    labels = np.stack([rng.integers(0, 20, 5), rng.integers(0, 100, 5)], axis=1)
    write_tar(tmp_path / "cifar-100-binary.tar.gz", {
        "cifar-100-binary/train.bin": cifar_records(images[:3], labels[:3]),
        "cifar-100-binary/test.bin": cifar_records(images[3:], labels[3:]),
    })
    serve(monkeypatch, cifar100, tmp_path / "cifar-100-binary.tar.gz", "MD5")
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    np.testing.assert_array_equal(x_test, images[3:])
    assert y_train.dtype == np.int64 and y_train.shape == (3, 1)
    np.testing.assert_array_equal(y_train[:, 0], labels[:3, 1])
    (_, coarse), _ = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(coarse[:, 0], labels[:3, 0])
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_cifar_refuses_a_malformed_file(tmp_path, monkeypatch):
    write_tar(tmp_path / "c.tar.gz", {"cifar-100-binary/train.bin": b"\x00" * 100,
                                      "cifar-100-binary/test.bin": b"\x00" * 3074})
    serve(monkeypatch, cifar100, tmp_path / "c.tar.gz", "MD5")
    with pytest.raises(ValueError, match="record size"):
        cifar100.load_data()


def test_cifar_hash_mismatch_and_offline_message(tmp_path, monkeypatch):
    write_tar(tmp_path / "c.tar.gz", {"x": b"1"})
    monkeypatch.setattr(cifar10, "ORIGIN", (tmp_path / "c.tar.gz").as_uri())
    with pytest.raises(ValueError, match="integrity"):
        cifar10.load_data()

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(cifar10, "ORIGIN", "https://www.cs.toronto.edu/~kriz/"
                                           "cifar-10-binary.tar.gz")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(OSError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert "cifar-10-binary.tar.gz" in message and cifar10.ORIGIN in message
    assert str(tmp_path / "home" / "datasets") in message


# --- Boston / California housing ----------------------------------------------------------------
def keras_order(n, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return order


def test_boston_housing_split_like_keras(tmp_path, monkeypatch):
    x, y = np.random.default_rng(2).normal(size=(20, 13)), np.arange(20.0)
    np.savez(tmp_path / "boston_housing.npz", x=x, y=y)
    serve(monkeypatch, boston_housing, tmp_path / "boston_housing.npz")
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=0.25, seed=3)
    order = keras_order(20, np.random.RandomState(3))
    assert x_train.shape == (15, 13) and x_test.shape == (5, 13) and x_train.dtype == np.float64
    np.testing.assert_array_equal(y_train, y[order[:15]])
    np.testing.assert_array_equal(x_test, x[order[15:]])
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=-0.1)


def test_california_housing_versions(tmp_path, monkeypatch):
    x, y = np.random.default_rng(3).normal(size=(700, 8)), np.arange(700.0)
    np.savez(tmp_path / "california_housing.npz", x=x, y=y)
    serve(monkeypatch, california_housing, tmp_path / "california_housing.npz")
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8)
    assert y_train.max() < 600  # only the first 600 districts
    (x_train, _), (x_test, _) = california_housing.load_data()
    assert len(x_train) + len(x_test) == 700
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")


def test_mirror_environment_variable(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    np.savez(mirror / "boston_housing.npz", x=np.zeros((10, 13)), y=np.zeros(10))
    digest = hashlib.sha256((mirror / "boston_housing.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(boston_housing, "SHA256", digest)
    monkeypatch.setenv("PROFOND_DATASETS_URL", mirror.as_uri())
    (x_train, _), _ = boston_housing.load_data()
    assert x_train.shape == (8, 13)


def test_mnist_reads_keras_npz_when_given_a_path(tmp_path, monkeypatch):
    from profond.datasets import mnist

    images = np.random.default_rng(4).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=np.array([1, 2, 3], np.uint8),
             x_test=images[:1], y_test=np.array([7], np.uint8))
    digest = hashlib.sha256((tmp_path / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(mnist, "NPZ_SHA256", digest)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=str(tmp_path / "mnist.npz"))
    np.testing.assert_array_equal(x_train, images)
    assert y_test.tolist() == [7] and x_test.dtype == np.uint8
