"""Attention layers with fixed weights: MultiHeadAttention (cross- and self-attention, masks from
Embedding(mask_zero=True), causal and explicit masks, scores, output_shape, attention_axes,
gate, sliding window), Attention and AdditiveAttention with masks, and a short fit of a small
encoder."""

import numpy as np
from _common import emit, keras, set_fixed_weights

rng = np.random.default_rng(0)
q = rng.normal(size=(2, 4, 5)).astype("float32")
v = rng.normal(size=(2, 6, 7)).astype("float32")
k = rng.normal(size=(2, 6, 3)).astype("float32")
tokens = np.array([[3, 1, 4, 1, 5, 0], [9, 2, 6, 0, 0, 0], [5, 3, 0, 0, 0, 0]])
attention_mask = rng.random((2, 4, 6)) > 0.3
attention_mask[:, :, 0] = True


def fixed(layer, *inputs, seed=1):
    """Build the layer on the inputs, give it the same weights in both frameworks."""
    layer(*inputs)
    rng_w = np.random.default_rng(seed)
    layer.set_weights([rng_w.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in layer.get_weights()])
    return layer


results = {}
mha = fixed(keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4), q, v, k)
results["cross"] = mha(q, v, k)
out, scores = mha(q, v, k, attention_mask=attention_mask, return_attention_scores=True)
results["masked"], results["masked_scores"] = out, scores
results["masked_fast_path"] = mha(q, v, k, attention_mask=attention_mask)
results["causal"] = mha(q, v, k, use_causal_mask=True)
results["weights"] = [list(w.shape) for w in mha.get_weights()]
results["names"] = [w.path.split("/", 1)[1] for w in mha.weights]

inputs = keras.Input((None,), dtype="int32")
x = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
y = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
z = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(y, x, use_causal_mask=True)
model = keras.Model(inputs, [y, z])
set_fixed_weights(model)
results["embedding_masks"] = model(tokens)

shaped = fixed(keras.layers.MultiHeadAttention(2, 3, output_shape=(2, 3), use_bias=False), q, q)
results["output_shape"] = shaped(q, q)
image = rng.normal(size=(2, 3, 4, 5)).astype("float32")
axes = fixed(keras.layers.MultiHeadAttention(2, 3, attention_axes=(2,)), image, image)
out, scores = axes(image, image, return_attention_scores=True)
results["axes_2"], results["axes_2_scores"] = out, scores
both = fixed(keras.layers.MultiHeadAttention(2, 3), image, image)
results["axes_default"] = both(image, image)
gated = fixed(keras.layers.MultiHeadAttention(2, 3, use_gate=True), q, v)
results["gate"] = gated(q, v)
window = fixed(keras.layers.MultiHeadAttention(2, 3, sliding_window=2), q, q)
results["sliding_window"] = window(q, q, use_causal_mask=True)
results["sliding_window_scores"] = window(q, q, return_attention_scores=True)[1]

q_mask = np.array([[True, True, True, False], [True, True, False, False]])
v_mask = np.array([[True] * 6, [True, True, True, False, False, False]])
dot = fixed(keras.layers.Attention(use_scale=True), [q, q[:, :, :5]])
out, scores = dot([q, q], mask=[q_mask, q_mask], return_attention_scores=True,
                  use_causal_mask=True)
results["attention_dot"], results["attention_dot_scores"] = out, scores
concat = fixed(keras.layers.Attention(use_scale=True, score_mode="concat"), [q, v[:, :, :5]])
results["attention_concat"] = concat([q, v, v[:, :, :5]], mask=[q_mask, v_mask])
additive = fixed(keras.layers.AdditiveAttention(), [q, v[:, :, :5]])
results["additive"] = additive([q, v, v[:, :, :5]], mask=[None, v_mask])

# a small causal encoder block, fitted for three epochs with the same weights
inputs = keras.Input((6,), dtype="int32")
x = keras.layers.Embedding(10, 8)(inputs)
h = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.0)(x, x, use_causal_mask=True)
x = keras.layers.LayerNormalization()(keras.layers.Add()([x, h]))
x = keras.layers.GlobalAveragePooling1D()(x)
outputs = keras.layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
labels = np.array([1.0, 0.0, 1.0], "float32")
results["fit"] = model.fit(tokens, labels, batch_size=2, epochs=3, shuffle=False,
                           verbose=0).history
emit(results)
