"""``TextVectorization``: raw text → token indices or bag-of-words vectors.

Each document (a string) goes through four steps:

1. standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``, ``"strip_punctuation"``,
   None, or a callable taking and returning a NumPy ``str`` array;
2. split into tokens: ``"whitespace"`` (default), ``"character"``, None (the whole string is one
   token), or a callable taking a 1-D ``str`` array and returning one token list per string;
3. n-grams: with ``ngrams=n`` the tokens t₁ … t_m also give every "tᵢ … tᵢ₊ₖ₋₁" for k = 2 … n
   (or only the widths of a tuple such as ``ngrams=(1, 3)``), joined by a space;
4. lookup in a vocabulary (a ``StringLookup``, see ``lookup.py``): ``output_mode="int"`` gives the
   token indices, padded with 0 to the longest document of the batch, or cut / padded to
   ``output_sequence_length``; ``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give one vector of
   length V (the vocabulary size, or ``max_tokens`` with ``pad_to_max_tokens=True``) per document.

In ``int`` mode index 0 is the padding (the empty string ``""``, so ``Embedding(mask_zero=True)``
masks it) and 1 the out-of-vocabulary token ``"[UNK]"``; in the other modes index 0 is ``"[UNK]"``.
``adapt`` learns the vocabulary from a list, an array or a ``Dataset`` of strings, most frequent
first (ties: the token later in code-point order first, as in Keras). The vocabulary (and the idf
weights) are part of ``get_config()``, so ``model.save`` keeps them in the file's JSON config.

NOTE: like TensorFlow's ``tf.strings.lower``, the standard lowering changes only ASCII letters
(``"É"`` stays ``"É"``) and ``strip_punctuation`` removes only ASCII punctuation
(``string.punctuation``); pass a callable for full Unicode behaviour. Outputs match Keras's.

>>> layer = TextVectorization(output_sequence_length=4)
>>> layer.adapt(["The cat sat.", "The dog!"])
>>> layer.get_vocabulary()
['', '[UNK]', 'the', 'sat', 'dog', 'cat']
>>> layer(["the bird sat"]).numpy()
array([[2, 1, 3, 0]])
"""

import itertools
import re
import string

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.layers.preprocessing.lookup import (
    StringLookup,
    TextInputs,
    _is_int,
    to_strings,
)
from profond.layers.preprocessing.normalization import _batches, _check_sparse
from profond.registry import get_registered, register_serializable, registered_name

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")

_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_WHITESPACE = re.compile("[ \t\n\r\f\v]+")
# characters that Python's str.split() takes for spaces but TensorFlow's split does not
_OTHER_SPACES = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                           "\u205f\u3000]")


def _lower(text):
    return text.translate(_ASCII_LOWER)


def _strip_punctuation(text):
    return _PUNCTUATION.sub("", text)


def _whitespace_tokens(text):
    """Split on runs of ASCII whitespace (as TensorFlow does); ``str.split`` when it agrees."""
    if _OTHER_SPACES.search(text) is None:
        return text.split()
    return [t for t in _WHITESPACE.split(text) if t]


def ngrams_of(tokens, widths):
    """The n-grams of ``tokens`` for each width in ``widths`` (in that order), space-joined.

    >>> ngrams_of(["a", "b", "c"], (1, 2))
    ['a', 'b', 'c', 'a b', 'b c']
    """
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def _callable_config(fn):
    """A callable argument in a config: its registered name (``register_serializable``)."""
    if fn is None or isinstance(fn, str):
        return fn
    try:
        return registered_name(fn)
    except TypeError:
        return fn  # kept as is: the config works in memory, saving it to a file fails clearly


