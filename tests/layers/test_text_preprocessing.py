"""Text preprocessing layers (issue 17, item 1): TextVectorization, StringLookup, IntegerLookup.

The oracles here are properties stated independently of the code (counts recomputed with
``collections.Counter``, idf from its formula, inverse lookups); the numbers of Keras itself are
checked by ``tests/compat/programs/text_vectorization.py``, which runs under TensorFlow too.
"""

import collections
import math
import os
import tempfile

import numpy as np
import pytest

import profond as pf
from profond import layers as L
from profond.layers.preprocessing.text import ngrams_of
from profond.testing import run_layer_test

CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?",
          "", "  spaces   everywhere  ", "Dogs and cats and birds", "the THE The",
          "zebra", "Ça va? Très bien.", "mat mat mat", "on the go", "bird"]


def save_and_load(model):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.keras")
        model.save(path)
        return pf.keras.models.load_model(path)


def standard_tokens(text):
    """The default standardize + split, written independently: ASCII lower, drop ASCII
    punctuation, split on whitespace."""
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    kept = "".join(c for c in lowered if c not in '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
    return kept.split()


def adapted(**kwargs):
    layer = L.TextVectorization(**kwargs)
    layer.adapt(CORPUS)
    return layer


# --- TextVectorization: vocabulary ---------------------------------------------------------------


def test_vocabulary_order_is_by_count_then_token_decreasing():
    counts = collections.Counter(t for doc in CORPUS for t in standard_tokens(doc))
    expected = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    layer = adapted()
    assert layer.get_vocabulary() == ["", "[UNK]"] + expected
    assert layer.get_vocabulary(include_special_tokens=False) == expected
    assert layer.vocabulary_size() == len(expected) + 2


def test_max_tokens_keeps_the_most_frequent_and_counts_special_tokens():
    full = adapted().get_vocabulary()
    assert adapted(max_tokens=5).get_vocabulary() == full[:5]
    # in the vector modes there is no padding token: "[UNK]" is index 0
    assert adapted(max_tokens=5, output_mode="multi_hot").get_vocabulary() == full[1:6]


def test_adapt_streams_datasets_and_batches_like_an_array():
    whole = adapted().get_vocabulary()
    for data in (pf.data.Dataset.from_tensor_slices(np.array(CORPUS)).batch(5),
                 pf.data.Dataset.from_tensor_slices(np.array(CORPUS)),
                 np.array(CORPUS)[:, None]):
        layer = L.TextVectorization()
        layer.adapt(data)
        assert layer.get_vocabulary() == whole
    layer = L.TextVectorization()
    layer.adapt(np.array(CORPUS), batch_size=3, steps=1)  # the first three documents only
    first = {t for doc in CORPUS[:3] for t in standard_tokens(doc)}
    assert set(layer.get_vocabulary(include_special_tokens=False)) == first


def test_set_vocabulary_and_the_vocabulary_argument():
    layer = L.TextVectorization(vocabulary=["the", "cat"])
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "cat"]
    assert L.TextVectorization(vocabulary=["", "[UNK]", "the"]).get_vocabulary() == [
        "", "[UNK]", "the"]  # the special tokens may lead the list
    layer.set_vocabulary(["x", "y", "z"])
    assert layer.get_vocabulary(include_special_tokens=False) == ["x", "y", "z"]
    assert layer(["z q x"]).numpy().tolist() == [[4, 1, 2]]
    with pytest.raises(ValueError, match="cannot adapt"):
        layer.adapt(CORPUS)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("un\ndeux\n")
        assert L.TextVectorization(vocabulary=path).get_vocabulary()[2:] == ["un", "deux"]


# --- TextVectorization: outputs ------------------------------------------------------------------


def test_int_output_maps_back_to_the_tokens_and_pads_with_zero():
    layer = adapted()
    vocab = layer.get_vocabulary()
    out = layer(np.array(CORPUS)).numpy()
    assert out.dtype == np.int64
    width = max(len(standard_tokens(d)) for d in CORPUS)
    assert out.shape == (len(CORPUS), width)
    for row, doc in zip(out, CORPUS):
        tokens = standard_tokens(doc)
        assert [vocab[i] for i in row[:len(tokens)]] == tokens
        assert not row[len(tokens):].any()
    # out-of-vocabulary words take index 1
    assert layer(["the unicorn"]).numpy().tolist() == [[vocab.index("the"), 1]]


