"""``SubwordTokenizer`` (issue 17, item 1): BPE and WordPiece through Hugging Face ``tokenizers``.

Oracles independent of the library: WordPiece's greedy longest-match-first rule and byte-level
BPE's "merge the earliest-learned pair first" rule, each written out here in a few lines and run
on the learned vocabulary/merges; BPE's lossless round trip on text it never saw; the padding,
truncation, masking and save/load contracts of the layer.
"""

import os
import tempfile
import unicodedata

import numpy as np
import pytest

import profond as pf
from profond import layers as L
from profond.testing import run_layer_test

rng = np.random.default_rng(0)
WORDS = ["the", "cat", "cats", "sat", "on", "mat", "dog", "dogs", "ate", "homework", "bird",
         "birds", "un", "happy", "unhappy", "running", "runner", "run", "été", "Ça", "va"]
CORPUS = [" ".join(rng.choice(WORDS, size=rng.integers(0, 12))) + rng.choice(["", ".", "!"])
          for _ in range(300)]


def adapted(model, max_tokens, **kwargs):
    layer = L.SubwordTokenizer(max_tokens=max_tokens, model=model, **kwargs)
    layer.adapt(CORPUS)
    return layer


@pytest.fixture(scope="module")
def wordpiece():
    return adapted("wordpiece", 60, lowercase=True)


@pytest.fixture(scope="module")
def bpe():
    return adapted("bpe", 300, special_tokens=["[BOS]"])


def save_and_load(model):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.keras")
        model.save(path)
        return pf.keras.models.load_model(path)


# --- oracles written out independently ------------------------------------------------------------
def wordpiece_oracle(word, vocab):
    """Greedy longest match first: the longest vocabulary piece at the start of what is left
    ("##" on pieces after the first); the whole word is [UNK] when some rest has no piece."""
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return pieces


