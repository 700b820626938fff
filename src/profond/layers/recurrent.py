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

import inspect

from profond import _validation as check
from profond import activations, backend, initializers, ops
from profond import random as _random
from profond.autodiff.tensor import Tensor
from profond.layers.base import InputSpec, Layer
from profond.layers.core import _serialize
from profond.ops import recurrent as rnn_ops
from profond.registry import deserialize, register_serializable, serialize

# --- masks travel on tensors (``tensor._keras_mask``, attached by ``Layer.__call__``) ----------


def get_mask(tensor):
    """The mask attached to ``tensor`` by a masking layer (``Embedding(mask_zero=True)``), or
    None."""
    return getattr(tensor, "_keras_mask", None)


# --- cells ----------------------------------------------------------------------------------------


def _check_rate(value, name, where):
    return min(check.probability(name, value, where), 0.999999)


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
        where = self
        self.units = check.positive_int("units", units, where)
        self.activation = activations.get(activation)
        self.use_bias = check.boolean("use_bias", use_bias, where)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = _check_rate(dropout, "dropout", where)
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", where)
        self.seed = check.non_negative_int("seed", seed, where, allow_none=True)
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

    def get_initial_state(self, batch_size=None):
        """Zero states, one (batch_size, units) tensor per state."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        xp = backend.default_module()
        return [Tensor._wrap(xp.zeros((batch_size, n), dtype=self.dtype)) for n in sizes]

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
        self.unit_forget_bias = check.boolean("unit_forget_bias", unit_forget_bias, self)

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
            h, c = rnn_ops.lstm_gates(z, c, self.activation, self.recurrent_activation)
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
        self.reset_after = check.boolean("reset_after", reset_after, self)

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
            else:
                h = rnn_ops.gru_gates(xz, hz, h, act, rec)
            return h, [h]
        n = self.units  # reset before the product: ĥ = tanh(xz_h + (r ⊙ h)U_h)
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


# --- nested states: a cell's state is a tensor or a (nested) list / tuple of tensors ------------


def _nest_map(fn, structure):
    """``fn`` applied to every leaf of a nested list / tuple, in the same structure."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_nest_map(fn, s) for s in structure)
    return fn(structure)


def _nest_flatten(structure):
    """The leaves of a nested list / tuple, depth first."""
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in _nest_flatten(s)]
    return [structure]


def _nest_pack(structure, flat):
    """The leaves ``flat`` put back into the shape of ``structure``."""
    leaves = iter(flat)
    return _nest_map(lambda _: next(leaves), structure)


def _as_state_list(states):
    """A cell's states as a list (a single tensor becomes [tensor], as Keras passes them)."""
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _check_cell(cell):
    if not hasattr(cell, "state_size") or not callable(getattr(cell, "call", None)):
        raise ValueError("The RNN cell should have a `state_size` attribute (single integer or "
                         "list of integers, one integer per RNN state) and a "
                         f"`call(inputs, states)` method. Received: cell={cell}")


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return size if size is not None else _nest_flatten(cell.state_size)[0]


def _initial_state(cell, batch_size, dtype):
    """The cell's starting states (its ``get_initial_state``, else zeros of ``state_size``)."""
    if hasattr(cell, "get_initial_state"):
        states = cell.get_initial_state(batch_size=batch_size)
    else:
        xp = backend.default_module()
        states = _nest_map(lambda n: Tensor._wrap(xp.zeros((batch_size, n), dtype=dtype)),
                           cell.state_size)
    return _as_state_list(states)


def _takes_training(layer):
    return "training" in inspect.signature(layer.call).parameters


@register_serializable()
class StackedRNNCells(Layer):
    """Several cells as one: the output of each is the input of the next, within a time step.

    ``state_size`` is the list of the cells' state sizes (each cell's states nested in it), the
    output that of the last cell. ``RNN([cell1, cell2])`` builds one.

    >>> import profond as pf
    >>> cells = pf.layers.StackedRNNCells([pf.layers.LSTMCell(4), pf.layers.GRUCell(3)])
    >>> cells.state_size
    [[4, 4], 3]
    >>> pf.layers.RNN(cells)(pf.ones((2, 5, 6))).shape
    (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells expects a non-empty list of cells. "
                             f"Received: cells={cells}")
        for cell in cells:
            _check_cell(cell)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(shape)
            shape = shape[:-1] + (_output_size(cell),)

    def get_initial_state(self, batch_size=None):
        return [_unwrap(cell, _initial_state(cell, batch_size, self.dtype)) for cell in self.cells]

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            kwargs = {"training": training} if _takes_training(cell) else {}
            inputs, cell_states = cell.call(inputs, _as_state_list(cell_states), **kwargs)
            new_states.append(_unwrap(cell, _as_state_list(cell_states)))
        return inputs, new_states

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cells"] = [deserialize(c) for c in config["cells"]]
        return cls(**config)


def _unwrap(cell, states):
    """A cell with one unnested state keeps it bare inside a stack (Keras's nesting)."""
    return states[0] if not isinstance(cell.state_size, (list, tuple)) else states


# --- the layers that run a cell over a sequence ---------------------------------------------------

_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")
_LAYER_ARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape",
               "batch_shape")