def test_output_sequence_length_truncates_and_pads():
    layer = adapted(output_sequence_length=3)
    out = layer(["the cat sat on the mat", "bird", ""]).numpy()
    full = adapted()(["the cat sat on the mat"]).numpy()
    assert out.shape == (3, 3)
    assert out[0].tolist() == full[0, :3].tolist()  # documented truncation, at the end
    assert out[1, 1:].tolist() == [0, 0] and not out[2].any()
    assert layer.compute_output_shape((None,)) == (None, 3)
    assert layer.compute_output_shape((None, 1)) == (None, 3)


def test_input_ranks_scalar_column_and_bad_shape():
    layer = adapted(output_sequence_length=4)
    column = layer(np.array([["the cat"], ["a dog"]])).numpy()
    assert column.tolist() == layer(np.array(["the cat", "a dog"])).numpy().tolist()
    assert layer("the cat").numpy().tolist() == column[0].tolist()
    with pytest.raises(ValueError, match=r"rank 1 or a last dimension of 1.*\(1, 2\)"):
        layer(np.array([["the", "cat"]]))
    bytes_in = layer(np.array([b"the cat", b"a dog"], dtype=object)).numpy()
    assert bytes_in.tolist() == column.tolist()


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_vector_modes_follow_their_definitions(mode):
    layer = adapted(output_mode=mode)
    vocab = layer.get_vocabulary()
    assert vocab[0] == "[UNK]"
    out = layer(np.array(CORPUS + ["unicorn unicorn the"])).numpy()
    assert out.shape == (len(CORPUS) + 1, len(vocab))
    assert out.dtype == (np.float32 if mode == "tf_idf" else np.int64)
    counts = np.zeros(out.shape)
    for r, doc in enumerate(CORPUS + ["unicorn unicorn the"]):
        for t in standard_tokens(doc):
            counts[r, vocab.index(t) if t in vocab else 0] += 1
    if mode == "multi_hot":
        np.testing.assert_array_equal(out, counts > 0)
    elif mode == "count":
        np.testing.assert_array_equal(out, counts)
    else:  # idf(t) = ln(1 + N / (1 + documents holding t)); OOV: the mean idf
        docs = [set(standard_tokens(d)) for d in CORPUS]
        idf = np.array([0.0] + [math.log(1 + len(docs) / (1 + sum(t in d for d in docs)))
                                for t in vocab[1:]])
        idf[0] = idf[1:].mean()
        np.testing.assert_allclose(out, counts * idf, rtol=1e-6)
        config = layer.get_config()
        np.testing.assert_allclose(config["idf_weights"], idf[1:], rtol=1e-12)


def test_pad_to_max_tokens_and_output_shapes():
    layer = L.TextVectorization(max_tokens=10, output_mode="count", pad_to_max_tokens=True)
    layer.adapt(["a b", "b c"])
    out = layer(["a a q"]).numpy()
    assert out.shape == (1, 10) and out[0, :5].tolist() == [1, 0, 0, 2, 0]
    assert layer.compute_output_shape((None,)) == (None, 10)
    assert L.TextVectorization().compute_output_shape((None,)) == (None, None)


def test_vector_width_is_fixed_once_used():
    layer = adapted(output_mode="multi_hot")
    layer(["the cat"])
    with pytest.raises(RuntimeError, match="cannot change once the layer has been used"):
        layer.set_vocabulary(["a", "b"])
    layer.set_vocabulary(layer.get_vocabulary())  # the same size is fine
    padded = L.TextVectorization(output_mode="count", max_tokens=20, pad_to_max_tokens=True)
    padded.adapt(["a b"])
    padded(["a"])
    padded.set_vocabulary(["x", "y", "z"])
    assert padded(["z z"]).numpy()[0, 3] == 2


def test_ngrams():
    assert ngrams_of(["a", "b", "c", "d"], (2, 3)) == ["a b", "b c", "c d", "a b c", "b c d"]
    assert ngrams_of(["a"], (1, 2)) == ["a"]
    layer = L.TextVectorization(ngrams=2)
    layer.adapt(["the cat sat"])
    assert set(layer.get_vocabulary()[2:]) == {"the", "cat", "sat", "the cat", "cat sat"}
    only = L.TextVectorization(ngrams=(2,))
    only.adapt(["the cat sat"])
    assert set(only.get_vocabulary()[2:]) == {"the cat", "cat sat"}


