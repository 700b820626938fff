"""ConvLSTM1D/2D/3D: LSTMs whose input and recurrent transforms are convolutions (Shi et al.
2015), for sequences of frames: (N, T, H, W, C) images such as video or radar maps for ConvLSTM2D,
(N, T, L, C) signals for ConvLSTM1D, (N, T, D, H, W, C) volumes for ConvLSTM3D.

At each step t, with ⋆ a convolution, the gates (i, f, c, o) side by side in the filters:

    z = W ⋆ xₜ + b + U ⋆ hₜ₋₁           (W: strides, padding, dilation; U: stride 1, 'same')
    cₜ = σ(z_f) ⊙ cₜ₋₁ + σ(zᵢ) ⊙ tanh(z_c),   hₜ = σ(z_o) ⊙ tanh(cₜ)

The states h, c are frames (N, H', W', F). Weights in Keras's layouts: kernel (k…, C, 4F),
recurrent_kernel (k…, F, 4F), bias (4F,). The layers run the cell with ``RNN``'s loop (masks,
dropout, initial and stateful states); without them, the input convolutions of all steps are one
convolution over the N·T frames before the loop.
"""

from profond import backend, ops
from profond.autodiff.tensor import Tensor
from profond.layers.base import InputSpec, to_snake_case, unique_name
from profond.layers.conv import (
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from profond.layers.recurrent import _LAYER_ARGS, _RNN_ARGS, RNN, LSTMCell
from profond.ops import recurrent as rnn_ops
from profond.ops.conv import conv2d, conv_output_length
from profond.ops.conv_nd import conv
from profond.registry import register_serializable


class ConvLSTMCell(LSTMCell):
    """One ConvLSTM step on channels-last frames: (xₜ (N, *spatial, C), [h, c]) → (h, [h, c]).

    An ``LSTMCell`` whose two matrix products are ``rank``-D convolutions: it keeps that cell's
    arguments (activations, initializers, regularizers, constraints, ``unit_forget_bias``, dropout
    masks drawn once per sequence) with ``filters`` in place of ``units``.
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 **kwargs):
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters` of layer "
                             f'"{kwargs.get("name") or to_snake_case(type(self).__name__)}". '
                             f"Expected a strictly positive int. Received: filters={filters}")
        super().__init__(filters, **kwargs)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, self.rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", self)
        self.padding = normalize_padding(padding, layer=self.name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f'Layer "{self.name}": strides > 1 not supported with '
                             f"dilation_rate > 1. Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.out_spatial = None  # the states' frame size, known once built

    @property
    def filters(self):
        return self.units

    def build(self, input_shape):
        """``input_shape``: one frame's (N, *spatial, C)."""
        spatial, c = tuple(input_shape[1:-1]), input_shape[-1]
        if None in spatial + (c,):
            raise ValueError(f'Layer "{self.name}": ConvLSTM needs static frame sizes and '
                             f"channels. Received: input_shape={tuple(input_shape)}")
        self.out_spatial = tuple(
            conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
            zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if min(self.out_spatial) <= 0:
            raise ValueError(f'Layer "{self.name}": the kernel {self.kernel_size} is larger than '
                             f"the frames. Received: input_shape={tuple(input_shape)}")
        f4 = 4 * self.filters
        self.kernel = self.add_weight(
            shape=self.kernel_size + (c, f4), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, f4), initializer=self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(f4,), initializer=self._bias_init(), name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def get_initial_state(self, batch_size=None):
        xp = backend.default_module()
        shape = (batch_size, *self.out_spatial, self.filters)
        return [Tensor._wrap(xp.zeros(shape, dtype=self.dtype)) for _ in range(2)]

    def _conv(self, x, w, strides=1, padding="same", dilation_rate=1, bias=None):
        """A convolution of the cell's rank (2-D: the tuned ``conv2d`` with its fused bias)."""
        if self.rank == 2:
            return conv2d(x, w, strides, padding, dilation_rate, bias=bias)
        y = conv(x, w, strides, padding, dilation_rate)
        return y if bias is None else y + bias

    def input_transform(self, x):
        """W ⋆ x + b for a batch of frames (any number of them)."""
        return self._conv(x, self.kernel, self.strides, self.padding, self.dilation_rate,
                          bias=self.bias)

    def step(self, xz, h, c):
        """(hₜ, cₜ) from the input transform xz = W ⋆ xₜ + b and the previous states."""
        z = xz + self._conv(h, self.recurrent_kernel)
        if self.fused:  # the LSTM's fused gate op, on the pixels as rows
            shape = tuple(c.shape)
            h, c = rnn_ops.LSTMGates()(ops.reshape(z, (-1, z.shape[-1])),
                                       ops.reshape(c, (-1, shape[-1])))
            return ops.reshape(h, shape), ops.reshape(c, shape)
        return rnn_ops.lstm_gates(z, c, self.activation, self.recurrent_activation)

    def call(self, inputs, states, training=None):
        h, c = states
        x, h_in = self._dropped(inputs, h, training)
        h, c = self.step(self.input_transform(x), h_in, c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        del config["units"]
        config.update({"filters": self.filters, "kernel_size": list(self.kernel_size),
                       "strides": list(self.strides), "padding": self.padding,
                       "dilation_rate": list(self.dilation_rate)})
        return config


@register_serializable()
class ConvLSTM2DCell(ConvLSTMCell):
    """One ConvLSTM2D step: (xₜ (N, H, W, C), [h, c]) → (h, [h, c]), h and c (N, H', W', F).

    >>> import profond as pf
    >>> cell = pf.layers.ConvLSTM2DCell(4, 3, padding="same")
    >>> h, [h, c] = cell(pf.ones((2, 5, 5, 3)), [pf.zeros((2, 5, 5, 4))] * 2)
    >>> cell.kernel.shape, cell.recurrent_kernel.shape, h.shape
    ((3, 3, 3, 16), (3, 3, 4, 16), (2, 5, 5, 4))
    """

    rank = 2


class ConvLSTM1DCell(ConvLSTMCell):
    """One ConvLSTM1D step on (N, L, C) frames."""

    rank = 1


class ConvLSTM3DCell(ConvLSTMCell):
    """One ConvLSTM3D step on (N, D, H, W, C) frames."""

    rank = 3


class ConvLSTM(RNN):
    """What ConvLSTM1D/2D/3D share: a ``ConvLSTMCell`` of ``rank`` run over the time axis of
    (N, T, *spatial, C) sequences (channels_first: (N, T, C, *spatial)).

    Returns the last h (N, *spatial', F), or all of them (N, T, *spatial', F) with
    ``return_sequences=True``; ``return_state=True`` adds the final h and c.
    """

    cell_class = ConvLSTM2DCell

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, **kwargs):
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_ARGS + _LAYER_ARGS if k in kwargs}
        # the cell takes the layer's name, so that its argument errors name the layer
        name = rnn_kwargs["name"] = (rnn_kwargs.get("name")
                                     or unique_name(to_snake_case(type(self).__name__)))
        cell = self.cell_class(filters, kernel_size, strides=strides, padding=padding,
                               dilation_rate=dilation_rate, dtype=rnn_kwargs.get("dtype"),
                               trainable=rnn_kwargs.get("trainable", True), name=name, **kwargs)
        super().__init__(cell, **rnn_kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    @property
    def rank(self):
        return self.cell_class.rank

    def _frame_shape(self, input_shape):
        """One frame's channels-last (N, *spatial, C) from the sequence's shape."""
        if len(input_shape) != self.rank + 3:
            raise ValueError(f'Layer "{self.name}" expects sequences of frames (N, T, *spatial, '
                             f"C), of ndim={self.rank + 3}. Received: "
                             f"input_shape={tuple(input_shape)}")
        n, _, *rest = input_shape
        if self.data_format == "channels_first":
            rest = rest[1:] + rest[:1]
        return (n, *rest)

    def build(self, input_shape):
        if self.stateful and input_shape[0] is not None:
            self._batch_size = input_shape[0]
        self.cell._maybe_build(self._frame_shape(input_shape))

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if self.data_format == "channels_last":
            return super().call(inputs, initial_state=initial_state, mask=mask,
                                training=training)
        r = self.rank  # (N, T, C, *s) → (N, T, *s, C); states (N, F, *s) ↔ (N, *s, F)
        inputs = ops.transpose(inputs, (0, 1, *range(3, r + 3), 2))
        if initial_state is not None:
            initial_state = [ops.transpose(s, (0, *range(2, r + 2), 1)) for s in initial_state]
        out = super().call(inputs, initial_state=initial_state, mask=mask, training=training)
        outs = list(out) if self.return_state else [out]
        outs = [ops.transpose(o, (0, 1, r + 2, *range(2, r + 2)) if o.ndim == r + 3
                              else (0, r + 1, *range(1, r + 1))) for o in outs]
        return tuple(outs) if self.return_state else outs[0]

    def _fused_loop(self, inputs, states):
        """Without masks or dropout: W ⋆ x + b for all N·T frames in one convolution, then the
        steps."""
        cell, (n, t) = self.cell, inputs.shape[:2]
        xz = cell.input_transform(ops.reshape(inputs, (n * t, *inputs.shape[2:])))
        xz = ops.reshape(xz, (n, t, *xz.shape[1:]))
        h, c = states
        outputs = []
        for k in (range(t - 1, -1, -1) if self.go_backwards else range(t)):
            h, c = cell.step(xz[:, k], h, c)
            outputs.append(h)
        sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        return sequence, h, [h, c]

    def compute_output_shape(self, input_shape):
        n, t = input_shape[:2]
        frame = self._frame_shape(input_shape)
        cell = self.cell
        out = [None if s is None else conv_output_length(s, k, st, cell.padding, d)
               for s, k, st, d in zip(frame[1:-1], cell.kernel_size, cell.strides,
                                      cell.dilation_rate)]
        f = cell.filters
        state = (n, f, *out) if self.data_format == "channels_first" else (n, *out, f)
        seq = (state[0], t, *state[1:]) if self.return_sequences else state
        return (seq, state, state) if self.return_state else seq

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_serializable()
class ConvLSTM1D(ConvLSTM):
    """A ConvLSTM over sequences of 1-D signals (N, T, L, C), kernel (k, C, 4F).

    >>> import profond as pf
    >>> ConvLSTM1D(4, 3)(pf.ones((2, 5, 10, 1))).shape
    (2, 8, 4)
    """

    cell_class = ConvLSTM1DCell


@register_serializable()
class ConvLSTM2D(ConvLSTM):
    """A ConvLSTM over sequences of images (N, T, H, W, C), kernel (kh, kw, C, 4F).

    >>> import profond as pf
    >>> layer = pf.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(pf.ones((2, 5, 8, 8, 1))).shape
    (2, 5, 8, 8, 4)
    """

    cell_class = ConvLSTM2DCell


@register_serializable()
class ConvLSTM3D(ConvLSTM):
    """A ConvLSTM over sequences of volumes (N, T, D, H, W, C), kernel (kd, kh, kw, C, 4F).

    >>> import profond as pf
    >>> ConvLSTM3D(2, 3, padding="same")(pf.ones((1, 3, 4, 4, 4, 1))).shape
    (1, 4, 4, 4, 2)
    """

    cell_class = ConvLSTM3DCell
