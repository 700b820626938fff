"""Recurrent layers: cells (one time step) and the layers that run them over a sequence.

A cell maps (xₜ, state) to (output, new state); an ``RNN`` layer runs it over a (batch, time,
features) sequence:

    SimpleRNN   hₜ = g(xₜW + hₜ₋₁U + b)
    LSTM        [i f c̃ o] = xₜW + hₜ₋₁U + b
                cₜ = σ(f) ⊙ cₜ₋₁ + σ(i) ⊙ tanh(c̃),   hₜ = σ(o) ⊙ tanh(cₜ)
    GRU         z, r = σ(…),   ĥ = tanh(xₜW_h + b_h + r ⊙ (hₜ₋₁U_h + b'_h))
                hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ

Weights are in Keras's layouts and gate orders: kernel (D, kH), recurrent_kernel (H, kH), bias
(kH,), with the gates side by side — LSTM (i, f, c, o), GRU (z, r, h) and a (2, 3H) bias
(input, recurrent) when ``reset_after=True``. So weights trained in Keras load as they are.

Without masking or dropout, the layers call the fused loops of ``profond.ops.recurrent``: the
input projection xW of all steps is one GEMM, then each step is one GEMM hU and one fused gate op.
Back-propagation through time is the engine's ordinary iterative backward (no recursion).

Also here: ``Bidirectional``, ``TimeDistributed`` and ``Embedding`` (whose ``mask_zero`` makes the
next recurrent layer skip the padding steps).
"""

import weakref

from profond import activations, backend, initializers, ops
from profond import random as _random
from profond.autodiff.tensor import Tensor
from profond.layers.base import InputSpec, Layer
from profond.layers.core import _serialize
from profond.ops import recurrent as rnn_ops
from profond.registry import deserialize, register_serializable, serialize

# --- masks: Embedding(mask_zero=True) marks its output; the next RNN layer reads the mark -------

_MASKS = {}


def _set_mask(tensor, mask):
    """Remember ``mask`` (a (batch, time) bool array) for ``tensor`` while it lives."""
    key = id(tensor)
    _MASKS[key] = (weakref.ref(tensor, lambda _, k=key: _MASKS.pop(k, None)), mask)


def get_mask(tensor):
    """The mask attached to ``tensor`` by a masking layer (``Embedding(mask_zero=True)``), or
    None."""
    entry = _MASKS.get(id(tensor))
    if entry is not None and entry[0]() is tensor:
        return entry[1]
    return None


# --- cells ----------------------------------------------------------------------------------------


def _check_rate(value, name, layer):
    if not 0 <= value <= 1:
        raise ValueError(f'Layer "{layer}": expected 0 <= {name} <= 1. Received: {name}={value}')
    return float(min(value, 0.999999))


