"""Text data sets: IMDB and Reuters (Keras's own ``.npz`` files, decoded by profond, nothing run)
and Debian's French word list.

The IMDB/Reuters files here are written exactly as Keras's are (object arrays of int lists, saved
by NumPy with ``allow_pickle=True``) and served from a ``file://`` URL with their real SHA-256, so
the whole path runs: download, hash check, cache, safe parsing, Keras's encoding. The expected
values come from ``reference``, Keras's documented steps written out independently here; the same
grid of arguments was also compared with TensorFlow 2.21's ``keras.datasets`` on such files (27
cases, identical lists, labels and dtypes).
"""

import hashlib
import io
import json
import pickle
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

from profond.datasets import _npz, imdb, reuters


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never touch ~/.profond nor a real mirror in tests."""
    monkeypatch.setenv("PROFOND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROFOND_DATASETS_URL", raising=False)


def object_array(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def serve(monkeypatch, module, path, **extra):
    """Point ``module``'s download at the local file ``path``, with its real SHA-256."""
    monkeypatch.setattr(module, "ORIGIN", path.as_uri())
    monkeypatch.setattr(module, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    for name, value in extra.items():
        monkeypatch.setattr(module, name, value)


RNG = np.random.default_rng(0)
TRAIN = [RNG.integers(1, 40, size=RNG.integers(1, 12)).tolist() for _ in range(30)]
TEST = [RNG.integers(1, 40, size=RNG.integers(1, 12)).tolist() for _ in range(20)]
Y_TRAIN, Y_TEST = RNG.integers(0, 2, 30), RNG.integers(0, 2, 20)
Y_TOPICS = RNG.integers(0, 46, 50)


def reference(parts, seed=113, num_words=None, skip_top=0, maxlen=None, start_char=1,
              oov_char=2, index_from=3):
    """Keras's steps, one part (texts, labels) at a time: shuffle each part with one
    RandomState, shift the ranks by ``index_from`` behind ``start_char``, drop texts not shorter
    than ``maxlen``, then map indices outside [skip_top, num_words) to ``oov_char``."""
    rng = np.random.RandomState(seed)
    out = []
    for texts, labels in parts:
        order = np.arange(len(texts))
        rng.shuffle(order)
        texts = [([start_char] if start_char is not None else []) + [w + index_from
                                                                    for w in texts[i]]
                 for i in order]
        labels = [labels[i] for i in order]
        if maxlen:
            labels = [y for t, y in zip(texts, labels) if len(t) < maxlen]
            texts = [t for t in texts if len(t) < maxlen]
        out.append((texts, labels))
    top = num_words or max(w for texts, _ in out for t in texts for w in t)
    keep = lambda w: skip_top <= w < top  # noqa: E731
    return [([[w if keep(w) else oov_char for w in t] if oov_char is not None
              else [w for w in t if keep(w)] for t in texts], labels) for texts, labels in out]


GRID = [{}, {"num_words": 20}, {"num_words": 20, "skip_top": 5}, {"maxlen": 8},
        {"maxlen": 8, "seed": 7}, {"index_from": 0, "start_char": None},
        {"oov_char": None, "num_words": 15, "skip_top": 4},
        {"start_char": 5, "oov_char": 9, "index_from": 10, "num_words": 30},
        {"seed": 0, "index_from": 1}]


@pytest.fixture
def imdb_file(tmp_path, monkeypatch):
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=object_array(TRAIN), y_train=Y_TRAIN, x_test=object_array(TEST),
             y_test=Y_TEST, allow_pickle=True)
    words = tmp_path / "imdb_word_index.json"
    words.write_text(json.dumps({"the": 1, "film": 2}))
    serve(monkeypatch, imdb, path, WORD_INDEX_ORIGIN=words.as_uri(),
          WORD_INDEX_MD5=hashlib.md5(words.read_bytes()).hexdigest())
    return path


@pytest.mark.parametrize("kwargs", GRID, ids=str)
def test_imdb_matches_keras_steps(imdb_file, kwargs):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**kwargs)
    (t_train, l_train), (t_test, l_test) = reference([(TRAIN, Y_TRAIN), (TEST, Y_TEST)],
                                                     **kwargs)
    assert x_train.dtype == object and x_train.ndim == 1 and y_train.dtype == np.int64
    assert [list(t) for t in x_train] == t_train and [list(t) for t in x_test] == t_test
    assert y_train.tolist() == l_train and y_test.tolist() == l_test


