"""Attention layers: the layer contract, MultiHeadAttention against torch.nn.MultiheadAttention
(forward and gradients in float64, with and without masks), float64 gradient checks, masks from
Embedding(mask_zero=True), causal masks, dropout, bad arguments. The same outputs as Keras with
fixed weights are checked by tests/compat/programs/attention.py."""

import json
import os
import tempfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import profond as pf
from profond import layers
from profond.autodiff.engine import grad
from profond.testing import gradcheck, gradgradcheck, run_layer_test

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh():
    layers.clear_session()
    pf.set_seed(0)


def _randn(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


# --- Attention and AdditiveAttention: the shared contract ----------------------------------------


@pytest.mark.parametrize("cls, kwargs, shapes, n_weights", [
    (layers.Attention, {}, [(2, 3, 4), (2, 5, 4)], 0),
    (layers.Attention, {"use_scale": True}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], 1),
    (layers.Attention, {"use_scale": True, "score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)], 2),
    (layers.AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], 1),
    (layers.AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], 0),
])
def test_dense_attention_contract(cls, kwargs, shapes, n_weights):
    expected = shapes[0][:-1] + (shapes[1][-1],)
    run_layer_test(cls, kwargs, shapes, expected, expected_num_trainable_weights=n_weights)


def _luong(q, v, k, scale=1.0, score_mode="dot", additive=None, v_mask=None, causal=False):
    """NumPy reference of Attention / AdditiveAttention (float64)."""
    if additive is not None:
        s = (np.tanh(q[:, :, None] + k[:, None]) * additive).sum(-1)
    elif score_mode == "concat":
        s = np.tanh(scale * (q[:, :, None] + k[:, None])).sum(-1)
    else:
        s = q @ k.transpose(0, 2, 1) * scale
    keep = np.ones(s.shape, bool)
    if v_mask is not None:
        keep &= v_mask[:, None, :]
    if causal:
        keep &= np.tril(np.ones(s.shape[1:], bool))
    s = np.where(keep, s, s - 1e9)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return a @ v, a


@pytest.mark.parametrize("mode", ["dot", "concat", "additive"])
def test_dense_attention_values_masks_and_gradients(mode):
    q, v, k = _randn(2, 3, 4, dtype="float64"), _randn(2, 5, 6, dtype="float64"), \
        _randn(2, 5, 4, dtype="float64")
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    if mode == "additive":
        layer = layers.AdditiveAttention(dtype="float64")
    else:
        layer = layers.Attention(use_scale=True, score_mode=mode, dtype="float64")
    out, scores = layer([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True,
                        use_causal_mask=True)
    w = layer.get_weights()
    if mode == "additive":
        ref, a = _luong(q, v, k, additive=w[0], v_mask=v_mask, causal=True)
    else:
        ref, a = _luong(q, v, k, scale=float(w[0]), score_mode=mode, v_mask=v_mask,
                        causal=True)
    np.testing.assert_allclose(scores.numpy(), a, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), ref * q_mask[..., None], rtol=1e-10, atol=1e-12)
    assert (scores.numpy()[0, :, 3:] == 0).all()  # masked values are never read
    np.testing.assert_array_equal(out._keras_mask, q_mask)  # the query's mask goes on
    gradcheck(lambda a, b, c: layer([a, b, c], mask=[q_mask, v_mask], use_causal_mask=True),
              [q, v, k])