def test_standardize_and_split_options():
    def vocab(**kwargs):
        layer = L.TextVectorization(**kwargs)
        layer.adapt(["Hello, World!", "hello world"])
        return set(layer.get_vocabulary(include_special_tokens=False))

    assert vocab() == {"hello", "world"}
    assert vocab(standardize="lower") == {"hello,", "world!", "hello", "world"}
    assert vocab(standardize="strip_punctuation") == {"Hello", "World", "hello", "world"}
    assert vocab(standardize=None) == {"Hello,", "World!", "hello", "world"}
    assert vocab(split="character") == set("helowrd ")
    assert vocab(split=None) == {"hello world"}
    assert vocab(standardize=pf.strings.upper) == {"HELLO,", "WORLD!", "HELLO", "WORLD"}
    assert vocab(split=lambda texts: [t.split("o") for t in texts]) == {
        "hell", " w", "rld"}
    # NOTE: as TensorFlow's lowering, only ASCII letters change (see the module docstring)
    layer = L.TextVectorization(split=None, vocabulary=["école", "École"])
    assert layer(["École"]).numpy().tolist() == [3]


def test_split_none_keeps_the_input_shape():
    layer = L.TextVectorization(split=None, vocabulary=["a b", "c"])
    assert layer(["A b", "c", "d"]).numpy().tolist() == [2, 3, 1]
    assert layer(np.array([["c"], ["a b"]])).numpy().tolist() == [[3], [2]]


# --- TextVectorization: config, saving, models ---------------------------------------------------


WORDS = ["the", "cat", "sat", "dog"]
CONTRACT = [
    (L.TextVectorization, {"vocabulary": WORDS, "output_sequence_length": 5}, (3,), (3, 5),
     ["The cat sat.", "a dog", ""]),
    (L.TextVectorization, {"vocabulary": WORDS, "output_mode": "count", "ngrams": 2}, (3, 1),
     (3, 5), [["The cat sat."], ["a dog"], [""]]),
    (L.StringLookup, {"vocabulary": WORDS, "output_mode": "one_hot", "mask_token": ""}, (3, 2),
     (3, 2, 5), [["the", "cat"], ["", "bird"], ["dog", "dog"]]),
    (L.IntegerLookup, {"vocabulary": [4, 8, 15], "mask_token": 0}, (2, 3), (2, 3),
     [[4, 0, 16], [15, 15, 8]]),
]