def test_imdb_cache_word_index_and_argument_errors(imdb_file):
    imdb.load_data()
    assert (imdb_file.parent / "home" / "datasets" / "imdb.npz").read_bytes() == \
        imdb_file.read_bytes()
    assert imdb.get_word_index() == {"the": 1, "film": 2}
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)  # every review has the start mark and a word
    with pytest.raises(TypeError, match="nb_words"):
        imdb.load_data(nb_words=10)


@pytest.mark.parametrize("kwargs", GRID + [{"test_split": 0.3, "seed": 5}], ids=str)
def test_reuters_matches_keras_steps(tmp_path, monkeypatch, kwargs):
    path = tmp_path / "reuters.npz"
    np.savez(path, x=object_array(TRAIN + TEST), y=Y_TOPICS, allow_pickle=True)
    serve(monkeypatch, reuters, path)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(**kwargs)
    split = kwargs.pop("test_split", 0.2)
    [(texts, labels)] = reference([(TRAIN + TEST, Y_TOPICS)], **kwargs)
    cut = int(len(texts) * (1 - split))
    assert [list(t) for t in x_train] == texts[:cut] and [list(t) for t in x_test] == texts[cut:]
    assert y_train.tolist() == labels[:cut] and y_test.tolist() == labels[cut:]


def test_reuters_names_and_split_check():
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and len(set(names)) == 46
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=1.0)


KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"


def test_published_hashes_and_offline_message(tmp_path, monkeypatch):
    assert imdb.SHA256 == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert reuters.SHA256 == "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"

    path = tmp_path / "imdb.npz"  # a file of the wrong content is refused, not read
    np.savez(path, x_train=object_array(TRAIN), allow_pickle=True)
    monkeypatch.setattr(imdb, "ORIGIN", path.as_uri())
    with pytest.raises(ValueError, match="integrity"):
        imdb.load_data()

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(imdb, "ORIGIN", KERAS_ORIGIN)
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(OSError) as info:
        imdb.load_data()
    message = str(info.value)
    assert KERAS_ORIGIN in message and str(tmp_path / "home" / "datasets" / "imdb.npz") in message


