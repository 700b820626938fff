"""Vocabulary layers: ``StringLookup`` and ``IntegerLookup`` map tokens to indices (and back).

A vocabulary is a list of tokens; index i of the layer's table is

    [mask token]  [OOV token] × num_oov_indices  [vocabulary tokens …]

(the mask slot exists only in ``int`` mode, when ``mask_token`` is set). A token outside the
vocabulary (out of vocabulary, OOV) takes an OOV index; with several OOV indices, a stable hash of
the token (BLAKE2b, the same on every machine) picks one. NOTE: TensorFlow hashes with FarmHash,
so with ``num_oov_indices > 1`` the OOV index of a given token may differ from Keras's.

``adapt(data)`` learns the vocabulary from data, most frequent tokens first
(ties broken by the token itself, in decreasing order, as Keras does), keeping at most
``max_tokens`` entries, special tokens included.

Outputs: the indices (``int``, int64), or per sample a vector of length V (the vocabulary size):
``one_hot`` (one vector per token), ``multi_hot`` (1 where a token occurs), ``count`` (how many
times) or ``tf_idf`` (count × idf, float). With ``tf_idf``, adapt also counts in how many documents
(rows) d(t) each token t occurs, out of N, and idf(t) = ln(1 + N / (1 + d(t))); OOV indices get the
mean idf of the vocabulary.

Strings stay on the host: inputs are Python strings, lists or NumPy ``str``/``bytes``/``object``
arrays (profond tensors hold numbers); outputs are profond tensors of numbers (or, with
``invert=True``, a ``str`` array wrapped like the inputs).

The vocabulary is part of the layer's config (``get_config()["vocabulary"]``), so a saved model
keeps its adapted vocabulary in the file's ``config.json`` (plain JSON, nothing executable).
"""

import collections
import hashlib
import itertools
import math

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.layers.keras_tensor import is_symbolic
from profond.layers.preprocessing.normalization import _batches, _check_sparse, _to_numpy
from profond.registry import register_serializable

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _host(x):
    """A NumPy array of the values of ``x`` (a tensor, a list, an array, a string); strings in
    lists make an ``object`` array (see ``to_strings``)."""
    if isinstance(x, Tensor):
        return backend.to_numpy(x.data)
    if isinstance(x, (list, tuple)):
        leaf = x
        while isinstance(leaf, (list, tuple)) and leaf:
            leaf = leaf[0]
        if isinstance(leaf, (str, bytes)):
            return numpy.asarray(x, dtype=object)
    return _to_numpy(x)


class TextInputs:
    """For the layers that take strings (mixed in before ``Layer``): a list of strings is one
    input, and strings stay NumPy strings (profond tensors hold numbers)."""

    def __call__(self, *args, **kwargs):
        return super().__call__(*one_input(args), **kwargs)

    def _convert(self, x):
        if isinstance(x, Tensor):
            return x
        return Tensor._wrap(numpy.asarray(_host(x)))