class _Cell(Layer):
    """What the three cells share: weights kernel (D, k·H), recurrent_kernel (H, k·H), bias,
    their initializers / regularizers / constraints, and dropout masks (one per sequence)."""

    _gates = 1  # k: 1 for SimpleRNN, 4 for LSTM, 3 for GRU

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError("Received an invalid value for argument `units`, expected a "
                             f"positive integer. Received: units={units}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = _check_rate(dropout, "dropout", self.name)
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", self.name)
        self.seed = seed
        self.kernel = self.recurrent_kernel = self.bias = None
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        k = self._gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], k), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, k), initializer=self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_init(), name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    # --- dropout: the same mask at every step of a sequence (as Keras) ---------------------
    def reset_dropout_mask(self):
        """Forget the masks, so the next sequence draws new ones (the RNN layer calls this)."""
        self._masks = {}

    def _mask(self, kind, like, rate):
        if kind not in self._masks:
            keep = _random.generator().random(like.shape) >= rate
            xp = backend.array_module(like.data)
            self._masks[kind] = Tensor._wrap(xp.asarray(keep, dtype=like.dtype) / (1 - rate))
        return self._masks[kind]

    def _dropped(self, x, h, training):
        """x and h with the dropout masks applied (while training, when the rates are > 0)."""
        if training and self.dropout > 0:
            x = x * self._mask("x", x, self.dropout)
        if training and self.recurrent_dropout > 0:
            h = h * self._mask("h", h, self.recurrent_dropout)
        return x, h

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(self.kernel_initializer, initializers),
            "recurrent_initializer": _serialize(self.recurrent_initializer, initializers),
            "bias_initializer": _serialize(self.bias_initializer, initializers),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "recurrent_regularizer": _serialize(self.recurrent_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "kernel_constraint": _serialize(self.kernel_constraint),
            "recurrent_constraint": _serialize(self.recurrent_constraint),
            "bias_constraint": _serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config


def _first(states):
    return states[0] if isinstance(states, (list, tuple)) else states


@register_serializable()
class SimpleRNNCell(_Cell):
    """One step of the Elman RNN: hₜ = g(xₜW + b + hₜ₋₁U), g = tanh by default.

    >>> import profond as pf
    >>> cell = pf.layers.SimpleRNNCell(4)
    >>> out, [h] = cell(pf.ones((2, 3)), [pf.zeros((2, 4))])
    >>> out.shape
    (2, 4)
    """

    _gates = 1

    def call(self, inputs, states, training=None):
        h = _first(states)
        x, h_in = self._dropped(inputs, h, training)
        out = self.activation(ops.dense(x, self.kernel, self.bias)
                              + ops.matmul(h_in, self.recurrent_kernel))
        return out, [out]


@register_serializable()
class LSTMCell(_Cell):
    """One LSTM step, gates (i, f, c, o) side by side in the kernels:

        z = xₜW + b + hₜ₋₁U;   i, f, o = σ(zᵢ), σ(z_f), σ(z_o);   c̃ = tanh(z_c)
        cₜ = f ⊙ cₜ₋₁ + i ⊙ c̃;   hₜ = o ⊙ tanh(cₜ)

    ``unit_forget_bias=True`` starts the forget gate's bias at 1 (remember by default). With the
    default activations the gates are one fused op.

    >>> import profond as pf
    >>> cell = pf.layers.LSTMCell(4)
    >>> h, [h, c] = cell(pf.ones((2, 3)), [pf.zeros((2, 4)), pf.zeros((2, 4))])
    >>> cell.kernel.shape, cell.recurrent_kernel.shape, cell.bias.shape
    ((3, 16), (4, 16), (16,))
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    @property
    def fused(self):
        """True when the fused gate op applies (tanh and sigmoid, Keras's defaults)."""
        return (activations.serialize(self.activation) == "tanh"
                and activations.serialize(self.recurrent_activation) == "sigmoid")

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, n = self.bias_initializer, self.units

        def bias_init(shape, dtype=None):  # (b_i, 1, b_c, b_o)
            parts = [init((n,), dtype=dtype), None, init((2 * n,), dtype=dtype)]
            parts = [p.data if isinstance(p, Tensor) else p for p in parts]
            xp = backend.array_module(parts[0])
            parts[1] = xp.ones((n,), dtype=parts[0].dtype)
            return xp.concatenate(parts)

        return bias_init

    def call(self, inputs, states, training=None):
        h, c = states
        x, h_in = self._dropped(inputs, h, training)
        z = ops.dense(x, self.kernel, self.bias) + ops.matmul(h_in, self.recurrent_kernel)
        if self.fused:
            h, c = rnn_ops.LSTMGates()(z, c)
        else:
            zi, zf, zc, zo = ops.split(z, 4, axis=-1)
            act, rec = self.activation, self.recurrent_activation
            c = rec(zf) * c + rec(zi) * act(zc)
            h = rec(zo) * act(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "unit_forget_bias": self.unit_forget_bias})
        return config


@register_serializable()
class GRUCell(_Cell):
    """One GRU step, gates (z, r, h) side by side in the kernels. With ``reset_after=True``
    (Keras's default, and PyTorch's formula) the bias is (2, 3H): input and recurrent:

        xz = xₜW + b_in;  hz = hₜ₋₁U + b_rec
        z = σ(xz_z + hz_z);  r = σ(xz_r + hz_r);  ĥ = tanh(xz_h + r ⊙ hz_h)
        hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ

    ``reset_after=False`` applies r before the product: ĥ = tanh(xz_h + (r ⊙ hₜ₋₁)U_h), bias (3H,).

    >>> import profond as pf
    >>> cell = pf.layers.GRUCell(4)
    >>> h, [h] = cell(pf.ones((2, 3)), [pf.zeros((2, 4))])
    >>> cell.bias.shape
    (2, 12)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    @property
    def fused(self):
        return (self.reset_after and activations.serialize(self.activation) == "tanh"
                and activations.serialize(self.recurrent_activation) == "sigmoid")

    def call(self, inputs, states, training=None):
        h = _first(states)
        x, h_in = self._dropped(inputs, h, training)
        b_in = b_rec = None
        if self.bias is not None:
            b_in, b_rec = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
        xz = ops.dense(x, self.kernel, b_in)
        act, rec = self.activation, self.recurrent_activation
        if self.reset_after:
            hz = ops.dense(h_in, self.recurrent_kernel, b_rec)
            if self.fused:
                h = rnn_ops.GRUGates()(xz, hz, h)
                return h, [h]
            xz_z, xz_r, xz_h = ops.split(xz, 3, axis=-1)
            hz_z, hz_r, hz_h = ops.split(hz, 3, axis=-1)
            z, r = rec(xz_z + hz_z), rec(xz_r + hz_r)
            hh = act(xz_h + r * hz_h)
        else:
            n = self.units
            u = self.recurrent_kernel
            xz_z, xz_r, xz_h = ops.split(xz, 3, axis=-1)
            hz = ops.matmul(h_in, u[:, : 2 * n])
            z, r = rec(xz_z + hz[:, :n]), rec(xz_r + hz[:, n:])
            hh = act(xz_h + ops.matmul(r * h_in, u[:, 2 * n:]))
        h = z * h + (1 - z) * hh
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "reset_after": self.reset_after})
        return config


# --- the layers that run a cell over a sequence ---------------------------------------------------

_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")
_LAYER_ARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape",
               "batch_shape")


@register_serializable()
class RNN(Layer):
    """Runs ``cell`` over the time axis of a (batch, time, features) input.

    Returns the last output (batch, units), or every step's (batch, time, units) with
    ``return_sequences=True``; ``return_state=True`` adds the final states: ``(output, *states)``.
    ``go_backwards=True`` reads the sequence from the end (outputs then come in that order, as
    Keras). A mask (from ``Embedding(mask_zero=True)`` or ``mask=``) keeps the previous output and
    state at masked steps. ``initial_state=`` sets the starting states.

    >>> import profond as pf
    >>> pf.layers.RNN(pf.layers.LSTMCell(8), return_sequences=True)(pf.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if stateful:
            raise ValueError(f'Layer "{self.name}": stateful=True is not supported. '
                             f"Received: stateful={stateful}")
        if isinstance(cell, (list, tuple)):
            raise ValueError(f'Layer "{self.name}": stacked cells are not supported; stack RNN '
                             f"layers instead. Received: cell={cell}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)

    @property
    def units(self):
        return self.cell.units

    def _state_sizes(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f'The last dimension of the inputs to layer "{self.name}" should be '
                             f"defined. Received: input_shape={input_shape}")
        self.cell._maybe_build((input_shape[0], input_shape[-1]))

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if mask is None:
            mask = get_mask(inputs)
        xp = backend.array_module(inputs.data)
        if initial_state is None:
            states = [Tensor._wrap(xp.zeros((inputs.shape[0], s), dtype=inputs.dtype))
                      for s in self._state_sizes()]
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            states = [self._convert(s) for s in states]
        dropping = training and (self.cell.dropout > 0 or self.cell.recurrent_dropout > 0)
        result = None
        if mask is None and not dropping:
            result = self._fused_loop(inputs, states)
        if result is None:
            result = self._loop(inputs, states, mask, training)
        sequence, last, states = result
        output = sequence if self.return_sequences else last
        return (output, *states) if self.return_state else output

    def _fused_loop(self, inputs, states):
        """The fast path of a subclass: (sequence, last output, final states), or None where it
        cannot run (custom activations)."""
        return None

    def _loop(self, inputs, states, mask, training):
        """The general loop: one ``cell.call`` per step (masks, dropout, custom cells)."""
        cell = self.cell
        cell.reset_dropout_mask()
        steps = inputs.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, prev = [], None
        for t in order:
            out, new_states = cell.call(inputs[:, t], states, training=training)
            if mask is not None:  # masked examples keep their previous output and states
                m = mask[:, t : t + 1]
                if prev is None or self.zero_output_for_mask:
                    prev = ops.zeros_like(out)
                out = ops.where(m, out, prev)
                new_states = [ops.where(m, s_new, s) for s_new, s in zip(new_states, states)]
                prev = out
            outputs.append(out)
            states = list(new_states)
        sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        return sequence, outputs[-1], states

    def compute_output_shape(self, input_shape):
        b, t = input_shape[0], input_shape[1]
        out = (b, t, self.cell.output_size) if self.return_sequences else (b, self.cell.output_size)
        if self.return_state:
            return (out,) + tuple((b, s) for s in self._state_sizes())
        return out

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in _RNN_ARGS})
        if type(self) is RNN:
            config["cell"] = serialize(self.cell)
        else:  # SimpleRNN, LSTM, GRU: the cell's arguments, flat (as Keras)
            cell_config = self.cell.get_config()
            for k in ("name", "trainable", "dtype", "batch_input_shape"):
                cell_config.pop(k, None)
            config.update(cell_config)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is RNN:
            config["cell"] = deserialize(config["cell"])
        return cls(**config)


def _make(cell_cls, units, kwargs):
    """Split a layer's keyword arguments between its cell and the RNN layer; build the cell."""
    cell_kwargs = {k: v for k, v in kwargs.items() if k not in _RNN_ARGS + _LAYER_ARGS}
    rnn_kwargs = {k: v for k, v in kwargs.items() if k not in cell_kwargs}
    cell_kwargs["dtype"] = kwargs.get("dtype")
    cell_kwargs["trainable"] = kwargs.get("trainable", True)
    return cell_cls(units, **cell_kwargs), rnn_kwargs


@register_serializable()
class SimpleRNN(RNN):
    """The Elman RNN over a sequence: hₜ = g(xₜW + hₜ₋₁U + b) (see ``SimpleRNNCell``).

    Arguments: those of ``SimpleRNNCell`` (units, activation, use_bias, initializers,
    regularizers, constraints, dropout, recurrent_dropout, seed) and of ``RNN``
    (return_sequences, return_state, go_backwards).

    >>> import profond as pf
    >>> pf.layers.SimpleRNN(4)(pf.ones((2, 7, 3))).shape
    (2, 4)
    """

    def __init__(self, units, **kwargs):
        cell, rnn_kwargs = _make(SimpleRNNCell, units, kwargs)
        super().__init__(cell, **rnn_kwargs)

    def _fused_loop(self, inputs, states):
        c = self.cell
        seq, h = rnn_ops.simple_rnn(inputs, c.kernel, c.recurrent_kernel, c.bias, states[0],
                                    activation=c.activation, go_backwards=self.go_backwards)
        return seq, h, [h]


@register_serializable()
class LSTM(RNN):
    """Long short-term memory over a sequence (see ``LSTMCell`` for the equations).

    Weights (Keras's layout): kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,), gates
    (i, f, c, o). ``return_state=True`` returns ``(output, h, c)``.

    >>> import profond as pf
    >>> seq, h, c = pf.layers.LSTM(8, return_sequences=True, return_state=True)(pf.ones((2, 5, 3)))
    >>> seq.shape, h.shape, c.shape
    ((2, 5, 8), (2, 8), (2, 8))
    """

    def __init__(self, units, **kwargs):
        cell, rnn_kwargs = _make(LSTMCell, units, kwargs)
        super().__init__(cell, **rnn_kwargs)

    def _fused_loop(self, inputs, states):
        c = self.cell
        if not c.fused:
            return None
        seq, h, cc = rnn_ops.lstm(inputs, c.kernel, c.recurrent_kernel, c.bias, states[0],
                                  states[1], go_backwards=self.go_backwards)
        return seq, h, [h, cc]


@register_serializable()
class GRU(RNN):
    """Gated recurrent unit over a sequence (see ``GRUCell``; ``reset_after=True`` by default,
    PyTorch's formula, with a (2, 3H) bias).

    >>> import profond as pf
    >>> pf.layers.GRU(8)(pf.ones((2, 5, 3))).shape
    (2, 8)
    """

    def __init__(self, units, **kwargs):
        cell, rnn_kwargs = _make(GRUCell, units, kwargs)
        super().__init__(cell, **rnn_kwargs)

    def _fused_loop(self, inputs, states):
        c = self.cell
        if not c.fused:
            return None
        seq, h = rnn_ops.gru(inputs, c.kernel, c.recurrent_kernel, c.bias, states[0],
                             go_backwards=self.go_backwards)
        return seq, h, [h]


# --- wrappers -------------------------------------------------------------------------------------


def _clone(layer, **overrides):
    config = layer.get_config()
    config.update(overrides)
    return type(layer).from_config(config)


@register_serializable()
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two:

        y = merge(forward(x), reverse(backward(reverse(x))))

    ``merge_mode``: "concat" (default), "sum", "mul", "ave" or None (a list of both). The backward
    outputs are put back in time order before merging. Weights: the forward layer's, then the
    backward layer's.

    >>> import profond as pf
    >>> pf.layers.Bidirectional(pf.layers.LSTM(4))(pf.ones((2, 5, 3))).shape
    (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, RNN):
            raise ValueError("Please initialize `Bidirectional` layer with a recurrent layer "
                             f"(SimpleRNN, LSTM, GRU, RNN). Received: layer={layer}")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError("Invalid merge mode. Expected one of 'concat', 'sum', 'mul', 'ave', "
                             f"None. Received: merge_mode={merge_mode!r}")
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _clone(layer, name="forward_" + base)
        if backward_layer is None:
            self.backward_layer = _clone(layer, name="backward_" + base,
                                         go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = InputSpec(ndim=3)
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, initial_state=None, mask=None, training=None):
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y_f = self.forward_layer(inputs, initial_state=f_state, mask=mask, training=training)
        y_b = self.backward_layer(inputs, initial_state=b_state, mask=mask, training=training)
        states = []
        if self.return_state:
            y_f, *s_f = y_f
            y_b, *s_b = y_b
            states = s_f + s_b
        if self.return_sequences:
            y_b = y_b[:, ::-1]
        if self.merge_mode == "concat":
            y = ops.concat([y_f, y_b], axis=-1)
        elif self.merge_mode == "sum":
            y = y_f + y_b
        elif self.merge_mode == "ave":
            y = (y_f + y_b) * 0.5
        elif self.merge_mode == "mul":
            y = y_f * y_b
        else:
            y = [y_f, y_b]
        if self.return_state:
            return (*y, *states) if isinstance(y, list) else (y, *states)
        return y

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        out, states = (shape[0], list(shape[1:])) if self.return_state else (shape, [])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (out[-1] * 2,)
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state or self.merge_mode is None:
            return tuple(outs + states * 2)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
                       "backward_layer": serialize(self.backward_layer)})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward)
        return cls(**config)