def test_dense_attention_reads_masks_from_embedding():
    tokens = np.array([[3, 4, 0, 0], [5, 6, 7, 0]])
    emb = layers.Embedding(10, 4, mask_zero=True)
    x = emb(tokens)
    layer = layers.Attention()
    out, scores = layer([x, x], return_attention_scores=True)
    np.testing.assert_array_equal(out._keras_mask, tokens != 0)
    assert (scores.numpy()[0, :, 2:] == 0).all() and (scores.numpy()[1, :, 3:] == 0).all()
    inputs = layers.Input((None,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)
    sym = layers.Attention()([e(inputs), e(inputs)])
    assert sym._keras_mask is not None
    model = pf.models.Model(inputs, sym)
    e.set_weights(emb.get_weights())
    np.testing.assert_allclose(model(tokens).numpy(), out.numpy(), rtol=1e-6)


def test_dense_attention_dropout_only_while_training():
    q = _randn(4, 6, 8)
    layer = layers.Attention(dropout=0.5, seed=3)
    a, b = layer([q, q]).numpy(), layer([q, q]).numpy()
    np.testing.assert_array_equal(a, b)
    t1 = layer([q, q], training=True).numpy()
    assert not np.allclose(t1, a)
    again = layers.Attention(dropout=0.5, seed=3)([q, q], training=True).numpy()
    np.testing.assert_array_equal(again, t1)  # a seed makes it reproducible


@pytest.mark.parametrize("call, message", [
    (lambda: layers.Attention()(_randn(2, 3, 4)), "list of inputs"),
    (lambda: layers.Attention()([_randn(2, 3, 4)]), "2 or 3 inputs"),
    (lambda: layers.Attention()([_randn(2, 3, 4), _randn(2, 5, 3)]), "same last dimension"),
    (lambda: layers.Attention()([_randn(2, 3, 4), _randn(2, 5, 4), _randn(2, 6, 4)]),
     "same length"),
    (lambda: layers.Attention()([_randn(2, 3, 4), _randn(2, 5, 4)], mask=np.ones((2, 5))),
     "mask"),
    (lambda: layers.Attention()([_randn(2, 3, 4), _randn(2, 5, 4)],
                                mask=[None, np.ones((2, 4), bool)]), "value_mask.shape=(2, 4)"),
    (lambda: layers.Attention()([_randn(2, 3), _randn(2, 3)]), "rank 3"),
    (lambda: layers.Attention(score_mode="general"), "score_mode='general'"),
    (lambda: layers.Attention(dropout=1.5), "dropout=1.5"),
    (lambda: layers.AdditiveAttention(use_scale="yes"), "use_scale='yes'"),
])
def test_dense_attention_bad_input(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


# --- MultiHeadAttention: the contract, with its two inputs -------------------------------------


def test_mha_contract():
    q, v = _randn(3, 4, 6), _randn(3, 5, 7)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    assert layer.weights == []
    out = layer(q, v)
    assert tuple(out.shape) == (3, 4, 6)
    shapes = [tuple(w.shape) for w in layer.get_weights()]
    assert shapes == [(6, 2, 3), (2, 3), (7, 2, 3), (2, 3), (7, 2, 4), (2, 4), (2, 4, 6), (6,)]
    assert [w.path for w in layer.weights][::2] == [
        f"{layer.name}/{n}/kernel" for n in ("query", "key", "value", "attention_output")]
    assert len(layer.trainable_weights) == 8 and layer.non_trainable_weights == []
    assert layer.compute_output_shape((None, 4, 6), (None, 5, 7)) == (None, 4, 6)
    qi, vi = layers.Input((None, 6)), layers.Input((5, 7))
    sym = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)(qi, vi)
    assert tuple(sym.shape) == (None, None, 6)
    # config round-trip
    config = layer.get_config()
    json.dumps(config)
    clone = layers.MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    clone(q, v)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(q, v).numpy(), out.numpy(), rtol=1e-6)
    # save / load a functional model holding it
    model = pf.models.Model([qi, vi], sym)
    before = model([q, v]).numpy()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mha.profond")
        model.save(path)
        loaded = pf.models.load_model(path)
    np.testing.assert_allclose(loaded([q, v]).numpy(), before, rtol=1e-6)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    # a short fit lowers the loss
    model.compile(optimizer=pf.keras.optimizers.Adam(0.01), loss="mse")
    target = _randn(3, 4, 6)
    history = model.fit([q, v], target, epochs=15, batch_size=3, verbose=0).history["loss"]
    assert history[-1] < history[0]


class SelfAttention(layers.MultiHeadAttention):
    """MultiHeadAttention on one input (query = value = key), the form the shared contract
    (one input per call) can drive."""

    def call(self, inputs, training=None):
        return super().call(inputs, inputs, training=training)