class IndexLookup(TextInputs, Layer):
    """The shared machinery of ``StringLookup`` and ``IntegerLookup`` (see the module)."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, **kwargs):
        who = type(self).__name__
        kwargs.pop("dtype", None)  # the output dtype follows output_mode, as in Keras
        kwargs.pop("vocabulary_size", None)  # written by get_config, derived from vocabulary
        super().__init__(dtype="float32" if output_mode == "tf_idf" else "int64", **kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{who}: unknown `output_mode`. Expected one of {OUTPUT_MODES}. "
                             f"Received: output_mode={output_mode!r}")
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens <= 1):
            raise ValueError(f"{who}: if set, `max_tokens` must be an integer greater than 1. "
                             f"Received: max_tokens={max_tokens!r}")
        if not _is_int(num_oov_indices) or num_oov_indices < 0:
            raise ValueError(f"{who}: `num_oov_indices` must be an integer >= 0. Received: "
                             f"num_oov_indices={num_oov_indices!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{who}: `output_mode` must be 'int' when `invert` is true. "
                             f"Received: output_mode={output_mode!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{who}: if `pad_to_max_tokens` is True, `max_tokens` must be set. "
                             "Received: max_tokens=None")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{who}: `idf_weights` should only be set if `output_mode` is "
                             f"'tf_idf'. Received: idf_weights={_short(idf_weights)} and "
                             f"output_mode={output_mode!r}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{who}: with output_mode='tf_idf', passing `vocabulary` requires "
                             "`idf_weights` too. Received: idf_weights=None")
        _check_sparse(sparse, who)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens, self.sparse = bool(pad_to_max_tokens), bool(sparse)
        self._vocab = None  # the learned or given tokens, without the special ones
        self._idf = None  # idf of each index of the table (tf_idf only)
        self._static = vocabulary is not None  # Keras: a given vocabulary cannot be adapted
        self._reset_counts()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    _owner = None  # the layer named in errors when this one works inside it (TextVectorization)

    @property
    def _who(self):
        return self._owner or type(self).__name__

    # --- the table --------------------------------------------------------------------------------
    def _mask_slots(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        """The index of the first vocabulary token (after the mask and OOV slots)."""
        return self._mask_slots() + self.num_oov_indices

    def _check_token(self, token):
        """``token`` as the layer's kind (``str`` or ``int``); a ``ValueError`` if it is not."""
        raise NotImplementedError

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens in index order; with the mask and OOV tokens first unless
        ``include_special_tokens=False``."""
        vocab = list(self._vocab or [])
        if not include_special_tokens:
            return vocab
        specials = [self.mask_token] * self._mask_slots() + [self.oov_token] * self.num_oov_indices
        return specials + vocab

    def vocabulary_size(self):
        """The number of indices: special tokens plus the vocabulary."""
        return len(self.get_vocabulary())

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (a list or 1-D array of tokens, or the path of a text file with
        one token per line); ``idf_weights`` give one idf per token in ``tf_idf`` mode.

        The special tokens may lead the list, in their order (``[mask, OOV, …]``), or be
        left out; a mask token anywhere else is an error."""
        who = self._who
        if isinstance(vocabulary, str) and self._is_path(vocabulary):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
        tokens = [self._check_token(t) for t in _host(vocabulary).ravel().tolist()]
        specials = self.get_vocabulary()[:self._token_start()]
        if tokens[:len(specials)] == specials:
            tokens = tokens[len(specials):]
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{who}: found the mask token {self.mask_token!r} at an unexpected place in "
                "`vocabulary`. The vocabulary need not hold the mask and OOV tokens; if it does, "
                f"they must come first, in this order: {specials}. Received: "
                f"vocabulary={_short(tokens)}")
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{who}: the vocabulary has repeated terms: {_short(repeated)}. "
                             "Each term must appear once.")
        size = len(tokens) + self._token_start()
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{who}: the vocabulary is larger than `max_tokens`. Received "
                             f"vocabulary size {size} (special tokens included) and "
                             f"max_tokens={self.max_tokens}")
        self._check_depth(len(tokens))
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{who}: with output_mode='tf_idf', `idf_weights` must be "
                                 "given with the vocabulary. Received: idf_weights=None")
            idf = numpy.asarray(_host(idf_weights), dtype=numpy.float64).ravel()
            if len(idf) == len(tokens) + self.num_oov_indices:  # the OOV weights lead
                idf = idf[self.num_oov_indices:]
            if len(idf) != len(tokens):
                raise ValueError(f"{who}: `idf_weights` must have the length of the vocabulary. "
                                 f"Received: len(idf_weights)={len(idf)}, "
                                 f"len(vocabulary)={len(tokens)}")
            self._set_idf(idf)
        elif idf_weights is not None:
            raise ValueError(f"{who}: `idf_weights` should only be set if `output_mode` is "
                             f"'tf_idf'. Received: output_mode={self.output_mode!r}")
        self._set_tokens(tokens)
        self._static = True

    def _set_tokens(self, tokens):
        self._vocab = tokens
        self._index = {t: i + self._token_start() for i, t in enumerate(tokens)}
        if self._mask_slots():
            self._index[self.mask_token] = 0

    @staticmethod
    def _is_path(value):
        return False

    def _set_idf(self, idf):
        """The idf of each index: OOV slots get the mean, padding slots 0."""
        mean = float(idf.mean()) if idf.size else 0.0
        table = numpy.concatenate([numpy.full(self._token_start(), mean), idf])
        self._idf = table

    # --- adapt ------------------------------------------------------------------------------------
    def _reset_counts(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_docs = 0

    def _accumulate(self, documents):
        """Count the tokens of ``documents`` (an iterable of token lists)."""
        for doc in documents:  # tokens already checked: str (or int) values
            self._counts.update(doc)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(doc))
            self._num_docs += 1

    def _finalize(self):
        """Turn the counts into the vocabulary: by count, then by token, both decreasing."""
        counts = self._counts
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:max(0, self.max_tokens - self._token_start())]
        tokens = [t for t, _ in ranked]
        self._check_depth(len(tokens))
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            n = self._num_docs
            self._set_idf(numpy.array([math.log(1 + n / (1 + self._doc_counts[t]))
                                       for t in tokens], dtype=numpy.float64))
        self._reset_counts()

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: a list, a NumPy array or a ``Dataset`` (streamed
        batch by batch, at most ``steps`` batches). A rank-1 batch holds one token per document,
        a rank-2 batch one document per row."""
        if self._static:
            raise ValueError(f"{self._who}: cannot adapt a layer whose vocabulary was "
                             "set through the `vocabulary` argument or `set_vocabulary()`.")
        self._reset_counts()
        for batch in _batches(data, batch_size, steps):
            batch = self._values(batch)
            rows = batch.reshape(-1, 1) if batch.ndim <= 1 else batch.reshape(
                -1, batch.shape[-1])
            self._accumulate(rows.tolist())
        self._finalize()

    # --- call -------------------------------------------------------------------------------------
    def _values(self, x):
        """The inputs as a NumPy array of the layer's token kind."""
        raise NotImplementedError

    def _convert(self, x):
        if isinstance(x, Tensor) and x.data.dtype.kind in "iu":
            return x
        return Tensor._wrap(self._values(_host(x)))

    def _require_vocabulary(self):
        if self._vocab is None:
            raise ValueError(f"{self._who}: the layer has no vocabulary yet: call "
                             "`adapt(data)` or pass `vocabulary=`.")

    def _oov_index(self, token):
        """One of the OOV indices: a stable hash (BLAKE2b) of the token modulo their number."""
        if self.num_oov_indices == 1:
            return self._mask_slots()
        digest = hashlib.blake2b(str(token).encode("utf-8"), digest_size=8).digest()
        return self._mask_slots() + int.from_bytes(digest, "little") % self.num_oov_indices

    def _indices(self, values):
        """Indices of a NumPy array of tokens (same shape, int64). In modes other than ``int`` a
        mask token gives -1: it is dropped from the encodings."""
        return self._flat_indices(values.ravel().tolist()).reshape(values.shape)

    def _flat_indices(self, flat):
        """The indices of a list of tokens, as a 1-D int64 array (see ``_indices``)."""
        self._require_vocabulary()
        indices = numpy.array(list(map(self._index.get, flat, itertools.repeat(-2, len(flat)))),
                              dtype=numpy.int64)
        unknown = numpy.flatnonzero(indices == -2)  # -2: not in the table
        if unknown.size:
            found = {}
            for k in unknown.tolist():
                token = flat[k]
                if token not in found:
                    found[token] = self._unknown_index(token)
            oov = [t for t, i in found.items() if i is None]
            if oov:
                raise ValueError(f"{self._who}: with num_oov_indices=0 every input "
                                 f"must be in the vocabulary. Received out-of-vocabulary values "
                                 f"{_short(oov)}; consider num_oov_indices=1")
            indices[unknown] = [found[flat[k]] for k in unknown.tolist()]
        return indices

    def _unknown_index(self, token):
        """-1 for a mask token outside ``int`` mode (dropped), an OOV index, or None if there
        is none (``num_oov_indices=0``)."""
        if self.mask_token is not None and token == self.mask_token:
            return -1
        if self.num_oov_indices == 0:
            return None
        return self._oov_index(token)

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._vocab is None:
            return None
        if self.output_mode != "int":
            self._used_depth = self.vocabulary_size()  # the layers after this one rely on it
        return self.vocabulary_size()

    def _check_depth(self, n_tokens):
        """Once the vector width was used, a vocabulary of another size is refused (Keras)."""
        used = getattr(self, "_used_depth", None)
        size = n_tokens + self._token_start()
        if used is not None and size != used:
            raise RuntimeError(
                f"{self._who}: with output_mode={self.output_mode!r} and "
                "pad_to_max_tokens=False, the vocabulary size cannot change once the layer "
                f"has been used (its outputs have {used} columns). Received: a vocabulary of "
                f"size {size}; pass pad_to_max_tokens=True with max_tokens to allow it")

    def _encode_rows(self, rows, indices, n_rows):
        """Per-row vectors: multi_hot, count or tf_idf of the ``indices`` found in each row
        (``rows[k]`` is the row of ``indices[k]``; -1 entries are dropped)."""
        depth = self._depth()
        keep = indices >= 0
        rows, indices = rows[keep], indices[keep]
        out = numpy.zeros((n_rows, depth), dtype=self.dtype)
        if self.output_mode == "multi_hot":
            out[rows, indices] = 1
        else:
            numpy.add.at(out, (rows, indices), 1)
            if self.output_mode == "tf_idf":
                idf = numpy.zeros(depth, dtype=self.dtype)
                idf[:len(self._idf)] = self._idf[:depth]
                out *= idf
        return out

    def _encode(self, indices):
        """The output of ``indices`` (a NumPy int array of the input's shape) in the layer's
        mode, as a tensor."""
        xp = backend.default_module()
        if self.output_mode == "int":
            return Tensor._wrap(xp.asarray(indices, dtype=numpy.int64))
        depth = self._depth()
        if self.output_mode == "one_hot":
            if indices.ndim and indices.shape[-1] == 1:
                indices = indices[..., 0]
            out = indices[..., None] == numpy.arange(depth)
        else:
            if indices.ndim > 2:
                raise ValueError(f"{self._who}: output_mode={self.output_mode!r} "
                                 "expects inputs of rank 1 or 2. Received: inputs.shape="
                                 f"{indices.shape}")
            grid = indices.reshape(-1, indices.shape[-1] if indices.ndim else 1)
            rows = numpy.repeat(numpy.arange(grid.shape[0]), grid.shape[1])
            out = self._encode_rows(rows, grid.ravel(), grid.shape[0])
            if indices.ndim <= 1:
                out = out[0]
        return Tensor._wrap(xp.asarray(out, dtype=self.dtype))

    def _invert(self, inputs):
        self._require_vocabulary()
        idx = backend.to_numpy(inputs.data)
        if idx.dtype.kind not in "iu":
            raise ValueError(f"{self._who}: with invert=True the inputs must be "
                             f"integer indices. Received: dtype={idx.dtype}")
        table = numpy.asarray(self.get_vocabulary() + [self.oov_token], dtype=self._kind)
        idx = numpy.where((idx < 0) | (idx >= len(table) - 1), len(table) - 1, idx)
        return self._inverted(table[idx])

    def _inverted(self, tokens):
        return Tensor._wrap(tokens)

    def call(self, inputs):
        if self.invert:
            return self._invert(inputs)
        values = self._values(backend.to_numpy(inputs.data))
        return self._encode(self._indices(values))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if shape and shape[-1] == 1:
                shape = shape[:-1]
            return shape + (depth,)
        return (depth,) if len(shape) <= 1 else shape[:1] + (depth,)

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": (None if self._idf is None or self._vocab is None
                            else self._idf[self._token_start():].tolist()),
            "vocabulary": None if self._vocab is None else list(self._vocab),
            "vocabulary_size": None if self._vocab is None else self.vocabulary_size(),
        })
        return config