@pytest.mark.parametrize("cls, kwargs, shape, expected, data", CONTRACT,
                         ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_layer_contract(cls, kwargs, shape, expected, data):
    dtype = "int64" if cls is L.IntegerLookup else pf.string
    run_layer_test(cls, kwargs, shape, expected, input_dtype=dtype, input_data=np.array(data))


@pytest.mark.parametrize("kwargs", [
    {}, {"output_sequence_length": 5, "max_tokens": 8}, {"output_mode": "multi_hot"},
    {"output_mode": "tf_idf", "ngrams": 2}, {"output_mode": "count", "max_tokens": 30,
                                              "pad_to_max_tokens": True},
    {"split": "character", "standardize": "lower"},
])
def test_config_round_trip_keeps_the_vocabulary(kwargs):
    layer = adapted(**kwargs)
    config = layer.get_config()
    clone = L.TextVectorization.from_config(config)
    assert clone.get_config() == config
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(clone(CORPUS).numpy(), layer(CORPUS).numpy())


def test_save_and_load_with_the_model():
    layer = adapted(output_sequence_length=6)
    model = pf.keras.Sequential([layer, L.Embedding(layer.vocabulary_size(), 4, mask_zero=True),
                                 L.GlobalAveragePooling1D(), L.Dense(1)])
    expected = model.predict(np.array(CORPUS), verbose=0)
    loaded = save_and_load(model)
    assert loaded.layers[0].get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(loaded.predict(np.array(CORPUS), verbose=0), expected)


@pf.saving.register_serializable(package="h9_text_tests")
def shout(texts):
    return pf.strings.upper(texts)


def test_callables_are_saved_by_their_registered_name():
    layer = L.TextVectorization(standardize=shout, output_sequence_length=3)
    layer.adapt(["a b", "b"])
    assert layer.get_config()["standardize"] == "h9_text_tests>shout"
    model = pf.keras.Sequential([layer, L.Embedding(5, 2)])
    expected = model.predict(np.array(["a b q"]), verbose=0)
    loaded = save_and_load(model)
    assert loaded.layers[0].standardize is shout
    np.testing.assert_array_equal(loaded.predict(np.array(["a b q"]), verbose=0), expected)
    unregistered = L.TextVectorization(split=lambda texts: [t.split() for t in texts])
    unregistered.adapt(["a b"])
    model = pf.keras.Sequential([unregistered, L.Embedding(4, 2)])
    model.predict(np.array(["a b"]), verbose=0)
    with pytest.raises(TypeError, match="JSON"):
        save_and_load(model)


def test_functional_model_with_a_string_input():
    layer = adapted(output_mode="tf_idf")
    inputs = pf.keras.Input(shape=(1,), dtype=pf.string)
    outputs = L.Dense(2)(layer(inputs))
    model = pf.keras.Model(inputs, outputs)
    assert model.output_shape == (None, 2)
    x = np.array(CORPUS)[:, None]
    np.testing.assert_allclose(save_and_load(model).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_in_a_dataset_map():
    layer = adapted(output_sequence_length=4)
    ds = pf.data.Dataset.from_tensor_slices((np.array(CORPUS), np.arange(12))).batch(4)
    x, y = next(iter(ds.map(lambda text, label: (layer(text), label))))
    assert tuple(x.shape) == (4, 4) and x.dtype == np.int64 and len(y) == 4


def test_adapt_on_text_dataset_from_directory(tmp_path):
    for label, words in [("neg", ["bad", "dull"]), ("pos", ["good", "great"])]:
        (tmp_path / label).mkdir()
        for i, word in enumerate(words):
            (tmp_path / label / f"{i}.txt").write_text(f"A {word} movie!", encoding="utf-8")
    ds = pf.keras.utils.text_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False)
    layer = L.TextVectorization(output_sequence_length=3)
    layer.adapt(ds.map(lambda text, label: text))
    assert set(layer.get_vocabulary()) == {"", "[UNK]", "a", "movie", "bad", "dull", "good",
                                           "great"}
    x, y = next(iter(ds.map(lambda text, label: (layer(text), label))))
    vocab = layer.get_vocabulary()
    assert [vocab[i] for i in x.numpy()[0]] == ["a", "bad", "movie"] and y.numpy()[0] == 0


def test_sentiment_analysis_trains():
    """TextVectorization → Embedding → pooling → Dense on a generated corpus: the loss falls and
    the held-out reviews are classified."""
    rng = np.random.default_rng(0)
    good = ["great", "wonderful", "superb", "loved", "excellent", "fun"]
    bad = ["awful", "boring", "terrible", "hated", "dull", "poor"]
    neutral = ["the", "movie", "film", "plot", "actors", "was", "and", "a", "story"]

    def review(positive):
        words = list(rng.choice(neutral, 6)) + list(rng.choice(good if positive else bad, 2))
        rng.shuffle(words)
        return " ".join(words).capitalize() + rng.choice([".", "!", "..."])

    labels = rng.integers(0, 2, 240)
    texts = np.array([review(bool(v)) for v in labels])
    vectorize = L.TextVectorization(max_tokens=40, output_sequence_length=10)
    vectorize.adapt(texts[:200])
    pf.keras.utils.set_random_seed(1)
    model = pf.keras.Sequential([vectorize, L.Embedding(40, 8, mask_zero=True),
                                 L.GlobalAveragePooling1D(), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=pf.keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(texts[:200], labels[:200].astype("float32"), epochs=8, batch_size=20,
                        verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    _, accuracy = model.evaluate(texts[200:], labels[200:].astype("float32"), verbose=0)
    assert accuracy >= 0.9


# --- TextVectorization: errors -------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"max_tokens": 1}, "max_tokens=1"),
    ({"output_mode": "one_hot"}, "output_mode='one_hot'"),
    ({"standardize": "upper"}, "standardize='upper'"),
    ({"split": "comma"}, "split='comma'"),
    ({"ngrams": (1, "a")}, "ngrams"),
    ({"ngrams": -1}, "ngrams=-1"),
    ({"output_sequence_length": 3, "output_mode": "count"}, "output_sequence_length=3"),
    ({"output_sequence_length": 0}, "output_sequence_length=0"),
    ({"pad_to_max_tokens": True}, "max_tokens=None"),
    ({"idf_weights": [1.0], "output_mode": "tf_idf"}, "vocabulary=None"),
    ({"output_mode": "tf_idf", "vocabulary": ["a"]}, "idf_weights=None"),
    ({"vocabulary": ["a"], "idf_weights": [1.0]}, "output_mode='int'"),
    ({"vocabulary": ["a", "b", "a"]}, "^TextVectorization: .*repeated terms: \\['a'\\]"),
    ({"vocabulary": ["a", "", "b"]}, "mask token ''"),
    ({"vocabulary": ["a", "b", "c"], "max_tokens": 4}, "vocabulary size 5.*max_tokens=4"),
    ({"ragged": True}, "ragged=True"),
    ({"sparse": True}, "sparse=True"),
    ({"encoding": "latin-1"}, "TextVectorization.*encoding='latin-1'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.TextVectorization(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="no vocabulary yet"):
        L.TextVectorization()(["a b"])
    layer = adapted()
    with pytest.raises(ValueError, match="expected string inputs. Received: dtype=int64"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match="expected UTF-8 text.*position 1"):
        layer(np.array([b"a\xff b"], dtype=object))
    assert layer(["", ""]).numpy().shape == (2, 0)  # empty documents: no tokens


def test_a_very_long_document_is_truncated_without_padding_the_others():
    long = " ".join(["cat"] * 200_000)
    layer = L.TextVectorization(vocabulary=["cat"], output_sequence_length=4)
    assert layer([long, "the"]).numpy().tolist() == [[2, 2, 2, 2], [1, 0, 0, 0]]
    counts = L.TextVectorization(vocabulary=["cat"], output_mode="count")([long, "the"])
    assert counts.numpy().tolist() == [[0, 200_000], [1, 0]]


# --- StringLookup -------------------------------------------------------------------------------


def test_string_lookup_table_and_adapt():
    layer = L.StringLookup()
    layer.adapt(np.array([["a", "b", "a"], ["c", "a", "b"]]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer(np.array([["a", "z"], ["c", "b"]])).numpy().tolist() == [[1, 0], [3, 2]]
    capped = L.StringLookup(max_tokens=3)
    capped.adapt(["a", "b", "b", "c", "c", "c", "d", "[UNK]", "[UNK]", "[UNK]", "[UNK]"])
    assert capped.get_vocabulary() == ["[UNK]", "c", "b"]  # the OOV token is not learned


def test_string_lookup_mask_and_several_oov_indices():
    layer = L.StringLookup(vocabulary=["a", "b", "c"], mask_token="", num_oov_indices=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "a", "b", "c"]
    assert layer.vocabulary_size() == 6
    out = layer(np.array(["a", "", "c", "b"])).numpy().tolist()
    assert out == [3, 0, 5, 4]
    words = [f"w{i}" for i in range(200)]
    oov = layer(np.array(words)).numpy()
    assert set(oov.tolist()) == {1, 2}  # both OOV indices are used, by a hash of the token
    np.testing.assert_array_equal(layer(np.array(words)).numpy(), oov)  # deterministically


def test_string_lookup_invert_round_trip():
    vocab = ["a", "b", "c"]
    forward = L.StringLookup(vocabulary=vocab, mask_token="")
    inverse = L.StringLookup(vocabulary=vocab, mask_token="", invert=True)
    x = np.array([["a", "c", ""], ["b", "b", "a"]])
    np.testing.assert_array_equal(inverse(forward(x)).numpy(), x)
    assert inverse(np.array([1, 9, -3])).numpy().tolist() == ["[UNK]"] * 3


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_string_lookup_encodings(mode):
    idf = [0.5, 1.0, 2.0]
    layer = L.StringLookup(vocabulary=["a", "b", "c"], output_mode=mode,
                           idf_weights=idf if mode == "tf_idf" else None)
    x = np.array([["a", "c", "a"], ["z", "b", "b"]])
    out = layer(x).numpy()
    index = L.StringLookup(vocabulary=["a", "b", "c"])(x).numpy()
    one_hot = (index[..., None] == np.arange(4)).astype(int)
    expected = {"one_hot": one_hot, "multi_hot": one_hot.max(axis=1),
                "count": one_hot.sum(axis=1),
                "tf_idf": one_hot.sum(axis=1) * np.array([np.mean(idf)] + idf)}[mode]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert tuple(layer.compute_output_shape((None, 3))) == ((None, 3, 4) if mode == "one_hot"
                                                             else (None, 4))
    column = layer(np.array([["a"], ["c"]])).numpy()
    assert column.shape == (2, 4)  # a last axis of 1 is the token axis


def test_string_lookup_mask_is_dropped_from_vector_modes():
    layer = L.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="count")
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    assert layer(np.array([["a", "", "", "q"]])).numpy().tolist() == [[1, 1, 0]]


def test_string_lookup_tf_idf_adapt():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "b"], ["a", "a"]]))  # each row is a document
    idf_a, idf_b = math.log(1 + 2 / 3), math.log(1 + 2 / 2)
    np.testing.assert_allclose(layer(np.array([["a", "b"]])).numpy(),
                               [[0, idf_a, idf_b]], rtol=1e-6)


def test_string_lookup_config_and_save():
    layer = L.StringLookup(mask_token="[MASK]", num_oov_indices=2)
    layer.adapt(["x", "y", "y", "[MASK]"])
    config = layer.get_config()
    assert config["vocabulary"] == ["y", "x"] and config["vocabulary_size"] == 5
    clone = L.StringLookup.from_config(config)
    assert clone.get_config() == config
    model = pf.keras.Sequential([layer, L.Embedding(5, 2), L.Flatten(), L.Dense(1)])
    x = np.array([["x", "y", "[MASK]"], ["q", "r", "s"]])
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(save_and_load(model).predict(x, verbose=0), expected)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_oov_indices": -1}, "num_oov_indices=-1"),
    ({"max_tokens": 0}, "max_tokens=0"),
    ({"invert": True, "output_mode": "multi_hot"}, "output_mode='multi_hot'"),
    ({"output_mode": "binary"}, "output_mode='binary'"),
    ({"oov_token": 3}, "oov_token=3"),
    ({"encoding": "latin-1"}, "encoding='latin-1'"),
    ({"output_mode": "tf_idf", "vocabulary": ["a"], "idf_weights": [1.0, 2.0, 3.0]},
     "len\\(idf_weights\\)=3"),
])
def test_string_lookup_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.StringLookup(**kwargs)