@pytest.mark.parametrize("kwargs, shape, n_weights", [
    ({"num_heads": 2, "key_dim": 3}, (2, 5, 4), 8),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False, "dropout": 0.1,
      "output_shape": 6}, (2, 5, 4), 4),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, (2, 3, 4, 5), 8),
])
def test_mha_shared_contract(kwargs, shape, n_weights):
    """The shared layer contract (``run_layer_test``) run on MultiHeadAttention's computation
    in self-attention form; the two-input form is checked by test_mha_contract."""
    assert issubclass(SelfAttention, layers.MultiHeadAttention)
    expected = shape[:-1] + (kwargs.get("output_shape", shape[-1]),)
    run_layer_test(SelfAttention, kwargs, shape, expected, expected_num_trainable_weights=n_weights,
                   custom_objects={"SelfAttention": SelfAttention})


def test_mha_explicit_build_then_set_weights():
    """Keras's ``build(query_shape, value_shape)`` makes the weights at once."""
    keras_like = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    keras_like.build((None, 4, 6), (None, 5, 6))
    assert len(keras_like.weights) == 8
    ws = [_randn(*w.shape) for w in keras_like.get_weights()]
    keras_like.set_weights(ws)
    q = _randn(2, 4, 6)
    out = keras_like(q, q[:, :3]).numpy()  # the first call keeps the weights set
    np.testing.assert_array_equal(keras_like.get_weights()[0], ws[0])
    assert out.shape == (2, 4, 6)
    assert keras_like.get_build_config()["shapes_dict"]["value_shape"] == [None, 5, 6]


# --- MultiHeadAttention against torch.nn.MultiheadAttention ---------------------------------------


def _torch_mha(layer, weights_t, q, k, v, key_padding_mask=None, attn_mask=None):
    """torch's multi-head attention with the Keras-layout weights, mapped differentiably:
    kernel (dim, heads, d) → (heads·d, dim) weight; output kernel (heads, d, dim) → (dim, heads·d).
    """
    wq, bq, wk, bk, wv, bv, wo, bo = weights_t
    e = wq.shape[0]
    heads = layer.num_heads
    flat = [w.reshape(w.shape[0], -1).T for w in (wq, wk, wv)]
    out, _ = F.multi_head_attention_forward(
        q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), e, heads, None,
        torch.cat([bq.reshape(-1), bk.reshape(-1), bv.reshape(-1)]), None, None, False, 0.0,
        wo.reshape(-1, wo.shape[-1]).T, bo, training=False, key_padding_mask=key_padding_mask,
        need_weights=False, attn_mask=attn_mask, use_separate_proj_weight=True,
        q_proj_weight=flat[0], k_proj_weight=flat[1], v_proj_weight=flat[2])
    return out.transpose(0, 1)


def _module_mha(layer):
    """The same layer as a torch.nn.MultiheadAttention module (one dimension for q, k, v)."""
    w = layer.get_weights()
    e = w[0].shape[0]
    module = torch.nn.MultiheadAttention(e, layer.num_heads, batch_first=True,
                                         dtype=torch.float64)
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.tensor(np.concatenate(
            [w[i].reshape(e, -1).T for i in (0, 2, 4)])))
        module.in_proj_bias.copy_(torch.tensor(np.concatenate(
            [w[i].reshape(-1) for i in (1, 3, 5)])))
        module.out_proj.weight.copy_(torch.tensor(w[6].reshape(-1, e).T))
        module.out_proj.bias.copy_(torch.tensor(w[7]))
    return module


