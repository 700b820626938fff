"""profond.datasets: the IDX reader, verified downloads (from a local server), loaders, toy sets."""

import functools
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from profond.datasets import _idx, digits, fashion_mnist, mnist, toy

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array, type_code=0x08):
    """An IDX file holding ``array`` (uint8 by default)."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    dtype = {0x08: "u1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    return header + array.astype(dtype).tobytes()


def tiny_dataset(n_train=6, n_test=4):
    """Small MNIST-like files: {name: IDX content bytes}."""
    rng = np.random.default_rng(0)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte"] = idx_bytes(rng.integers(0, 256, (n, 28, 28)))
        out[f"{split}-labels-idx1-ubyte"] = idx_bytes(rng.integers(0, 10, n))
    return out


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server (127.0.0.1, ephemeral port) serving the folder it returns."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never touch ~/.profond nor a real mirror in tests."""
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROFOND_DATASETS_URL", raising=False)


# --- IDX reader ----------------------------------------------------------------------------------
@pytest.mark.parametrize("type_code", [0x08, 0x0B, 0x0C, 0x0D, 0x0E])
def test_parse_idx_round_trips_every_type(type_code):
    array = np.arange(24).reshape(2, 3, 4)
    parsed = _idx.parse_idx(idx_bytes(array, type_code))
    np.testing.assert_array_equal(parsed, array)
    assert parsed.dtype.isnative and parsed.flags.writeable


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00", "fewer than a header"),
        (b"\x01\x00\x08\x01" + bytes(8), "not an IDX file"),
        (b"\x00\x00\x07\x01" + bytes(8), "not an IDX file"),
        (b"\x00\x00\x08\x00", "dimensions"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(3), "wrong size"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02" + bytes(3), "wrong size"),
        # sizes claiming 2**96 bytes: refused from the header, never allocated
        (b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" * 3 + bytes(4), "wrong size"),
    ],
)
def test_parse_idx_refuses_malformed_data(data, message):
    with pytest.raises(ValueError, match=message):
        _idx.parse_idx(data)


def test_read_idx_gzip_truncated_and_size_limit(tmp_path):
    array = np.arange(100, dtype=np.uint8).reshape(4, 25)
    raw = idx_bytes(array)
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a").write_bytes(raw)
    np.testing.assert_array_equal(_idx.read_idx(tmp_path / "a.gz", sha256=sha(raw)), array)
    np.testing.assert_array_equal(_idx.read_idx(tmp_path / "a"), array)
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw)[:-12])
    with pytest.raises(ValueError, match="gzip"):
        _idx.read_idx(tmp_path / "cut.gz")
    bomb = gzip.compress(bytes([0, 0, 8, 1, 0, 0x10, 0, 0]) + bytes(2**20))
    (tmp_path / "bomb.gz").write_bytes(bomb)
    with pytest.raises(ValueError, match="limit"):
        _idx.read_idx(tmp_path / "bomb.gz", max_bytes=2**16)
    with pytest.raises(ValueError, match="integrity"):
        _idx.read_idx(tmp_path / "a", sha256="0" * 64)


# --- downloads from a local server ---------------------------------------------------------------
def serve(root, files):
    for name, data in files.items():
        (root / f"{name}.gz").write_bytes(gzip.compress(data))


