"""Depthwise and separable convolutions (ranks 1-3, channels-last), as Keras's.

A depthwise convolution filters each input channel c on its own with M kernels (the
"depth multiplier"), kernel W (k₁, …, k_r, C, M), C·M output channels ordered c·M + m:

    y[n, o, c, m] = Σ_u x[n, o·s + u·d, c] · W[u, c, m]

It has no sum over channels, so a GEMM (im2col) would be wasted: the op is K = k₁⋯k_r
multiply-adds of strided views of x (one per kernel offset u, views and no copy), as max pooling.
Its gradients are the same loops turned around, each an op whose backward is another of the
three (second derivatives work):
  ∂L/∂x[o·s + u·d, c] += Σ_m gy[o, c, m] · W[u, c, m]     (DepthwiseInputGrad)
  ∂L/∂W[u, c, m]       = Σ_{n,o} x[n, o·s + u·d, c] · gy[n, o, c, m]   (DepthwiseFilterGrad)

A separable convolution is a depthwise one then a pointwise (1×…×1) ``conv`` that mixes channels.
"""

from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.conv_nd import _check_padding, _GeometryND, _tuple, conv


class Depthwise(Function):
    """y[…, c·M + m] = Σ_u x[offset u][…, c] · W[u, c, m]: K multiply-adds of strided views."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x, w):
        g, m = self.geo, w.shape[-1]
        x_pad = g.pad(x)
        w = w.reshape(g.taps, w.shape[-2], m)
        y = None
        for k, (_, idx) in enumerate(g.offsets()):
            term = x_pad[idx][..., None] * w[k]  # (N, *out, C, 1)·(C, M)
            if y is None:
                y = term
            else:
                y += term
        return y.reshape(*y.shape[:-2], -1)

    def backward(self, gy):
        x, w = self.inputs
        gx = DepthwiseInputGrad(self.geo)(gy, w) if self.needs_input_grad[0] else None
        gw = DepthwiseFilterGrad(self.geo, w.shape)(x, gy) if self.needs_input_grad[1] else None
        return gx, gw

    def per_example(self, gy, i):
        """Example n's kernel gradient (see ``profond.autodiff.per_example``): the filter
        gradient's sum without the batch, gₙ(W)[u, c, m] = Σ_o xₙ[o·s + u·d, c] · gyₙ[o, c, m]."""
        if i != 1:
            raise ValueError("Depthwise: per-example gradients are of the kernel (input 1). "
                             f"Received: input {i}")
        g, xp = self.geo, array_module(gy)
        w_shape = tuple(self.inputs[1].shape)
        c, m = w_shape[-2:]
        x_pad = g.pad(self.inputs[0].data)
        n = gy.shape[0]
        gy = gy.reshape(n, -1, c, m)
        out = xp.empty((n, g.taps, c, m), dtype=gy.dtype)
        for k, (_, idx) in enumerate(g.offsets()):
            out[:, k] = xp.einsum("npc,npcm->ncm", x_pad[idx].reshape(n, -1, c), gy)
        return out.reshape((n,) + w_shape)


class DepthwiseInputGrad(Function):
    """∂L/∂x: each offset's view of x receives Σ_m gy[…, c, m] · W[u, c, m]."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, gy, w):
        g, xp = self.geo, array_module(gy)
        c, m = w.shape[-2:]
        gy = gy.reshape(*gy.shape[:-1], c, m)
        w = w.reshape(g.taps, c, m)
        gx = xp.zeros((g.x_shape[0], *g.padded, c), dtype=gy.dtype)
        for k, (_, idx) in enumerate(g.offsets()):
            gx[idx] += gy[..., 0] * w[k, :, 0] if m == 1 else (gy * w[k]).sum(axis=-1)
        return g.crop(gx)

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = Depthwise(self.geo)(ggx, w) if self.needs_input_grad[0] else None
        g_w = DepthwiseFilterGrad(self.geo, w.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class DepthwiseFilterGrad(Function):
    """∂L/∂W[u, c, m] = Σ over batch and positions of x[offset u][…, c] · gy[…, c, m]."""

    def __init__(self, geo, w_shape):
        self.geo, self.w_shape = geo, tuple(w_shape)

    def forward(self, x, gy):
        g, xp = self.geo, array_module(x)
        c, m = self.w_shape[-2:]
        x_pad = g.pad(x)
        gy = gy.reshape(-1, c, m)
        gw = xp.empty((g.taps, c, m), dtype=gy.dtype)
        for k, (_, idx) in enumerate(g.offsets()):
            # NOTE: the strided view is copied once into rows (P, C); einsum then sums over P.
            gw[k] = xp.einsum("pc,pcm->cm", x_pad[idx].reshape(-1, c), gy)
        return gw.reshape(self.w_shape)

    def backward(self, ggw):
        x, gy = self.inputs
        g_x = DepthwiseInputGrad(self.geo)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Depthwise(self.geo)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


def depthwise_conv(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Each input channel convolved with its own M filters, kernel (k…, C, M) as Keras's
    DepthwiseConv (and ``keras.ops.depthwise_conv``): output channel c·M + m = x[…, c] ⋆ W[…, c, m].
    Strides and dilation may be combined.

    >>> import profond as pf
    >>> depthwise_conv(pf.ones((1, 5, 6, 3)), pf.ones((3, 3, 3, 2))).shape
    (1, 3, 4, 6)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    r = x.ndim - 2
    if r not in (1, 2, 3) or kernel.ndim != x.ndim or kernel.shape[-2] != x.shape[-1]:
        raise ValueError(f"depthwise_conv: expects an input (N, *spatial, C) with 1 to 3 spatial "
                         f"axes and a kernel (*k, C, depth_multiplier) with the input's C "
                         f"channels. Received: input shape {x.shape}, kernel shape "
                         f"{kernel.shape}")
    fn = "depthwise_conv"
    geo = _GeometryND(x.shape, kernel.shape[:r], _tuple(strides, r, "strides", fn),
                      _check_padding(padding, fn), _tuple(dilation_rate, r, "dilation_rate", fn),
                      fn=fn)
    return Depthwise(geo)(x, kernel)


def separable_conv(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   dilation_rate=1):
    """A depthwise convolution (k…, C, M) then a pointwise one (1…, C·M, F) mixing channels:
    y = P ⋆ (W ⋆_depthwise x), k·C·M + C·M·F weights instead of a full conv's k·C·F."""
    y = depthwise_conv(x, depthwise_kernel, strides, padding, dilation_rate)
    return conv(y, pointwise_kernel)
