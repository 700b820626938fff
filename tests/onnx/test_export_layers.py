"""Each layer exported alone, run by onnxruntime, compared with profond's ``predict``."""

import numpy as np
import pytest

import profond as pf
from profond import layers as L


def _floats(*shape, seed=0):
    def make(batch):
        rng = np.random.default_rng(batch + 100 * seed)
        return [rng.standard_normal((batch, *shape)).astype("float32")]
    return make


def _model(input_shape, *layers, dtype="float32"):
    return pf.models.Sequential([L.Input(input_shape, dtype=dtype), *layers])


ACTIVATIONS = ["relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "elu",
               "selu", "softplus", "softsign", "swish", "silu", "leaky_relu", "hard_sigmoid",
               "hard_silu", "linear", "exponential", "mish"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_with_each_activation(check_export, name):
    check_export(_model((6,), L.Dense(5, activation=name)), _floats(6))


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "hard_sigmoid", "selu"])
def test_activation_layer(check_export, name):
    check_export(_model((3, 4), L.Activation(name)), _floats(3, 4))


@pytest.mark.parametrize("layer", [
    lambda: L.ReLU(), lambda: L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
    lambda: L.LeakyReLU(0.3), lambda: L.ELU(0.7), lambda: L.PReLU(), lambda: L.Softmax(axis=1),
], ids=["relu", "relu_options", "leaky", "elu", "prelu", "softmax_axis1"])
def test_activation_layers(check_export, layer):
    check_export(_model((3, 4), layer()), _floats(3, 4))


def test_dense_without_bias_on_a_sequence(check_export):
    check_export(_model((4, 6), L.Dense(3, use_bias=False, activation="tanh")), _floats(4, 6))


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides,dilation", [(1, 1), (2, 1), (1, 2)])
def test_conv2d(check_export, padding, strides, dilation):
    layer = L.Conv2D(4, (3, 2), strides=strides, dilation_rate=dilation, padding=padding,
                     activation="relu")
    check_export(_model((9, 8, 3), layer), _floats(9, 8, 3))


def test_conv2d_groups_and_channels_first(check_export):
    check_export(_model((7, 7, 4), L.Conv2D(6, 3, groups=2, padding="same")), _floats(7, 7, 4))
    check_export(_model((3, 7, 6), L.Conv2D(2, 3, data_format="channels_first")),
                 _floats(3, 7, 6))


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d(check_export, padding):
    check_export(_model((10, 3), L.Conv1D(4, 3, strides=1 if padding == "causal" else 2,
                                          padding=padding)), _floats(10, 3))


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel,strides,output_padding", [(3, 2, None), (2, 3, None),
                                                           (3, 1, None), (3, 2, 1)])
def test_conv2d_transpose(check_export, padding, kernel, strides, output_padding):
    layer = L.Conv2DTranspose(3, kernel, strides=strides, padding=padding,
                              output_padding=output_padding)
    check_export(_model((5, 4, 2), layer), _floats(5, 4, 2))


def test_conv1d_transpose(check_export):
    check_export(_model((6, 2), L.Conv1DTranspose(3, 3, strides=2, padding="same")),
                 _floats(6, 2))


@pytest.mark.parametrize("cls", [L.MaxPooling2D, L.AveragePooling2D])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_2d(check_export, cls, padding):
    check_export(_model((7, 6, 3), cls(3, strides=2, padding=padding)), _floats(7, 6, 3))


@pytest.mark.parametrize("cls", [L.MaxPooling1D, L.AveragePooling1D])
def test_pooling_1d(check_export, cls):
    check_export(_model((9, 3), cls(2, padding="same")), _floats(9, 3))


@pytest.mark.parametrize("cls,shape", [
    (L.GlobalAveragePooling2D, (5, 4, 3)), (L.GlobalMaxPooling2D, (5, 4, 3)),
    (L.GlobalAveragePooling1D, (6, 3)), (L.GlobalMaxPooling1D, (6, 3))])
def test_global_pooling(check_export, cls, shape):
    check_export(_model(shape, cls()), _floats(*shape))
    check_export(_model(shape, cls(keepdims=True)), _floats(*shape))


def test_batch_normalization(check_export):
    check_export(_model((4, 5, 3), L.BatchNormalization()), _floats(4, 5, 3))
    check_export(_model((3, 5), L.BatchNormalization(axis=1, center=False)), _floats(3, 5))


def test_layer_normalization(check_export):
    check_export(_model((4, 6), L.LayerNormalization()), _floats(4, 6))
    check_export(_model((3, 4, 5), L.LayerNormalization(axis=[1, 2], scale=False)),
                 _floats(3, 4, 5))
    check_export(_model((4, 6), L.LayerNormalization(rms_scaling=True)), _floats(4, 6))


