"""TF-Keras 2's legacy text helpers (``keras.preprocessing.text``), still in many tutorials:
``Tokenizer``, ``text_to_word_sequence``, ``one_hot``, ``hashing_trick``.

>>> tokenizer = Tokenizer(oov_token="<?>")
>>> tokenizer.fit_on_texts(["the cat sat", "the dog"])
>>> tokenizer.word_index
{'<?>': 1, 'the': 2, 'cat': 3, 'sat': 4, 'dog': 5}
>>> tokenizer.texts_to_sequences(["the bird sat"])
[[2, 1, 4]]
"""

import hashlib
import json
import math

import numpy

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """The words of ``input_text``: lower-cased, the ``filters`` characters turned into
    ``split``, cut at ``split``, empty words dropped."""
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Each word of ``text`` as ``hash(word) mod (n − 1) + 1``, an index in [1, n) (0 is left
    for padding). ``hash_function="md5"`` is stable across runs; Python's ``hash`` (the default,
    as in Keras) changes with each process for strings."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    words = (analyzer(text) if analyzer is not None
             else text_to_word_sequence(text, filters=filters, lower=lower, split=split))
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash`` (Keras's ``one_hot``: word indices, not
    one-hot vectors, despite its name)."""
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Words to integer indices by frequency (TF-Keras 2's ``Tokenizer``).

    ``fit_on_texts`` counts the words; the most frequent gets index 1 (after ``oov_token``, which
    takes 1 when given). ``texts_to_sequences`` keeps only indices below ``num_words`` (others
    become the ``oov_token``'s index, or are dropped). ``texts_to_matrix`` gives one row per text
    in ``mode`` "binary", "count", "freq" or "tfidf" (tf = 1 + ln c, idf = ln(1 + N / (1 + dᵢ)),
    N texts, dᵢ of them holding word i).
    """

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, document_count=0, **kwargs):
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {sorted(kwargs)}")
        if num_words is not None and (isinstance(num_words, bool) or num_words < 1):
            raise ValueError(f"Tokenizer: expected `num_words` None or a positive integer. "
                             f"Received: num_words={num_words!r}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts, self.word_docs, self.index_docs = {}, {}, {}
        self.word_index, self.index_word = {}, {}

    def _words(self, text):
        if self.char_level or isinstance(text, list):
            return [item.lower() for item in text] if self.lower else list(text)
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of words) and rebuild the index."""
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] = self.word_docs.get(word, 0) + 1
        ranked = sorted(self.word_counts, key=self.word_counts.get, reverse=True)  # stable
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + ranked
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        self.index_docs = {self.word_index[w]: n for w, n in self.word_docs.items()}

    def fit_on_sequences(self, sequences):
        """Count, for ``sequences_to_matrix(mode="tfidf")``, the texts holding each index."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for i in set(sequence):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def _oov_index(self):
        return self.word_index.get(self.oov_token) if self.oov_token is not None else None

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (see the class docstring)."""
        oov, sequences = self._oov_index(), []
        for text in texts:
            sequence = []
            for word in self._words(text):
                i = self.word_index.get(word)
                if i is not None and (not self.num_words or i < self.num_words):
                    sequence.append(i)
                elif oov is not None:
                    sequence.append(oov)
            sequences.append(sequence)
        return sequences

    def sequences_to_texts(self, sequences):
        """Each sequence of indices back to a text (words joined by spaces)."""
        oov, texts = self._oov_index(), []
        for sequence in sequences:
            words = []
            for i in sequence:
                word = self.index_word.get(i)
                if word is not None and (not self.num_words or i < self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            texts.append(" ".join(words))
        return texts

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """One row of ``num_words`` (or vocabulary + 1) columns per sequence (float64)."""
        if mode not in ("binary", "count", "tfidf", "freq"):
            raise ValueError(f"Tokenizer: expected `mode` 'binary', 'count', 'tfidf' or 'freq'. "
                             f"Received: mode={mode!r}")
        size = self.num_words or (len(self.word_index) + 1 if self.word_index else None)
        if size is None:
            raise ValueError("Tokenizer: specify `num_words` or call `fit_on_texts` first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit on some data before using tfidf mode.")
        matrix = numpy.zeros((len(sequences), size))
        for row, sequence in enumerate(sequences):
            counts = {}
            for i in sequence:
                if i < size:
                    counts[i] = counts.get(i, 0) + 1
            for i, c in counts.items():
                if mode == "count":
                    matrix[row, i] = c
                elif mode == "freq":
                    matrix[row, i] = c / len(sequence)
                elif mode == "binary":
                    matrix[row, i] = 1
                else:
                    idf = math.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    matrix[row, i] = (1 + math.log(c)) * idf
        return matrix

    def get_config(self):
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string (``tokenizer_from_json`` reads it back)."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A ``Tokenizer`` from ``Tokenizer.to_json``'s string."""
    config = dict(json.loads(json_string).get("config", {}))
    tables = {key: json.loads(config.pop(key)) for key in
              ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts, tokenizer.word_docs = tables["word_counts"], tables["word_docs"]
    tokenizer.word_index = tables["word_index"]
    tokenizer.index_docs = {int(k): v for k, v in tables["index_docs"].items()}
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    return tokenizer


__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence",
           "tokenizer_from_json"]