@pytest.mark.parametrize("case", ["plain", "key_padding", "causal", "attn_mask_and_padding"])
def test_mha_against_torch_forward_and_gradients(case):
    b, t, s, heads, d = 3, 5, 6, 2, 4
    e = heads * d
    layer = layers.MultiHeadAttention(num_heads=heads, key_dim=d, dtype="float64")
    q_np, k_np, v_np = (_randn(b, n, e, dtype="float64") for n in (t, s, s))
    if case == "causal":  # self-attention
        k_np = v_np = q_np
    layer(q_np, v_np, k_np)
    layer.set_weights([_randn(*w.shape, dtype="float64") * 0.5 for w in layer.get_weights()])
    pad = np.ones((b, s), bool)
    pad[0, 4:] = pad[2, 2:] = False  # value/key positions that are padding
    allowed = RNG.random((b, t, s)) > 0.3
    allowed[:, :, 0] = True  # every query reads at least one key
    kwargs, t_kwargs = {}, {}
    if case == "key_padding":
        kwargs["value_mask"] = pad
        t_kwargs["key_padding_mask"] = torch.tensor(~pad)
    elif case == "causal":
        kwargs["use_causal_mask"] = True
        t_kwargs["attn_mask"] = torch.tensor(~np.tril(np.ones((t, t), bool)))
    elif case == "attn_mask_and_padding":
        kwargs["attention_mask"] = allowed
        kwargs["value_mask"] = pad
        t_kwargs["key_padding_mask"] = torch.tensor(~pad)
        t_kwargs["attn_mask"] = torch.tensor(np.repeat(~allowed, heads, axis=0))
    qs, ks, vs = (pf.Tensor(a, requires_grad=True) for a in (q_np, k_np, v_np))
    if case == "causal":
        ks = vs = qs
    out = layer(qs, vs, ks, **kwargs)
    w_t = [torch.tensor(w, requires_grad=True) for w in layer.get_weights()]
    q_t, k_t, v_t = (torch.tensor(a, requires_grad=True) for a in (q_np, k_np, v_np))
    if case == "causal":
        k_t = v_t = q_t
    ref = _torch_mha(layer, w_t, q_t, k_t, v_t, **t_kwargs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    u = RNG.standard_normal(out.shape)
    sources = ([qs] if case == "causal" else [qs, ks, vs]) + list(layer.trainable_weights)
    t_sources = ([q_t] if case == "causal" else [q_t, k_t, v_t]) + w_t
    gs = grad(out, sources, grad_outputs=pf.Tensor(u))
    tgs = torch.autograd.grad(ref, t_sources, grad_outputs=torch.tensor(u))
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-5, atol=1e-5)
    if case == "plain":  # the nn.Module itself, weights copied
        module_out, _ = _module_mha(layer)(torch.tensor(q_np), torch.tensor(k_np),
                                           torch.tensor(v_np))
        np.testing.assert_allclose(out.numpy(), module_out.detach().numpy(), rtol=1e-5,
                                   atol=1e-5)


def test_mha_gradcheck():
    """float64 gradient checks of the whole computation: inputs by ``gradcheck``, weights by
    central differences along a random direction (with a random upstream gradient)."""
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, dtype="float64")
    q, v = _randn(2, 3, 4, dtype="float64"), _randn(2, 4, 5, dtype="float64")
    layer(q, v)
    mask = np.ones((2, 3, 4), bool)
    mask[0, :, 2:] = False
    gradcheck(lambda a, b: layer(a, b, attention_mask=mask, return_attention_scores=True),
              [q, v])
    self_attention = layers.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64")
    gradcheck(lambda a: self_attention(a, a, use_causal_mask=True),
              [_randn(2, 4, 4, dtype="float64")])
    u = RNG.standard_normal((2, 3, 4))
    gs = grad(layer(q, v, attention_mask=mask), layer.trainable_weights,
              grad_outputs=pf.Tensor(u))
    eps = 1e-6
    for var, g in zip(layer.trainable_weights, gs):
        w0 = var.numpy().copy()
        direction = RNG.standard_normal(w0.shape)
        values = []
        for sign in (1, -1):
            var.assign(w0 + sign * eps * direction)
            values.append(float(np.sum(layer(q, v, attention_mask=mask).numpy() * u)))
        var.assign(w0)
        numeric = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(float(np.sum(g.numpy() * direction)), numeric, rtol=1e-5,
                                   atol=1e-7, err_msg=var.path)


def test_attention_second_derivatives():
    """Backward passes are made of profond ops: gradients of gradients (penalties) work."""
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64")
    x = _randn(2, 3, 4, dtype="float64")
    gradgradcheck(lambda a: mha(a, a, use_causal_mask=True), [x])
    additive = layers.AdditiveAttention(dtype="float64")
    gradgradcheck(lambda a, b: additive([a, b]), [x, _randn(2, 5, 4, dtype="float64")])


# --- MultiHeadAttention: masks ------------------------------------------------------------------


