"""Attention layers: ``Attention`` (Luong), ``AdditiveAttention`` (Bahdanau) and
``MultiHeadAttention`` (Vaswani et al. 2017), with Keras 3's arguments, weights and masks.

Each query qᵢ reads a mixture of the values, weighted by how well it matches each key kⱼ:

    αᵢⱼ = softmax_j(score(qᵢ, kⱼ)),   outᵢ = Σⱼ αᵢⱼ vⱼ

with score = qᵢ·kⱼ (``Attention``, optionally times a learned scalar), Σ w ⊙ tanh(qᵢ + kⱼ)
(``AdditiveAttention``), or, in ``MultiHeadAttention``, (qᵢW_Q)·(kⱼW_K)/√d_k computed by each of
h heads on its own learned projections, the heads' outputs concatenated and projected by W_O.

Masks say which pairs (i, j) may meet: a key that is padding (the value's mask, e.g. from
``Embedding(mask_zero=True)``), a key after the query (``use_causal_mask``), or any pattern given
as ``attention_mask`` (True = may attend). Masked scores are pushed to −10⁹ before the softmax.
"""

import math

import numpy

from profond import _validation as check
from profond import backend, constraints, initializers, ops, regularizers
from profond.autodiff.function import FusedFunction
from profond.autodiff.tensor import Tensor
from profond.backend import threads
from profond.layers.base import Layer
from profond.layers.core import _serialize
from profond.ops.shape import SumTo
from profond.registry import register_serializable


def _large_negative(dtype, float16=-3e4):
    """What masked scores become. NOTE: −10⁹ rather than −inf, so a row where every key is
    masked gives a finite softmax (uniform) instead of 0/0; float16 cannot hold 10⁹ (Keras's
    values: −3·10⁴ in its softmax, −65504 in ``Attention``)."""
    return float16 if numpy.dtype(dtype).itemsize == 2 else -1e9


def _mask_array(mask):
    """A mask (Tensor, NumPy array, list) as a boolean array of the current array module."""
    if mask is None:
        return None
    data = mask.data if isinstance(mask, Tensor) else mask
    return backend.default_module().asarray(data).astype(bool, copy=False)


def _causal(tq, tk):
    """(1, Tq, Tk) booleans, True where key j ≤ query i: nothing is read from the future."""
    xp = backend.default_module()
    return (xp.arange(tq)[:, None] >= xp.arange(tk)[None, :])[None]


def _dropout_seed(rng):
    return None if rng is None else int(rng.integers(2**31))


# --- Attention and AdditiveAttention -------------------------------------------------------------


