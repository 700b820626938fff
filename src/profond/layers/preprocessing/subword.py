"""``SubwordTokenizer``: text → sub-word token ids, learned and applied by Hugging Face's
``tokenizers`` library (``pip install 'profond[text]'``), wrapped as a Keras-style layer.

A sub-word vocabulary keeps frequent words whole and cuts rare ones into pieces, so no word is
out of vocabulary and the table stays small (a few thousand entries instead of every word form):

- ``model="bpe"``: byte-level BPE (GPT-2's). The text is read as UTF-8 bytes, each byte a symbol
  (a space shows as "Ġ"); training starts from the 256 byte symbols and repeatedly merges the most
  frequent adjacent pair into a new symbol, recording each merge. Encoding replays the merges in
  learning order. Every text encodes without an unknown token and ``detokenize`` gives it back
  exactly (after the normalisation below). Needs ``max_tokens`` ≥ 256 + the special tokens.
- ``model="wordpiece"``: BERT's. Words are split at spaces and punctuation; a word is cut
  greedily into the longest pieces of the vocabulary, the pieces after the first marked "##"
  ("unhappy" → "un", "##happy"); a word with a character outside the vocabulary, or longer than
  100 characters, becomes ``oov_token``. ``detokenize`` joins the pieces and puts one space
  between words, none before punctuation (the original spacing is not kept).

Normalisation before either model: Unicode NFC, then with ``lowercase=True`` full Unicode lower
case ("É" → "é", unlike ``TextVectorization``'s ASCII-only lowering), with ``strip_accents=True``
accents removed ("é" → "e").

Ids: 0 is ``pad_token`` (the padding, so ``Embedding(mask_zero=True)`` masks it), 1 is
``oov_token``, then the ``special_tokens`` (for instance ``["[CLS]", "[SEP]"]``: written in a text
they give their id, never pieces), then the learned tokens. A batch of documents gives an int64
array (n, L): L is ``output_sequence_length`` (longer documents are truncated there, the end
dropped; shorter ones padded with 0 at the end) or, without it, the longest document of the batch.
An empty string gives a row of padding. Bytes that are not UTF-8 raise a ``ValueError``.

``adapt`` trains the vocabulary on a list or array of strings or a ``Dataset`` of them (at most
``max_tokens`` tokens, special ones included; the texts are gathered in memory first). The
vocabulary and, for BPE, the merges are part of ``get_config()`` (plain JSON lists), so
``model.save`` keeps them, and the layer can be rebuilt from them with no training.

>>> tokenizer = SubwordTokenizer(max_tokens=40, model="wordpiece", lowercase=True)
>>> tokenizer.adapt(["the cat sat", "the cats sat on the mat"] * 10)
>>> ids = tokenizer(["The cats", ""]).numpy()
>>> ids.shape, ids[1].tolist()
((2, 2), [0, 0])
>>> tokenizer.detokenize(ids).numpy().tolist()
['the cats', '']
"""

import json

import numpy

from profond import _validation as check
from profond import backend
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.layers.preprocessing.lookup import TextInputs, _is_int, to_strings
from profond.layers.preprocessing.normalization import _batches
from profond.registry import register_serializable

MODELS = ("bpe", "wordpiece")
BYTE_ALPHABET = 256
"""The byte-level BPE starts from one symbol per byte value."""


def _tokenizers():
    """Hugging Face's ``tokenizers`` module, imported on first use (an optional dependency)."""
    try:
        import tokenizers
    except ImportError:
        raise ImportError("SubwordTokenizer needs Hugging Face's `tokenizers` library: "
                          "pip install 'profond[text]' (or pip install tokenizers).") from None
    return tokenizers


def _merge_pairs(merges, who):
    """BPE merges as ``(left, right)`` pairs, from pairs or ``"left right"`` strings."""
    pairs = []
    for merge in merges:
        pair = merge.split(" ") if isinstance(merge, str) else list(merge)
        if len(pair) != 2 or not all(isinstance(p, str) and p for p in pair):
            raise ValueError(f"{who}: each merge must be a pair of tokens or a string 'left "
                             f"right'. Received: {merge!r}")
        pairs.append(tuple(pair))
    return pairs