def test_mha_masks_from_embedding():
    tokens = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 0]])
    emb = layers.Embedding(12, 8, mask_zero=True)
    x = emb(tokens)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    out, scores = mha(x, x, return_attention_scores=True)
    np.testing.assert_array_equal(out._keras_mask, tokens != 0)  # the query's mask goes on
    s = scores.numpy()
    assert (s[0, :, :, 3:] == 0).all() and (s[1, :, :, 4:] == 0).all()  # padded keys: unread
    assert (s[0, :, 3:] == 0).all()  # padded queries: rows of zeros (Keras's scores)
    # the padded tokens' embeddings do not change the outputs of the others
    other = emb(np.where(tokens == 0, 11, tokens)).numpy()
    other_x = pf.Tensor(np.where((tokens != 0)[..., None], x.numpy(), other))
    other_x._keras_mask = tokens != 0
    np.testing.assert_allclose(mha(other_x, other_x).numpy()[tokens != 0],
                               mha(x, x).numpy()[tokens != 0], rtol=1e-5, atol=1e-6)
    # the same through a functional model, with the value's mask as well
    inputs = layers.Input((None,), dtype="int32")
    e2 = layers.Embedding(12, 8, mask_zero=True)
    h = e2(inputs)
    m2 = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    y = m2(h, h)
    assert y._keras_mask is not None
    model = pf.models.Model(inputs, y)
    e2.set_weights(emb.get_weights())
    m2.set_weights(mha.get_weights())
    np.testing.assert_allclose(model(tokens).numpy(), mha(x, x).numpy(), rtol=1e-6)


def test_mha_keyword_inputs_as_in_keras_guides():
    x, y = _randn(2, 4, 6), _randn(2, 5, 6)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    allowed = np.tril(np.ones((4, 5), bool))[None]
    expected = mha(x, y, y, attention_mask=allowed).numpy()
    np.testing.assert_array_equal(
        mha(query=x, value=y, key=y, attention_mask=allowed).numpy(), expected)
    np.testing.assert_array_equal(mha(x, value=y, attention_mask=allowed).numpy(), expected)
    q_in, v_in = layers.Input((4, 6)), layers.Input((5, 6))
    model = pf.models.Model([q_in, v_in], mha(query=q_in, value=v_in, attention_mask=allowed))
    np.testing.assert_allclose(model([x, y]).numpy(), expected, rtol=1e-6)


def test_fully_masked_rows_stay_finite_in_float16():
    x = _randn(2, 3, 4).astype("float16")
    allowed = np.ones((2, 3, 3), bool)
    allowed[0, 0] = False  # query 0 of example 0 may read nothing
    out = layers.MultiHeadAttention(2, 2, dtype="float16")(x, x, attention_mask=allowed)
    assert out.dtype == "float16" and np.isfinite(out.numpy()).all()
    nothing = np.array([[0, 0, 0], [1, 1, 1]], bool)
    out = layers.Attention(dtype="float16")([x, x], mask=[None, nothing])
    assert np.isfinite(out.numpy()).all()


def test_mha_causal_mask_hides_the_future():
    x = _randn(2, 6, 8)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    out = mha(x, x, use_causal_mask=True).numpy()
    later = x.copy()
    later[:, 4:] += 10.0
    np.testing.assert_allclose(mha(later, later, use_causal_mask=True).numpy()[:, :4],
                               out[:, :4], rtol=1e-5, atol=1e-6)
    _, scores = mha(x, x, use_causal_mask=True, return_attention_scores=True)
    assert (np.triu(scores.numpy()[0, 0], 1) == 0).all()
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)


def test_mha_attention_axes_and_output_shape():
    x = _randn(2, 3, 4, 5)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=2)
    out, scores = mha(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 5) and scores.shape == (2, 3, 2, 4, 4)
    # attention over axis 2 only: each row (axis 1) attends within itself
    row = mha(x[:, :1], x[:, :1]).numpy()
    np.testing.assert_allclose(row, out.numpy()[:, :1], rtol=1e-5, atol=1e-6)
    full = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = full(x, x, return_attention_scores=True)
    assert scores.shape == (2, 2, 3, 4, 3, 4)
    shaped = layers.MultiHeadAttention(2, 3, output_shape=(2, 3))
    assert shaped(x[:, 0], x[:, 0]).shape == (2, 4, 2, 3)
    assert shaped.get_weights()[6].shape == (2, 3, 2, 3)


