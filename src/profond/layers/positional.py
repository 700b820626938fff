"""Where a token sits: position embeddings for attention models, with KerasHub's names.

Attention by itself ignores order (permuting the keys permutes nothing in the output), so a
transformer adds to each token's vector a vector that depends on its position p:

- ``PositionEmbedding``: learned, one row P[p] of a (sequence_length, d) table per position;
  positions beyond the table are an error (the model never learned them).
- ``SinePositionEncoding``: fixed (Vaswani et al. 2017), any length,
  PE(p, 2i) = sin(p / λ^{2i/d}),  PE(p, 2i+1) = cos(p / λ^{2i/d}),  λ = ``max_wavelength``.
- ``TokenAndPositionEmbedding``: ``Embedding`` of the tokens + ``PositionEmbedding``, the usual
  first layer of a GPT; ``mask_zero=True`` sends the padding mask on to the attention layers.

``PositionEmbedding`` and ``SinePositionEncoding`` take the token vectors (batch, T, d) and
return the position vectors broadcast to that shape (add them yourself), as KerasHub's do;
``call(inputs, start_index=s)`` numbers the positions from s (decoding one token at a time).
"""

from profond import _validation as check
from profond import backend, initializers, ops
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.layers.core import _serialize
from profond.layers.recurrent import Embedding
from profond.registry import register_serializable


def _check_rank(layer, shape):
    if len(shape) < 2 or shape[-1] is None:
        raise ValueError(f"`{type(layer).__name__}` {layer.name!r}: expected inputs of shape "
                         f"(batch, ..., sequence, features) with known features. Received: "
                         f"input_shape={tuple(shape)}")


def _check_start(layer, start_index):
    if not check.is_integer(start_index) or start_index < 0:
        raise check.fail("start_index", start_index, "a non-negative integer", layer)
    return int(start_index)