@pytest.mark.parametrize("layer,shape", [
    (lambda: L.Dropout(0.5), (6,)), (lambda: L.GaussianNoise(1.0), (6,)),
    (lambda: L.Flatten(), (3, 4, 2)), (lambda: L.Reshape((2, -1)), (3, 4)),
    (lambda: L.Permute((2, 1)), (3, 4)), (lambda: L.RepeatVector(3), (4,)),
    (lambda: L.ZeroPadding2D(((1, 0), (2, 1))), (3, 4, 2)), (lambda: L.ZeroPadding1D(2), (3, 2)),
    (lambda: L.UpSampling2D((2, 3)), (3, 2, 2)), (lambda: L.UpSampling1D(2), (3, 2)),
], ids=["dropout", "noise", "flatten", "reshape", "permute", "repeat", "pad2d", "pad1d",
        "up2d", "up1d"])
def test_shape_and_identity_layers(check_export, layer, shape):
    check_export(_model(shape, layer()), _floats(*shape))




def _ids(batch):
    return [np.random.default_rng(batch).integers(0, 11, (batch, 5)).astype("int64")]


def test_embedding_gather(check_export):
    check_export(_model((5,), L.Embedding(11, 4), dtype="int64"), _ids)
    check_export(_model((5,), L.Embedding(11, 4)), lambda b: [_ids(b)[0].astype("float32")])


RNN_CASES = {
    "simple_rnn": lambda **kw: L.SimpleRNN(4, **kw),
    "lstm": lambda **kw: L.LSTM(4, **kw),
    "gru": lambda **kw: L.GRU(4, **kw),
    "gru_reset_before": lambda **kw: L.GRU(4, reset_after=False, **kw),
}


@pytest.mark.parametrize("kind", sorted(RNN_CASES))
@pytest.mark.parametrize("options", [{}, {"return_sequences": True}, {"go_backwards": True},
                                     {"return_sequences": True, "go_backwards": True}],
                         ids=["last", "sequences", "backwards", "sequences_backwards"])
def test_recurrent(check_export, kind, options):
    check_export(_model((6, 3), RNN_CASES[kind](**options)), _floats(6, 3))


def test_recurrent_options(check_export):
    check_export(_model((5, 3), L.LSTM(4, activation="relu", use_bias=False)), _floats(5, 3))
    check_export(_model((5, 3), L.RNN(L.GRUCell(3), return_sequences=True)), _floats(5, 3))


def test_recurrent_return_state(check_export):
    inputs = L.Input((5, 3))
    out, h, c = L.LSTM(4, return_state=True)(inputs)
    check_export(pf.models.Model(inputs, [out, h, c]), _floats(5, 3))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("sequences", [False, True])
def test_bidirectional(check_export, merge_mode, kind, sequences):
    layer = L.Bidirectional(RNN_CASES[kind](return_sequences=sequences), merge_mode=merge_mode)
    check_export(_model((5, 3), layer), _floats(5, 3))


@pytest.mark.parametrize("cls", [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum,
                                 L.Minimum])
def test_merge_layers(check_export, cls):
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    model = pf.models.Model([a, b], cls()([a, b]))
    check_export(model, lambda n: _floats(4)(n) + _floats(4, seed=1)(n))


def test_concatenate_and_three_inputs(check_export):
    a, b, c = L.Input((2, 4)), L.Input((2, 3)), L.Input((2, 4))
    y = L.Concatenate()([a, b, c])
    z = L.Add()([a, c, a])
    model = pf.models.Model([a, b, c], [y, z])
    check_export(model, lambda n: (_floats(2, 4)(n) + _floats(2, 3, seed=1)(n)
                               + _floats(2, 4, seed=2)(n)))


def _attention_inputs(batch):
    return _floats(4, 6)(batch) + _floats(5, 6, seed=1)(batch)


@pytest.mark.parametrize("options", [{}, {"use_causal_mask": True},
                                     {"return_attention_scores": True}],
                         ids=["plain", "causal", "scores"])
def test_attention(check_export, options):
    q, v = L.Input((4, 6)), L.Input((5, 6))
    out = L.Attention(use_scale=True)([q, v], **options)
    out = list(out) if isinstance(out, tuple) else out
    check_export(pf.models.Model([q, v], out), _attention_inputs)


@pytest.mark.parametrize("options", [{}, {"use_causal_mask": True},
                                     {"return_attention_scores": True, "use_causal_mask": True}],
                         ids=["plain", "causal", "scores"])
def test_multi_head_attention(check_export, options):
    q, v = L.Input((4, 6)), L.Input((5, 6))
    mha = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=7)
    out = mha(q, v, **options)
    out = list(out) if isinstance(out, tuple) else out
    check_export(pf.models.Model([q, v], out), _attention_inputs)


def test_self_attention_with_a_mask_and_a_gate(check_export):
    x = L.Input((4, 6))
    mask = L.Input((4, 4), dtype="bool")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True)
    model = pf.models.Model([x, mask], mha(x, x, attention_mask=mask))

    def inputs(batch):
        keep = np.random.default_rng(batch).random((batch, 4, 4)) > 0.3
        keep[:, :, 0] = True
        return _floats(4, 6)(batch) + [keep]

    check_export(model, inputs)