def one_input(args):
    """A list or tuple of strings (or numbers) is one input, not several: made an array here,
    before ``Layer.__call__`` would take it for a list of inputs."""
    if args and isinstance(args[0], (list, tuple)) and not is_symbolic(args[0]) and not any(
            isinstance(v, Tensor) for v in args[0]):
        return (_host(args[0]),) + tuple(args[1:])
    return args


def _is_int(value):
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, bool)


def _short(values, most=5):
    """A short printable list: at most ``most`` items."""
    values = list(values) if not isinstance(values, (str, bytes)) else [values]
    text = ", ".join(repr(v) for v in values[:most])
    return f"[{text}{', …' if len(values) > most else ''}]"


def _decode(value, who):
    if isinstance(value, (bytes, numpy.bytes_)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{who}: expected UTF-8 text. Received: {bytes(value[:40])!r} "
                             f"(invalid byte at position {e.start})") from None
    return value


def to_strings(x, who):
    """``x`` (strings, bytes, lists, arrays, a tensor) as a NumPy array of Python ``str``
    (``object`` dtype); a ``ValueError`` naming ``who`` for numbers or bytes that are not UTF-8.

    NOTE: an ``object`` array, not a fixed-width ``str`` one: NumPy pads every element of a
    ``<U`` array to the longest, so one long document would make the whole batch huge."""
    array = _host(x)
    if array.dtype.kind not in "USO":
        raise ValueError(f"{who}: expected string inputs. Received: dtype={array.dtype}")
    array = array.astype(object)
    flat = array.ravel().tolist()
    kinds = {type(v) for v in flat}
    if kinds - {str, bytes, numpy.str_, numpy.bytes_}:
        names = sorted(k.__name__ for k in kinds)
        raise ValueError(f"{who}: expected string inputs. Received: values of type {names}")
    if kinds != {str}:
        array = numpy.array([_decode(v, who) if isinstance(v, bytes) else str(v) for v in flat],
                            dtype=object).reshape(array.shape)
    return array