def byte_symbols():
    """GPT-2's printable stand-in for each byte value (the byte-level alphabet)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def bpe_oracle(word, merges):
    """Byte-level BPE of one word: its UTF-8 bytes as symbols, then repeatedly merge the adjacent
    pair learned earliest, until no learned pair is left."""
    symbols = [byte_symbols()[b] for b in word.encode("utf-8")]
    rank = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
    while True:
        pairs = [(rank.get(p, len(rank)), i) for i, p in enumerate(zip(symbols, symbols[1:]))]
        best, i = min(pairs, default=(len(rank), 0))
        if best == len(rank):
            return symbols
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]


# --- learning and the two models ------------------------------------------------------------------
def test_wordpiece_is_greedy_longest_match(wordpiece):
    vocab = wordpiece.get_vocabulary()
    assert len(vocab) <= 60 and vocab[:2] == ["[PAD]", "[UNK]"]
    index = {t: i for i, t in enumerate(vocab)}
    words = ["unhappy", "homework", "cats", "birds", "zebra", "été", "runners", "dogs"]
    ids = wordpiece([" ".join(words)]).numpy()[0]
    expected = [index[p] for w in words for p in wordpiece_oracle(w, index)]
    assert ids.tolist() == expected
    assert wordpiece.detokenize(ids).numpy().item() == " ".join(
        w if "[UNK]" not in wordpiece_oracle(w, index) else "[UNK]" for w in words)


def test_bpe_replays_merges_in_learning_order(bpe):
    vocab, merges = bpe.get_vocabulary(), bpe.get_merges()
    assert len(vocab) == 300 and vocab[:3] == ["[PAD]", "[UNK]", "[BOS]"]
    assert len(merges) == 300 - 3 - 256  # every learned token is one merge
    index = {t: i for i, t in enumerate(vocab)}
    for word in ["unhappy", "homework", "runners", "été", "zebra", "Ça"]:
        expected = [index[s] for s in bpe_oracle(word, merges)]
        assert bpe(word).numpy().tolist() == expected, word


def test_bpe_round_trip_is_lossless_on_unseen_text(bpe):
    texts = ["Zoë's 🙂 naïve café — 東京!", "  two  spaces\tand\nlines ", "", "[PAD] [BOS]x"]
    ids = bpe(texts).numpy()
    back = bpe.detokenize(ids).numpy().tolist()
    assert back[:3] == [unicodedata.normalize("NFC", t) for t in texts[:3]]
    assert back[3] == "[PAD] x"  # [BOS] is special (skipped), "[PAD]" in a text is plain text
    assert 0 not in ids[3][:(ids[3] != 0).sum()]  # the text "[PAD]" never becomes padding
    assert bpe.token_to_id("[BOS]") in ids[3]
    assert bpe.detokenize(ids[3], skip_special_tokens=False).numpy().item() == "[PAD] [BOS]x"


def test_training_is_deterministic_and_streams_datasets():
    layer = adapted("wordpiece", 50)
    ds = pf.data.Dataset.from_tensor_slices(np.array(CORPUS))
    for data in (ds, ds.batch(7), np.array(CORPUS)[:, None], CORPUS):
        other = L.SubwordTokenizer(max_tokens=50)
        other.adapt(data)
        assert other.get_vocabulary() == layer.get_vocabulary()
    # many equally frequent pairs: ties must be broken the same way every time
    runs = [adapted("wordpiece", 80).get_vocabulary() for _ in range(4)]
    assert all(run == runs[0] for run in runs)
    paired = pf.data.Dataset.from_tensor_slices((np.array(CORPUS), np.arange(300))).batch(10)
    other = L.SubwordTokenizer(max_tokens=50)
    other.adapt(paired, steps=3)  # x of (x, y) elements, only 3 batches
    assert other.get_vocabulary() != layer.get_vocabulary()


def test_max_tokens_bounds_the_vocabulary():
    for n in (50, 60, 80):  # the corpus has 22 characters: 46 tokens with their "##" forms
        vocab = adapted("wordpiece", n).get_vocabulary()
        assert len(vocab) <= n and len(set(vocab)) == len(vocab)
    with pytest.raises(ValueError, match="max_tokens=20 is too small"):
        adapted("wordpiece", 20)


def test_normalisation_options():
    plain = adapted("wordpiece", 80)
    low = adapted("wordpiece", 80, lowercase=True, strip_accents=True)
    assert "Ça" in plain.get_vocabulary() and "ça" not in plain.get_vocabulary()
    assert "ca" in low.get_vocabulary() and "ete" in low.get_vocabulary()
    np.testing.assert_array_equal(low("ÉTÉ ça").numpy(), low("ete CA").numpy())
    composed, decomposed = "été", unicodedata.normalize("NFD", "été")
    np.testing.assert_array_equal(plain(decomposed).numpy(), plain(composed).numpy())


# --- the layer: shapes, padding, masking ----------------------------------------------------------
def test_padding_truncation_and_input_ranks(wordpiece):
    long = " ".join(["cat"] * 100_000)
    cat = wordpiece.token_to_id("cat")
    fixed = L.SubwordTokenizer.from_config({**wordpiece.get_config(),
                                            "output_sequence_length": 4})
    on = wordpiece("on").numpy().tolist()
    out = fixed([long, "on", ""]).numpy()
    assert out.dtype == np.int64 and out.tolist() == [[cat] * 4, on + [0] * (4 - len(on)),
                                                     [0] * 4]
    assert fixed(np.array([["cat cat"], ["on"]])).numpy().shape == (2, 4)
    assert fixed("cat").numpy().tolist() == [cat, 0, 0, 0]
    ragged = wordpiece(["cat", "cat cat cat", ""]).numpy()
    assert ragged.shape == (3, 3) and ragged[0].tolist() == [cat, 0, 0]
    assert wordpiece(["", ""]).numpy().shape == (2, 0)
    assert fixed.compute_output_shape((None,)) == (None, 4)
    embedded = L.Embedding(wordpiece.vocabulary_size(), 3, mask_zero=True)
    ids = fixed(["cat", ""])
    mask = embedded.compute_mask(ids)
    assert np.asarray(mask.numpy() if hasattr(mask, "numpy") else mask).tolist() == [
        [True, False, False, False], [False] * 4]


def test_dataset_map(wordpiece):
    fixed = L.SubwordTokenizer.from_config({**wordpiece.get_config(),
                                            "output_sequence_length": 6})
    ds = pf.data.Dataset.from_tensor_slices((np.array(CORPUS), np.arange(300))).batch(8)
    x, y = next(iter(ds.map(lambda text, label: (fixed(text), label))))
    assert tuple(x.shape) == (8, 6) and x.dtype == np.int64 and len(y) == 8
    np.testing.assert_array_equal(x.numpy(), fixed(CORPUS[:8]).numpy())
    texts_only = pf.data.Dataset.from_tensor_slices(np.array(CORPUS)).batch(8).map(fixed)
    np.testing.assert_array_equal(next(iter(texts_only)).numpy(), fixed(CORPUS[:8]).numpy())


# --- saving ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["wordpiece", "bpe"])
def test_layer_contract(model, wordpiece, bpe):
    source = wordpiece if model == "wordpiece" else bpe
    kwargs = {"model": model, "vocabulary": source.get_vocabulary(),
              "merges": source.get_merges(), "output_sequence_length": 5,
              "lowercase": source.lowercase, "special_tokens": source.special_tokens}
    run_layer_test(L.SubwordTokenizer, kwargs, (3,), (3, 5), input_dtype=pf.string,
                   input_data=np.array(["The cat sat.", "unhappy dogs", ""]))


def test_save_and_load_with_a_model(bpe):
    fixed = L.SubwordTokenizer.from_config({**bpe.get_config(), "output_sequence_length": 8})
    model = pf.keras.Sequential([fixed, L.Embedding(bpe.vocabulary_size(), 4, mask_zero=True),
                                 L.GlobalAveragePooling1D(), L.Dense(1)])
    texts = np.array([t for t in CORPUS if t][:10])  # (an empty text pools to 0/0 = nan)
    expected = model.predict(texts, verbose=0)
    loaded = save_and_load(model)
    assert loaded.layers[0].get_vocabulary() == bpe.get_vocabulary()
    assert loaded.layers[0].get_merges() == bpe.get_merges()
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(loaded.predict(texts, verbose=0), expected)


def test_a_sentiment_model_learns_from_sub_words():
    """Tokenizer → Embedding(mask_zero) → pooling → Dense on generated reviews whose sentiment
    words appear in inflected forms the tokenizer splits into shared pieces."""
    gen = np.random.default_rng(1)
    good, bad = ["lovely", "loved", "loving", "wonderful"], ["awful", "awfully", "hated", "hateful"]
    neutral = ["the", "movie", "film", "plot", "actors", "was", "and", "story"]
    labels = gen.integers(0, 2, 240)
    texts = np.array([" ".join(gen.permutation(list(gen.choice(neutral, 6)) + list(
        gen.choice(good if y else bad, 2)))) for y in labels])
    tokenizer = L.SubwordTokenizer(max_tokens=60, output_sequence_length=16)
    tokenizer.adapt(texts[:200])
    pf.keras.utils.set_random_seed(1)
    model = pf.keras.Sequential([tokenizer, L.Embedding(60, 8, mask_zero=True),
                                 L.GlobalAveragePooling1D(), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=pf.keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(texts[:200], labels[:200].astype("float32"), epochs=8, batch_size=20,
                        verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model.evaluate(texts[200:], labels[200:].astype("float32"), verbose=0)[1] >= 0.9


# --- bad arguments and inputs ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"model": "unigram"}, "model='unigram'"),
    ({"model": "bpe", "max_tokens": 100}, "max_tokens.*256 byte symbols.*max_tokens=100"),
    ({"max_tokens": 2}, "max_tokens=2"),
    ({"max_tokens": 10.5}, "max_tokens=10.5"),
    ({"output_sequence_length": 0}, "output_sequence_length=0"),
    ({"lowercase": "yes"}, "lowercase='yes'"),
    ({"special_tokens": ["[UNK]"]}, "distinct non-empty"),
    ({"pad_token": ""}, "distinct non-empty"),
    ({"merges": ["a b"]}, "vocabulary=None"),
    ({"vocabulary": ["a", "[PAD]", "[UNK]"]}, "start with pad_token.*Received: 'a'"),
    ({"vocabulary": ["[PAD]", "a"]}, r"lacks the special tokens \['\[UNK\]'\]"),
    ({"vocabulary": ["[PAD]", "[UNK]", "a", "a"]}, "distinct"),
    ({"vocabulary": ["[PAD]", "[UNK]", "a", "b"], "max_tokens": 3}, "at most 3.*Received: 4"),
    ({"vocabulary": ["[PAD]", "[UNK]", "a"], "merges": ["a a"]}, "takes no `merges`"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.SubwordTokenizer(**kwargs)


def test_bad_bpe_vocabularies(bpe):
    vocab, merges = bpe.get_vocabulary(), bpe.get_merges()
    with pytest.raises(ValueError, match="needs the `merges`"):
        L.SubwordTokenizer(model="bpe", vocabulary=vocab, special_tokens=["[BOS]"])
    with pytest.raises(ValueError, match="'q' \\+ 'z' names a token that is not"):
        L.SubwordTokenizer(model="bpe", vocabulary=vocab, merges=merges + ["q z"],
                           special_tokens=["[BOS]"])
    with pytest.raises(ValueError, match="pair of tokens"):
        L.SubwordTokenizer(model="bpe", vocabulary=vocab, merges=["abc"],
                           special_tokens=["[BOS]"])


def test_bad_inputs(wordpiece):
    with pytest.raises(ValueError, match="no vocabulary yet"):
        L.SubwordTokenizer()(["a b"])
    with pytest.raises(ValueError, match="adapt: set `max_tokens`"):
        L.SubwordTokenizer().adapt(["a b"])
    with pytest.raises(ValueError, match="expected UTF-8 text.*position 1"):
        wordpiece(np.array([b"a\xff b"], dtype=object))
    with pytest.raises(ValueError, match="expected UTF-8 text"):
        L.SubwordTokenizer(max_tokens=30).adapt(np.array([b"ok", b"\xc3("], dtype=object))
    with pytest.raises(ValueError, match="expected string inputs. Received: dtype=int64"):
        wordpiece(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"Received: inputs.shape=\(2, 2\)"):
        wordpiece(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="integer ids"):
        wordpiece.detokenize(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"ids in \[0, \d+\). Received: ids from 0 to 999"):
        wordpiece.detokenize(np.array([[0, 999]]))
    with pytest.raises(ValueError, match="expected an id"):
        wordpiece.id_to_token(-1)
    assert wordpiece.id_to_token(0) == "[PAD]" and wordpiece.token_to_id("qqqq") == 1
