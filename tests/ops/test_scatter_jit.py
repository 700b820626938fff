"""The compiled scatter-add of rows (``ops/scatter_jit``): an embedding's backward. It must give
``np.add.at``'s bits (rows added in the same order), wrap negative ids, and leave out-of-range
ids to NumPy's IndexError."""

import numpy as np
import pytest

import profond as pf
from profond.backend import jit as backend_jit

pytest.importorskip("numba")


def _grad_of_table(table, ids, gy, jit):
    old = backend_jit.ENABLED
    backend_jit.ENABLED = jit
    try:
        w = pf.Variable(table)
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(pf.gather(w, ids) * gy)
        return tape.gradient(loss, w).numpy()
    finally:
        backend_jit.ENABLED = old


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("table_shape, ids_shape", [((44, 128), (64, 32)), ((7,), (5, 9)),
                                                    ((10, 3, 2), (40,))])
def test_kernel_gives_the_bits_of_np_add_at(dtype, table_shape, ids_shape):
    rng = np.random.default_rng(0)
    table = rng.standard_normal(table_shape).astype(dtype)
    ids = rng.integers(-table_shape[0], table_shape[0], ids_shape)  # repeats, negatives
    gy = rng.standard_normal(ids_shape + table_shape[1:]).astype(dtype)
    expected = np.zeros_like(table)
    np.add.at(expected, ids, gy)
    for jit in (True, False):
        np.testing.assert_array_equal(_grad_of_table(table, ids, gy, jit), expected)


def test_out_of_range_ids_raise_numpys_error():
    table = np.ones((5, 2), np.float32)
    with pytest.raises(IndexError, match="out of bounds"):
        _grad_of_table(table, np.array([0, 5]), np.ones((2, 2), np.float32), True)


def test_embedding_layer_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 50, (8, 12))
    layer = pf.keras.layers.Embedding(50, 6)
    layer.build((None, 12))
    gy = rng.standard_normal((8, 12, 6)).astype("float32")
    with pf.GradientTape() as tape:
        loss = pf.reduce_sum(layer(ids) * gy)
    grad = tape.gradient(loss, layer.embeddings).numpy()
    emb = torch.nn.Embedding(50, 6)
    emb.weight.data = torch.from_numpy(layer.embeddings.numpy().copy())
    (emb(torch.from_numpy(ids)) * torch.from_numpy(gy)).sum().backward()
    np.testing.assert_allclose(grad, emb.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