def test_download_verifies_and_caches(server, monkeypatch):
    root, url = server
    files = tiny_dataset()
    serve(root, files)
    monkeypatch.setattr(mnist, "FILES", {name: sha(data) for name, data in files.items()})
    monkeypatch.setattr(mnist, "SYSTEM_DIRS", ())
    (x_train, y_train), (x_test, y_test) = mnist.load_data(base_url=url)
    assert x_train.shape == (6, 28, 28) and x_test.shape == (4, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.shape == (6,) and y_test.shape == (4,)
    cached = _idx.cache_dir("mnist")
    assert sorted(p.name for p in cached.iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    for p in root.iterdir():  # the next load reads the cache, not the server
        p.unlink()
    (again, _), _ = mnist.load_data(base_url=url)
    np.testing.assert_array_equal(again, x_train)


def test_download_refuses_a_corrupted_file_and_removes_it(server, tmp_path):
    root, url = server
    files = tiny_dataset()
    good = {name: sha(data) for name, data in files.items()}
    files["train-labels-idx1-ubyte"] = idx_bytes(np.full(6, 9))  # tampered labels
    serve(root, files)
    target = tmp_path / "data"
    with pytest.raises(ValueError, match="integrity"):
        _idx.fetch_idx("tiny", good, base_url=url, data_dir=target)
    assert not (target / "train-labels-idx1-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in target.iterdir())


def test_download_errors_are_clear(server, tmp_path):
    root, url = server
    with pytest.raises(OSError, match="Could not download"):
        _idx.download(url + "missing.gz", tmp_path / "x.gz", "0" * 64)
    assert not list(tmp_path.glob("x.gz*"))
    (root / "big.gz").write_bytes(bytes(5000))
    with pytest.raises(ValueError, match="limit"):
        _idx.download(url + "big.gz", tmp_path / "big.gz", "0" * 64, max_bytes=1000)
    with pytest.raises(FileNotFoundError, match="no download address"):
        _idx.fetch_idx("tiny", {"a": "0" * 64}, data_dir=tmp_path / "none")


def test_mirror_from_environment_variable(server, monkeypatch):
    root, url = server
    files = tiny_dataset()
    (root / "fashion-mnist").mkdir()
    serve(root / "fashion-mnist", files)
    monkeypatch.setenv("PROFOND_DATASETS_URL", url)
    monkeypatch.setattr(fashion_mnist, "FILES", {n: sha(d) for n, d in files.items()})
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ())
    (x_train, _), _ = fashion_mnist.load_data()
    assert x_train.shape == (6, 28, 28)


def test_damaged_cache_file_is_fetched_again(server, monkeypatch):
    root, url = server
    files = tiny_dataset()
    serve(root, files)
    hashes = {n: sha(d) for n, d in files.items()}
    cache = _idx.cache_dir("tiny")
    cache.mkdir(parents=True)
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    arrays = _idx.fetch_idx("tiny", hashes, base_url=url)
    assert arrays["t10k-labels-idx1-ubyte"].shape == (4,)


def test_system_folder_is_read_first(tmp_path):
    files = tiny_dataset()
    system = tmp_path / "system"
    system.mkdir()
    for name, data in files.items():  # uncompressed files work too
        (system / name).write_bytes(data)
    arrays = _idx.fetch_idx("tiny", {n: sha(d) for n, d in files.items()}, system_dirs=[system])
    assert arrays["train-images-idx3-ubyte"].shape == (6, 28, 28)
    assert not _idx.cache_dir("tiny").exists()


def test_loader_checks_shapes(tmp_path):
    files = tiny_dataset()
    files["train-labels-idx1-ubyte"] = idx_bytes(np.zeros(5))  # 6 images, 5 labels
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    hashes = {n: sha(d) for n, d in files.items()}
    with pytest.raises(ValueError, match="labels"):
        _idx.load_image_classification("tiny", hashes, (), None, None, tmp_path)


# --- the real data sets --------------------------------------------------------------------------
DEBIAN_DIR = Path(fashion_mnist.SYSTEM_DIRS[0])


@pytest.mark.skipif(
    not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian's package is absent: apt-get install dataset-fashion-mnist",
)
def test_fashion_mnist_from_the_debian_package():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    assert not _idx.cache_dir("fashion-mnist").exists()  # read in place, nothing copied


def test_digits_fixed_stratified_split():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and x_train.max() == 16
    assert y_train.dtype == np.int64 and set(np.unique(y_test)) == set(range(10))
    assert np.bincount(y_test).min() >= 34  # stratified: about 36 of each class
    (x_again, y_again), _ = digits.load_data()
    np.testing.assert_array_equal(x_again, x_train)
    np.testing.assert_array_equal(y_again, y_train)


# --- toy sets ------------------------------------------------------------------------------------
CLASSIFIERS = [
    (toy.spiral, 3), (toy.circles, 2), (toy.xor, 2), (toy.moons, 2), (toy.gaussians, 2),
]


@pytest.mark.parametrize("make, n_classes", CLASSIFIERS)
def test_toy_classification_sets(make, n_classes):
    x, y = make(n_samples=101, seed=0)
    assert x.shape == (101, 2) and x.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(n_classes))
    x2, y2 = make(n_samples=101, seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n_samples=101, seed=1)[0], x)


def test_toy_class_counts_and_noise():
    x, y = toy.spiral(n_samples=100, n_classes=4, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [25, 25, 25, 25]
    x, y = toy.gaussians(n_samples=300, n_classes=3, noise=0.1, seed=0)
    for k in range(3):  # tight blobs around their centres on the circle of radius 3
        radius = np.linalg.norm(x[y == k].mean(axis=0))
        assert abs(radius - 3.0) < 0.1
    x, y = toy.circles(n_samples=200, noise=0.0, factor=0.5, seed=0)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.where(y == 0, 1.0, 0.5), atol=1e-6)
    x, y = toy.xor(n_samples=200, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))


def test_toy_regression_sets():
    x, y = toy.regression_1d(n_samples=50, noise=0.0, seed=0)
    assert x.shape == y.shape == (50, 1) and y.dtype == np.float32
    np.testing.assert_allclose(y, np.sin(np.pi * x), atol=1e-6)
    x, y = toy.regression_plane(n_samples=40, noise=0.0, seed=0)
    assert x.shape == (40, 2) and y.shape == (40, 1)
    np.testing.assert_allclose(y[:, 0], 0.5 * x[:, 0] - 0.3 * x[:, 1] + 0.2, atol=1e-6)


def test_toy_arguments_are_checked():
    with pytest.raises(ValueError, match="n_samples"):
        toy.spiral(n_samples=2, n_classes=3)
    with pytest.raises(ValueError, match="noise"):
        toy.moons(noise=-1.0)
    with pytest.raises(ValueError, match="factor"):
        toy.circles(factor=1.5)
