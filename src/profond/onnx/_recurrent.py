"""Converters of the recurrent layers: SimpleRNN, LSTM, GRU (and RNN on their cells, stacked
or not) as ONNX's RNN / LSTM / GRU ops, and Bidirectional.

Keras's LSTM gates are (i, f, c, o), ONNX's (i, o, f, c); GRU's (z, r, h) are the same in both,
and Keras's ``reset_after=True`` is ONNX's ``linear_before_reset=1``.
"""

import numpy

from profond import activations
from profond.onnx._layers import converts

_RNN_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
                    "softsign": "Softsign", "softplus": "Softplus"}


def _rnn_activation(layer, fn):
    name = activations.serialize(fn)
    if name not in _RNN_ACTIVATIONS:
        raise NotImplementedError(
            f'profond.onnx: layer "{layer.name}" ({type(layer).__name__}) uses the activation '
            f"{name!r}, which ONNX's recurrent ops do not offer. Expected one of "
            f"{sorted(_RNN_ACTIVATIONS)}.")
    return _RNN_ACTIVATIONS[name]


def _lstm_gates(a):
    """Keras's gate blocks (i, f, c, o) along the last axis → ONNX's (i, o, f, c)."""
    i, f, c, o = numpy.split(a, 4, axis=-1)
    return numpy.concatenate([i, o, f, c], axis=-1)


def _recurrent_weights(cell):
    """(ONNX op, W, R, B or None, activations, extra attributes) for a cell's weights:
    W (1, G·H, D), R (1, G·H, H), B (1, 2·G·H) = input then recurrent biases."""
    kind = type(cell).__name__
    w, r = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    b = cell.bias.numpy() if cell.use_bias else None
    extra = {}
    if kind == "LSTMCell":
        op, acts = "LSTM", [_rnn_activation(cell, cell.recurrent_activation),
                            _rnn_activation(cell, cell.activation),
                            _rnn_activation(cell, cell.activation)]
        w, r = _lstm_gates(w), _lstm_gates(r)
        b = None if b is None else numpy.concatenate([_lstm_gates(b), numpy.zeros_like(b)])
    elif kind == "GRUCell":  # the gate order (z, r, h) is ONNX's too
        op, acts = "GRU", [_rnn_activation(cell, cell.recurrent_activation),
                           _rnn_activation(cell, cell.activation)]
        extra["linear_before_reset"] = int(cell.reset_after)
        if b is not None:
            b = b.reshape(-1) if cell.reset_after else numpy.concatenate([b, numpy.zeros_like(b)])
    elif kind == "SimpleRNNCell":
        op, acts = "RNN", [_rnn_activation(cell, cell.activation)]
        b = None if b is None else numpy.concatenate([b, numpy.zeros_like(b)])
    else:
        raise NotImplementedError(f"profond.onnx: a recurrent layer with a {kind} cell has no "
                                  "ONNX form (SimpleRNN, LSTM and GRU cells do).")
    return op, w.T[None], r.T[None], None if b is None else b[None], acts, extra


def _reverse_time(g, x, base):
    """x[:, ::-1] on (batch, time, features)."""
    return g.op("Slice", [x, g.ints(f"{base}/start", [-1]),
                          g.ints(f"{base}/end", [-(2**63)]), g.ints(f"{base}/axis", [1]),
                          g.ints(f"{base}/step", [-1])], base)


@converts("SimpleRNN", "LSTM", "GRU", "RNN")
def _recurrent(g, layer, xs, shapes):
    """ONNX's RNN / LSTM / GRU op on (time, batch, features), one direction; stacked cells one
    op after the other. ``go_backwards`` reverses the input first, so the outputs come in
    Keras's order (last step read first)."""
    if len(xs) != 1:
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" ({type(layer).__name__})'
                                  " is exported without initial_state or mask inputs.")
    if layer.stateful:
        raise NotImplementedError(f'profond.onnx: layer "{layer.name}" is stateful; export a '
                                  "stateless copy of the model.")
    cells = getattr(layer.cell, "cells", None) or [layer.cell]  # StackedRNNCells: its cells
    base = layer.name
    x = _reverse_time(g, xs[0], f"{base}/reversed") if layer.go_backwards else xs[0]
    x = g.op("Transpose", [x], f"{base}/time_major", perm=[1, 0, 2])
    axis0, axis1 = g.ints(f"{base}/axis0", [0]), g.ints(f"{base}/axis1", [1])
    states = []
    for i, cell in enumerate(cells):
        name = base if len(cells) == 1 else f"{base}/cell{i}"
        op, w, r, b, acts, extra = _recurrent_weights(cell)
        inputs = [x, g.const(f"{name}/W", w, w.dtype), g.const(f"{name}/R", r, r.dtype),
                  "" if b is None else g.const(f"{name}/B", b, b.dtype)]
        outs = g.op(op, inputs, f"{name}/{op.lower()}", n_outputs=3 if op == "LSTM" else 2,
                    hidden_size=cell.units, activations=acts, direction="forward", **extra)
        x = g.op("Squeeze", [outs[0], axis1], f"{name}/sequence")  # Y (T, 1, B, H) → (T, B, H)
        last = outs[1]
        states += [g.op("Squeeze", [s, axis0], f"{name}/state") for s in outs[1:]]
    if layer.return_sequences:
        y = g.op("Transpose", [x], base, perm=[1, 0, 2])  # → (batch, time, H)
    else:
        y = g.op("Squeeze", [last, axis0], base)
    return [y, *states] if layer.return_state else [y]


@converts("Bidirectional")
def _bidirectional(g, layer, xs, shapes):
    """Both directions as separate ops, the backward outputs put back in time order, merged."""
    fwd = _recurrent(g, layer.forward_layer, xs, shapes)
    bwd = _recurrent(g, layer.backward_layer, xs, shapes)
    y_f, y_b = fwd[0], bwd[0]
    if layer.return_sequences:
        y_b = _reverse_time(g, y_b, f"{layer.name}/backward_in_order")
    mode, base = layer.merge_mode, layer.name
    if mode == "concat":
        y = [g.op("Concat", [y_f, y_b], base, axis=-1)]
    elif mode == "sum":
        y = [g.op("Add", [y_f, y_b], base)]
    elif mode == "mul":
        y = [g.op("Mul", [y_f, y_b], base)]
    elif mode == "ave":
        y = [g.op("Mean", [y_f, y_b], base)]
    else:
        y = [y_f, y_b]
    return y + fwd[1:] + bwd[1:]