# --- the object-array decoder ---------------------------------------------------------------------
def npz_with(tmp_path, member_bytes, name="x", n=1):
    """An .npz whose member ``name`` is a .npy header for a 1-D object array of ``n`` items +
    ``member_bytes``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False,
                                                  "shape": (n,)})
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", buffer.getvalue() + member_bytes)
    return path


HOSTILE = {
    "os.system": b"cos\nsystem\n(S'touch PWNED'\ntR.",
    "builtins.eval": b"cbuiltins\neval\n(S'1+1'\ntR.",
    "numpy.load": b"cnumpy\nload\n(S'x'\ntR.",
    "calls ndarray": b"cnumpy\nndarray\n(I5\ntR.",
    "persistent id": b"Pfoo\n.",
    "sets attributes": b"cnumpy\ndtype\n}S'x'\nI1\nsb.",
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_pickles_are_refused_and_never_run(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    path = npz_with(tmp_path, payload)
    with pytest.raises(ValueError, match="refused"):
        _npz.load_sequences(path, ["x"])
    assert not (tmp_path / "PWNED").exists()


def test_a_hostile_object_made_by_numpy_is_refused(tmp_path):
    ran = []

    class Evil:
        def __reduce__(self):
            return (ran.append, ("code ran",))

    path = tmp_path / "evil.npz"
    np.savez(path, x=object_array([Evil()]), allow_pickle=True)
    with pytest.raises(ValueError, match=r"refused to load builtins.*dataset file"):
        _npz.load_sequences(path, ["x"])
    assert ran == []


def test_only_int_lists_come_out(tmp_path):
    for bad, match in [([[1, "two"]], "item 0 is not a list of word indices"),
                       ([[1, -1]], "item 0"), ([[2**40]], "item 0"), ([[1.5]], "item 0"),
                       ([(1, 2)], "item 0"), ([[True]], "item 0")]:
        np.savez(tmp_path / "x.npz", x=object_array(bad), allow_pickle=True)
        with pytest.raises(ValueError, match=match):
            _npz.load_sequences(tmp_path / "x.npz", ["x"])
    np.savez(tmp_path / "x.npz", x=np.array([[1, 2]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="1-D object array"):
        _npz.load_sequences(tmp_path / "x.npz", ["x"])
    truncated = pickle.dumps(object_array([[1, 2, 3]]), protocol=3)[:-5]
    with pytest.raises(ValueError, match="not a readable array"):
        _npz.load_sequences(npz_with(tmp_path, truncated), ["x"])


def test_plain_arrays_and_layout_errors(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, x=object_array([[1, 2**20], [], [3]]), y=np.arange(3, dtype=np.int32),
             z=np.arange(6.0).reshape(2, 3).T, allow_pickle=True)
    arrays = _npz.load_sequences(path, ["x", "y", "z"])
    assert arrays["x"].dtype == object and arrays["x"].tolist() == [[1, 2**20], [], [3]]
    assert arrays["y"].dtype == np.int32 and arrays["y"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(arrays["z"], np.arange(6.0).reshape(2, 3).T)
    arrays["y"][0] = 5  # writable, like numpy.load's arrays
    with pytest.raises(ValueError, match="no array 'w'"):
        _npz.load_sequences(path, ["w"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="npz"):
        _npz.load_sequences(tmp_path / "bad.npz", ["x"])


# --- French words ---------------------------------------------------------------------------------
def test_french_words_filtering_and_split(tmp_path):
    from profond.datasets import french_words

    path = tmp_path / "words"
    letters = [f"mot{chr(97 + i)}{chr(97 + j)}".replace("mot", "é") for i in range(20)
               for j in range(10)]
    decomposed = "e\u0301te\u0301"  # "été" written with combining accents (NFD)
    path.write_text("\n".join(letters + ["été", decomposed, "aujourd'hui", "peut-être", "a1",
                                         "", "  ", "été"]) + "\n", encoding="utf-8")
    words = french_words.read_words(path)
    assert words == sorted(set(letters) | {"été"}) and len(words) == 201
    train, validation, test = french_words.load_data(path, validation_split=0.1,
                                                     test_split=0.2, seed=3)
    assert (len(train), len(validation), len(test)) == (201 - 20 - 40, 20, 40)
    assert sorted(train + validation + test) == words  # disjoint, nothing lost
    assert french_words.load_data(path, 0.1, 0.2, seed=3) == (train, validation, test)
    assert french_words.load_data(path, 0.1, 0.2, seed=4)[0] != train
    assert french_words.load_data(path, 0, 0)[0] == [words[i] for i in
                                                     np.random.default_rng(0).permutation(201)]


def test_french_words_errors(tmp_path, monkeypatch):
    from profond.datasets import french_words

    monkeypatch.setattr(french_words, "PATH", str(tmp_path / "french"))
    with pytest.raises(FileNotFoundError, match="install Debian's package wfrench"):
        french_words.load_data()
    with pytest.raises(FileNotFoundError, match="no word list at .*nowhere: expected a UTF-8"):
        french_words.load_data(tmp_path / "nowhere")
    (tmp_path / "latin1").write_bytes("été\nmère\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8 text \\(line 1"):
        french_words.load_data(tmp_path / "latin1")
    (tmp_path / "digits").write_text("123\n4-5\n")
    with pytest.raises(ValueError, match="no word made of letters"):
        french_words.load_data(tmp_path / "digits")
    for kwargs, match in [({"test_split": 1.0}, "test_split"),
                          ({"validation_split": -0.1}, "validation_split"),
                          ({"validation_split": 0.5, "test_split": 0.5}, "< 1")]:
        with pytest.raises(ValueError, match=match):
            french_words.load_data(tmp_path / "digits", **kwargs)


@pytest.mark.skipif(not __import__("os").path.isfile("/usr/share/dict/french"),
                    reason="Debian's wfrench is not installed (make french-words installs it)")
def test_the_real_french_word_list():
    from profond.datasets import french_words

    train, validation, test = french_words.load_data()
    assert len(train) > 300_000 * 0.8 and len(validation) == len(test) > 30_000
    assert {"maison", "été", "abaissa"} <= set(train + validation + test)
    alphabet = set("".join(train))
    assert set("abcdefghijklmnopqrstuvwxyzéèêàçôûî") <= alphabet and len(alphabet) < 50


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_numpy_writes_is_decoded(tmp_path, protocol):
    """NumPy's object arrays as any protocol writes them (Keras's files date from Python 2:
    protocol 2), and the Python 2 form of the ``b"b"`` type code (SHORT_BINSTRING, no
    ``_codecs.encode``), give the same lists."""
    data = [[1, 2, 300], [70000, 5, 2**31 - 1], []]
    stream = pickle.dumps(object_array(data), protocol=protocol)
    result = _npz.load_sequences(npz_with(tmp_path, stream, n=len(data)), ["x"])["x"]
    assert result.tolist() == data
    if protocol == 2:  # as Python 2 wrote it: the type code a plain byte string
        encoded = b"c_codecs\nencode\n"
        start = stream.index(encoded)
        end = stream.index(b"R", start) + 1
        python2 = stream[:start] + b"U\x01b" + stream[end:]
        result = _npz.load_sequences(npz_with(tmp_path, python2, n=len(data)), ["x"])["x"]
        assert result.tolist() == data

