"""Reuters newswires (Reuters-21578): 11,228 short news texts in 46 topics, each a list of word
indices (``get_word_index`` gives the words, ``get_label_names`` the topics).

``load_data`` reads Keras's own file ``reuters.npz`` (2 MB, from
https://storage.googleapis.com/tensorflow/tf-keras-datasets/), checked by the SHA-256 that Keras
publishes and cached in ``$PROFOND_HOME/datasets/`` (``~/.profond/datasets/``); offline, put a copy
there yourself. Its texts are NumPy object arrays in Python's pickle byte format:
profond decodes those bytes itself into lists of ints, never importing or calling anything the
file names (see ``profond.datasets._npz``).
"""

import numpy

from profond.datasets import _word_sequences as words
from profond.datasets._fetch import KERAS_URL, check_test_split, fetch
from profond.datasets._npz import load_sequences

ORIGIN = KERAS_URL + "reuters.npz"
SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"  # Keras's
WORD_INDEX_ORIGIN = KERAS_URL + "reuters_word_index.json"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` exactly as Keras gives them: object arrays of
    word-index lists and int64 topic labels 0–45, shuffled by ``seed``, the last ``test_split``
    of the texts for testing (the other arguments as in ``imdb.load_data``)."""
    check_test_split(test_split)
    arrays = load_sequences(fetch(path, ORIGIN, SHA256), ("x", "y"))
    texts, labels = words.shuffled(numpy.random.RandomState(seed), arrays["x"], arrays["y"])
    texts = words.encode(texts, start_char, index_from)
    if maxlen:
        texts, labels = words.drop_long(maxlen, texts, labels)
    texts = words.limit_vocabulary(texts, num_words, skip_top, oov_char)
    cut = int(len(texts) * (1 - test_split))
    return ((numpy.array(texts[:cut], dtype=object), numpy.array(labels[:cut])),
            (numpy.array(texts[cut:], dtype=object), numpy.array(labels[cut:])))


def get_word_index(path="reuters_word_index.json"):
    """The ``{word: rank}`` table of the newswires (rank 1: the most frequent word)."""
    return words.read_word_index(fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_MD5))


def get_label_names():
    """The names of the 46 topics, in label order (label 3 is "earn")."""
    return LABEL_NAMES