@register_serializable()
class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: y[:, t] = layer(x[:, t]) (one call on the
    (batch·time, …) reshaped input, so the weights are shared across steps).

    >>> import profond as pf
    >>> pf.layers.TimeDistributed(pf.layers.Dense(4))(pf.ones((2, 5, 3))).shape
    (2, 5, 4)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a `Layer` instance. "
                             f"Received: {layer}")
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=None):
        n, t = inputs.shape[:2]
        y = self.layer(ops.reshape(inputs, (n * t,) + tuple(inputs.shape[2:])), training=training)
        return ops.reshape(y, (n, t) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        return cls(**config)


@register_serializable()
class Embedding(Layer):
    """A lookup table of learned vectors: y[n, t, :] = E[x[n, t], :], E of shape
    (input_dim, output_dim). Its gradient adds ∂L/∂y into the rows that were looked up.

    ``mask_zero=True`` reserves index 0 for padding: the next recurrent layer skips those steps.

    >>> import profond as pf
    >>> import numpy as np
    >>> pf.layers.Embedding(10, 4)(np.array([[1, 2, 0]])).shape
    (1, 3, 4)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, **kwargs):
        kwargs.pop("input_length", None)  # Keras 2 argument, ignored as in Keras 3
        super().__init__(**kwargs)
        for name, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Both `input_dim` and `output_dim` should be positive. "
                                 f"Received: {name}={v}")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.embeddings = None
        self._initial_weights = weights

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            name="embeddings", regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        idx = inputs.data if isinstance(inputs, Tensor) else inputs
        if idx.dtype.kind != "i":
            idx = idx.astype("int64")
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            raise ValueError(f'Layer "{self.name}": expected indices in [0, {self.input_dim}). '
                             f"Received: indices in [{int(idx.min())}, {int(idx.max())}]")
        out = ops.gather(self.embeddings, idx)
        if self.mask_zero:
            _set_mask(out, idx != 0)
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        idx = inputs.data if isinstance(inputs, Tensor) else inputs
        return idx != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": _serialize(self.embeddings_initializer, initializers),
            "embeddings_regularizer": _serialize(self.embeddings_regularizer),
            "embeddings_constraint": _serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return config