def test_mha_dropout_and_gate():
    x = _randn(2, 5, 8)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=1)
    a = mha(x, x).numpy()
    np.testing.assert_array_equal(a, mha(x, x, training=False).numpy())
    assert not np.allclose(mha(x, x, training=True).numpy(), a)
    gated = layers.MultiHeadAttention(num_heads=2, key_dim=4, use_gate=True)
    gated(x, x)
    assert [w.path.split("/")[1] for w in gated.weights][::2] == [
        "query", "key", "gate", "value", "attention_output"]


@pytest.mark.parametrize("kwargs, message", [
    ({"num_heads": 0, "key_dim": 2}, "num_heads=0"),
    ({"num_heads": 2, "key_dim": 0}, "key_dim=0"),
    ({"num_heads": 2, "key_dim": -3}, "key_dim=-3"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": -1}, "value_dim=-1"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.5}, "dropout=1.5"),
    ({"num_heads": 2, "key_dim": 2, "output_shape": (0,)}, "output_shape"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": "time"}, "attention_axes"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True}, "flash_attention"),
    ({"num_heads": 2.5, "key_dim": 2}, "num_heads=2.5"),
])
def test_mha_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.MultiHeadAttention(**kwargs)


def test_mha_bad_calls():
    q, v = _randn(2, 4, 6), _randn(2, 5, 6)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(ValueError, match=r"attention_mask.shape=\(2, 3, 5\)"):
        mha(q, v, attention_mask=np.ones((2, 3, 5), bool))
    with pytest.raises(ValueError, match=r"value mask"):
        mha(q, v, value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="value` and `key`"):
        layers.MultiHeadAttention(num_heads=2, key_dim=3)(q, v, _randn(2, 4, 6))
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(3,))(q, v)
    with pytest.raises(ValueError, match=r"built for a value of shape .*value.shape=\(2, 5, 7\)"):
        mha(q, _randn(2, 5, 7))


# --- the transformer blocks of examples/transformer_blocks.py -----------------------------------


def _blocks():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "transformer_blocks.py"
    spec = importlib.util.spec_from_file_location("transformer_blocks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transformer_blocks_masks_save_and_errors():
    blocks = _blocks()
    tokens = np.array([[4, 5, 6, 0, 0], [7, 8, 9, 3, 0]])
    inputs = layers.Input((5,), dtype="int32")
    embed = layers.TokenAndPositionEmbedding(10, 6, 8, mask_zero=True)
    x = embed(inputs)
    y = blocks.TransformerEncoder(8, num_heads=2, ff_dim=16, dropout=0.0)(x)
    assert y._keras_mask is not None
    model = pf.models.Model(inputs, y)
    out = model(tokens)
    np.testing.assert_array_equal(out._keras_mask, tokens != 0)
    # padding is not attended: another padding vector, same outputs at the real positions
    table, positions = embed.get_weights()
    embed.set_weights([table + 5.0 * (np.arange(10) == 0)[:, None], positions])
    np.testing.assert_allclose(model(tokens).numpy()[tokens != 0], out.numpy()[tokens != 0],
                               rtol=1e-5, atol=1e-5)
    embed.set_weights([table, positions])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "blocks.profond")
        model.save(path)
        loaded = pf.models.load_model(path)
    np.testing.assert_allclose(loaded(tokens).numpy(), out.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="num_heads to divide embed_dim"):
        blocks.TransformerEncoder(10, num_heads=3, ff_dim=8)


@pytest.mark.slow
def test_transformer_example_learns_the_order_task():
    import subprocess
    import sys

    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                        "transformer_blocks.py")
    out = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=300,
                         check=True).stdout
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.9, out
    assert "outputs 0-3 unchanged: True, outputs 4-5 changed: True" in out


# --- the fused attention core (MultiHeadAttention's fast path) ----------------------------------


def _mha_outputs(mha, q, v, fast, **kwargs):
    """Output and gradients (query, value, every weight) with a random upstream gradient,
    through the fused core (``fast``) or the op-by-op path (forced by asking for the scores)."""
    qv, vv = pf.Variable(q), pf.Variable(v)
    gy = np.random.default_rng(7).standard_normal(q.shape[:-1] + (mha._shapes[0][-1],))
    with pf.GradientTape() as tape:
        out = mha(qv, vv, return_attention_scores=not fast, **kwargs)
        out = out if fast else out[0]
        loss = pf.reduce_sum(out * gy)
    grads = tape.gradient(loss, [qv, vv] + mha.trainable_weights)
    return [out.numpy()] + [g.numpy() for g in grads]


