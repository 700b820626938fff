"""French words: Debian's ``wfrench`` list (``/usr/share/dict/french``, ~346,000 words, every
inflected form: "abaissa", "étranglions"), the corpus of the character-level language models.

It installs offline from the distribution's packages (``apt-get install wfrench``, or ``make
french-words``), so nothing is downloaded. ``load_data`` reads it as UTF-8, puts each word in
Unicode NFC form (one code point for "é"), keeps only the words made of letters (``str.isalpha``:
the ~4,500 with a hyphen or an apostrophe, such as "aujourd'hui" or "peut-être", are dropped, so
the alphabet is the 26 letters and French accented ones), removes duplicates, sorts, then shuffles
with ``seed`` and cuts the list into train / validation / test: the same seed always gives the
same split.

>>> train, validation, test = load_data()                                  # doctest: +SKIP
>>> len(train), len(validation), len(test)                                 # doctest: +SKIP
(273383, 34172, 34172)
"""

import os
import unicodedata

import numpy

from profond import _validation as check

PATH = "/usr/share/dict/french"
PACKAGE = "wfrench"


def read_words(path=None):
    """The letter-only words of the list at ``path`` (default ``PATH``), NFC, deduplicated,
    sorted."""
    if path is None:
        path = PATH
        hint = (f"install Debian's package {PACKAGE} (`apt-get install {PACKAGE}`, or `make "
                "french-words`), or pass `path=` another UTF-8 word list, one word a line")
    else:
        hint = "expected a UTF-8 word list, one word a line"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"french_words: no word list at {path}: {hint}.")
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(f"french_words: {path} is not UTF-8 text (line {line}: "
                         f"{error.reason}).") from None
    words = set(unicodedata.normalize("NFC", text).split())  # a line "a b" would give two words
    return sorted(w for w in words if w.isalpha())


def load_data(path=None, validation_split=0.1, test_split=0.1, seed=0):
    """``(train, validation, test)``: three lists of words (``str``) with no word in two of them.

    Args:
        path: the word list (one word a line, UTF-8); None: Debian's ``wfrench`` (``PATH``).
        validation_split, test_split: the fractions n_val = ⌊n·validation_split⌋ and
            n_test = ⌊n·test_split⌋ of the n words held out; the rest trains.
        seed: the shuffle (``numpy.random.default_rng(seed).permutation``), so the same seed gives
            the same three lists.
    """
    where = "french_words.load_data"
    validation_split = check.real("validation_split", validation_split, where, 0, 1,
                                  high_open=True)
    test_split = check.real("test_split", test_split, where, 0, 1, high_open=True)
    if validation_split + test_split >= 1:
        raise ValueError("french_words.load_data: expected validation_split + test_split < 1. "
                         f"Received: validation_split={validation_split}, "
                         f"test_split={test_split}")
    words = read_words(path)
    if not words:
        raise ValueError(f"french_words: {path or PATH} holds no word made of letters.")
    order = numpy.random.default_rng(seed).permutation(len(words))
    shuffled = [words[i] for i in order]
    n_val, n_test = int(len(words) * validation_split), int(len(words) * test_split)
    n_train = len(words) - n_val - n_test
    return shuffled[:n_train], shuffled[n_train:n_train + n_val], shuffled[n_train + n_val:]


__all__ = ["load_data", "read_words"]
