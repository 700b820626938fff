"""Recurrent layers behave as Keras's (issue 11, item 4): masks, stateful layers, initial and
returned states, user cells with nested states, StackedRNNCells, Bidirectional's merge modes.

The expectations are properties that define the behaviour (a masked step is skipped: the result
equals a run on the real steps only; a stateful layer continues the sequence; ...), and were
checked against TensorFlow 2.21 with the same weights."""

import numpy as np
import pytest

import profond as pf
from profond import layers

rng = np.random.default_rng(0)
B, T, D = 2, 5, 3
X = rng.standard_normal((B, T, D)).astype("float32")
MASK = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 0, 0]], bool)
KINDS = ["SimpleRNN", "LSTM", "GRU"]


def _twin(layer, **overrides):
    """A copy of ``layer`` (same weights) with some arguments changed."""
    config = layer.get_config()
    config.update(overrides, name=None)
    twin = type(layer).from_config(config)
    twin(X)
    twin.set_weights(layer.get_weights())
    return twin


@pytest.mark.parametrize("kind", KINDS)
def test_a_masked_step_is_skipped(kind):
    layer = getattr(layers, kind)(4, return_sequences=True, return_state=True)
    seq, *states = layer(X, mask=MASK)
    plain = _twin(layer, return_sequences=True, return_state=True)
    for b in range(B):
        for t in range(T):
            real = np.flatnonzero(MASK[b, : t + 1])
            if real.size == 0:  # nothing seen yet: zeros
                np.testing.assert_array_equal(seq.numpy()[b, t], 0)
                continue
            out, *s = plain(X[b : b + 1, real])
            np.testing.assert_allclose(seq.numpy()[b, t], out.numpy()[0, -1], atol=1e-6)
            if t == T - 1:
                for got, want in zip(states, s):
                    np.testing.assert_allclose(got.numpy()[b], want.numpy()[0], atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_go_backwards_with_a_mask_reads_the_reversed_sequence(kind):
    layer = getattr(layers, kind)(4, return_sequences=True, go_backwards=True)
    got = layer(X, mask=MASK).numpy()
    forward = _twin(layer, go_backwards=False)
    np.testing.assert_allclose(got, forward(X[:, ::-1], mask=MASK[:, ::-1]).numpy(), atol=1e-6)
    np.testing.assert_allclose(layer(X).numpy(), forward(X[:, ::-1]).numpy(), atol=1e-6)
    unrolled = _twin(layer, unroll=True)
    np.testing.assert_allclose(unrolled(X, mask=MASK).numpy(), got, atol=1e-6)


def test_zero_output_for_mask():
    layer = layers.GRU(3, return_sequences=True, zero_output_for_mask=True)
    seq = layer(X, mask=MASK).numpy()
    assert (seq[~MASK] == 0).all() and (np.abs(seq[MASK]) > 0).all()


def test_masks_from_embedding_and_masking_reach_the_rnn():
    ids = np.array([[3, 1, 0, 0], [2, 4, 4, 0]])
    model = pf.keras.Sequential([layers.Input((4,)), layers.Embedding(5, 3, mask_zero=True),
                                 layers.Dropout(0.0), layers.LSTM(2, return_sequences=True)])
    embedded = model.layers[0](ids)
    want = model.layers[2](embedded, mask=ids != 0).numpy()
    np.testing.assert_allclose(model(ids).numpy(), want, atol=1e-6)
    np.testing.assert_allclose(model(ids, training=True).numpy(), want, atol=1e-6)
    padded = np.concatenate([X[:, :3], np.zeros((B, 2, D), "float32")], axis=1)
    model = pf.keras.Sequential([layers.Input((T, D)), layers.Masking(0.0), layers.SimpleRNN(2)])
    rnn = model.layers[-1]
    np.testing.assert_allclose(model(padded).numpy(), rnn(X[:, :3]).numpy(), atol=1e-6)


# --- stateful -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_stateful_layer_continues_the_sequence_until_reset(kind):
    layer = getattr(layers, kind)(3, stateful=True, return_sequences=True)
    first, second = layer(X[:, :2]).numpy(), layer(X[:, 2:]).numpy()
    whole = _twin(layer, stateful=False)(X).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-6)
    assert len(layer.states) == (2 if kind == "LSTM" else 1)
    layer.reset_states()
    np.testing.assert_allclose(layer(X[:, :2]).numpy(), first, atol=1e-6)
    assert len(layer.weights) == len(_twin(layer, stateful=False).weights)  # states aren't weights
    with pytest.raises(ValueError, match="Expected batch size: 2. Received batch size: 1"):
        layer(X[:1])