@register_serializable()
class StringLookup(IndexLookup):
    """Strings → integer indices (or the reverse with ``invert=True``), from a vocabulary given
    or learned by ``adapt`` (see the module for the table's layout and the output modes).

    >>> import numpy as np
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer(np.array([["a", "c"], ["d", "b"]])).numpy()
    array([[1, 3],
           [0, 2]])
    >>> StringLookup(vocabulary=["a", "b", "c"], invert=True)(np.array([3, 0])).numpy()
    array(['c', '[UNK]'], dtype='<U5')
    """

    _kind = str

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", salt=None, **kwargs):
        if encoding not in ("utf-8", "UTF-8", "utf8"):
            raise ValueError("StringLookup: only the 'utf-8' encoding is supported. Received: "
                             f"encoding={encoding!r}")
        if not isinstance(oov_token, str) or not (mask_token is None
                                                  or isinstance(mask_token, str)):
            raise ValueError("StringLookup: `oov_token` and `mask_token` must be strings (the "
                             f"mask may be None). Received: oov_token={oov_token!r}, "
                             f"mask_token={mask_token!r}")
        self.encoding, self.salt = "utf-8", salt
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, **kwargs)

    @staticmethod
    def _is_path(value):
        import os

        return os.path.isfile(value)

    def _check_token(self, token):
        token = _decode(token, "StringLookup")
        if not isinstance(token, str):
            raise ValueError(f"StringLookup: expected string tokens. Received: {token!r}")
        return token

    def _values(self, x):
        return to_strings(x, "StringLookup")

    def _convert(self, x):
        if self.invert:
            return x if isinstance(x, Tensor) else Tensor._wrap(numpy.asarray(_host(x)))
        return super()._convert(x)

    def get_config(self):
        config = super().get_config()
        config.update({"encoding": self.encoding, "salt": self.salt})
        return config


