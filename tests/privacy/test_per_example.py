"""Per-example gradients from one backward pass equal a loop of one-example backward passes
(float64, 1e-10) for every layer DP-SGD supports, equal torch.func's vmap(grad), and the ops
that cannot give them (batch normalization, an op without a rule) say so by name."""

import numpy as np
import pytest

import profond as pf
from profond.keras import Model, Sequential, layers
from profond.privacy import per_example_gradients

pytestmark = pytest.mark.usefixtures("float64")  # (conftest.py): exact comparisons


def _losses(model, x, y):
    """One loss per example: a random-weighted sum of the outputs, squared, so each example's
    gradient differs and depends on its own upstream gradient."""
    out = model(x, training=True)
    out = pf.reshape(out, (out.shape[0], -1))
    return pf.reduce_sum(out * y, axis=1) ** 2


def _check(model, x, y, atol=1e-10):
    model(x[:1])  # build
    variables = model.trainable_variables
    with pf.GradientTape():
        per = per_example_gradients(_losses(model, x, y), variables)
    for i in range(x.shape[0]):
        with pf.GradientTape() as tape:
            loss = pf.reduce_sum(_losses(model, x[i:i + 1], y[i:i + 1]))
        for v, g, one in zip(variables, per, tape.gradient(loss, variables)):
            assert g.shape == (x.shape[0],) + tuple(v.shape)
            np.testing.assert_allclose(g[i], one.numpy(), rtol=0, atol=atol, err_msg=v.path)
    assert max(float(np.abs(g).max()) for g in per) > 1e-3  # not all zeros
    return per


def _y(model, x, seed=1):
    out = model(x[:1])
    return np.random.default_rng(seed).normal(size=(x.shape[0], int(np.prod(out.shape[1:]))))


CASES = {
    "dense": (lambda: Sequential([layers.Dense(4, activation="tanh"), layers.Dense(3)]),
              (5, 6)),
    "dense_relu_sigmoid": (lambda: Sequential([layers.Dense(4, activation="relu"),
                                                  layers.Dense(3, activation="sigmoid")]),
                           (5, 6)),
    "dense_over_time": (lambda: Sequential([layers.Dense(3, activation="tanh")]), (4, 7, 5)),
    "dense_not_fused": (lambda: Sequential([layers.Dense(3, activation="softplus")]), (4, 5)),
    "conv2d": (lambda: Sequential([
        layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh"),
        layers.MaxPooling2D(2, strides=1), layers.Conv2D(3, 2, activation="relu"),
        layers.Flatten(), layers.Dense(2)]), (3, 9, 9, 2)),
    "conv2d_narrow_dilated": (lambda: Sequential([
        layers.Conv2D(1, 3, padding="same", dilation_rate=2, activation="elu")]), (3, 7, 6, 5)),
    "conv1d": (lambda: Sequential([layers.Conv1D(4, 3, padding="causal", activation="tanh"),
                                      layers.Conv1D(2, 2, strides=2)]), (3, 9, 2)),
    "conv2d_transpose": (lambda: Sequential([
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh"),
        layers.Conv2DTranspose(2, (2, 3), padding="valid")]), (3, 4, 5, 2)),
    "depthwise_conv2d": (lambda: Sequential([
        layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                               activation="tanh"),
        layers.DepthwiseConv2D(2, dilation_rate=2, use_bias=False)]), (3, 9, 8, 2)),
    "layer_norm": (lambda: Sequential([layers.Dense(5), layers.LayerNormalization(),
                                          layers.Dense(2)]), (4, 3)),
    "layer_norm_two_axes": (lambda: Sequential([layers.LayerNormalization(axis=(1, 2))]),
                            (3, 4, 5)),
    "simple_rnn": (lambda: Sequential([layers.SimpleRNN(4, return_sequences=True),
                                       layers.SimpleRNN(3, go_backwards=True, activation="relu"),
                                       layers.Dense(2)]), (3, 5, 2)),
    "lstm": (lambda: Sequential([layers.LSTM(4, return_sequences=True),
                                 layers.LSTM(3, go_backwards=True), layers.Dense(2)]), (3, 5, 2)),
    "gru": (lambda: Sequential([layers.GRU(3, return_sequences=True, go_backwards=True),
                                layers.Dense(2)]), (3, 4, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_to_a_loop_of_one_example_backward_passes(name):
    build, shape = CASES[name]
    pf.set_seed(0)
    model = build()
    x = pf.constant(np.random.default_rng(0).normal(size=shape))
    _check(model, x, _y(model, x))


def test_embedding_with_repeated_ids_then_dense_over_time():
    pf.set_seed(0)
    model = Sequential([layers.Embedding(7, 3), layers.Dense(2, activation="tanh")])
    ids = np.array([[1, 1, 4], [0, 6, 1], [4, 4, 4], [2, 3, 5]])
    _check(model, pf.constant(ids), _y(model, pf.constant(ids)))


def test_an_attention_block_with_a_residual_and_layer_norm():
    pf.set_seed(0)
    inputs = layers.Input((5, 4))
    y = layers.LayerNormalization()(inputs + layers.MultiHeadAttention(2, 3)(inputs, inputs))
    model = Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D()(y)))
    x = pf.constant(np.random.default_rng(0).normal(size=(3, 5, 4)))
    per = _check(model, x, _y(model, x))
    assert len(per) == 12  # Q, K, V, O kernels and biases, γ, β, the dense pair