@register_serializable()
class SubwordTokenizer(TextInputs, Layer):
    """Strings → sub-word token ids (BPE or WordPiece); see the module docstring.

    Args:
        max_tokens: the most tokens ``adapt`` keeps, special tokens included (required to adapt;
            with ``vocabulary`` given, None means its length).
        model: ``"bpe"`` (byte-level) or ``"wordpiece"``.
        lowercase, strip_accents: normalisation applied before tokenizing.
        output_sequence_length: cut or pad every document to this many ids (None: the longest
            document of the batch).
        pad_token, oov_token: the tokens of ids 0 and 1.
        special_tokens: more reserved tokens (ids 2, 3, … after ``adapt``), never split.
        vocabulary, merges: a vocabulary (tokens in id order) and, for BPE, its merges (pairs or
            ``"left right"`` strings, in learning order), instead of ``adapt``.
    """

    def __init__(self, max_tokens=None, model="wordpiece", lowercase=False, strip_accents=False,
                 output_sequence_length=None, pad_token="[PAD]", oov_token="[UNK]",
                 special_tokens=None, vocabulary=None, merges=None, name=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(name=name, dtype="int64", **kwargs)
        who = "SubwordTokenizer"
        if model not in MODELS:
            raise check.fail("model", model, f"one of {MODELS}", self)
        special_tokens = list(special_tokens or [])
        specials = [pad_token, oov_token] + special_tokens
        if not all(isinstance(t, str) and t for t in specials) or len(set(specials)) != len(
                specials):
            raise ValueError(f"{who}: `pad_token`, `oov_token` and `special_tokens` must be "
                             f"distinct non-empty strings. Received: {specials!r}")
        least = len(specials) + (BYTE_ALPHABET if model == "bpe" else 1)
        self.max_tokens = check.integer(
            "max_tokens", max_tokens, self, minimum=least, allow_none=True,
            expected=f"None or an integer >= {least} (the {len(specials)} special tokens and "
            + ("the 256 byte symbols of byte-level BPE)" if model == "bpe" else "one more)"))
        self.model = model
        self.lowercase = check.boolean("lowercase", lowercase, self)
        self.strip_accents = check.boolean("strip_accents", strip_accents, self)
        self.output_sequence_length = check.positive_int(
            "output_sequence_length", output_sequence_length, self, allow_none=True)
        self.pad_token, self.oov_token = pad_token, oov_token
        self.special_tokens = special_tokens
        self._vocab = self._merges = self._tokenizer = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, merges)
        elif merges is not None:
            raise ValueError(f"{who}: `merges` come with a `vocabulary`. Received: "
                             "vocabulary=None")

    # --- the vocabulary ---------------------------------------------------------------------------
    @property
    def _specials(self):
        return [self.pad_token, self.oov_token] + self.special_tokens

    def get_vocabulary(self):
        """The tokens in id order (``pad_token`` first)."""
        self._require_vocabulary()
        return list(self._vocab)

    def vocabulary_size(self):
        return 0 if self._vocab is None else len(self._vocab)

    def get_merges(self):
        """BPE: the merges in learning order, as ``"left right"`` strings (None for WordPiece)."""
        self._require_vocabulary()
        return None if self._merges is None else [" ".join(p) for p in self._merges]

    def token_to_id(self, token):
        self._require_vocabulary()
        return self._index.get(token, 1)

    def id_to_token(self, index):
        self._require_vocabulary()
        if not (_is_int(index) and 0 <= index < len(self._vocab)):
            raise ValueError(f"SubwordTokenizer: expected an id in [0, {len(self._vocab)}). "
                             f"Received: {index!r}")
        return self._vocab[int(index)]

    def set_vocabulary(self, vocabulary, merges=None):
        """Use ``vocabulary`` (tokens in id order, ``pad_token`` first, every special token in it)
        and, for BPE, its ``merges``."""
        who = "SubwordTokenizer.set_vocabulary"
        vocab = list(vocabulary)
        if not all(isinstance(t, str) and t for t in vocab) or len(set(vocab)) != len(vocab):
            raise ValueError(f"{who}: the vocabulary must hold distinct non-empty strings.")
        if not vocab or vocab[0] != self.pad_token:
            raise ValueError(f"{who}: the vocabulary must start with pad_token (id 0, the "
                             f"padding). Expected {self.pad_token!r}. Received: "
                             f"{vocab[0] if vocab else None!r}")
        missing = [t for t in self._specials if t not in set(vocab)]
        if missing:
            raise ValueError(f"{who}: the vocabulary lacks the special tokens {missing}.")
        if self.max_tokens is not None and len(vocab) > self.max_tokens:
            raise ValueError(f"{who}: the vocabulary is larger than max_tokens. Expected at most "
                             f"{self.max_tokens} tokens. Received: {len(vocab)}")
        if (self.model == "bpe") != (merges is not None):
            raise ValueError(f"{who}: model={self.model!r} " + (
                "needs the `merges` of its vocabulary" if self.model == "bpe"
                else "takes no `merges`") + f". Received: merges={_brief(merges)}")
        pairs = None
        if merges is not None:
            pairs = _merge_pairs(merges, who)
            index = set(vocab)
            for left, right in pairs:
                if left not in index or right not in index or left + right not in index:
                    raise ValueError(f"{who}: the merge {left!r} + {right!r} names a token that "
                                     "is not in the vocabulary.")
        self._tokenizer = self._pipeline(vocab, pairs)
        self._vocab, self._merges = vocab, pairs
        self._index = {t: i for i, t in enumerate(vocab)}

    def _pipeline(self, vocab, pairs):
        """A ``tokenizers.Tokenizer`` for this layer's settings and the given vocabulary."""
        hf = _tokenizers()
        table = {t: i for i, t in enumerate(vocab)}
        if self.model == "bpe":
            tokenizer = hf.Tokenizer(hf.models.BPE(vocab=table, merges=pairs,
                                                   unk_token=self.oov_token))
        else:
            tokenizer = hf.Tokenizer(hf.models.WordPiece(vocab=table, unk_token=self.oov_token))
        self._configure(tokenizer)
        if self.special_tokens:
            # NOTE: not the pad token: a text that contains "[PAD]" must not turn into padding
            tokenizer.add_special_tokens(self.special_tokens)
        return tokenizer

    def _configure(self, tokenizer):
        """Normaliser, pre-tokenizer and decoder of ``tokenizer`` (module docstring)."""
        hf = _tokenizers()
        steps = [hf.normalizers.NFC()]
        if self.lowercase:
            steps.append(hf.normalizers.Lowercase())
        if self.strip_accents:
            steps += [hf.normalizers.NFD(), hf.normalizers.StripAccents()]
        tokenizer.normalizer = hf.normalizers.Sequence(steps)
        if self.model == "bpe":
            tokenizer.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
            tokenizer.decoder = hf.decoders.ByteLevel()
        else:
            tokenizer.pre_tokenizer = hf.pre_tokenizers.BertPreTokenizer()
            tokenizer.decoder = hf.decoders.WordPiece(prefix="##")

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and BPE merges) from ``data``: a list or array of strings (shape
        (n,) or (n, 1)) or a ``Dataset`` of them; replaces any vocabulary the layer had.

        Every character of the text gets a token (and, for WordPiece, its "##" form too when it
        occurs inside a word) before any merge: ``max_tokens`` smaller than that is an error."""
        if self.max_tokens is None:
            raise ValueError("SubwordTokenizer.adapt: set `max_tokens` (the size of the "
                             "vocabulary to learn). Received: max_tokens=None")
        texts = []
        for batch in _batches(data, batch_size, steps):
            texts.extend(to_strings(batch, "SubwordTokenizer.adapt").ravel().tolist())
        vocab, pairs = self._train(texts, self.max_tokens)
        if len(vocab) > self.max_tokens:
            raise ValueError(f"SubwordTokenizer.adapt: max_tokens={self.max_tokens} is too small: "
                             f"this text needs {len(vocab)} tokens for its characters (and their "
                             "'##' forms) and the special tokens. Increase max_tokens.")
        self.set_vocabulary(vocab, None if pairs is None else [" ".join(p) for p in pairs])

    def _train(self, texts, vocab_size):
        """Train a fresh ``tokenizers`` model: (vocabulary in id order, BPE merges or None)."""
        hf = _tokenizers()
        if self.model == "bpe":
            tokenizer = hf.Tokenizer(hf.models.BPE(unk_token=self.oov_token))
            self._configure(tokenizer)
            trainer = hf.trainers.BpeTrainer(
                vocab_size=vocab_size, special_tokens=self._specials, show_progress=False,
                initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet())
        else:
            tokenizer = hf.Tokenizer(hf.models.WordPiece(unk_token=self.oov_token))
            self._configure(tokenizer)
            # NOTE: the trainer numbers the "##" characters in hash-table order, which changes
            # from run to run, and breaks ties between equally frequent pairs by those numbers:
            # listed first, in sorted order, they get the same ids (and the vocabulary the same
            # tokens) every time.
            trainer = hf.trainers.WordPieceTrainer(
                vocab_size=vocab_size, show_progress=False,
                special_tokens=self._specials + self._continuations(tokenizer, texts))
        tokenizer.train_from_iterator(texts, trainer, length=len(texts))
        table = tokenizer.get_vocab(with_added_tokens=True)
        vocab = sorted(table, key=table.get)
        if vocab[:len(self._specials)] != self._specials:
            raise RuntimeError("SubwordTokenizer.adapt: the trainer did not give the special "
                               "tokens the first ids.")
        if self.model == "wordpiece":
            return vocab, None
        merges = json.loads(tokenizer.to_str())["model"]["merges"]
        return vocab, [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]

    @staticmethod
    def _continuations(tokenizer, texts):
        """``"##c"`` for each character c found after the first letter of a word, sorted."""
        chars = set()
        for text in texts:
            normal = tokenizer.normalizer.normalize_str(text)
            for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(normal):
                chars.update(word[1:])
        return ["##" + c for c in sorted(chars)]

    def _require_vocabulary(self):
        if self._vocab is None:
            raise ValueError(f"SubwordTokenizer {self.name!r}: no vocabulary yet. Call "
                             "`adapt(texts)` or pass `vocabulary` (and `merges` for BPE).")

    # --- text to ids and back ---------------------------------------------------------------------
    def tokenize(self, texts):
        """Token ids of ``texts`` (the same as calling the layer)."""
        return self(texts)

    def call(self, inputs):
        self._require_vocabulary()
        values = backend.to_numpy(inputs.data) if isinstance(inputs, Tensor) else inputs
        texts = to_strings(values, "SubwordTokenizer")
        scalar = texts.ndim == 0
        if scalar:
            texts = texts.reshape(1)
        elif texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        elif texts.ndim != 1:
            raise ValueError("SubwordTokenizer: expected a string, a batch of strings of shape "
                             f"(n,) or (n, 1). Received: inputs.shape={texts.shape}")
        encodings = self._tokenizer.encode_batch(texts.tolist(), add_special_tokens=False)
        lengths = [len(e.ids) for e in encodings]
        width = (self.output_sequence_length if self.output_sequence_length is not None
                 else max(lengths, default=0))
        out = numpy.zeros((len(encodings), width), dtype=numpy.int64)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids[:width]
            out[row, :len(ids)] = ids
        out = out[0] if scalar else out
        return Tensor._wrap(backend.default_module().asarray(out))

    def detokenize(self, ids, skip_special_tokens=True):
        """Texts of the id sequences ``ids`` (shape (L,) or (n, L)): the padding (id 0) is
        dropped, and with ``skip_special_tokens`` the ``special_tokens`` too. Returns a tensor
        holding a ``str`` array of shape () or (n,)."""
        self._require_vocabulary()
        array = backend.to_numpy(ids.data) if isinstance(ids, Tensor) else numpy.asarray(ids)
        if array.dtype.kind not in "iu" or array.ndim not in (1, 2):
            raise ValueError("SubwordTokenizer.detokenize: expected integer ids of shape (L,) or "
                             f"(n, L). Received: dtype={array.dtype}, shape={array.shape}")
        if array.size and (array.min() < 0 or array.max() >= len(self._vocab)):
            raise ValueError("SubwordTokenizer.detokenize: expected ids in "
                             f"[0, {len(self._vocab)}). Received: ids from {array.min()} to "
                             f"{array.max()}")
        rows = array.reshape(-1, array.shape[-1]) if array.ndim == 2 else array[None]
        texts = self._tokenizer.decode_batch([[int(i) for i in row if i != 0] for row in rows],
                                             skip_special_tokens=skip_special_tokens)
        out = numpy.array(texts, dtype=str)
        return Tensor._wrap(out[0] if array.ndim == 1 else out)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        batch = shape[:1] if len(shape) else ()
        return batch + (self.output_sequence_length,)

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        config.update({
            "max_tokens": self.max_tokens, "model": self.model, "lowercase": self.lowercase,
            "strip_accents": self.strip_accents,
            "output_sequence_length": self.output_sequence_length,
            "pad_token": self.pad_token, "oov_token": self.oov_token,
            "special_tokens": list(self.special_tokens),
            "vocabulary": None if self._vocab is None else list(self._vocab),
            "merges": None if self._merges is None else [" ".join(p) for p in self._merges],
        })
        return config


def _brief(value):
    return "None" if value is None else f"a list of {len(list(value))}"


__all__ = ["SubwordTokenizer"]