@register_serializable()
class PositionEmbedding(Layer):
    """A learned position embedding: a table P (``sequence_length``, d), one row per position.

    For inputs x of shape (batch, T, d) the output is P[s : s + T] broadcast to (batch, T, d),
    s = ``start_index``; the model then adds it: h = x + P[s : s + T]. Its gradient sums the
    upstream gradient over the batch into the rows used. T + s > ``sequence_length`` raises a
    ``ValueError`` naming both lengths (no row was learned for those positions).

    >>> import profond as pf
    >>> x = pf.ones((2, 5, 8))
    >>> pf.layers.PositionEmbedding(sequence_length=16)(x).shape
    (2, 5, 8)
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = check.positive_int("sequence_length", sequence_length, self)
        self.initializer = initializers.get(initializer)
        self.position_embeddings = None

    def build(self, input_shape):
        _check_rank(self, input_shape)
        self.position_embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]), initializer=self.initializer,
            name="embeddings")

    def call(self, inputs, start_index=0):
        start = _check_start(self, start_index)
        length = inputs.shape[-2]
        if start + length > self.sequence_length:
            raise ValueError(
                f"`PositionEmbedding` {self.name!r}: expected at most sequence_length="
                f"{self.sequence_length} positions (the table's length). Received: a sequence "
                f"of length {length}" + (f" from start_index={start}" if start else ""))
        table = self.position_embeddings
        if start or length != self.sequence_length:
            table = table[start:start + length]
        return ops.broadcast_to(table, tuple(inputs.shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length,
                       "initializer": _serialize(self.initializer, initializers)})
        return config


@register_serializable()
class SinePositionEncoding(Layer):
    """The fixed sinusoidal position encoding of Vaswani et al. (2017), no weights.

    For inputs (batch, T, d), position p = s + t (s = ``start_index``) and feature k:

        PE(p, k) = sin(p · ω_k) for even k,  cos(p · ω_k) for odd k,  ω_k = λ^{−2⌊k/2⌋/d}

    with λ = ``max_wavelength``: wavelengths from 2π to 2πλ, so every position up to about λ
    gets its own pattern and PE(p + Δ) is a rotation of PE(p) (relative positions are linear).
    Returned broadcast to the inputs' shape; any length works.

    >>> import profond as pf
    >>> layer = pf.layers.SinePositionEncoding(dtype="float64")
    >>> pe = layer(pf.zeros((1, 3, 4))).numpy()[0]
    >>> pe.round(3).tolist()[1]   # p = 1: sin 1, cos 1, sin 0.01, cos 0.01
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = check.positive_float("max_wavelength", max_wavelength, self)

    def build(self, input_shape):
        _check_rank(self, input_shape)

    def call(self, inputs, start_index=0):
        start = _check_start(self, start_index)
        xp = backend.default_module()
        length, d = inputs.shape[-2], inputs.shape[-1]
        # NOTE: the angles are computed in float64 then cast: p·ω reaches ~10³–10⁴ for long
        # sequences, where float32 would lose the low digits that sin/cos depend on.
        position = xp.arange(start, start + length, dtype="float64")[:, None]
        k = xp.arange(d)
        omega = float(self.max_wavelength) ** (-2.0 * (k // 2) / d)
        angles = position * omega[None, :]
        table = xp.where(k % 2 == 0, xp.sin(angles), xp.cos(angles))
        dtype = inputs.dtype if xp.dtype(inputs.dtype).kind == "f" else self.dtype
        table = Tensor._wrap(table.astype(dtype))
        return ops.broadcast_to(table, tuple(inputs.shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["max_wavelength"] = self.max_wavelength
        return config


@register_serializable()
class TokenAndPositionEmbedding(Layer):
    """Token embedding + learned position embedding: h[n, t] = E[x[n, t]] + P[s + t].

    Integer inputs (batch, T), T ≤ ``sequence_length``; output (batch, T, ``embedding_dim``).
    Weights: ``token_embedding/embeddings`` (vocabulary_size, d) then
    ``position_embedding/embeddings`` (sequence_length, d), both drawn by
    ``embeddings_initializer``. With ``mask_zero=True`` token 0 is padding and the output
    carries the mask ``x != 0`` to the next layers (attention ignores those keys). For a tied
    output layer (logits = h Eᵀ), read ``layer.token_embedding.embeddings``.

    >>> import numpy as np
    >>> import profond as pf
    >>> layer = pf.layers.TokenAndPositionEmbedding(100, 16, 8)
    >>> layer(np.zeros((2, 10), "int32")).shape
    (2, 10, 8)
    """

    def __init__(self, vocabulary_size, sequence_length, embedding_dim,
                 embeddings_initializer="uniform", mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = check.positive_int("vocabulary_size", vocabulary_size, self)
        self.sequence_length = check.positive_int("sequence_length", sequence_length, self)
        self.embedding_dim = check.positive_int("embedding_dim", embedding_dim, self)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = check.boolean("mask_zero", mask_zero, self)
        self.token_embedding = Embedding(
            vocabulary_size, embedding_dim, embeddings_initializer=self.embeddings_initializer,
            mask_zero=mask_zero, name="token_embedding", dtype=self.dtype)
        self.position_embedding = PositionEmbedding(
            sequence_length, initializer=self.embeddings_initializer,
            name="position_embedding", dtype=self.dtype)

    def build(self, input_shape):
        self.token_embedding.build(input_shape)
        self.position_embedding.build(tuple(input_shape) + (self.embedding_dim,))

    def call(self, inputs, start_index=0):
        tokens = self.token_embedding(inputs)
        return tokens + self.position_embedding(tokens, start_index=start_index)

    def compute_mask(self, inputs, mask=None):
        return self.token_embedding.compute_mask(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "vocabulary_size": self.vocabulary_size, "sequence_length": self.sequence_length,
            "embedding_dim": self.embedding_dim,
            "embeddings_initializer": _serialize(self.embeddings_initializer, initializers),
            "mask_zero": self.mask_zero,
        })
        return config