@pytest.mark.parametrize("layer,shape", [
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
     (6, 5, 3)),
    (lambda: L.DepthwiseConv1D(2, strides=2), (7, 3)),
    (lambda: L.SeparableConv2D(4, 3, depth_multiplier=2), (6, 5, 3)),
    (lambda: L.SeparableConv1D(4, 3, padding="same"), (7, 3)),
    (lambda: L.Conv3D(2, 2, padding="same"), (4, 3, 5, 2)),
    (lambda: L.MaxPooling3D(2), (4, 4, 4, 2)), (lambda: L.AveragePooling3D(2), (4, 4, 4, 2)),
    (lambda: L.UpSampling3D(2), (2, 3, 2, 1)),
    (lambda: L.Cropping2D(((1, 0), (1, 2))), (4, 5, 2)), (lambda: L.Cropping1D((0, 2)), (5, 2)),
    (lambda: L.Rescaling(1 / 255, offset=-0.5), (4,)),
], ids=["depthwise2d", "depthwise1d", "separable2d", "separable1d", "conv3d", "maxpool3d",
        "avgpool3d", "up3d", "crop2d", "crop1d", "rescaling"])
def test_more_layers(check_export, layer, shape):
    check_export(_model(shape, layer()), _floats(*shape))


def test_normalization_adapted(check_export):
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(0).normal(3.0, 2.0, (50, 4)).astype("float32"))
    check_export(_model((4,), norm, L.Dense(2)), _floats(4))
    fixed = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0], invert=True)
    check_export(_model((2,), fixed), _floats(2))


def test_time_distributed(check_export):
    check_export(_model((4, 6, 5, 2), L.TimeDistributed(L.Conv2D(3, 2)),
                        L.TimeDistributed(L.Flatten()), L.TimeDistributed(L.Dense(2))),
                 _floats(4, 6, 5, 2))


def test_position_layers(check_export):
    x = L.Input((5, 6))
    shifted = x + L.PositionEmbedding(8)(x, start_index=2)
    check_export(pf.models.Model(x, [L.PositionEmbedding(8)(x), shifted]), _floats(5, 6))
    check_export(_model((5, 6), L.SinePositionEncoding()), _floats(5, 6))
    tokens = L.Input((7,), dtype="int64")
    model = pf.models.Model(tokens, L.TokenAndPositionEmbedding(11, 9, 4)(tokens))
    check_export(model, _ids_7)


def _ids_7(batch):
    return [np.random.default_rng(batch).integers(0, 11, (batch, 7)).astype("int64")]


def test_masking_zeroes_masked_steps(check_export):
    def inputs(batch):
        x = _floats(5, 3)(batch)[0]
        x[:, 1] = -1.0  # a masked step
        return [x]

    check_export(_model((5, 3), L.Masking(-1.0), L.Dense(2)), inputs)


def test_bidirectional_states_and_no_merge(check_export):
    x = L.Input((5, 3))
    outs = L.Bidirectional(L.LSTM(4, return_state=True, return_sequences=True))(x)
    check_export(pf.models.Model(x, list(outs)), _floats(5, 3))
    y_f, y_b = L.Bidirectional(L.SimpleRNN(2), merge_mode=None)(x)
    check_export(pf.models.Model(x, [y_f, y_b]), _floats(5, 3))


def test_stacked_cells(check_export):
    cells = [L.LSTMCell(4), L.GRUCell(3), L.SimpleRNNCell(2)]
    check_export(_model((5, 3), L.RNN(cells, return_sequences=True, go_backwards=True)),
                 _floats(5, 3))
    x = L.Input((5, 3))
    outs = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True)(x)
    check_export(pf.models.Model(x, list(outs)), _floats(5, 3))


@pytest.mark.parametrize("axes,normalize,shapes", [
    (1, False, [(4,), (4,)]), (-1, True, [(4,), (4,)]), (2, False, [(3, 4), (5, 4)]),
    (1, True, [(3, 4), (3, 5)]), ((2, 1), False, [(3, 4), (4, 5)])],
    ids=["vectors", "cosine", "last-axes", "first-axes-normalized", "matmul"])
def test_dot(check_export, axes, normalize, shapes):
    a, b = L.Input(shapes[0]), L.Input(shapes[1])
    model = pf.models.Model([a, b], L.Dot(axes=axes, normalize=normalize)([a, b]))
    check_export(model, lambda n: _floats(*shapes[0])(n) + _floats(*shapes[1], seed=1)(n))


@pytest.mark.parametrize("options", [{}, {"use_causal_mask": True},
                                     {"return_attention_scores": True}],
                         ids=["plain", "causal", "scores"])
@pytest.mark.parametrize("use_scale", [True, False])
def test_additive_attention(check_export, options, use_scale):
    q, v = L.Input((4, 6)), L.Input((5, 6))
    out = L.AdditiveAttention(use_scale=use_scale)([q, v], **options)
    out = list(out) if isinstance(out, tuple) else out
    check_export(pf.models.Model([q, v], out), _attention_inputs)
