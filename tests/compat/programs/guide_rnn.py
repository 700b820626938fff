"""The "working with RNNs" guide at a tiny size: Embedding + LSTM/GRU/SimpleRNN, return_sequences,
an encoder-decoder wired with return_state and initial_state, stateful layers with reset_states
and a state handed to a new layer, Bidirectional, RNN(LSTMCell) against LSTM, and a user cell
with two states of different sizes (Keras 3 no longer takes nested inputs or matrix states)."""

import numpy as np
from _common import emit, keras, set_fixed_weights, tf

layers = keras.layers
rng = np.random.default_rng(0)
results = {}


def describe(model):
    return [[layer.name, str(layer.output.shape) if not isinstance(layer.output, (list, tuple))
             else [str(o.shape) for o in layer.output], layer.count_params()]
            for layer in model.layers] + [model.count_params()]


ids = rng.integers(0, 20, size=(3, 6))
model = keras.Sequential()
model.add(keras.Input(shape=(None,)))
model.add(layers.Embedding(input_dim=20, output_dim=4))
model.add(layers.LSTM(5))
model.add(layers.Dense(3))
set_fixed_weights(model)
results["lstm"] = [describe(model), model(ids)]

model = keras.Sequential()
model.add(keras.Input(shape=(None,)))
model.add(layers.Embedding(input_dim=20, output_dim=4))
model.add(layers.GRU(6, return_sequences=True))
model.add(layers.SimpleRNN(5))
model.add(layers.Dense(3))
set_fixed_weights(model)
results["gru_simple"] = [describe(model), model(ids)]

encoder_vocab, decoder_vocab = 15, 12
encoder_input = keras.Input(shape=(None,))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=4)(encoder_input)
output, state_h, state_c = layers.LSTM(5, return_state=True, name="encoder")(encoder_embedded)
encoder_state = [state_h, state_c]
decoder_input = keras.Input(shape=(None,))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=4)(decoder_input)
decoder_output = layers.LSTM(5, name="decoder")(decoder_embedded, initial_state=encoder_state)
output = layers.Dense(3)(decoder_output)
model = keras.Model([encoder_input, decoder_input], output)
set_fixed_weights(model)
results["encoder_decoder"] = [[layer.name for layer in model.layers], model.count_params(),
                              model([ids % encoder_vocab, ids[:, :4] % decoder_vocab])]
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
targets = rng.normal(size=(3, 3)).astype("float32")
results["encoder_decoder_fit"] = model.fit(
    [ids % encoder_vocab, ids[:, :4] % decoder_vocab], targets, epochs=3, batch_size=3,
    verbose=0).history

paragraph1, paragraph2, paragraph3 = rng.normal(size=(3, 2, 4, 3)).astype("float32")
lstm_layer = layers.LSTM(4, stateful=True)
lstm_layer(paragraph1)
set_fixed_weights(lstm_layer)
lstm_layer.reset_states()
stateful = []
for s in (paragraph1, paragraph2, paragraph3):
    stateful.append(lstm_layer(s))
existing_state = lstm_layer.states
results["states"] = [len(existing_state), [list(s.shape) for s in existing_state]]
new_lstm_layer = layers.LSTM(4)
new_lstm_layer(paragraph3)
set_fixed_weights(new_lstm_layer, 2)
results["state_reuse"] = new_lstm_layer(paragraph3, initial_state=existing_state)
lstm_layer.reset_states()
stateful.append(lstm_layer(paragraph1))
results["stateful"] = stateful

sequences = rng.normal(size=(2, 5, 6)).astype("float32")
model = keras.Sequential()
model.add(keras.Input(shape=(5, 6)))
model.add(layers.Bidirectional(layers.LSTM(4, return_sequences=True)))
model.add(layers.Bidirectional(layers.LSTM(3)))
model.add(layers.Dense(2))
set_fixed_weights(model)
results["bidirectional"] = [describe(model), model(sequences)]

lstm = layers.LSTM(4)
rnn = layers.RNN(layers.LSTMCell(4))
lstm(sequences)
rnn(sequences)
set_fixed_weights(lstm)
rnn.set_weights(lstm.get_weights())
results["rnn_of_cell_equals_layer"] = bool(np.allclose(rnn(sequences), lstm(sequences),
                                                       atol=1e-6))


@keras.utils.register_keras_serializable()
class NestedCell(layers.Layer):
    """A cell with two states of different sizes: (s1, s2) -> (s1 + x W1, s2 + tanh(x W2))."""

    def __init__(self, unit_1, unit_2, unit_3, **kwargs):
        self.unit_1 = unit_1
        self.unit_2 = unit_2
        self.unit_3 = unit_3
        self.state_size = [unit_1, unit_2 * unit_3]
        self.output_size = unit_1
        super().__init__(**kwargs)

    def build(self, input_shape):
        i1 = input_shape[-1]
        self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), initializer="uniform",
                                        name="kernel_1")
        self.kernel_2_3 = self.add_weight(shape=(i1, self.unit_2 * self.unit_3),
                                          initializer="uniform", name="kernel_2_3")

    def call(self, inputs, states):
        s1, s2 = states
        output_1 = tf.matmul(inputs, self.kernel_1)
        output_2_3 = tf.einsum("bi,ik->bk", inputs, self.kernel_2_3)
        state_1 = s1 + output_1
        state_2_3 = s2 + tf.tanh(output_2_3)
        return state_1 * tf.reduce_mean(state_2_3, axis=1)[:, None], (state_1, state_2_3)

    def get_config(self):
        return {"unit_1": self.unit_1, "unit_2": self.unit_2, "unit_3": self.unit_3}


unit_1, unit_2, unit_3, i1 = 3, 2, 4, 5
cell = NestedCell(unit_1, unit_2, unit_3)
rnn = layers.RNN(cell, return_state=True)
input_1 = keras.Input((None, i1))
output, state_1, state_2 = rnn(input_1)
model = keras.Model(input_1, output)
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
input_1_data = rng.normal(size=(8, 3, i1)).astype("float32")
target_1_data = rng.normal(size=(8, unit_1)).astype("float32")
results["nested_states"] = [str(t.shape) for t in (output, state_1, state_2)]
results["nested_fit"] = model.fit(input_1_data, target_1_data, batch_size=4, epochs=2,
                                  shuffle=False, verbose=0).history
results["nested_config"] = rnn.get_config()["cell"]["config"]
emit(results)