def test_a_weight_shared_by_two_layers_gets_both_contributions():
    pf.set_seed(0)
    inner = layers.Dense(4, activation="tanh")
    x_in = layers.Input((4,))
    model = Model(x_in, inner(inner(x_in)))
    x = pf.constant(np.random.default_rng(0).normal(size=(3, 4)))
    _check(model, x, _y(model, x))


def test_unused_variable_gets_zeros_and_a_scalar_loss_is_refused():
    w = pf.Variable(np.ones((2, 3)))
    unused = pf.Variable(np.ones(4))
    x = pf.constant(np.arange(8.0).reshape(4, 2))
    with pf.GradientTape():
        per = per_example_gradients(pf.reduce_sum(x @ w, axis=1), [w, unused])
    np.testing.assert_array_equal(per[0][:, :, 0], x.numpy())
    assert per[1].shape == (4, 4) and not per[1].any()
    with pytest.raises(ValueError, match=r"Expected one loss per example.*shape \(\)"):
        with pf.GradientTape():
            per_example_gradients(pf.reduce_sum(x @ w), [w])


def test_batch_normalization_is_refused_by_name():
    model = Sequential([layers.Dense(3), layers.BatchNormalization()])
    x = pf.constant(np.random.default_rng(0).normal(size=(4, 2)))
    model(x)
    with pytest.raises(ValueError, match="batch normalization.*mixes examples.*LayerNorm"):
        with pf.GradientTape():
            per_example_gradients(pf.reduce_sum(model(x, training=True), axis=1),
                                  model.trainable_variables)


def test_an_op_without_a_rule_is_named_with_the_weight():
    w = pf.Variable(np.ones((2, 2)), name="mine")
    x = pf.constant(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"of mine \(shape \(2, 2\)\) through the op Exp"):
        with pf.GradientTape():
            per_example_gradients(pf.reduce_sum(x @ pf.exp(w), axis=1), [w])


def test_equal_to_torch_func_vmap_grad():
    torch = pytest.importorskip("torch")
    from torch.func import functional_call, grad, vmap

    pf.set_seed(0)
    model = Sequential([layers.Conv2D(3, 3, strides=2, activation="tanh"), layers.Flatten(),
                           layers.Dense(4)])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7, 7, 2))
    labels = rng.integers(0, 4, size=5)
    model(pf.constant(x[:1]))
    loss_fn = pf.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    with pf.GradientTape():
        ours = per_example_gradients(loss_fn(labels, model(pf.constant(x))),
                                     model.trainable_variables)

    conv, dense = model.layers[0], model.layers[2]
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, stride=2), torch.nn.Tanh(),
                              torch.nn.Flatten(), torch.nn.Linear(27, 4)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(conv.kernel.numpy().transpose(3, 2, 0, 1)))
        net[0].bias.copy_(torch.from_numpy(conv.bias.numpy()))
        # profond flattens (H, W, C), torch (C, H, W): permute the dense kernel's rows
        k = dense.kernel.numpy().reshape(3, 3, 3, 4).transpose(2, 0, 1, 3).reshape(27, 4)
        net[3].weight.copy_(torch.from_numpy(k.T))
        net[3].bias.copy_(torch.from_numpy(dense.bias.numpy()))
    params = {k: v.detach() for k, v in net.named_parameters()}

    def one_loss(p, xi, yi):
        out = functional_call(net, p, (xi[None],))
        return torch.nn.functional.cross_entropy(out, yi[None])

    theirs = vmap(grad(one_loss), in_dims=(None, 0, 0))(
        params, torch.from_numpy(x.transpose(0, 3, 1, 2)), torch.from_numpy(labels))
    np.testing.assert_allclose(ours[0], theirs["0.weight"].numpy().transpose(0, 3, 4, 2, 1),
                               atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs["0.bias"].numpy(), atol=1e-12)
    k = theirs["3.weight"].numpy().transpose(0, 2, 1).reshape(5, 3, 3, 3, 4)
    np.testing.assert_allclose(ours[2], k.transpose(0, 2, 3, 1, 4).reshape(5, 27, 4),
                               atol=1e-12)
    np.testing.assert_allclose(ours[3], theirs["3.bias"].numpy(), atol=1e-12)