def test_string_lookup_bad_inputs():
    strict = L.StringLookup(vocabulary=["a", "b"], num_oov_indices=0)
    assert strict(["a", "b"]).numpy().tolist() == [0, 1]
    with pytest.raises(ValueError, match="num_oov_indices=0.*\\['zz'\\]"):
        strict(["a", "zz"])
    with pytest.raises(ValueError, match="adapt"):
        L.StringLookup(vocabulary=["a"]).adapt(["b"])
    with pytest.raises(ValueError, match="integer indices"):
        L.StringLookup(vocabulary=["a"], invert=True)(np.array([0.5]))


# --- IntegerLookup ------------------------------------------------------------------------------


def test_integer_lookup():
    layer = L.IntegerLookup()
    layer.adapt(np.array([5, 5, 7, 9, 9, 9, 0, -1]))
    assert layer.get_vocabulary() == [-1, 9, 5, 7, 0]
    assert layer(np.array([5, 9, 0, -1, 42])).numpy().tolist() == [2, 1, 4, 0, 0]
    assert layer(np.array([5.0, 9.0])).numpy().tolist() == [2, 1]  # whole floats are accepted
    masked = L.IntegerLookup(vocabulary=[12, 36], mask_token=0)
    assert masked(np.array([0, 12, 36, 7])).numpy().tolist() == [0, 2, 3, 1]
    inverse = L.IntegerLookup(vocabulary=[12, 36], mask_token=0, invert=True)
    assert inverse(np.array([0, 1, 2, 3])).numpy().tolist() == [0, -1, 12, 36]
    counts = L.IntegerLookup(vocabulary=[3, 1], output_mode="count")
    assert counts(np.array([[3, 3, 7]])).numpy().tolist() == [[1, 2, 0]]
    assert L.IntegerLookup.from_config(layer.get_config()).get_vocabulary() == [-1, 9, 5, 7, 0]


@pytest.mark.parametrize("kwargs, match", [
    ({"vocabulary_dtype": "float32"}, "vocabulary_dtype='float32'"),
    ({"vocabulary": [1.5]}, "integer tokens. Received: 1.5"),
    ({"oov_token": "x"}, "oov_token='x'"),
    ({"oov_method": "farmhash"}, "oov_method='farmhash'"),
])
def test_integer_lookup_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.IntegerLookup(**kwargs)


def test_integer_lookup_bad_inputs():
    with pytest.raises(ValueError, match="integer inputs. Received: dtype=float64"):
        L.IntegerLookup(vocabulary=[1])(np.array([1.5]))
    with pytest.raises(ValueError, match="integer inputs"):
        L.IntegerLookup(vocabulary=[1])(np.array(["a"]))
