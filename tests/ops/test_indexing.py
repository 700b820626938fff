"""Indexing (``x[index]``, ``gather``) against PyTorch and central differences, and the helpers
without gradient (``one_hot``, ``argmax``, ``equal``, constructors) against NumPy / TF semantics."""

import numpy as np
import pytest
import torch

import profond as pf
from profond.ops.misc import shape as tf_shape
from profond.testing import check_against_torch, gradcheck, gradgradcheck, noncontiguous

RNG = np.random.default_rng(4)

# (index for profond and NumPy, the same index for torch when it differs)
INDICES = {
    "int": (1, None),
    "negative int": (-1, None),
    "slice": ((slice(1, None), slice(None, 4, 2)), None),
    "negative step": ((slice(None, None, -1), slice(3, 0, -2)), None),
    "None and Ellipsis": ((None, Ellipsis, 2), None),
    "int array with repeats": ((np.array([0, 2, 0, 0]),), None),
    "two int arrays": ((np.array([0, 2, 2]), np.array([1, 1, 4])), None),
    "array after slice": ((slice(None), np.array([[0, 4], [4, 4]])), None),
    "boolean mask": (np.array([True, False, True]), None),
    "boolean mask of all axes": ("mask2d", None),
}


def _index(name):
    index, _ = INDICES[name]
    if isinstance(index, str):
        return RNG.standard_normal((3, 5)) > 0
    return index


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    return torch.from_numpy(index) if isinstance(index, np.ndarray) else index


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem(name):
    x = RNG.standard_normal((3, 5))
    index = _index(name)
    if name == "negative step":  # torch has no negative steps: flip, then slice forwards
        tfn = lambda t: torch.flip(t, [0, 1])[:, 1:5:2]  # noqa: E731
    else:
        tfn = lambda t: t[_torch_index(index)]  # noqa: E731
    fn = lambda t: t[index]  # noqa: E731
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, [x], dtype=dtype)
    check_against_torch(fn, tfn, [noncontiguous(x)])
    gradcheck(fn, [x])
    gradgradcheck(lambda t: pf.square(t[index]), [x])


def test_repeated_index_accumulates_gradients():
    x = pf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = pf.grad(x[[0, 0, 2, 0]], [x], grad_outputs=pf.tensor([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(g.numpy(), [1011.0, 0.0, 100.0])
    assert g.dtype == np.float32


def test_index_with_tensors_and_numpy_integers():
    x = pf.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    idx = pf.tensor(np.array([2, 0]))
    np.testing.assert_array_equal(x[idx, np.int64(3)].numpy(), x.numpy()[[2, 0], 3])
    gradcheck(lambda t: t[np.int64(1), idx], [x.numpy()])


@pytest.mark.parametrize("shape,axis,indices", [((5, 3), 0, [4, 0, 0]),
                                                ((3, 5), 1, [[1, 2], [4, 1]]),
                                                ((2, 3, 4), -1, [3, 3]), ((2, 3, 4), 1, 2)],
                         ids=str)
def test_gather(shape, axis, indices):
    x = RNG.standard_normal(shape)
    idx = np.array(indices)
    ref = np.take(x, idx, axis=axis)

    def tfn(t):
        return torch.index_select(t, axis, torch.from_numpy(idx.reshape(-1))).reshape(ref.shape)

    fn = lambda t: pf.gather(t, idx, axis=axis)  # noqa: E731
    np.testing.assert_array_equal(fn(pf.tensor(x)).numpy(), ref)
    for dtype in ("float32", "float64"):
        check_against_torch(fn, tfn, [x], dtype=dtype)
    gradcheck(fn, [x])
    gradgradcheck(lambda t: pf.square(fn(t)), [x])


# --- helpers without gradient ---------------------------------------------------------------------


def test_one_hot_follows_tf():
    y = pf.one_hot([0, 2, -1, 3], depth=3)
    np.testing.assert_array_equal(y.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert y.dtype == np.float32 and not y.requires_grad
    y = pf.one_hot(pf.tensor(np.array([[1, 0]])), 2, on_value=5, off_value=-1, dtype="int32")
    np.testing.assert_array_equal(y.numpy(), [[[-1, 5], [5, -1]]])
    assert y.dtype == np.int32
    y = pf.one_hot([1, 0], 3, axis=0)
    np.testing.assert_array_equal(y.numpy(), [[0, 1], [1, 0], [0, 0]])
    with pytest.raises(TypeError, match="integer"):
        pf.one_hot([0.5], 3)
    with pytest.raises(TypeError, match="integer"):
        pf.one_hot(pf.constant([1.0]), 3)


def test_one_hot_truncates_numpy_float_labels_like_tf():
    # tf.one_hot(y_train, depth=10) with y_train a float32 NumPy array works in TF (the array is
    # cast to int64 on the way in, truncating); the built-in-training guide relies on it.
    y = pf.one_hot(np.array([1.0, 3.0, 1.7, -1.0], "float32"), depth=4)
    np.testing.assert_array_equal(y.numpy(), [[0, 1, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0],
                                              [0, 0, 0, 0]])
    assert y.dtype == np.float32


def test_argmax_argmin():
    x = pf.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    np.testing.assert_array_equal(pf.argmax(x, axis=1).numpy(), [1, 0])  # first on a tie
    np.testing.assert_array_equal(pf.argmax(x).numpy(), [1, 0, 1])  # axis None means 0, as TF
    np.testing.assert_array_equal(pf.argmin(x, axis=-1).numpy(), [0, 1])
    assert pf.argmax(x).dtype == np.int64
    assert pf.argmax(x, 1, output_type=np.int32).dtype == np.int32
    with pytest.raises(ValueError, match="rank"):
        pf.argmax(pf.tensor(1.0))


def test_equal_not_equal_broadcast():
    x = pf.tensor([[1.0], [2.0]])
    np.testing.assert_array_equal(pf.equal(x, [1.0, 2.0, 2.0]).numpy(),
                                  [[True, False, False], [False, True, True]])
    np.testing.assert_array_equal(pf.not_equal(x, 2).numpy(), [[True], [False]])


def test_constructors():
    assert pf.zeros((2, 3)).dtype == np.float32 and pf.zeros(4).shape == (4,)
    np.testing.assert_array_equal(pf.ones([2], dtype="int32").numpy(), [1, 1])
    assert pf.ones(()).shape == () and pf.ones(tf_shape(pf.zeros((2, 5)))).shape == (2, 5)
    assert pf.fill((2,), 3).dtype == np.int32 and pf.fill((2,), 3.0).dtype == np.float32
    np.testing.assert_array_equal(pf.fill([2, 2], 7.0).numpy(), np.full((2, 2), 7.0))
    r = pf.range(5)
    assert r.dtype == np.int32 and r.numpy().tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(pf.range(1.0, 2.0, 0.25).numpy(), [1.0, 1.25, 1.5, 1.75])
    assert pf.range(1.0, 2.0, 0.25).dtype == np.float32
    assert pf.arange(3, 9, 3).numpy().tolist() == [3, 6]
    np.testing.assert_allclose(pf.linspace(0.0, 1.0, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert pf.linspace(0, 1, 3).dtype == np.float32
    s = tf_shape(pf.zeros((2, 1, 4)))
    assert s.dtype == np.int32 and s.numpy().tolist() == [2, 1, 4]