@register_serializable()
class IntegerLookup(IndexLookup):
    """Integers → contiguous indices (or the reverse with ``invert=True``): useful for sparse ids
    such as user or product numbers. The OOV token is -1 and there is no mask by default.

    >>> import numpy as np
    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).numpy()
    array([[1, 3, 4],
           [4, 0, 2]])
    """

    _kind = numpy.int64

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup: only vocabulary_dtype='int64' is supported. "
                             f"Received: vocabulary_dtype={vocabulary_dtype!r}")
        if oov_method != "floormod":
            raise ValueError("IntegerLookup: only oov_method='floormod' is supported. "
                             f"Received: oov_method={oov_method!r}")
        if not _is_int(oov_token) or not (mask_token is None or _is_int(mask_token)):
            raise ValueError("IntegerLookup: `oov_token` and `mask_token` must be integers (the "
                             f"mask may be None). Received: oov_token={oov_token!r}, "
                             f"mask_token={mask_token!r}")
        self.vocabulary_dtype, self.oov_method, self.salt = vocabulary_dtype, oov_method, salt
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=int(oov_token), vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, **kwargs)

    def _check_token(self, token):
        if isinstance(token, float) and token.is_integer():
            return int(token)
        if not _is_int(token):
            raise ValueError(f"IntegerLookup: expected integer tokens. Received: {token!r}")
        return int(token)

    def _values(self, x):
        array = _host(x)
        if array.dtype.kind in "iu":
            return array.astype(numpy.int64)
        if array.dtype.kind == "f" and numpy.all(numpy.isfinite(array)) and numpy.all(
                array == numpy.round(array)):
            return array.astype(numpy.int64)
        raise ValueError("IntegerLookup: expected integer inputs. Received: "
                         f"dtype={array.dtype}")

    def _convert(self, x):
        if isinstance(x, Tensor):
            return x
        return Tensor._wrap(backend.default_module().asarray(self._values(x)))

    def _inverted(self, tokens):
        return Tensor._wrap(backend.default_module().asarray(tokens, dtype=numpy.int64))

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_dtype": self.vocabulary_dtype,
                       "oov_method": self.oov_method, "salt": self.salt})
        return config
