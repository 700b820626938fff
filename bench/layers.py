"""Single layers, forward and backward (gradient of a sum w.r.t. the input and the weights):
the kernels of the DCGAN and of normalised CNNs, alone."""

import numpy as np
from _harness import Case, Work

# Conv2DTranspose(128, 4, strides=2, padding="same") on (64, 7, 7, 128) and (64, 14, 14, 128).
TRANSPOSE_INPUTS = {"small": (64, 7, 7, 128), "large": (64, 14, 14, 128)}
BN_INPUT = (128, 26, 26, 32)


def _x(shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _profond_layer(make, shape):
    import profond as pf

    layer = make(pf.keras.layers)
    x = pf.Variable(_x(shape))
    layer(x)

    def step():
        with pf.GradientTape() as tape:
            y = pf.reduce_sum(layer(x, training=True))
        tape.gradient(y, [x] + layer.trainable_variables)

    return Work(step, items=shape[0])


def _torch_layer(module, shape):
    import torch

    x = torch.from_numpy(_x(shape).transpose(0, 3, 1, 2).copy()).requires_grad_()
    params = [x] + list(module.parameters())

    def step():
        torch.autograd.grad(module(x).sum(), params)

    return Work(step, items=shape[0])


def profond_transpose_small():
    return _profond_layer(lambda L: L.Conv2DTranspose(128, 4, strides=2, padding="same"),
                          TRANSPOSE_INPUTS["small"])


def profond_transpose_large():
    return _profond_layer(lambda L: L.Conv2DTranspose(128, 4, strides=2, padding="same"),
                          TRANSPOSE_INPUTS["large"])


def torch_transpose_small():
    import torch

    return _torch_layer(torch.nn.ConvTranspose2d(128, 128, 4, 2, 1), TRANSPOSE_INPUTS["small"])


def torch_transpose_large():
    import torch

    return _torch_layer(torch.nn.ConvTranspose2d(128, 128, 4, 2, 1), TRANSPOSE_INPUTS["large"])


def profond_batchnorm():
    return _profond_layer(lambda L: L.BatchNormalization(), BN_INPUT)


def torch_batchnorm():
    import torch

    return _torch_layer(torch.nn.BatchNorm2d(32, 1e-3, 0.01).train(), BN_INPUT)


ATTENTION_INPUT = (32, 128, 256)  # batch, sequence, model width; 8 heads of 32


def _no_attention():
    import profond as pf

    if "MultiHeadAttention" not in dir(pf.keras.layers):
        return "profond has no MultiHeadAttention yet"
    return None


def profond_attention():
    import profond as pf

    layer = pf.keras.layers.MultiHeadAttention(num_heads=8, key_dim=32)
    x = pf.Variable(_x(ATTENTION_INPUT))
    layer(x, x)

    def step():
        with pf.GradientTape() as tape:
            y = pf.reduce_sum(layer(x, x, training=True))
        tape.gradient(y, [x] + layer.trainable_variables)

    return Work(step, items=ATTENTION_INPUT[0])


def torch_attention():
    import torch

    layer = torch.nn.MultiheadAttention(ATTENTION_INPUT[2], 8, batch_first=True)
    x = torch.from_numpy(_x(ATTENTION_INPUT)).requires_grad_()
    params = [x] + list(layer.parameters())

    def step():
        out, _ = layer(x, x, x, need_weights=False)
        torch.autograd.grad(out.sum(), params)

    return Work(step, items=ATTENTION_INPUT[0])


CASES = {
    "conv2d_transpose_7": Case(
        "Conv2DTranspose(128, 4, s2, same) on 64×7×7×128, forward + backward",
        {"profond": "profond_transpose_small", "pytorch": "torch_transpose_small"}, calls=10),
    "conv2d_transpose_14": Case(
        "Conv2DTranspose(128, 4, s2, same) on 64×14×14×128, forward + backward",
        {"profond": "profond_transpose_large", "pytorch": "torch_transpose_large"}, calls=5),
    "batchnorm": Case("BatchNormalization (training) on 128×26×26×32, forward + backward",
                      {"profond": "profond_batchnorm", "pytorch": "torch_batchnorm"}, calls=20),
    "attention": Case("MultiHeadAttention(8 heads × 32) self-attention on 32×128×256, forward + "
                      "backward", {"profond": "profond_attention", "pytorch": "torch_attention"},
                      calls=10, needs=_no_attention),
}