@register_serializable()
class Attention(Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``.

    query (batch, Tq, dim), value (batch, Tv, dim_v), key (batch, Tv, dim) — the value is also
    the key when no key is given. Scores S = Q Kᵀ (times a learned scalar when ``use_scale``),
    or, with ``score_mode="concat"``, Sᵢⱼ = c Σ tanh(qᵢ + kⱼ); then α = softmax(S) over the keys
    and the output α V, of shape (batch, Tq, dim_v).

    ``mask=[query_mask, value_mask]`` (booleans (batch, Tq) and (batch, Tv), taken from the
    inputs' Keras masks when not given): masked values are not read, masked queries give zeros
    and the output keeps the query's mask. ``use_causal_mask=True`` hides key j from query i < j.
    ``dropout`` drops attention weights while training. ``return_attention_scores=True`` returns
    ``(output, α)``.

    >>> import profond as pf
    >>> q, v = pf.ones((2, 3, 4)), pf.ones((2, 5, 4))
    >>> pf.layers.Attention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = check.boolean("use_scale", use_scale, self)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"`{type(self).__name__}` {self.name!r}: invalid value for argument "
                             f"score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode!r}")
        self.score_mode = score_mode
        self.dropout = check.probability("dropout", dropout, self)
        self.seed = check.non_negative_int("seed", seed, self, allow_none=True)
        self._rng = numpy.random.default_rng(seed) if seed is not None else None
        self.scale = None
        self.concat_score_weight = None

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones",
                                                       name="concat_score_weight")

    def _scores(self, query, key):
        """S (batch, Tq, Tv) from query (batch, Tq, dim) and key (batch, Tv, dim)."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.transpose(key, (0, 2, 1)))
            return scores if self.scale is None else scores * self.scale
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.reduce_sum(ops.tanh(pairs), -1) * self.concat_score_weight

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs([tuple(x.shape) for x in inputs] if isinstance(
            inputs, (list, tuple)) else inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        self._check_shapes(query, value, key)
        q_mask = _mask_array(mask[0]) if mask else None
        v_mask = _mask_array(mask[1]) if mask else None
        self._check_mask(q_mask, query, "query_mask")
        self._check_mask(v_mask, value, "value_mask")
        scores = self._scores(query, key)
        keep = None if v_mask is None else v_mask[:, None, :]  # (batch, 1, Tv)
        if use_causal_mask:
            causal = _causal(scores.shape[-2], scores.shape[-1])
            keep = causal if keep is None else keep & causal
        if keep is not None:
            # NOTE: Keras subtracts 10⁹ from masked scores (not a replacement), as here.
            scores = ops.where(keep, scores, scores + _large_negative(scores.dtype, -65504.0))
        weights = ops.softmax(scores, -1)
        used = weights
        if training and self.dropout > 0:
            used = ops.dropout(weights, self.dropout, training=True,
                               seed=_dropout_seed(self._rng))
        out = ops.matmul(used, value)
        if q_mask is not None:
            out = out * Tensor._wrap(q_mask[..., None].astype(out.dtype))
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return _mask_array(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def _fail(self, message):
        return ValueError(f"`{type(self).__name__}` {self.name!r}: {message}")

    def _validate_inputs(self, inputs, mask=None):
        """A list of 2 or 3 inputs of rank 3; a mask list of 2 or 3 entries."""
        if not isinstance(inputs, (list, tuple)) or (
                inputs and not isinstance(inputs[0], (list, tuple, Tensor))):
            raise self._fail("the layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: inputs={inputs}")
        if not 2 <= len(inputs) <= 3:
            raise self._fail("expected a list of 2 or 3 inputs, namely [query, value] or "
                             f"[query, value, key]. Received: {len(inputs)} inputs")
        for name, shape in zip(("query", "value", "key"), inputs):
            if len(shape) != 3:
                raise self._fail(f"expected a {name} of rank 3 (batch, time, dim). Received: "
                                 f"{name}.shape={tuple(shape)}")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not
                                 2 <= len(mask) <= 3):
            raise self._fail("expected `mask` to be a list [query_mask, value_mask]. "
                             f"Received: mask={mask!r:.200}")

    def _check_shapes(self, query, value, key):
        if value.shape[:2] != key.shape[:2] or value.shape[0] != query.shape[0]:
            raise self._fail("expected query, value and key with the same batch size and value "
                             "and key of the same length. Received: query.shape="
                             f"{query.shape}, value.shape={value.shape}, key.shape={key.shape}")
        if query.shape[-1] != key.shape[-1]:
            raise self._fail("expected query and key with the same last dimension. "
                             f"Received: query.shape={query.shape}, key.shape={key.shape}")

    def _check_mask(self, mask, x, name):
        if mask is not None and mask.shape != tuple(x.shape[:2]):
            raise self._fail(f"expected {name} of shape {tuple(x.shape[:2])} (batch, time). "
                             f"Received: {name}.shape={mask.shape}")

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config


@register_serializable()
class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: Sᵢⱼ = Σ_d w_d tanh(q_{i,d} + k_{j,d}), with w a
    learned vector (``use_scale=True``, the default; else w = 1), then α = softmax(S), output α V.
    Inputs, masks and outputs as ``Attention``.

    >>> import profond as pf
    >>> layer = pf.layers.AdditiveAttention()
    >>> layer([pf.ones((2, 3, 4)), pf.ones((2, 5, 4))]).shape
    (2, 3, 4)
    >>> [w.shape for w in layer.get_weights()]
    [(4,)]
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform", name="scale")

    def _scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.reduce_sum(pairs, -1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


def _splittable(*arrays):
    """NumPy arrays of ≥ 3 axes with the same leading (batch, head) axes: the attention core
    can cut them into slices for the workers (broadcast axes go the whole way instead)."""
    lead = arrays[0].shape[:-2]
    return arrays[0].ndim >= 3 and all(type(a) is numpy.ndarray and a.shape[:-2] == lead
                                       for a in arrays)


class _AttentionCore(FusedFunction):
    """O = softmax(mask(c Q Kᵀ)) V for Q (…, Tq, d), K (…, Tk, d), V (…, Tk, d_v), c a scale
    and ``keep`` (booleans broadcasting to (…, Tq, Tk), or None): masked scores become −10⁹.

    One op for the five of the plain formula (scale, QKᵀ, mask, softmax, PV): the heads are made
    contiguous once (NumPy's batched products are about twice slower on the strided views that
    splitting the heads gives), and the backward is written on arrays, with P = softmax(S):

        ∂L/∂V = Pᵀ G,   ∂L/∂P = G Vᵀ,   ∂L/∂S = P ⊙ (∂L/∂P − Σ_j ∂L/∂P ⊙ P),
        ∂L/∂Q = c ∂L/∂S K,   ∂L/∂K = ∂L/∂Sᵀ (c Q)

    (a masked score has P = 0, hence no gradient, as through ``where``). Second derivatives go
    through ``composed``, the same math in profond ops."""

    def __init__(self, scale, keep):
        self.scale, self.keep = scale, keep

    def forward(self, q, k, v):
        xp = backend.array_module(q)
        q = xp.multiply(q, q.dtype.type(self.scale))  # a contiguous copy, scaled as Keras does
        k, v = xp.ascontiguousarray(k), xp.ascontiguousarray(v)
        if not _splittable(q, k, v):
            p = self._probabilities(q, xp.swapaxes(k, -1, -2), self.keep)
            self.saved = (q, k, v, p)
            return p @ v
        # the (batch, heads) slices split over backend.threads's workers
        lead = q.shape[:-2]
        q3, k3, v3 = (a.reshape((-1,) + a.shape[-2:]) for a in (q, k, v))
        n, tq, tk = q3.shape[0], q3.shape[1], k3.shape[1]
        keep = None if self.keep is None else numpy.broadcast_to(
            self.keep, lead + (tq, tk)).reshape(n, tq, tk)
        p = numpy.empty((n, tq, tk), q.dtype)
        out = numpy.empty((n, tq, v3.shape[-1]), numpy.result_type(q, v))

        def attend(a, b):
            self._probabilities(q3[a:b], numpy.swapaxes(k3[a:b], -1, -2),
                                None if keep is None else keep[a:b], out=p[a:b])
            numpy.matmul(p[a:b], v3[a:b], out=out[a:b])

        threads.parallel_for(attend, n, threads.light_chunk_size(n, tq * tk))
        self.saved = (q, k, v, p.reshape(lead + (tq, tk)))
        return out.reshape(lead + out.shape[1:])

    @staticmethod
    def _probabilities(q, k_t, keep, out=None):
        """P = softmax(mask(Q Kᵀ)) over the last axis (Q already scaled), in ``out`` if given."""
        xp = backend.array_module(q)
        s = xp.matmul(q, k_t, out=out)
        if keep is not None:
            xp.copyto(s, s.dtype.type(_large_negative(s.dtype)), where=~keep)
        s -= s.max(axis=-1, keepdims=True)
        p = xp.exp(s, out=s)
        p /= p.sum(axis=-1, keepdims=True)
        return p

    def backward_arrays(self, gy):
        q, k, v, p = self.saved
        if not _splittable(q, k, v, p, gy):  # broadcast axes: their gradients summed back
            return tuple(g if g is None or g.shape == a.shape else SumTo(a.shape).forward(g)
                         for g, a in zip(self._backward_part(gy, q, k, v, p), (q, k, v)))
        shapes = [a.shape for a in (q, k, v)]
        gy3, q3, k3, v3, p3 = (a.reshape((-1,) + a.shape[-2:]) for a in (gy, q, k, v, p))
        grads = [None if not need else numpy.empty(a.shape, numpy.result_type(a, gy))
                 for need, a in zip(self.needs_input_grad, (q3, k3, v3))]

        def part(a, b):
            for g, got in zip(grads, self._backward_part(gy3[a:b], q3[a:b], k3[a:b], v3[a:b],
                                                         p3[a:b])):
                if g is not None:
                    g[a:b] = got

        n = p3.shape[0]
        threads.parallel_for(part, n, threads.light_chunk_size(n, p3.shape[1] * p3.shape[2]))
        return tuple(None if g is None else g.reshape(shape) for g, shape in zip(grads, shapes))

    def _backward_part(self, gy, q, k, v, p):
        xp = backend.array_module(gy)
        gv = xp.swapaxes(p, -1, -2) @ gy if self.needs_input_grad[2] else None
        gs = gy @ xp.swapaxes(v, -1, -2)  # ∂L/∂P, then ∂L/∂S in place
        gs -= (gs * p).sum(axis=-1, keepdims=True)
        gs *= p
        gq = gk = None
        if self.needs_input_grad[0]:
            gq = gs @ k
            gq *= gq.dtype.type(self.scale)
        if self.needs_input_grad[1]:
            gk = xp.swapaxes(gs, -1, -2) @ q
        return gq, gk, gv

    def composed(self, q, k, v):
        s = ops.matmul(q * self.scale, ops.transpose(k, (*range(k.ndim - 2), k.ndim - 1,
                                                         k.ndim - 2)))
        if self.keep is not None:
            s = ops.where(self.keep, s, _large_negative(s.dtype))
        return ops.matmul(ops.softmax(s, -1), v)


# --- MultiHeadAttention -------------------------------------------------------------------------


class _Projection(Layer):
    """Keras's ``EinsumDense`` as ``MultiHeadAttention`` uses it: the last ``bound`` axes of the
    input are contracted with a kernel of shape (*those axes, *output_dims), and a bias of shape
    ``output_dims`` is added, e.g. (batch, T, dim) × (dim, heads, key_dim) → (batch, T, heads,
    key_dim). Computed as one matrix product on flattened axes."""

    def __init__(self, output_dims, bound, use_bias, activation=None, kernel_initializer=None,
                 bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.output_dims = tuple(int(d) for d in output_dims)
        self.bound = bound
        self.use_bias = use_bias
        self.activation = activation
        self._init = (kernel_initializer, bias_initializer)
        self._regularizers_of = (kernel_regularizer, bias_regularizer)
        self._constraints_of = (kernel_constraint, bias_constraint)
        self.bias = None

    def build(self, input_shape):
        bound = tuple(input_shape[-self.bound:])
        self.kernel = self.add_weight(
            shape=bound + self.output_dims, initializer=self._init[0], name="kernel",
            regularizer=self._regularizers_of[0], constraint=self._constraints_of[0])
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.output_dims, initializer=self._init[1], name="bias",
                regularizer=self._regularizers_of[1], constraint=self._constraints_of[1])

    def call(self, inputs):
        n_in = math.prod(self.kernel.shape[:self.bound])
        n_out = math.prod(self.output_dims)
        lead = tuple(inputs.shape[:-self.bound])
        x = inputs if self.bound == 1 else ops.reshape(inputs, lead + (n_in,))
        kernel = self.kernel if len(self.kernel.shape) == 2 else ops.reshape(
            self.kernel, (n_in, n_out))
        bias = self.bias
        if bias is not None and bias.ndim != 1:
            bias = ops.reshape(bias, (n_out,))
        y = ops.dense(x, kernel, bias, self.activation)
        return y if len(self.output_dims) == 1 else ops.reshape(y, lead + self.output_dims)


@register_serializable()
class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al. 2017), with Keras 3's weights and arguments.

    For each head h: Q_h = X_q W_Q^h + b, K_h = X_k W_K^h + b, V_h = X_v W_V^h + b, then
    A_h = softmax(Q_h K_hᵀ / √key_dim) (masked) and O_h = A_h V_h; the output is
    Σ_h O_h W_O^h + b_O, of the query's shape (or ``output_shape``).

    Weights, in Keras's order and layouts (``set_weights`` from a Keras layer gives its outputs):
    ``query/kernel`` (dim_q, heads, key_dim), ``query/bias`` (heads, key_dim), the same for
    ``key`` (from dim_k) and ``value`` (heads, value_dim), ``attention_output/kernel``
    (heads, value_dim, dim_q), ``attention_output/bias`` (dim_q,).

    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``: query (batch, T, dim_q), value (batch, S, dim_v),
    key (batch, S, dim_k) (the value by default). The Keras masks of query, value and key
    (``Embedding(mask_zero=True)``) are combined with ``attention_mask`` (booleans (batch, T, S),
    True = may attend) and the causal mask; the output keeps the query's mask. The attention
    scores returned have shape (batch, heads, T, S). Inputs of higher rank attend over
    ``attention_axes`` (default: every axis but the batch and the features). As in Keras 3,
    ``sliding_window=w`` lets query i read only keys j with |i − j| < w, and ``use_gate=True``
    multiplies the heads' outputs by σ(X_q W_G + b) before W_O.

    >>> import profond as pf
    >>> mha = pf.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    >>> x = pf.ones((4, 5, 8))
    >>> mha(x, x).shape
    (4, 5, 8)
    >>> [w.shape for w in mha.get_weights()][::2]
    [(8, 2, 3), (8, 2, 3), (8, 2, 3), (2, 3, 8)]
    """

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = check.positive_int("num_heads", num_heads, self)
        self.key_dim = check.positive_int("key_dim", key_dim, self)
        self.value_dim = check.positive_int("value_dim", value_dim, self, allow_none=True) \
            or self.key_dim
        self.dropout = check.probability("dropout", dropout, self)
        self.use_bias = check.boolean("use_bias", use_bias, self)
        self.use_gate = check.boolean("use_gate", use_gate, self)
        if output_shape is not None and output_shape != ():
            dims = (output_shape,) if check.is_integer(output_shape) else output_shape
            if not isinstance(dims, (list, tuple)) or not all(
                    check.is_integer(d) and d > 0 for d in dims):
                raise check.fail("output_shape", output_shape,
                                 "a positive integer or a tuple of positive integers", self)
            output_shape = tuple(int(d) for d in dims)
        else:
            output_shape = None
        self._output_dims = output_shape
        if attention_axes is not None:
            axes = (attention_axes,) if check.is_integer(attention_axes) else attention_axes
            if not isinstance(axes, (list, tuple)) or not axes or not all(
                    check.is_integer(a) for a in axes):
                raise check.fail("attention_axes", attention_axes,
                                 "None, an integer or a tuple of integers", self)
            attention_axes = tuple(int(a) for a in axes)
        self.attention_axes = attention_axes
        self.sliding_window = check.positive_int("sliding_window", sliding_window, self,
                                                 allow_none=True)
        if flash_attention:
            raise check.fail("flash_attention", flash_attention,
                             "None or False (profond has no flash attention kernel)", self)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._sublayer_activity = activity_regularizer
        self.seed = check.non_negative_int("seed", seed, self, allow_none=True)
        self._rng = numpy.random.default_rng(seed) if seed is not None else None
        self._shapes = None  # (query, value, key) shapes once built

    def __call__(self, *args, **kwargs):
        """``mha(query=x, value=y, key=z)`` as Keras's guides write it: ``query`` and ``value``
        become positional, so the query's mask is found like any layer input's."""
        if not args and "query" in kwargs:
            args = (kwargs.pop("query"),)
        if len(args) == 1 and "value" in kwargs:
            args += (kwargs.pop("value"),)
        return super().__call__(*args, **kwargs)

    # --- building ---------------------------------------------------------------------------
    def _projection(self, output_dims, bound, name, activation=None):
        regularizer = (regularizers.get(self._sublayer_activity)
                       if isinstance(self._sublayer_activity, (str, dict))
                       else self._sublayer_activity)
        return _Projection(output_dims, bound, self.use_bias, activation=activation,
                           kernel_initializer=self.kernel_initializer,
                           bias_initializer=self.bias_initializer,
                           kernel_regularizer=self.kernel_regularizer,
                           bias_regularizer=self.bias_regularizer,
                           kernel_constraint=self.kernel_constraint,
                           bias_constraint=self.bias_constraint,
                           activity_regularizer=regularizer, name=name, dtype=self.dtype)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Make the four projections (Keras builds with the three shapes; a call on tensors
        builds with them too, since ``Layer.__call__`` alone only knows the query's)."""
        if value_shape is None:
            return  # completed by call(), which sees the value and the key
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"`MultiHeadAttention` {self.name!r}: all dimensions of `value` and `key`, "
                f"except the last one, must be equal. Received: value_shape={value_shape} and "
                f"key_shape={key_shape}")
        if len(query_shape) < 3:
            raise ValueError(
                f"`MultiHeadAttention` {self.name!r}: expected a query of rank 3 or more "
                f"(batch, time..., dim). Received: query_shape={query_shape}")
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if shape[-1] is None:
                raise ValueError(f"`MultiHeadAttention` {self.name!r}: the last dimension of "
                                 f"`{name}` must be known. Received: {name}_shape={shape}")
        rank = len(query_shape) + 1  # of the projected tensors (batch, ..., heads, dim)
        axes = tuple(range(1, rank - 2)) if self.attention_axes is None else tuple(
            a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        if not all(1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
            raise check.fail("attention_axes", self.attention_axes,
                             f"distinct axes between 1 and {rank - 3} (the query has rank "
                             f"{rank - 1})", self)
        self._axes = tuple(sorted(axes))
        heads = self.num_heads
        self.query_dense = self._projection((heads, self.key_dim), 1, "query")
        self.query_dense.build(query_shape)
        self.key_dense = self._projection((heads, self.key_dim), 1, "key")
        self.key_dense.build(key_shape)
        if self.use_gate:
            self.gate_dense = self._projection((heads, self.value_dim), 1, "gate", "sigmoid")
            self.gate_dense.build(query_shape)
        self.value_dense = self._projection((heads, self.value_dim), 1, "value")
        self.value_dense.build(value_shape)
        out_dims = self._output_dims or (query_shape[-1],)
        self.output_dense = self._projection(out_dims, 2, "attention_output")
        self.output_dense.build(query_shape[:-1] + (heads, self.value_dim))
        self._shapes = (query_shape, value_shape, key_shape)

    def get_build_config(self):
        if self._shapes is None:
            return {}
        q, v, k = ([None if d is None else int(d) for d in s] for s in self._shapes)
        return {"shapes_dict": {"query_shape": q, "value_shape": v, "key_shape": k}}

    def build_from_config(self, config):
        shapes = config.get("shapes_dict") if isinstance(config, dict) else None
        if shapes and self._shapes is None:
            self.build(tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                       None if shapes.get("key_shape") is None else tuple(shapes["key_shape"]))

    # --- masks ------------------------------------------------------------------------------
    def _attention_mask(self, query, value, masks, attention_mask, use_causal_mask):
        """The (batch, T, S) booleans "query i may read key j", or None: the query mask
        (batch, T, 1) & the value's and key's masks (batch, 1, S) & the causal (1, T, S) and
        sliding-window masks & ``attention_mask`` — Keras's combination."""
        parts = []
        for name, (m, x) in zip(("query", "value", "key"), masks):
            if m is None:
                continue
            if m.shape != tuple(x.shape[:m.ndim]) or m.ndim < 2:
                raise ValueError(f"`MultiHeadAttention` {self.name!r}: expected a {name} mask "
                                 f"of shape {tuple(x.shape[:2])} (batch, time). Received: "
                                 f"{name}_mask.shape={m.shape}, {name}.shape={x.shape}")
            parts.append(m[..., None] if name == "query" else m[..., None, :])
        tq, tk = query.shape[1], value.shape[1]
        if use_causal_mask:
            parts.append(_causal(tq, tk))
        if self.sliding_window is not None:
            xp = backend.default_module()
            band = abs(xp.arange(tq)[:, None] - xp.arange(tk)[None, :]) < self.sliding_window
            parts.append(band[None])
        if attention_mask is not None:
            attention_mask = _mask_array(attention_mask)
            rank = query.ndim + 1
            others = [a for a in range(1, rank - 2) if a not in self._axes]
            expected = (query.shape[0], *[query.shape[a] for a in others],
                        *[query.shape[a] for a in self._axes],
                        *[value.shape[a] for a in self._axes])
            try:
                fits = numpy.broadcast_shapes(attention_mask.shape, expected) == expected
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(
                    f"`MultiHeadAttention` {self.name!r}: expected an attention_mask that "
                    f"broadcasts to {expected} (batch, query positions, key positions). "
                    f"Received: attention_mask.shape={attention_mask.shape}")
            parts.append(attention_mask)
        if not parts:
            return None
        keep = parts[0]
        for p in parts[1:]:
            keep = keep & p
        return keep

    def _grouped(self, keep, scores_shape):
        """The combined mask, expanded at the heads' axis as Keras does, broadcast to the
        scores' Keras shape (batch, others..., heads, Tq..., Tk...)."""
        xp = backend.default_module()
        head_axis = -2 * len(self._axes) - 1
        while keep.ndim < len(scores_shape):
            keep = xp.expand_dims(keep, head_axis)
        try:
            return xp.broadcast_to(keep, scores_shape)
        except ValueError:
            raise ValueError(
                f"`MultiHeadAttention` {self.name!r}: the attention mask (with the inputs' "
                f"masks) does not broadcast to the attention scores' shape {scores_shape}. "
                f"Received: mask.shape={keep.shape}") from None

    # --- the computation --------------------------------------------------------------------
    def _split_heads(self, x):
        """(batch, ..., heads, d) → (batch·others, heads, T_attended, d), and the shapes."""
        rank = x.ndim
        others = [a for a in range(1, rank - 2) if a not in self._axes]
        perm = (0, *others, rank - 2, *self._axes, rank - 1)
        if perm != tuple(range(rank)):
            x = ops.transpose(x, perm)
        lead = tuple(x.shape[:len(others) + 2])  # batch, others..., heads
        att = tuple(x.shape[len(others) + 2:-1])
        y = x if len(att) == 1 and not others else ops.reshape(
            x, (-1, self.num_heads, math.prod(att), x.shape[-1]))
        return y, lead, att, perm

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if self._shapes is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        for name, x, built in zip(("query", "value", "key"), (query, value, key), self._shapes):
            if x is not None and (x.ndim != len(built) or x.shape[-1] != built[-1]):
                raise ValueError(
                    f"`MultiHeadAttention` {self.name!r} was built for a {name} of shape "
                    f"{built}. Received: {name}.shape={x.shape}")
        # a mask given as an argument, else the Keras mask the tensor carries (Embedding's);
        # the key's only when the key is a tensor of its own
        masks = [(_mask_array(getattr(x, "_keras_mask", None) if m is None else m), x)
                 for m, x in ((query_mask, query), (value_mask, value))]
        has_key = key is not None and key is not value
        masks.append((_mask_array(getattr(key, "_keras_mask", None) if key_mask is None
                                  else key_mask) if has_key else None, key))
        keep = self._attention_mask(query, value, masks, attention_mask, use_causal_mask)
        if key is None:
            key = value
        q = self.query_dense(query)  # (batch, T, heads, key_dim)
        k = self.key_dense(key)
        v = self.value_dense(value)
        scale = 1.0 / math.sqrt(self.key_dim)
        # NOTE: Keras's fast path (dropout 0, no scores returned, 3-D inputs) leaves a fully
        # masked row uniform; its other path zeroes it. Both are reproduced.
        zero_masked = self.dropout > 0 or return_attention_scores or query.ndim != 3
        if not zero_masked:  # the fast path: one fused op
            q, lead, att_q, perm = self._split_heads(q)
            k, _, att_k, _ = self._split_heads(k)
            v, _, _, _ = self._split_heads(v)
            if keep is not None:
                keep = self._grouped(keep, lead + att_q + att_k)
            out = _AttentionCore(scale, keep)(q, k, v)  # (batch, heads, Tq, value_dim)
        else:
            q, lead, att_q, perm = self._split_heads(q * scale)
            k, _, att_k, _ = self._split_heads(k)
            v, _, _, _ = self._split_heads(v)
            scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))  # (batch', heads, Tq, Tk)
            keras_shape = lead + att_q + att_k
            if keep is not None:
                keep = self._grouped(keep, keras_shape).reshape(scores.shape)
                scores = ops.where(keep, scores, _large_negative(scores.dtype))
            probs = ops.softmax(scores, -1)
            if keep is not None:
                probs = ops.where(keep, probs, 0.0)
            used = probs
            if training and self.dropout > 0:
                used = ops.dropout(probs, self.dropout, training=True,
                                   seed=_dropout_seed(self._rng))
            out = ops.matmul(used, v)  # (batch', heads, Tq, value_dim)
        if tuple(out.shape) != lead + att_q + (self.value_dim,):
            out = ops.reshape(out, lead + att_q + (self.value_dim,))
        inverse = tuple(numpy.argsort(perm))
        if inverse != tuple(range(len(inverse))):
            out = ops.transpose(out, inverse)  # (batch, ..., heads, value_dim)
        if self.use_gate:
            out = out * self.gate_dense(query)
        out = self.output_dense(out)
        if return_attention_scores:
            return out, ops.reshape(probs, keras_shape)
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None and key_shape is not None and \
                tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]:
            raise ValueError(
                f"`MultiHeadAttention` {self.name!r}: all dimensions of `value` and `key`, "
                f"except the last one, must be equal. Received: value_shape={value_shape} and "
                f"key_shape={key_shape}")
        if self._output_dims:
            return query_shape[:-1] + self._output_dims
        return query_shape

    def get_config(self):
        config = super().get_config()
        axes = self.attention_axes if self._shapes is None else self._axes
        config.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
            "dropout": self.dropout, "use_bias": self.use_bias, "use_gate": self.use_gate,
            "output_shape": None if self._output_dims is None else list(self._output_dims),
            "attention_axes": None if axes is None else list(axes),
            "sliding_window": self.sliding_window,
            "kernel_initializer": _serialize(self.kernel_initializer, initializers),
            "bias_initializer": _serialize(self.bias_initializer, initializers),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "activity_regularizer": _serialize(self._sublayer_activity),
            "kernel_constraint": _serialize(self.kernel_constraint),
            "bias_constraint": _serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return config