@register_serializable()
class RNN(Layer):
    """Runs ``cell`` over the time axis of a (batch, time, features) input.

    The cell is any layer with ``state_size`` and ``call(inputs, states)`` returning
    ``(output, new_states)`` (states: a tensor or a nested list of them); a list of cells is
    stacked (``StackedRNNCells``). Returns the last output (batch, units), or every step's
    (batch, time, units) with ``return_sequences=True``; ``return_state=True`` adds the final
    states, flattened: ``(output, *states)``. ``go_backwards=True`` reads the sequence from the
    end (outputs then come in that order, as Keras). A mask (from ``Embedding(mask_zero=True)``,
    ``Masking`` or ``mask=``) keeps the previous output and states at masked steps (zeros before
    the first real step, or always with ``zero_output_for_mask=True``). ``initial_state=`` sets
    the starting states. ``stateful=True`` starts each batch from the last batch's final states
    (a fixed batch size; ``reset_states()`` zeroes them). ``unroll`` is accepted: the loop is the
    same either way.

    >>> import profond as pf
    >>> pf.layers.RNN(pf.layers.LSTMCell(8), return_sequences=True)(pf.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell)
        self.cell = cell
        where = self
        self.return_sequences = check.boolean("return_sequences", return_sequences, where)
        self.return_state = check.boolean("return_state", return_state, where)
        self.go_backwards = check.boolean("go_backwards", go_backwards, where)
        self.stateful = check.boolean("stateful", stateful, where)
        self.unroll = check.boolean("unroll", unroll, where)
        self.zero_output_for_mask = check.boolean("zero_output_for_mask", zero_output_for_mask,
                                                  where)
        self.input_spec = InputSpec(ndim=3)
        self._set_states(None)  # stateful: the final states of the last batch (flat list)
        self._batch_size = None  # stateful: the fixed batch size

    @property
    def units(self):
        return self.cell.units

    @property
    def state_size(self):
        return self.cell.state_size

    def _state_sizes(self):
        """The size of each state, flattened."""
        return _nest_flatten(self.cell.state_size)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f'The last dimension of the inputs to layer "{self.name}" should be '
                             f"defined. Received: input_shape={input_shape}")
        if self.stateful and input_shape[0] is not None:
            self._batch_size = input_shape[0]
        if isinstance(self.cell, Layer):
            self.cell._maybe_build((input_shape[0], input_shape[-1]))

    def get_initial_state(self, batch_size):
        """The states a sequence starts from when none are given: the cell's (zeros)."""
        return _initial_state(self.cell, batch_size, self.dtype)

    # --- stateful ----------------------------------------------------------------------------
    def _symbolic_call(self, args, kwargs):
        if not self.stateful:
            return super()._symbolic_call(args, kwargs)
        return _keeping_states([self], args, lambda: super(RNN, self)._symbolic_call(args, kwargs))

    def _set_states(self, states):
        """States are values, not weights: kept out of the layer's tracking (no saving, no
        optimizer), and replaced at every batch without touching the layer's structure."""
        self.__dict__["states"] = states

    def reset_states(self, states=None):
        """Set the states of a stateful layer to zeros (or to ``states``, a list of arrays)."""
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" is not stateful: it keeps no states to '
                                 "reset. Pass `stateful=True` to keep states between batches.")
        if states is None:
            self._set_states(None if self._batch_size is None else self._zero_states())
            return
        flat = _nest_flatten(states)
        self._set_states([self._convert(s) for s in flat])
        self._batch_size = self.states[0].shape[0]

    reset_state = reset_states

    def _zero_states(self):
        return _nest_flatten(self.get_initial_state(self._batch_size))

    def _stateful_states(self, batch):
        if self._batch_size is None:
            self._batch_size = batch
        if batch != self._batch_size:
            raise ValueError(f'Layer "{self.name}": if an RNN is stateful, the batch size of the '
                             "input sequences must be the same as the batch size of the initial "
                             f"state. Expected batch size: {self._batch_size}. "
                             f"Received batch size: {batch}")
        if self.states is None:
            self._set_states(self._zero_states())
        return _nest_pack(self._structure(batch), self.states)

    def _structure(self, batch):
        return self.get_initial_state(batch)

    # --- the loop ----------------------------------------------------------------------------
    def _given_states(self, initial_state, batch):
        """``initial_state`` (a tensor or a flat or nested list) in the cell's state structure,
        checked against the number and shapes of the states."""
        structure = self._structure(batch)
        flat, want = _nest_flatten(initial_state), _nest_flatten(structure)
        if len(flat) != len(want):
            raise ValueError(f'Layer "{self.name}" expects {len(want)} initial state(s) '
                             f"(state_size={self.cell.state_size}). Received: {len(flat)} "
                             "initial state(s)")
        flat = [self._convert(s) for s in flat]
        for got, w in zip(flat, want):
            if tuple(got.shape) != tuple(w.shape):
                raise ValueError(f'Layer "{self.name}": expected an initial state of shape '
                                 f"{tuple(w.shape)}. Received: shape={tuple(got.shape)}")
        return _nest_pack(structure, flat)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if mask is None:
            mask = get_mask(inputs)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        batch = inputs.shape[0]
        if initial_state is not None:
            states = self._given_states(initial_state, batch)
        elif self.stateful:
            states = self._stateful_states(batch)
        else:
            states = self.get_initial_state(batch)
        cell = self.cell
        dropping = training and (getattr(cell, "dropout", 0) > 0
                                 or getattr(cell, "recurrent_dropout", 0) > 0)
        result = None
        if mask is None and not dropping:
            result = self._fused_loop(inputs, states)
        if result is None:
            result = self._loop(inputs, states, mask, training)
        sequence, last, states = result
        flat_states = _nest_flatten(states)
        if self.stateful:
            xp = backend.array_module(inputs.data)
            self._set_states([Tensor._wrap(xp.array(s.data)) for s in flat_states])
        output = sequence if self.return_sequences else last
        return (output, *flat_states) if self.return_state else output

    def _fused_loop(self, inputs, states):
        """The fast path of a subclass: (sequence, last output, final states), or None where it
        cannot run (custom activations)."""
        return None

    def _loop(self, inputs, states, mask, training):
        """The general loop: one ``cell.call`` per step (masks, dropout, any cell)."""
        cell = self.cell
        if hasattr(cell, "reset_dropout_mask"):
            cell.reset_dropout_mask()
        kwargs = {"training": training} if _takes_training(cell) else {}
        if mask is not None:
            mask = mask.data if isinstance(mask, Tensor) else mask
            mask = backend.array_module(inputs.data).asarray(mask, dtype=bool)
        steps = inputs.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, prev = [], None
        for t in order:
            out, new_states = cell.call(inputs[:, t], states, **kwargs)
            new_states = _as_state_list(new_states)
            if mask is not None:  # masked examples keep their previous output and states
                m = mask[:, t]
                if prev is None or self.zero_output_for_mask:
                    prev = ops.zeros_like(out)
                out = _where(m, out, prev)
                kept = [_where(m, a, b)
                        for a, b in zip(_nest_flatten(new_states), _nest_flatten(states))]
                new_states = _nest_pack(new_states, kept)
                prev = out
            outputs.append(out)
            states = new_states
        sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        return sequence, outputs[-1], states

    def compute_mask(self, inputs, mask=None):
        """A sequence output keeps the time steps' mask; a last-step output has none."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_sizes())
        return output_mask

    def compute_output_shape(self, input_shape):
        b, t = input_shape[0], input_shape[1]
        size = _output_size(self.cell)
        out = (b, t, size) if self.return_sequences else (b, size)
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


def _keeping_states(rnns, args, symbolic_call):
    """A symbolic call of stateful layers: the batch size must be static, and the shape
    inference (which runs the layers on zeros) must not move their states."""
    shape = args[0].shape
    if shape[0] is None:
        raise ValueError("When using `stateful=True` in a RNN, the batch size must be static "
                         "(pass `batch_size` to `Input`, or `batch_input_shape` to the first "
                         f"layer). Found dynamic batch size: sequence.shape={shape}")
    kept = [rnn.states for rnn in rnns]
    try:
        return symbolic_call()
    finally:
        for rnn, states in zip(rnns, kept):
            rnn._set_states(states)


def _where(mask, new, old):
    """new where mask (one bool per example) else old, for a state of any rank."""
    return ops.where(mask.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)


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
        units = check.positive_int("units", units, type(self).__name__)
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
        units = check.positive_int("units", units, type(self).__name__)
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
        units = check.positive_int("units", units, type(self).__name__)
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

    ``merge_mode``: "concat" (default), "sum", "mul", "ave" or None (a tuple of both). The backward
    outputs are put back in time order before merging. ``backward_layer`` replaces the copy (it
    must read the other way: a different ``go_backwards``). With ``return_state=True`` the result
    is ``(output, *forward states, *backward states)``; ``initial_state`` is split the same way.
    Weights: the forward layer's, then the backward layer's.

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
            _check_backward_layer(layer, backward_layer)
            self.backward_layer = backward_layer
        # masked steps output zeros in both directions, so that the two line up (as Keras)
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = layer.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.input_spec = InputSpec(ndim=3)
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _symbolic_call(self, args, kwargs):
        if not self.stateful:
            return super()._symbolic_call(args, kwargs)
        return _keeping_states([self.forward_layer, self.backward_layer], args,
                               lambda: super(Bidirectional, self)._symbolic_call(args, kwargs))

    def reset_states(self, states=None):
        """Reset the states of both stateful layers (``states``: forward's then backward's)."""
        half = None if states is None else len(states) // 2
        self.forward_layer.reset_states(None if states is None else states[:half])
        self.backward_layer.reset_states(None if states is None else states[half:])

    reset_state = reset_states

    def call(self, inputs, initial_state=None, mask=None, training=None):
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y_f = self.forward_layer(inputs, initial_state=f_state, mask=mask, training=training)
        y_b = self.backward_layer(inputs, initial_state=b_state, mask=mask, training=training)
        states = ()
        if self.return_state:
            y_f, *s_f = y_f
            y_b, *s_b = y_b
            states = tuple(s_f) + tuple(s_b)
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
            y = (y_f, y_b)
        if self.return_state:
            return y + states if self.merge_mode is None else (y, *states)
        return y

    def compute_mask(self, inputs, mask=None):
        """The sequence outputs keep the mask (each of the two with ``merge_mode=None``)."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer._state_sizes()) + len(self.backward_layer._state_sizes())
            return outs + [None] * n
        return outs if self.merge_mode is None else out

    def compute_output_shape(self, input_shape):
        f = self.forward_layer.compute_output_shape(input_shape)
        b = self.backward_layer.compute_output_shape(input_shape)
        (f, *s_f), (b, *s_b) = (f, b) if self.return_state else ((f,), (b,))
        if self.merge_mode == "concat":
            out = tuple(f[:-1]) + (f[-1] + b[-1],)
        outs = [f, b] if self.merge_mode is None else [out if self.merge_mode == "concat" else f]
        if self.return_state or self.merge_mode is None:
            return tuple(outs + s_f + s_b)
        return outs[0]

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


def _check_backward_layer(layer, backward):
    if not isinstance(backward, RNN):
        raise ValueError("`backward_layer` must be a recurrent layer (SimpleRNN, LSTM, GRU, RNN). "
                         f"Received: backward_layer={backward}")
    if backward.go_backwards == layer.go_backwards:
        raise ValueError("Forward layer and backward layer should have different `go_backwards` "
                         f"value. Received: forward_layer.go_backwards={layer.go_backwards}, "
                         f"backward_layer.go_backwards={backward.go_backwards}")
    for attr in ("return_sequences", "return_state", "stateful"):
        if getattr(backward, attr) != getattr(layer, attr):
            raise ValueError("Forward layer and backward layer are expected to have the same "
                             f'value for attribute "{attr}", got "{getattr(layer, attr)}" for '
                             f'forward layer and "{getattr(backward, attr)}" for backward layer')


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
        self.input_dim = check.positive_int("input_dim", input_dim, self)
        self.output_dim = check.positive_int("output_dim", output_dim, self)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = check.boolean("mask_zero", mask_zero, self)
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
        return ops.gather(self.embeddings, idx)

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
