"""Position embeddings (KerasHub's PositionEmbedding, SinePositionEncoding,
TokenAndPositionEmbedding): the layer contract, the sinusoid's formula, gradients (float64
check, torch's nn.Embedding for the token + position sum), masks reaching attention, saving,
and the errors (a sequence longer than the table names both lengths)."""

import os
import tempfile

import numpy as np
import pytest
import torch

import profond as pf
from profond import layers
from profond.testing import gradcheck, run_layer_test


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def test_position_embedding_contract():
    run_layer_test(layers.PositionEmbedding, {"sequence_length": 7}, (2, 5, 3), (2, 5, 3),
                   expected_num_trainable_weights=1, run_training_check=False)


def test_sine_position_encoding_contract():
    run_layer_test(layers.SinePositionEncoding, {"max_wavelength": 100}, (2, 5, 4), (2, 5, 4),
                   run_training_check=False)


def test_token_and_position_embedding_contract():
    tokens = np.random.default_rng(0).integers(0, 10, (2, 5))
    run_layer_test(layers.TokenAndPositionEmbedding,
                   {"vocabulary_size": 10, "sequence_length": 6, "embedding_dim": 4},
                   (2, 5), (2, 5, 4), expected_num_trainable_weights=2, input_dtype="int64",
                   input_data=tokens)


def test_sine_position_encoding_formula():
    d, length, start, wavelength = 6, 9, 3, 50.0
    out = layers.SinePositionEncoding(max_wavelength=wavelength, dtype="float64")(
        pf.zeros((2, length, d), dtype="float64"), start_index=start).numpy()
    p = np.arange(start, start + length)[:, None]
    i = np.arange(d // 2)[None, :]
    angle = p / wavelength ** (2 * i / d)
    np.testing.assert_allclose(out[1, :, 0::2], np.sin(angle), atol=1e-12)
    np.testing.assert_allclose(out[1, :, 1::2], np.cos(angle), atol=1e-12)
    np.testing.assert_array_equal(out[0], out[1])
    # odd width and float32 inputs: the last feature is a sine, the dtype follows the inputs
    odd = layers.SinePositionEncoding()(pf.zeros((1, 4, 5)))
    assert odd.dtype == np.float32
    np.testing.assert_allclose(odd.numpy()[0, :, 4], np.sin(np.arange(4) / 1e4 ** 0.8),
                               rtol=1e-6)


def test_position_embedding_rows_and_gradient():
    layer = layers.PositionEmbedding(8)
    x = np.random.default_rng(1).standard_normal((3, 5, 4))
    out = layer(x, start_index=2).numpy()
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out, np.broadcast_to(table[2:7], (3, 5, 4)))
    table64 = np.random.default_rng(2).standard_normal((8, 4))
    layer = layers.PositionEmbedding(8, dtype="float64")
    layer.build((None, 5, 4))
    # the gradient sums the upstream gradient over the batch into the rows used
    layer.position_embeddings.assign(table64)
    gy = np.random.default_rng(3).standard_normal((3, 5, 4))
    with pf.GradientTape() as tape:
        y = layer(pf.zeros((3, 5, 4), dtype="float64"), start_index=1)
        loss = pf.reduce_sum(y * gy)
    (g,) = tape.gradient(loss, [layer.position_embeddings])
    expected = np.zeros((8, 4))
    expected[1:6] = gy.sum(0)
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-12)


def test_position_embedding_gradcheck():
    layer = layers.PositionEmbedding(6, dtype="float64")
    x = pf.zeros((2, 4, 3), dtype="float64")
    layer.build(x.shape)

    def through(table):
        layer.position_embeddings = table  # the call path, with the table as the input
        return layer(x, start_index=1) * x.shape[0]

    gradcheck(through, [np.random.default_rng(5).standard_normal((6, 3))])


def test_token_and_position_embedding_against_torch():
    layer = layers.TokenAndPositionEmbedding(11, 6, 4, dtype="float64")
    tokens = np.array([[1, 10, 0, 2, 2], [3, 3, 4, 5, 9]])
    gy = np.random.default_rng(4).standard_normal((2, 5, 4))
    with pf.GradientTape() as tape:
        y = layer(tokens)
        loss = pf.reduce_sum(y * gy)
    grads = tape.gradient(loss, layer.trainable_weights)
    tok_table, pos_table = layer.get_weights()
    tok = torch.nn.Embedding(11, 4).double()
    pos = torch.nn.Embedding(6, 4).double()
    with torch.no_grad():
        tok.weight.copy_(torch.tensor(tok_table))
        pos.weight.copy_(torch.tensor(pos_table))
    ty = tok(torch.tensor(tokens)) + pos(torch.arange(5))[None]
    (ty * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(grads[0].numpy(), tok.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(grads[1].numpy(), pos.weight.grad.numpy(), atol=1e-12)


def test_mask_reaches_attention_and_model_saves():
    tokens = np.array([[4, 5, 6, 0, 0], [7, 8, 9, 3, 0]])
    inputs = layers.Input((5,), dtype="int32")
    embed = layers.TokenAndPositionEmbedding(10, 8, 6, mask_zero=True)
    x = embed(inputs)
    y = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
    model = pf.models.Model(inputs, y)
    out = model(tokens).numpy()
    # another vector for the padding token: the real positions do not see it
    table, positions = embed.get_weights()
    embed.set_weights([table + 3.0 * (np.arange(10) == 0)[:, None], positions])
    np.testing.assert_allclose(model(tokens).numpy()[tokens != 0], out[tokens != 0],
                               rtol=1e-5, atol=1e-6)
    embed.set_weights([table, positions])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "positions.profond")
        model.save(path)
        loaded = pf.models.load_model(path)
    np.testing.assert_allclose(loaded(tokens).numpy(), out, rtol=1e-6)
    assert [w.path for w in embed.weights] == [
        f"{embed.name}/token_embedding/embeddings", f"{embed.name}/position_embedding/embeddings"]


def test_errors_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"sequence_length=4 positions .* length 5"):
        layers.PositionEmbedding(4)(pf.ones((1, 5, 2)))
    with pytest.raises(ValueError, match=r"sequence_length=4 .* length 3 from start_index=2"):
        layers.PositionEmbedding(4)(pf.ones((1, 3, 2)), start_index=2)
    with pytest.raises(ValueError, match=r"sequence_length=6 .* length 7"):
        layers.TokenAndPositionEmbedding(10, 6, 4)(np.zeros((2, 7), int))
    with pytest.raises(ValueError, match="start_index=-1"):
        layers.SinePositionEncoding()(pf.ones((1, 3, 2)), start_index=-1)
    with pytest.raises(ValueError, match="sequence_length=0"):
        layers.PositionEmbedding(0)
    with pytest.raises(ValueError, match="max_wavelength=-1"):
        layers.SinePositionEncoding(max_wavelength=-1)
    with pytest.raises(ValueError, match="vocabulary_size=0"):
        layers.TokenAndPositionEmbedding(0, 6, 4)
    with pytest.raises(ValueError, match="embedding_dim=2.5"):
        layers.TokenAndPositionEmbedding(5, 6, 2.5)
    with pytest.raises(ValueError, match="expected inputs of shape"):
        layers.PositionEmbedding(4)(pf.ones((4,)))