def test_equal_to_opacus_grad_sample_module_for_embedding_layer_norm_and_dense():
    torch = pytest.importorskip("torch")
    opacus = pytest.importorskip("opacus")

    pf.set_seed(0)
    model = Sequential([layers.Embedding(9, 4), layers.LayerNormalization(epsilon=1e-5),
                        layers.Dense(3)])
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 9, size=(5, 6))
    up = rng.normal(size=(5, 6, 3))
    model(pf.constant(ids))
    with pf.GradientTape():
        out = model(pf.constant(ids))
        ours = per_example_gradients(pf.reduce_sum(out * up, axis=(1, 2)),
                                     model.trainable_variables)

    emb, norm, dense = model.layers
    net = torch.nn.Sequential(torch.nn.Embedding(9, 4), torch.nn.LayerNorm(4, eps=1e-5),
                              torch.nn.Linear(4, 3)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(emb.embeddings.numpy()))
        net[1].weight.copy_(torch.from_numpy(norm.gamma.numpy()))
        net[1].bias.copy_(torch.from_numpy(norm.beta.numpy()))
        net[2].weight.copy_(torch.from_numpy(dense.kernel.numpy().T))
        net[2].bias.copy_(torch.from_numpy(dense.bias.numpy()))
    sampled = opacus.GradSampleModule(net, loss_reduction="sum")
    (sampled(torch.from_numpy(ids)) * torch.from_numpy(up)).sum().backward()
    theirs = [p.grad_sample.numpy() for p in net.parameters()]
    theirs[3] = theirs[3].transpose(0, 2, 1)  # torch's Linear stores Wᵀ
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_transposed_and_depthwise_convolutions_equal_torch_func_vmap_grad():
    torch = pytest.importorskip("torch")
    from torch.func import functional_call, grad, vmap

    pf.set_seed(0)
    up = layers.Conv2DTranspose(3, 3, strides=2)
    depth = layers.DepthwiseConv2D(2, depth_multiplier=2)
    model = Sequential([up, depth])
    x = np.random.default_rng(0).normal(size=(4, 3, 4, 2))
    model(pf.constant(x[:1]))
    labels = np.random.default_rng(1).normal(size=(4, 6, 8, 6))
    with pf.GradientTape():
        out = model(pf.constant(x))
        losses = pf.reduce_sum(pf.reshape((out - labels) ** 2, (4, -1)), axis=1)
        ours = per_example_gradients(losses, model.trainable_variables)

    t_up = torch.nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    t_depth = torch.nn.Conv2d(3, 6, 2, groups=3).double()
    with torch.no_grad():  # Keras (kh, kw, out, in) and (kh, kw, C, M) into torch's layouts
        t_up.weight.copy_(torch.from_numpy(up.kernel.numpy().transpose(3, 2, 0, 1)))
        t_up.bias.copy_(torch.from_numpy(up.bias.numpy()))
        t_depth.weight.copy_(torch.from_numpy(
            depth.kernel.numpy().reshape(2, 2, 6).transpose(2, 0, 1)[:, None]))
        t_depth.bias.copy_(torch.from_numpy(depth.bias.numpy()))
    net = torch.nn.Sequential(t_up, t_depth)
    params = {k: v.detach() for k, v in net.named_parameters()}

    def loss(p, xi, yi):
        out = functional_call(net, p, (xi[None],))
        return ((out - yi[None]) ** 2).sum()

    theirs = vmap(grad(loss), in_dims=(None, 0, 0))(
        params, torch.from_numpy(x.transpose(0, 3, 1, 2)),
        torch.from_numpy(labels.transpose(0, 3, 1, 2)))
    expected = [theirs["0.weight"].numpy().transpose(0, 3, 4, 2, 1), theirs["0.bias"].numpy(),
                theirs["1.weight"].numpy()[:, :, 0].transpose(0, 2, 3, 1).reshape(4, 2, 2, 3, 2),
                theirs["1.bias"].numpy()]
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