def test_stateful_needs_a_fixed_batch_size_and_symbolic_calls_leave_states_alone():
    with pytest.raises(ValueError, match=r"batch size must be static.*\(None, 5, 3\)"):
        pf.keras.Sequential([layers.Input((T, D)), layers.LSTM(2, stateful=True)])
    for model in (
            pf.keras.Sequential([layers.Input((T, D), batch_size=B),
                                 layers.LSTM(2, stateful=True)]),
            pf.keras.Sequential([layers.LSTM(2, stateful=True, batch_input_shape=(B, T, D))])):
        lstm = model.layers[-1]
        first = model(X).numpy()
        assert not np.allclose(model(X).numpy(), first)
        lstm.reset_states()
        np.testing.assert_allclose(model(X).numpy(), first, atol=1e-6)
    with pytest.raises(AttributeError, match="not stateful"):
        layers.GRU(2).reset_states()


def test_stateful_bidirectional_starts_from_zeros_fits_and_resets_both():
    bi = layers.Bidirectional(layers.GRU(2, stateful=True))
    model = pf.keras.Sequential([layers.Input((T, D), batch_size=B), bi, layers.Dense(1)])
    fresh = layers.Bidirectional(layers.GRU(2))
    fresh(X)
    fresh.set_weights(bi.get_weights())
    np.testing.assert_allclose(bi(X).numpy(), fresh(X).numpy(), atol=1e-6)  # zeros at first
    assert not np.allclose(bi(X).numpy(), fresh(X).numpy())
    model.compile("adam", "mse")
    model.fit(X, np.ones((B, 1)), epochs=2, batch_size=B, verbose=0, shuffle=False)
    bi.reset_states()
    after_fit = model(X).numpy()
    bi.reset_states()
    np.testing.assert_allclose(model(X).numpy(), after_fit, atol=1e-6)
    with pytest.raises(ValueError, match="batch size must be static"):
        pf.keras.Sequential([layers.Input((T, D)),
                             layers.Bidirectional(layers.GRU(2, stateful=True))])


# --- states in and out ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind, n_states", [("SimpleRNN", 1), ("LSTM", 2), ("GRU", 1)])
def test_return_state_and_initial_state(kind, n_states):
    layer = getattr(layers, kind)(4, return_state=True)
    out, *states = layer(X)
    assert len(states) == n_states and all(s.shape == (B, 4) for s in states)
    np.testing.assert_allclose(out.numpy(), states[0].numpy())
    # starting from the states after the first half = running the whole sequence
    _, *half = layer(X[:, :2])
    resumed, *_ = layer(X[:, 2:], initial_state=half)
    np.testing.assert_allclose(resumed.numpy(), out.numpy(), atol=1e-6)


def test_initial_state_as_keras_tensors_in_a_functional_model():
    inputs, h, c = layers.Input((T, D)), layers.Input((4,)), layers.Input((4,))
    lstm = layers.LSTM(4, return_state=True)
    out, h_out, c_out = lstm(inputs, initial_state=[h, c])
    model = pf.keras.Model([inputs, h, c], [out, h_out, c_out])
    h0, c0 = rng.standard_normal((2, B, 4)).astype("float32")
    got = model([X, h0, c0])
    want = lstm(X, initial_state=[h0, c0])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    assert not np.allclose(got[0].numpy(), lstm(X)[0].numpy())


# --- user cells, nested states, stacked cells -------------------------------------------------