@register_serializable()
class TextVectorization(TextInputs, Layer):
    """Text → token indices or multi-hot / count / tf-idf vectors (see the module docstring).

    Args:
        max_tokens: the most indices, special tokens included (None: no limit).
        standardize, split, ngrams: the text processing steps (see the module).
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: ``int`` mode: cut or pad (with 0, at the end) every sequence to
            this length; longer documents are truncated (documented, not an error).
        pad_to_max_tokens: vector modes: vectors of length ``max_tokens`` even when the
            vocabulary is smaller.
        vocabulary, idf_weights: a given vocabulary (list, array or text file, one token a line)
            and, for ``tf_idf``, its idf weights.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):
        kwargs.pop("dtype", None)
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, dtype="float32" if output_mode == "tf_idf" else "int64",
                         **kwargs)
        if isinstance(standardize, str) and standardize not in STANDARDIZE:
            standardize = self._registered(standardize, "standardize", STANDARDIZE)
        if not (standardize is None or isinstance(standardize, str) or callable(standardize)):
            raise ValueError(f"TextVectorization: `standardize` must be one of {STANDARDIZE}, "
                             f"None or a callable. Received: standardize={standardize!r}")
        if isinstance(split, str) and split not in SPLIT:
            split = self._registered(split, "split", SPLIT)
        if not (split is None or isinstance(split, str) or callable(split)):
            raise ValueError(f"TextVectorization: `split` must be one of {SPLIT}, None or a "
                             f"callable. Received: split={split!r}")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (_is_int(ngrams) and ngrams >= 0) or (
                isinstance(ngrams, tuple) and all(_is_int(n) and n >= 1 for n in ngrams))):
            raise ValueError("TextVectorization: `ngrams` must be None, an integer or a tuple "
                             f"of positive integers. Received: ngrams={ngrams!r}")
        if ngrams is not None and split is None:
            raise ValueError("TextVectorization: `ngrams` needs a `split` (without it each "
                             f"string is one token). Received: ngrams={ngrams!r}, split=None")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"TextVectorization: unknown `output_mode`. Expected one of "
                             f"{OUTPUT_MODES}. Received: output_mode={output_mode!r}")
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError("TextVectorization: `output_sequence_length` must not be set "
                                 "if `output_mode` is not 'int'. Received: "
                                 f"output_sequence_length={output_sequence_length!r}")
            if not _is_int(output_sequence_length) or output_sequence_length < 1:
                raise ValueError("TextVectorization: `output_sequence_length` must be a "
                                 "positive integer. Received: "
                                 f"output_sequence_length={output_sequence_length!r}")
        if ragged:
            raise ValueError("TextVectorization: `ragged=True` is not supported by profond (no "
                             "ragged tensors): int outputs are padded with 0. Received: "
                             "ragged=True")
        _check_sparse(sparse, "TextVectorization")
        if encoding not in ("utf-8", "UTF-8", "utf8"):
            raise ValueError("TextVectorization: only the 'utf-8' encoding is supported. "
                             f"Received: encoding={encoding!r}")
        self.standardize, self.split = standardize, split
        self.ngrams = ngrams
        self._widths = tuple(range(1, ngrams + 1)) if _is_int(ngrams) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = (None if output_sequence_length is None
                                       else int(output_sequence_length))
        self.sparse, self.ragged = bool(sparse), bool(ragged)
        if idf_weights is not None and vocabulary is None:
            raise ValueError("TextVectorization: `idf_weights` come with a `vocabulary`. "
                             "Received: vocabulary=None")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("TextVectorization: `idf_weights` should only be set if "
                             f"`output_mode` is 'tf_idf'. Received: output_mode={output_mode!r}")
        self._lookup = StringLookup(
            max_tokens=max_tokens, num_oov_indices=1,
            mask_token="" if output_mode == "int" else None, oov_token="[UNK]",
            output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
            name=f"{self.name}_lookup")
        self._lookup._owner = "TextVectorization"
        if vocabulary is not None:
            self._lookup.set_vocabulary(vocabulary, idf_weights)
        self.encoding = "utf-8"

    @staticmethod
    def _registered(name, what, builtin):
        try:
            return get_registered(name)
        except (TypeError, ValueError):
            raise ValueError(f"TextVectorization: unknown `{what}`. Expected one of {builtin}, "
                             f"None, a callable or a registered function name. Received: "
                             f"{what}={name!r}") from None

    # --- the vocabulary, kept by the inner StringLookup -------------------------------------------
    @property
    def max_tokens(self):
        return self._lookup.max_tokens

    @property
    def pad_to_max_tokens(self):
        return self._lookup.pad_to_max_tokens

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens in index order (``""`` and ``"[UNK]"`` first in ``int`` mode)."""
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (and, for ``tf_idf``, the idf weights)."""
        self._lookup._static = False
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from ``data``: a list or array of strings
        (shape (n,) or (n, 1)) or a ``Dataset`` of them, streamed batch by batch."""
        lookup = self._lookup
        if lookup._static:
            raise ValueError("TextVectorization: cannot adapt a layer whose vocabulary was set "
                             "through the `vocabulary` argument or `set_vocabulary()`.")
        lookup._reset_counts()
        for batch in _batches(data, batch_size, steps):
            lookup._accumulate(self._tokenize(batch))
        lookup._finalize()

    # --- text to tokens ---------------------------------------------------------------------------
    def _standardized(self, texts):
        if self.standardize is None:
            return texts
        if callable(self.standardize):
            out = to_strings(self.standardize(texts), "TextVectorization (standardize)")
            if out.shape != texts.shape:
                raise ValueError("TextVectorization: the `standardize` callable must keep the "
                                 f"shape of its input. Expected {texts.shape}. Received: "
                                 f"{out.shape}")
            return out
        steps = []
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            steps.append(_lower)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            steps.append(_strip_punctuation)

        def apply(text):
            for step in steps:
                text = step(text)
            return text

        return numpy.array([apply(t) for t in texts.ravel().tolist()],
                           dtype=object).reshape(texts.shape)

    def _documents(self, inputs):
        """Inputs as a 1-D ``str`` array of documents, and whether the input was one string."""
        texts = to_strings(inputs, "TextVectorization")
        scalar = texts.ndim == 0
        if scalar:
            texts = texts.reshape(1)
        if self.split is not None and texts.ndim > 1:
            if texts.ndim != 2 or texts.shape[-1] != 1:
                raise ValueError("TextVectorization: to split strings, the input must have rank "
                                 "1 or a last dimension of 1. Received: "
                                 f"inputs.shape={texts.shape}")
            texts = texts[:, 0]
        return texts, scalar

    def _tokenize(self, inputs):
        """One token list per document (standardized, split, n-grams)."""
        texts, _ = self._documents(inputs)
        texts = self._standardized(texts)
        if self.split is None:
            return [[t] for t in texts.ravel().tolist()]
        if self.split == "whitespace":
            docs = [_whitespace_tokens(t) for t in texts.tolist()]
        elif self.split == "character":
            docs = [list(t) for t in texts.tolist()]
        else:
            docs = [list(to_strings(d, "TextVectorization (split)").ravel().tolist())
                    for d in self.split(texts)]
            if len(docs) != len(texts):
                raise ValueError("TextVectorization: the `split` callable must return one token "
                                 f"list per string. Expected {len(texts)}. Received: {len(docs)}")
        if self._widths is not None:
            docs = [ngrams_of(d, self._widths) for d in docs]
        return docs

    # --- the layer --------------------------------------------------------------------------------
    def call(self, inputs):
        lookup = self._lookup
        lookup._require_vocabulary()
        values = backend.to_numpy(inputs.data) if isinstance(inputs, Tensor) else inputs
        if self.split is None:
            texts = self._standardized(to_strings(values, "TextVectorization"))
            return lookup._encode(lookup._indices(texts))
        texts, scalar = self._documents(values)
        docs = self._tokenize(texts)
        lengths = numpy.array([len(d) for d in docs], dtype=numpy.int64)
        indices = lookup._flat_indices(list(itertools.chain.from_iterable(docs)))
        xp = backend.default_module()
        if self.output_mode == "int":
            width = (self.output_sequence_length if self.output_sequence_length is not None
                     else int(lengths.max(initial=0)))
            out = numpy.zeros((len(docs), width), dtype=numpy.int64)
            starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
            for row, (start, n) in enumerate(zip(starts, numpy.minimum(lengths, width))):
                out[row, :n] = indices[start:start + n]
        else:
            rows = numpy.repeat(numpy.arange(len(docs)), lengths)
            out = lookup._encode_rows(rows, indices, len(docs))
        out = xp.asarray(out[0] if scalar else out, dtype=self.dtype)
        return Tensor._wrap(out)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        batch = shape[:1] if len(shape) else ()
        if self.split is None:
            return self._lookup.compute_output_shape(shape)
        if self.output_mode == "int":
            return batch + (self.output_sequence_length,)
        return batch + (self._lookup._depth(),)

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        lookup = self._lookup.get_config()
        config.update({
            "max_tokens": self.max_tokens,
            "standardize": _callable_config(self.standardize),
            "split": _callable_config(self.split),
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": self.sparse,
            "ragged": self.ragged, "vocabulary": lookup["vocabulary"],
            "idf_weights": lookup["idf_weights"], "encoding": self.encoding,
            "vocabulary_size": lookup["vocabulary_size"],
        })
        return config
