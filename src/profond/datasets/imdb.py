"""IMDB movie reviews (Maas et al., 2011): 50,000 reviews labelled positive (1) or negative (0),
each a list of word indices (``get_word_index`` gives the words).

``load_data`` reads Keras's own file ``imdb.npz`` (17 MB, from
https://storage.googleapis.com/tensorflow/tf-keras-datasets/), checked by the SHA-256 that Keras
publishes and cached in ``$PROFOND_HOME/datasets/`` (``~/.profond/datasets/``); offline, put a copy
there yourself (the error says where). Its reviews are NumPy object arrays in Python's pickle byte
format: profond decodes those bytes itself into lists of ints, never importing or calling
anything the file names (see ``profond.datasets._npz``).
"""

import numpy

from profond.datasets import _word_sequences as words
from profond.datasets._fetch import KERAS_URL, fetch
from profond.datasets._npz import load_sequences

ORIGIN = KERAS_URL + "imdb.npz"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"  # Keras's
WORD_INDEX_ORIGIN = KERAS_URL + "imdb_word_index.json"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)`` exactly as Keras gives them: object arrays of
    word-index lists (25,000 reviews each), int64 labels 0/1. See
    ``profond.datasets._word_sequences`` for ``num_words``, ``skip_top``, ``maxlen``,
    ``start_char``, ``oov_char``, ``index_from``; ``seed`` fixes the shuffle of each part."""
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments: {sorted(kwargs)}")
    arrays = load_sequences(fetch(path, ORIGIN, SHA256), ("x_train", "y_train", "x_test", "y_test"))
    rng = numpy.random.RandomState(seed)
    x_train, y_train = words.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = words.shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train = words.encode(x_train, start_char, index_from)
    x_test = words.encode(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = words.drop_long(maxlen, x_train, y_train)
        x_test, y_test = words.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}. "
                             "Increase maxlen.")
    texts = words.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = numpy.concatenate([y_train, y_test])
    cut = len(x_train)
    return ((numpy.array(texts[:cut], dtype=object), labels[:cut]),
            (numpy.array(texts[cut:], dtype=object), labels[cut:]))


def get_word_index(path="imdb_word_index.json"):
    """The ``{word: rank}`` table of the reviews (rank 1: the most frequent word). In the data
    of ``load_data``, a word of rank r has the index r + ``index_from`` (3 by default)."""
    return words.read_word_index(fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_MD5))
