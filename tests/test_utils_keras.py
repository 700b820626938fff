"""``keras.utils`` in profond: pad_sequences, timeseries windows, get_file (verified, cached,
atomic, safe extraction, offline errors), images through Pillow, datasets from folders, the
registry helpers, PyDataset, the legacy Tokenizer. Expected values come from Keras 3 / TF 2.21
(observed in ``.venv-compat``) or from a direct computation; nothing touches the network."""

import io
import json
import os
import tarfile
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

from profond import layers
from profond.utils import (
    CustomObjectScope,
    PyDataset,
    Sequence,
    array_to_img,
    custom_object_scope,
    deserialize_keras_object,
    file_utils,
    get_file,
    get_registered_name,
    get_registered_object,
    image_dataset_from_directory,
    img_to_array,
    load_img,
    normalize,
    pack_x_y_sample_weight,
    pad_sequences,
    register_keras_serializable,
    save_img,
    serialize_keras_object,
    smart_resize,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
    unpack_x_y_sample_weight,
)
from profond.utils.image_utils import resize_array
from profond.utils.sequence_utils import make_sampling_table, skipgrams
from profond.utils.text_utils import Tokenizer, text_to_word_sequence, tokenizer_from_json
from profond.utils.timeseries import TimeseriesGenerator

Image = pytest.importorskip("PIL.Image", reason="the image helpers need Pillow (images extra)")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never touch ~/.profond in tests."""
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))


# --- pad_sequences --------------------------------------------------------------------------------
def test_pad_sequences_like_keras():
    seqs = [[1, 2, 3], [4, 5], [6]]
    out = pad_sequences(seqs)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 3], [0, 4, 5], [0, 0, 6]])
    out = pad_sequences(seqs, maxlen=2, padding="post", truncating="post", value=-1)
    np.testing.assert_array_equal(out, [[1, 2], [4, 5], [6, -1]])
    out = pad_sequences(seqs, maxlen=2)  # truncating="pre" keeps the end
    np.testing.assert_array_equal(out, [[2, 3], [4, 5], [0, 6]])
    out = pad_sequences([[1.5, 2], [3]], dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.5, 2.0], [0.0, 3.0]])
    np.testing.assert_array_equal(pad_sequences([[], [1]]), [[0], [1]])
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_pad_sequences_strings_and_item_shapes():
    out = pad_sequences([["a", "b"], ["c"]], dtype=object, value="")
    assert out.dtype == object and out.tolist() == [["a", "b"], ["", "c"]]
    out = pad_sequences([["a", "b"], ["c"]], dtype="str", value="x")
    assert out.tolist() == [["a", "b"], ["x", "c"]]
    out = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[1], [[0, 0], [5, 6]])


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding="mid"), "padding"),
    (dict(truncating="x"), "truncating"),
    (dict(maxlen=-1), "maxlen"),
    (dict(value="pad"), "string `value`"),
])
def test_pad_sequences_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1, 2]], **kwargs)


def test_pad_sequences_rejects_non_sequences():
    with pytest.raises(ValueError, match="list of sequences"):
        pad_sequences(5)
    with pytest.raises(ValueError, match="index 1"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


def test_normalize_as_keras():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(np.array([[3.0, 4.0]]), order=1), [[3 / 7, 4 / 7]])
    np.testing.assert_allclose(normalize(x, axis=0), [[1.0, 1.0], [0.0, 0.0]])


# --- timeseries_dataset_from_array ----------------------------------------------------------------
def _windows(dataset):
    xs, ys = [], []
    for batch in dataset:
        x, y = batch if isinstance(batch, tuple) else (batch, None)
        xs.extend(x.numpy().tolist())
        if y is not None:
            ys.extend(y.numpy().tolist())
    return xs, ys


def test_timeseries_windows_are_keras_windows():
    data = np.arange(20)
    ds = timeseries_dataset_from_array(data, data * 10, sequence_length=5, sequence_stride=2,
                                       sampling_rate=2, batch_size=3)
    batches = list(ds)
    assert [len(x) for x, _ in batches] == [3, 3]
    xs, ys = _windows(ds)
    # brute force: window i starts at 2i and reads every second value, 5 of them
    assert xs == [[s + 2 * k for k in range(5)] for s in range(0, 12, 2)]
    assert ys == [10 * s for s in range(0, 12, 2)]
    assert batches[0][0].dtype == np.int64


def test_timeseries_start_end_and_unbatched():
    xs, _ = _windows(timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
                                                   start_index=2, end_index=9, batch_size=4))
    assert xs == [[2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8]]
    data = np.arange(10, dtype="float32").reshape(10, 1)
    ds = timeseries_dataset_from_array(data, np.arange(10), sequence_length=3, batch_size=None)
    first = next(iter(ds))
    assert first[0].shape == (3, 1) and int(first[1].numpy()) == 0
    assert len(list(ds)) == 8
    assert list(timeseries_dataset_from_array(np.arange(3), None, sequence_length=5)) == []


def test_timeseries_targets_may_be_shorter():
    data = np.arange(30)
    xs, ys = _windows(timeseries_dataset_from_array(data, data[10:], sequence_length=4,
                                                    batch_size=8))
    assert len(xs) == 20 and ys[0] == 10 and xs[-1] == [19, 20, 21, 22]


def test_timeseries_shuffle_is_a_seeded_permutation():
    make = lambda seed: _windows(timeseries_dataset_from_array(  # noqa: E731
        np.arange(30), None, sequence_length=4, shuffle=True, seed=seed, batch_size=5))[0]
    a, b, c = make(3), make(3), make(4)
    assert a == b and a != c
    assert sorted(a) == [[s, s + 1, s + 2, s + 3] for s in range(27)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(sequence_length=0), "sequence_length"),
    (dict(sequence_stride=0), "sequence_stride"),
    (dict(sampling_rate=0), "sampling_rate"),
    (dict(start_index=-1), "start_index"),
    (dict(end_index=100), "end_index"),
    (dict(start_index=5, end_index=4), "higher than `start_index`"),
    (dict(batch_size=0), "batch_size"),
])
def test_timeseries_rejects_bad_arguments(kwargs, message):
    arguments = {"sequence_length": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(10), None, **arguments)


def test_timeseries_generator_like_tf_keras_2():
    data, targets = np.arange(20).reshape(10, 2), np.arange(10) * 10
    gen = TimeseriesGenerator(data, targets, length=3, batch_size=2)
    assert isinstance(gen, PyDataset) and len(gen) == 4
    x, y = gen[0]
    np.testing.assert_array_equal(x, [data[0:3], data[1:4]])
    assert y.tolist() == [30, 40] and gen[3][1].tolist() == [90]
    gen = TimeseriesGenerator(data, targets, length=4, sampling_rate=2, stride=2, batch_size=3)
    x, y = gen[0]
    assert len(gen) == 1 and y.tolist() == [40, 60, 80]
    np.testing.assert_array_equal(x[1], data[2:6:2])
    gen = TimeseriesGenerator(data, targets, length=3, start_index=2, end_index=8, batch_size=2,
                              reverse=True)
    np.testing.assert_array_equal(gen[0][0][0], data[2:5][::-1])
    assert len(gen) == 2 and gen[1][1].tolist() == [70, 80]
    x, y = TimeseriesGenerator(data, targets, length=3, batch_size=4, shuffle=True)[0]
    assert x.shape == (4, 3, 2) and all(t // 10 >= 3 for t in y)
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(data, targets[:5], length=3)
    with pytest.raises(ValueError, match="end_index"):
        TimeseriesGenerator(data, targets, length=20)


def test_sampling_table_and_skipgrams():
    table = make_sampling_table(6)
    inverse_frequency = 1 * (np.log(1) + 0.577) + 0.5 - 1 / 12  # rank 0 counts as rank 1
    assert table[0] == table[1] == pytest.approx(np.sqrt(1e-5 * inverse_frequency))
    assert np.all(np.diff(table[1:]) > 0) and table.max() <= 1
    couples, labels = skipgrams([1, 2, 0, 3], 10, window_size=1, negative_samples=0)
    assert sorted(map(tuple, couples)) == [(1, 2), (2, 1)] and labels == [1, 1]
    couples, labels = skipgrams([1, 2, 3], 10, window_size=2, negative_samples=1.0, seed=1,
                                categorical=True)
    assert len(couples) == 12 and labels.count([0, 1]) == 6 and labels.count([1, 0]) == 6
    for (a, b), label in zip(couples, labels):
        assert 1 <= b < 10 and (label == [1, 0] or abs(a - b) <= 2)


# --- get_file -------------------------------------------------------------------------------------
def _sha256(path):
    return file_utils.hash_file(path, "sha256")


@pytest.fixture
def origin(tmp_path):
    src = tmp_path / "server"
    src.mkdir()
    (src / "data.txt").write_text("hello profond")
    return src


def _count_downloads(monkeypatch):
    calls = []
    real = urllib.request.urlopen

    def counting(url, *args, **kwargs):
        calls.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", counting)
    return calls


def test_get_file_downloads_once_and_verifies(origin, tmp_path, monkeypatch):
    calls = _count_downloads(monkeypatch)
    url = (origin / "data.txt").as_uri()
    digest = _sha256(origin / "data.txt")
    path = get_file(origin=url, file_hash=digest)
    assert path == str(tmp_path / "home" / "datasets" / "data.txt")
    assert open(path).read() == "hello profond"
    assert get_file(origin=url, file_hash=digest) == path and len(calls) == 1  # cached
    md5 = file_utils.hash_file(origin / "data.txt", "md5")
    assert get_file(origin=url, file_hash=md5) == path and len(calls) == 1  # MD5 by length
    get_file(origin=url, force_download=True)
    assert len(calls) == 2
    other = get_file("copy.txt", origin=url, cache_subdir="mine", cache_dir=tmp_path / "c")
    assert other == str(tmp_path / "c" / "mine" / "copy.txt")
    assert not [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".part")]


def test_get_file_refuses_a_wrong_hash_and_keeps_nothing(origin, tmp_path):
    url = (origin / "data.txt").as_uri()
    with pytest.raises(ValueError, match="integrity"):
        get_file("data.txt", origin=url, file_hash="0" * 64)
    assert os.listdir(tmp_path / "home" / "datasets") == []
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file(origin=url, file_hash="0" * 64, hash_algorithm="sha1")
    with pytest.raises(ValueError, match="origin"):
        get_file("x.txt")


def test_get_file_redownloads_a_damaged_cache_file(origin, tmp_path, monkeypatch):
    url = (origin / "data.txt").as_uri()
    digest = _sha256(origin / "data.txt")
    path = get_file(origin=url, file_hash=digest)
    with open(path, "w") as f:
        f.write("damaged")
    calls = _count_downloads(monkeypatch)
    assert open(get_file(origin=url, file_hash=digest)).read() == "hello profond"
    assert len(calls) == 1


def test_get_file_offline_error_says_what_to_do(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    url = "https://example.com/files/weights.h5"
    with pytest.raises(OSError) as info:
        get_file("weights.h5", origin=url)
    message = str(info.value)
    assert "weights.h5" in message and url in message
    assert str(tmp_path / "home" / "datasets" / "weights.h5") in message
    assert "by hand" in message


def _tar(path, members, links=()):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)


def test_get_file_extracts_tar_and_zip(origin):
    _tar(origin / "pack.tar.gz", {"pkg/a.txt": b"A", "pkg/sub/b.txt": b"B"})
    folder = get_file(origin=(origin / "pack.tar.gz").as_uri(), extract=True)
    assert folder.endswith("pack_extracted")
    assert open(os.path.join(folder, "pkg", "sub", "b.txt")).read() == "B"
    with zipfile.ZipFile(origin / "pack.zip", "w") as archive:
        archive.writestr("pkg/c.txt", "C")
    folder = get_file(origin=(origin / "pack.zip").as_uri(), extract=True)
    assert open(os.path.join(folder, "pkg", "c.txt")).read() == "C"
    folder = get_file("legacy", origin=(origin / "pack.tar.gz").as_uri(), untar=True)
    assert folder.endswith("legacy") and os.path.isfile(os.path.join(folder, "pkg", "a.txt"))


@pytest.mark.parametrize("members, links, message", [
    ({"../evil.txt": b"x"}, (), "outside"),
    ({"/tmp/evil.txt": b"x"}, (), "outside"),
    ({}, [("link", "../../etc/passwd")], "points outside"),
    ({}, [("link", "/etc/passwd")], "points outside"),
])
def test_extraction_refuses_path_traversal(origin, tmp_path, members, links, message):
    _tar(origin / "bad.tar.gz", members, links)
    with pytest.raises(ValueError, match=message):
        get_file(origin=(origin / "bad.tar.gz").as_uri(), extract=True)
    home = tmp_path / "home" / "datasets"
    assert sorted(os.listdir(home)) == ["bad.tar.gz"]  # no half-extracted folder
    assert not (tmp_path / "evil.txt").exists()


def test_zip_extraction_refuses_path_traversal_and_links(origin):
    with zipfile.ZipFile(origin / "bad.zip", "w") as archive:
        archive.writestr("../evil.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        get_file(origin=(origin / "bad.zip").as_uri(), extract=True)
    with zipfile.ZipFile(origin / "link.zip", "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ValueError, match="symbolic link"):
        get_file(origin=(origin / "link.zip").as_uri(), extract=True)


# --- images ---------------------------------------------------------------------------------------
def test_image_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (5, 7, 3)).astype("float32")
    img = array_to_img(pixels, scale=False)
    assert img.mode == "RGB" and img.size == (7, 5)
    back = img_to_array(img)
    assert back.dtype == np.float32 and back.shape == (5, 7, 3)
    np.testing.assert_array_equal(back, pixels)
    path = tmp_path / "x.png"
    save_img(path, pixels, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(path)), pixels)
    assert img_to_array(load_img(path, color_mode="grayscale")).shape == (5, 7, 1)
    assert img_to_array(load_img(path, color_mode="rgba")).shape == (5, 7, 4)
    assert img_to_array(load_img(path, target_size=(3, 4))).shape == (3, 4, 3)
    assert img_to_array(load_img(path, target_size=(4, 4), keep_aspect_ratio=True)).shape == \
        (4, 4, 3)
    with open(path, "rb") as f:
        assert load_img(io.BytesIO(f.read())).size == (7, 5)
    assert img_to_array(img, data_format="channels_first").shape == (3, 5, 7)


def test_array_to_img_scales_and_modes():
    img = array_to_img(np.linspace(-1, 1, 12).reshape(2, 2, 3))
    values = np.asarray(img)
    assert values.min() == 0 and values.max() == 255
    assert array_to_img(np.zeros((2, 2, 1))).mode == "L"
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        load_img("x.png", color_mode="cmyk")


@pytest.mark.parametrize("size", [(5, 9), (17, 3), (8, 8)])
def test_resize_matches_torch_half_pixel(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).uniform(0, 255, (2, 8, 6, 3)).astype("float32")
    t = torch.from_numpy(x).permute(0, 3, 1, 2)
    ref = torch.nn.functional.interpolate(t, size=size, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(resize_array(x, size), ref.permute(0, 2, 3, 1).numpy(),
                               rtol=1e-5, atol=1e-3)
    ref = torch.nn.functional.interpolate(t, size=size, mode="nearest-exact")
    np.testing.assert_array_equal(resize_array(x, size, "nearest"), ref.permute(0, 2, 3, 1))


def test_smart_resize_crops_the_centre():
    x = np.zeros((10, 20, 1), "float32")
    x[:, 5:15] = 1.0  # the centre square is ones
    out = smart_resize(x, (4, 4))
    assert out.shape == (4, 4, 1)
    np.testing.assert_allclose(out, 1.0)
    assert smart_resize(np.zeros((2, 10, 20, 3)), (5, 6)).shape == (2, 5, 6, 3)


# --- datasets from folders ------------------------------------------------------------------------
@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for label, count in (("cats", 3), ("dogs", 4)):
        (root / label).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (6 + i, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    (root / "dogs" / "notes.txt").write_text("not an image")
    return root


def test_image_dataset_from_directory(image_folder):
    ds = image_dataset_from_directory(image_folder, image_size=(6, 8), batch_size=4,
                                      shuffle=False, verbose=False)
    assert ds.class_names == ["cats", "dogs"]
    batches = list(ds)
    assert [len(x) for x, _ in batches] == [4, 3]
    x, y = batches[0]
    assert x.shape == (4, 6, 8, 3) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]),
                                  [0, 0, 0, 1, 1, 1, 1])
    first = np.asarray(Image.open(image_folder / "cats" / "0.png"), dtype="float32")
    np.testing.assert_allclose(x.numpy()[0], first)  # same size: pixels unchanged
    assert len(ds.file_paths) == 7


@pytest.mark.parametrize("kwargs, shape, label_shape", [
    (dict(label_mode="categorical"), (7, 4, 5, 3), (7, 2)),
    (dict(label_mode="binary", color_mode="grayscale"), (7, 4, 5, 1), (7, 1)),
    (dict(color_mode="rgba", crop_to_aspect_ratio=True), (7, 4, 5, 4), (7,)),
    (dict(pad_to_aspect_ratio=True, interpolation="nearest"), (7, 4, 5, 3), (7,)),
])
def test_image_dataset_modes(image_folder, kwargs, shape, label_shape):
    ds = image_dataset_from_directory(image_folder, image_size=(4, 5), batch_size=10,
                                      verbose=False, seed=1, **kwargs)
    x, y = next(iter(ds))
    assert x.shape == shape and y.shape == label_shape


def test_image_dataset_without_labels_and_validation_split(image_folder):
    x = next(iter(image_dataset_from_directory(image_folder, labels=None, image_size=(3, 3),
                                               verbose=False)))
    assert x.shape == (7, 3, 3, 3)
    train, val = image_dataset_from_directory(image_folder, validation_split=0.3, subset="both",
                                              seed=5, image_size=(3, 3), verbose=False)
    assert len(train.file_paths) == 5 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    again = image_dataset_from_directory(image_folder, validation_split=0.3, subset="validation",
                                         seed=5, image_size=(3, 3), verbose=False)
    assert again.file_paths == val.file_paths


@pytest.mark.parametrize("kwargs, message", [
    (dict(label_mode="binary", class_names=["cats"]), "exactly 2 classes"),
    (dict(label_mode="sparse"), "label_mode"),
    (dict(subset="training"), "go together"),
    (dict(validation_split=0.2, subset="training"), "seed"),
    (dict(validation_split=1.5, subset="training", seed=1), "validation_split"),
    (dict(class_names=["birds"]), "class_names"),
    (dict(color_mode="cmyk"), "color_mode"),
    (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "cannot both"),
])
def test_image_dataset_rejects_bad_arguments(image_folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        image_dataset_from_directory(image_folder, verbose=False, **kwargs)


def test_image_dataset_manual_labels_and_nested_folders(image_folder):
    nested = image_folder / "dogs" / "puppies"
    nested.mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(nested / "p.png")
    ds = image_dataset_from_directory(image_folder, image_size=(2, 2), shuffle=False,
                                      verbose=False)
    assert len(ds.file_paths) == 8 and ds.file_paths[-1].endswith("p.png")  # subfolders too
    manual = [1, 0, 1, 0, 1, 0, 1, 0]
    ds = image_dataset_from_directory(image_folder, labels=manual, image_size=(2, 2),
                                      shuffle=False, verbose=False)
    assert ds.class_names == ["0", "1"]
    assert next(iter(ds))[1].numpy().tolist() == manual
    with pytest.raises(ValueError, match="one label per file"):
        image_dataset_from_directory(image_folder, labels=[0, 1], verbose=False)
    with pytest.raises(ValueError, match="labels"):
        image_dataset_from_directory(image_folder, labels="folders", verbose=False)


def test_text_dataset_from_directory(tmp_path):
    for label, texts in (("neg", ["bad film", "awful"]), ("pos", ["great", "fine film indeed"])):
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    ds = text_dataset_from_directory(tmp_path, shuffle=False, batch_size=3, max_length=8,
                                     verbose=False)
    assert ds.class_names == ["neg", "pos"]
    (x1, y1), (x2, y2) = list(ds)
    assert list(x1) + list(x2) == ["bad film", "awful", "great", "fine fil"]
    assert y1.numpy().tolist() + y2.numpy().tolist() == [0, 0, 1, 1]
    ds = text_dataset_from_directory(tmp_path, label_mode="categorical", verbose=False, seed=0)
    assert next(iter(ds))[1].shape == (4, 2)


# --- registry, packing, PyDataset -----------------------------------------------------------------
def test_register_and_deserialize_through_the_registry():
    @register_keras_serializable(package="h6tests")
    class Doubler:
        def __init__(self, factor=2):
            self.factor = factor

        def get_config(self):
            return {"factor": self.factor}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    assert get_registered_name(Doubler) == "h6tests>Doubler"
    assert get_registered_name(Doubler(3)) == "h6tests>Doubler"
    assert get_registered_object("h6tests>Doubler") is Doubler
    spec = serialize_keras_object(Doubler(3))
    assert spec["class_name"] == "h6tests>Doubler" and spec["config"] == {"factor": 3}
    assert deserialize_keras_object(json.loads(json.dumps(spec))).factor == 3
    dense = deserialize_keras_object(serialize_keras_object(layers.Dense(4)))
    assert isinstance(dense, layers.Dense) and dense.units == 4
    with pytest.raises(ValueError, match="package"):
        register_keras_serializable(package="a>b")


def test_custom_object_scope():
    class Local:
        @classmethod
        def from_config(cls, config):
            return cls()

    assert custom_object_scope is CustomObjectScope
    assert get_registered_object("Local") is None
    with custom_object_scope({"Local": Local}):
        assert get_registered_object("Local") is Local
        assert isinstance(deserialize_keras_object({"class_name": "Local", "config": {}}), Local)
    assert get_registered_object("Local") is None
    assert get_registered_object("Local", module_objects={"Local": Local}) is Local
    with pytest.raises(ValueError, match="Unknown class"):
        deserialize_keras_object({"class_name": "Local", "config": {}})
    assert get_registered_name(np.mean) == "mean"


def test_pack_and_unpack_like_keras():
    assert pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert pack_x_y_sample_weight(5) == 5
    assert pack_x_y_sample_weight(1, 2) == (1, 2)
    assert pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    assert unpack_x_y_sample_weight(5) == (5, None, None)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight([1, 2])) == ([1, 2], None, None)
    with pytest.raises(ValueError, match="length 4"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_py_dataset_protocol():
    class Batches(PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epochs = 0

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return np.full((2, 1), index), np.full((2,), index)

        def on_epoch_end(self):
            self.epochs += 1

    assert Sequence is PyDataset
    ds = Batches(workers=2, use_multiprocessing=True)
    assert ds.num_batches == 3 and ds.workers == 2 and ds.use_multiprocessing
    assert [int(y[0]) for _, y in ds] == [0, 1, 2]
    with pytest.raises(ValueError, match="workers"):
        Batches(workers=0)

    class Infinite(PyDataset):
        def __getitem__(self, index):
            return index

    assert Infinite().num_batches is None
    with pytest.raises(NotImplementedError, match="__getitem__"):
        PyDataset()[0]


# --- legacy Tokenizer -----------------------------------------------------------------------------
def test_tokenizer_counts_and_indexes():
    assert text_to_word_sequence("Hello, World! hello.") == ["hello", "world", "hello"]
    tokenizer = Tokenizer(num_words=4, oov_token="<?>")
    tokenizer.fit_on_texts(["the cat sat on the mat", "the dog sat"])
    assert tokenizer.word_index == {"<?>": 1, "the": 2, "sat": 3, "cat": 4, "on": 5, "mat": 6,
                                    "dog": 7}
    assert tokenizer.word_counts["the"] == 3 and tokenizer.word_docs["sat"] == 2
    assert tokenizer.texts_to_sequences(["the cat sat on a mat"]) == [[2, 1, 3, 1, 1, 1]]
    assert tokenizer.sequences_to_texts([[2, 3, 9]]) == ["the sat <?>"]
    binary = tokenizer.texts_to_matrix(["the the sat"], mode="binary")
    np.testing.assert_array_equal(binary, [[0, 0, 1, 1]])
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(["the the sat"], mode="count"),
                                  [[0, 0, 2, 1]])
    tfidf = tokenizer.texts_to_matrix(["the the"], mode="tfidf")
    assert tfidf[0, 2] == pytest.approx((1 + np.log(2)) * np.log(1 + 2 / (1 + 2)))
    restored = tokenizer_from_json(tokenizer.to_json())
    assert restored.word_index == tokenizer.word_index
    assert restored.texts_to_sequences(["dog on mat"]) == tokenizer.texts_to_sequences(
        ["dog on mat"])
    with pytest.raises(ValueError, match="mode"):
        tokenizer.texts_to_matrix(["x"], mode="bm25")