@pytest.mark.parametrize("kwargs", [{}, {"use_causal_mask": True},
                                    {"attention_mask": np.tril(np.ones((6, 5), bool))[None]},
                                    {"use_causal_mask": True, "value_mask": "padding"}])
def test_fused_core_equals_the_op_by_op_path(kwargs):
    q, v = _randn(3, 6, 8, dtype="float64"), _randn(3, 5, 7, dtype="float64")
    kwargs = dict(kwargs)
    if kwargs.get("value_mask") == "padding":
        kwargs["value_mask"] = np.arange(5)[None, :] < np.array([[5], [3], [4]])
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, dtype="float64")
    mha(q, v)
    fast, slow = _mha_outputs(mha, q, v, True, **kwargs), _mha_outputs(mha, q, v, False, **kwargs)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_fused_core_gradients_of_first_and_second_order():
    from profond.layers.attention import _AttentionCore

    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))
    keep = np.tril(np.ones((4, 4), bool))[None, None]
    gradcheck(lambda a, b, c: _AttentionCore(0.4, keep)(a, b, c), [q, k, v])
    gradgradcheck(lambda a, b, c: _AttentionCore(0.4, None)(a, b, c), [q, k, v])
    # strided views (the heads split from (batch, T, heads, d)) give the same values
    qt = np.ascontiguousarray(q.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
    assert not qt.flags.c_contiguous
    np.testing.assert_allclose(_AttentionCore(0.4, keep)(pf.constant(qt), pf.constant(k),
                                                         pf.constant(v)).numpy(),
                               _AttentionCore(0.4, keep)(pf.constant(q), pf.constant(k),
                                                         pf.constant(v)).numpy(), atol=1e-14)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("keep", [None, "causal", "per_example"])
def test_fused_core_split_over_the_workers_equals_the_composed_ops(workers, keep, monkeypatch):
    from profond.backend import threads
    from profond.layers.attention import _AttentionCore

    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal((4, 4, 64, 16)) for _ in range(3))  # 16 slices of 64 × 64
    if keep == "causal":
        keep = np.tril(np.ones((64, 64), bool))
    elif keep == "per_example":
        keep = rng.random((4, 1, 64, 64)) < 0.7
    gy = rng.standard_normal((4, 4, 64, 16))
    chunks, parallel_for = [], threads.parallel_for
    monkeypatch.setattr(threads, "parallel_for",
                        lambda fn, n, per: chunks.append(-(-n // per)) or parallel_for(fn, n, per))
    old = threads._state["workers"]
    threads.set_num_workers(workers)
    try:
        results = []
        for fused in (True, False):
            core = _AttentionCore(0.25, keep)
            qv, kv, vv = pf.Variable(q), pf.Variable(k), pf.Variable(v)
            with pf.GradientTape() as tape:
                out = core(qv, kv, vv) if fused else core.composed(qv, kv, vv)
                loss = pf.reduce_sum(out * gy)
            results.append([out.numpy()] + [g.numpy() for g in tape.gradient(loss, [qv, kv, vv])])
    finally:
        threads.set_num_workers(old)
    assert len(chunks) == 2 and min(chunks) >= 2  # forward and backward, each split
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_fused_core_with_broadcast_keys_goes_the_whole_way():
    from profond.layers.attention import _AttentionCore

    rng = np.random.default_rng(10)
    q, v = rng.standard_normal((4, 4, 64, 16)), rng.standard_normal((4, 4, 64, 16))
    k = rng.standard_normal((1, 4, 64, 16))  # one set of keys for every example
    gy = rng.standard_normal((4, 4, 64, 16))
    results = []
    for fused in (True, False):
        core = _AttentionCore(0.25, np.tril(np.ones((64, 64), bool)))
        qv, kv, vv = pf.Variable(q), pf.Variable(k), pf.Variable(v)
        with pf.GradientTape() as tape:
            out = core(qv, kv, vv) if fused else core.composed(qv, kv, vv)
            loss = pf.reduce_sum(out * gy)
        results.append([out.numpy()] + [g.numpy() for g in tape.gradient(loss, [qv, kv, vv])])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
