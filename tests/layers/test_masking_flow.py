"""Masks from Embedding(mask_zero=True) flow as in Keras: through LayerNormalization, into the
masked mean of GlobalAveragePooling1D."""

import numpy as np

import profond as pf

L = pf.keras.layers
TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])


def test_global_average_pooling_1d_averages_the_kept_steps_only():
    emb = L.Embedding(5, 3, mask_zero=True)
    model = pf.keras.Sequential([L.Input((4,), dtype="int64"), emb, L.GlobalAveragePooling1D()])
    table = emb.get_weights()[0]
    out = model.predict(TOKENS, verbose=0)
    np.testing.assert_allclose(out[0], table[[1, 2]].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out[1], table[3], rtol=1e-6)


def test_masked_mean_channels_first_and_keepdims():
    x = np.random.default_rng(0).random((2, 3, 4)).astype(np.float32)   # (N, C, T)
    mask = np.array([[True, True, False, False], [True, False, True, False]])
    layer = L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    out = layer(x, mask=mask).numpy()
    want = (x * mask[:, None]).sum(2, keepdims=True) / mask.sum(1)[:, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_layer_normalization_passes_the_mask_and_pooling_ends_it():
    inputs = pf.keras.Input((4,), dtype="int64")
    h = L.Embedding(5, 3, mask_zero=True)(inputs)
    h = L.LayerNormalization()(h)
    assert h._keras_mask is not None
    pooled = L.GlobalAveragePooling1D()(h)
    assert getattr(pooled, "_keras_mask", None) is None


def test_a_masked_bag_of_embeddings_trains():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (64, 6))
    x[:, 3:] *= rng.integers(0, 2, (64, 3))          # padding zeros at the end, some rows
    y = (x[:, 0] > 10).astype("float32")
    model = pf.keras.Sequential([L.Input((6,), dtype="int64"), L.Embedding(20, 8, mask_zero=True),
                                 L.LayerNormalization(), L.GlobalAveragePooling1D(), L.Dense(1)])
    model.compile("adam", pf.keras.losses.BinaryCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_input_dtype_string_is_tf_string():
    assert pf.keras.Input((1,), dtype="string").dtype == pf.keras.Input((1,), dtype=pf.string).dtype


def test_symbolic_calls_without_a_run_on_zeros_keep_shapes_and_masks():
    """Dense, Dropout and Activation find their output from compute_output_shape (no run on
    zeros) and carry the mask over, as running them would."""
    inputs = pf.keras.Input((4,), dtype="int64")
    h = L.Embedding(5, 3, mask_zero=True)(inputs)
    for layer in (L.Dense(6), L.Dropout(0.5), L.Activation("tanh")):
        h = layer(h)
        assert h.shape == (None, 4, 6) and h._keras_mask.shape == (None, 4)
    model = pf.keras.Model(inputs, L.GlobalAveragePooling1D()(h))
    out = model.predict(TOKENS, verbose=0)
    assert out.shape == (2, 6) and np.isfinite(out).all()
