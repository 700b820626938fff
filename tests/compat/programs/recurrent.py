"""Recurrent behaviour (issue 11, item 4): masks (Embedding(mask_zero=True), Masking, go_backwards,
zero_output_for_mask), stateful layers with reset_states, return_state / initial_state (also as
Inputs of a functional model), RNN over a user cell, stacked cells, Bidirectional's merge modes."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 5, 3)).astype("float32")
mask = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 0, 0]], bool)
results = {}

for kind in ("SimpleRNN", "LSTM", "GRU"):
    for go_backwards in (False, True):
        layer = getattr(layers, kind)(4, return_sequences=True, return_state=True,
                                      go_backwards=go_backwards)
        layer(x)
        set_fixed_weights(layer)
        results[f"{kind}_mask_backwards={go_backwards}"] = layer(x, mask=mask)
layer = layers.GRU(3, return_sequences=True, zero_output_for_mask=True)
layer(x)
set_fixed_weights(layer)
results["zero_output_for_mask"] = layer(x, mask=mask)

ids = np.array([[3, 1, 0, 0], [2, 4, 4, 0]])
model = keras.Sequential([keras.Input((4,)), layers.Embedding(5, 3, mask_zero=True),
                          layers.LSTM(2, return_sequences=True)])
set_fixed_weights(model)
results["embedding_mask"] = [model(ids), model(ids, training=True)]
padded = np.concatenate([x[:, :3], np.zeros((2, 2, 3), "float32")], axis=1)
model = keras.Sequential([keras.Input((5, 3)), layers.Masking(0.0), layers.SimpleRNN(2)])
set_fixed_weights(model)
results["masking"] = model(padded)

model = keras.Sequential([keras.Input((5, 3), batch_size=2), layers.LSTM(3, stateful=True)])
set_fixed_weights(model)
first, second = model(x), model(x)
model.layers[-1].reset_states()
results["stateful"] = [first, second, model(x)]

inputs, h, c = keras.Input((5, 3)), keras.Input((3,)), keras.Input((3,))
out, h_out, c_out = layers.LSTM(3, return_state=True)(inputs, initial_state=[h, c])
model = keras.Model([inputs, h, c], [out, h_out, c_out])
set_fixed_weights(model)
h0, c0 = rng.normal(size=(2, 2, 3)).astype("float32")
results["initial_state_inputs"] = model([x, h0, c0])


class MinimalRNNCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="rk")

    def call(self, inputs, states):
        h = tf.matmul(inputs, self.kernel) + tf.tanh(tf.matmul(states[0], self.recurrent_kernel))
        return h, [h]


layer = layers.RNN(MinimalRNNCell(3), return_sequences=True, return_state=True)
layer(x)
set_fixed_weights(layer)
results["user_cell"] = layer(x, mask=mask)

layer = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)]),
                   return_sequences=True)
layer(x)
set_fixed_weights(layer)
results["stacked_cells"] = [layer(x), layer.cell.state_size, layer.cell.output_size]

for merge_mode in ("concat", "sum", "mul", "ave", None):
    bi = layers.Bidirectional(layers.GRU(3, return_sequences=True, return_state=True),
                              merge_mode=merge_mode)
    bi(x)
    set_fixed_weights(bi)
    results[f"bidirectional_{merge_mode}"] = [bi(x), bi(x, mask=mask)]
bi = layers.Bidirectional(layers.LSTM(2), backward_layer=layers.SimpleRNN(3, go_backwards=True))
bi(x)
set_fixed_weights(bi)
results["bidirectional_backward_layer"] = bi(x, mask=mask)
emit(results)
