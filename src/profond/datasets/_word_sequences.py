"""The word-index processing shared by IMDB and Reuters (Keras's ``load_data`` arguments).

Each text is a list of word ranks r (1 = the most frequent word of the corpus). ``load_data``
turns rank r into index r + ``index_from`` (so 0 stays the padding, 1 the start mark, 2 the
out-of-vocabulary mark), puts ``start_char`` in front, drops texts not shorter than ``maxlen``,
and replaces every index outside [``skip_top``, ``num_words``) by ``oov_char`` (or drops it when
``oov_char`` is None) — in that order, as Keras does, so the results are the same.
"""

import json

import numpy


def shuffled(rng, *arrays):
    """The arrays in the order of one ``rng.shuffle`` of their indices (Keras's order)."""
    order = numpy.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def encode(texts, start_char, index_from):
    """Ranks → indices, with the start mark in front (see the module docstring)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in text] for text in texts]
    return [[w + index_from for w in text] for text in texts]


def drop_long(maxlen, texts, labels):
    """Only the texts strictly shorter than ``maxlen`` (start mark included), with their labels."""
    kept = [(text, label) for text, label in zip(texts, labels) if len(text) < maxlen]
    return [t for t, _ in kept], [label for _, label in kept]


def limit_vocabulary(texts, num_words, skip_top, oov_char):
    """Indices outside [skip_top, num_words) become ``oov_char`` (dropped if it is None);
    ``num_words=None`` keeps every word."""
    if not num_words:
        num_words = max((max(text) for text in texts if text), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in text] for text in texts]
    return [[w for w in text if skip_top <= w < num_words] for text in texts]


def read_word_index(path):
    """The ``{word: rank}`` table of a Keras ``*_word_index.json`` file."""
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    if not isinstance(table, dict) or not all(isinstance(v, int) for v in table.values()):
        raise ValueError(f"{path} is not a word index (a JSON object of word: rank).")
    return table