class MinimalRNNCell(layers.Layer):
    """The cell of Keras's RNN guide: hₜ = xₜW + hₜ₋₁U."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="rk",
                                                initializer="orthogonal")

    def call(self, inputs, states):
        h = pf.matmul(inputs, self.kernel) + pf.matmul(states[0], self.recurrent_kernel)
        return h, [h]


def test_rnn_runs_a_user_cell_and_differentiates_it():
    cell = MinimalRNNCell(3)
    layer = layers.RNN(cell, return_sequences=True, return_state=True)
    with pf.GradientTape() as tape:
        seq, h = layer(X)
        loss = pf.reduce_sum(seq * seq)
    w, u = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    want, hh = [], np.zeros((B, 3), "float32")
    for t in range(T):
        hh = X[:, t] @ w + hh @ u
        want.append(hh)
    np.testing.assert_allclose(seq.numpy(), np.stack(want, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), hh, rtol=1e-5, atol=1e-6)
    grads = tape.gradient(loss, layer.trainable_variables)
    assert len(grads) == 2 and all(g is not None for g in grads)
    inputs = layers.Input((T, D))
    model = pf.keras.Model(inputs, layers.RNN(MinimalRNNCell(3))(inputs))
    assert model(X).shape == (B, 3)


class NestedCell(layers.Layer):
    """States [a, [b, c]]; its own get_initial_state starts c at one."""

    state_size = [2, [3, 1]]
    output_size = 2

    def get_initial_state(self, batch_size=None):
        return [pf.zeros((batch_size, 2)), [pf.zeros((batch_size, 3)), pf.ones((batch_size, 1))]]

    def call(self, inputs, states):
        a, (b, c) = states
        return inputs[:, :2] + a, [a + 1, (b + 2, c * 2)]


def test_cells_take_and_return_nested_states():
    out, a, b, c = layers.RNN(NestedCell(), return_state=True)(X)
    np.testing.assert_allclose(a.numpy(), T)
    np.testing.assert_allclose(b.numpy(), 2 * T)
    np.testing.assert_allclose(c.numpy(), 2**T)  # from get_initial_state's ones
    np.testing.assert_allclose(out.numpy(), X[:, -1, :2] + T - 1, rtol=1e-6)
    masked, a, b, c = layers.RNN(NestedCell(), return_state=True)(X, mask=MASK)
    np.testing.assert_allclose(c.numpy()[:, 0], 2.0 ** MASK.sum(1))


def test_stacked_cells_equal_stacked_layers():
    cells = [layers.LSTMCell(4), layers.GRUCell(3)]
    stacked = layers.RNN(cells, return_sequences=True, return_state=True)
    assert isinstance(stacked.cell, layers.StackedRNNCells)
    assert stacked.cell.state_size == [[4, 4], 3] and stacked.cell.output_size == 3
    seq, h1, c1, h2 = stacked(X)
    lstm = layers.LSTM(4, return_sequences=True, return_state=True)
    gru = layers.GRU(3, return_sequences=True, return_state=True)
    mid, want_h1, want_c1 = lstm(X)
    gru(mid)
    lstm.set_weights(stacked.get_weights()[:3])
    gru.set_weights(stacked.get_weights()[3:])
    mid, want_h1, want_c1 = lstm(X)
    want_seq, want_h2 = gru(mid)
    for got, want in ((seq, want_seq), (h1, want_h1), (c1, want_c1), (h2, want_h2)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)
    clone = layers.RNN.from_config(stacked.get_config())
    clone(X)
    clone.set_weights(stacked.get_weights())
    np.testing.assert_allclose(clone(X)[0].numpy(), seq.numpy(), atol=1e-6)


# --- Bidirectional --------------------------------------------------------------------------------


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes_and_states(merge_mode):
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True, return_state=True),
                              merge_mode=merge_mode)
    result = bi(X)
    fwd = _twin(bi.forward_layer)
    bwd = _twin(bi.backward_layer)
    y_f, *s_f = fwd(X)
    y_b, *s_b = bwd(X)
    y_f, y_b = y_f.numpy(), y_b.numpy()[:, ::-1]
    merged = {"concat": np.concatenate([y_f, y_b], -1), "sum": y_f + y_b, "mul": y_f * y_b,
              "ave": (y_f + y_b) / 2, None: None}[merge_mode]
    outputs = [y_f, y_b] if merge_mode is None else [merged]
    assert isinstance(result, tuple) and len(result) == len(outputs) + 4
    for got, want in zip(result, outputs + [s.numpy() for s in s_f + s_b]):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_bidirectional_with_its_own_backward_layer_and_a_mask():
    backward = layers.GRU(2, go_backwards=True, return_sequences=True, name="mine")
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True), backward_layer=backward)
    y = bi(X, mask=MASK)
    assert y.shape == (B, T, 5) and bi.backward_layer is backward
    assert (y.numpy()[~MASK] == 0).all()  # masked steps are zeros in both directions (Keras)
    clone = layers.Bidirectional.from_config(bi.get_config())
    clone(X)
    clone.set_weights(bi.get_weights())
    np.testing.assert_allclose(clone(X, mask=MASK).numpy(), y.numpy(), atol=1e-6)
    assert isinstance(layers.Bidirectional(layers.GRU(2), merge_mode=None)(X), tuple)
