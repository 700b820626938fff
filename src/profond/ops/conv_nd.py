"""Convolutions of any rank (1-, 2- or 3-D, channels-last), with groups, and their transposes:
what ``conv2d`` does for images, for sequences and volumes.

An r-D convolution of x (N, *spatial, C) by a kernel (k₁, …, k_r, C/G, F) in G groups:

    y[n, o, f] = Σ_{u, c ∈ group(f)} x[n, o·s + u·d, c] · W[u, c mod C/G, f]

where o and u run over r-tuples, and output channel f sees only the C/G input channels of its
group g = f // (F/G). As ``conv2d``: im2col (one ``sliding_window_view`` copy into rows of
(k₁⋯k_r)·C values) then one GEMM, batched over the G groups. G = 1 is the ordinary convolution
(G = C is a depthwise one, which ``depthwise.py`` computes faster without im2col).

Its two gradients are again linear maps of gy, each an op whose backward is another of the three
(second derivatives work):
  ∂L/∂W = im2col(x)ᵀ · gy   per group           (ConvNDFilterGrad)
  ∂L/∂x = col2im(gy · Wᵀ)   per group           (ConvNDInputGrad, = the transposed convolution)

``conv2d`` (``conv.py``) keeps its own tuned 2-D path with the fused bias and activation; this
module is the general one. As there, each op works on chunks of a few images at a time, on the
worker threads of ``profond.backend.threads``.
"""

import itertools
import math

from profond.autodiff.function import Function
from profond.backend import array_module, threads
from profond.ops._util import as_tensor
from profond.ops.conv import _same_pads


def _tuple(v, rank, name, fn):
    if isinstance(v, int):
        return (v,) * rank
    v = tuple(int(a) for a in v)
    if len(v) != rank or any(a <= 0 for a in v):
        raise ValueError(f"{fn}: expected {name} to be a positive int or a tuple of {rank}. "
                         f"Received: {name}={v}")
    return v


class _GeometryND:
    """Shapes of an r-D convolution computed once: padding, output size, kernel offsets."""

    def __init__(self, x_shape, k_spatial, strides, padding, dilation, groups=1, fn="conv"):
        self.x_shape, self.k = tuple(x_shape), tuple(k_spatial)
        self.s, self.d, self.groups = tuple(strides), tuple(dilation), groups
        spatial = self.x_shape[1:-1]
        if padding == "same":
            self.pads = tuple(_same_pads(n, k, s, d) for n, k, s, d in
                              zip(spatial, self.k, self.s, self.d))
        else:
            self.pads = tuple((0, 0) for _ in spatial)
        self.padded = tuple(n + a + b for n, (a, b) in zip(spatial, self.pads))
        self.k_eff = tuple((k - 1) * d + 1 for k, d in zip(self.k, self.d))
        self.out = tuple((p - ke) // s + 1 for p, ke, s in zip(self.padded, self.k_eff, self.s))
        if any(o <= 0 for o in self.out):
            raise ValueError(f"{fn}: the kernel {self.k} (dilation {self.d}) is larger than the "
                             f"padded input {self.padded}. Received input shape {self.x_shape}")
        self.taps = math.prod(self.k)  # K, the kernel's spatial size

    def pad(self, x):
        if any(p != (0, 0) for p in self.pads):
            xp = array_module(x)
            x = xp.pad(x, ((0, 0),) + self.pads + ((0, 0),))
        return x

    def im2col(self, x):
        """(m, *spatial, C) → (m·∏out, K·C), rows ordered (n, o), columns (u, c)."""
        xp, r = array_module(x), len(self.k)
        x = self.pad(x)
        c = x.shape[-1]
        rows = x.shape[0] * math.prod(self.out)
        strided = (slice(None),) + tuple(slice(0, s * o, s) for s, o in zip(self.s, self.out))
        if self.taps == 1:
            return x[strided].reshape(rows, c)
        win = xp.lib.stride_tricks.sliding_window_view(x, self.k_eff, axis=tuple(range(1, r + 1)))
        win = win[strided + (slice(None),) + tuple(slice(None, None, d) for d in self.d)]
        # (N, *out, C, *k) → (N, *out, *k, C): one copy into GEMM-ready rows.
        order = (0, *range(1, r + 1), *range(r + 2, 2 * r + 2), r + 1)
        return win.transpose(order).reshape(rows, -1)

    def offsets(self):
        """For each kernel offset u (in im2col's column order): the strided slice of the padded
        input that meets W[u], x_pad[:, u·d : u·d + s·(out − 1) + 1 : s] (a view)."""
        for u in itertools.product(*(range(k) for k in self.k)):
            yield u, (slice(None),) + tuple(slice(ui * d, ui * d + s * (o - 1) + 1, s)
                                            for ui, d, s, o in zip(u, self.d, self.s, self.out))

    def crop(self, x_pad):
        """Drop the 'same' padding again."""
        return x_pad[(slice(None),) + tuple(slice(a, p - b) for (a, b), p in
                                            zip(self.pads, self.padded))]

    def col2im_into(self, cols, out):
        """The transpose of im2col for the rows of a few images, written into ``out``
        (m, *spatial, C): every window's values added back where they came from (one strided
        slice-add per kernel offset)."""
        xp = array_module(cols)
        m, c = out.shape[0], out.shape[-1]
        buf = xp.zeros((m, *self.padded, c), dtype=out.dtype)
        cols = cols.reshape(m, *self.out, *self.k, c)
        for u, idx in self.offsets():
            buf[idx] += cols[(slice(None),) * (1 + len(self.k)) + u]
        out[...] = self.crop(buf)

    def chunk(self, xp, width):
        """Images per chunk when each image's GEMM rows are ``width`` values wide (the whole
        batch at once off NumPy)."""
        n = self.x_shape[0]
        if xp.__name__ != "numpy":
            return max(n, 1)
        return threads.chunk_size(n, math.prod(self.out) * width)

    # --- the G groups as a batch of G matrix products -------------------------------------------

    def split_cols(self, cols):
        """(M, K·C) → (G, M, K·C/G)."""
        g, rows = self.groups, cols.shape[0]
        return cols.reshape(rows, self.taps, g, -1).transpose(2, 0, 1, 3).reshape(g, rows, -1)

    def merge_cols(self, gcols):
        """(G, M, K·C/G) → (M, K·C), the inverse of ``split_cols``."""
        g, rows = self.groups, gcols.shape[1]
        return gcols.reshape(g, rows, self.taps, -1).transpose(1, 2, 0, 3).reshape(rows, -1)

    def split_kernel(self, w):
        """(k…, C/G, F) → (G, K·C/G, F/G)."""
        f = w.shape[-1]
        return w.reshape(-1, self.groups, f // self.groups).transpose(1, 0, 2)

    def split_out(self, y):
        """(…, F) → (G, M, F/G)."""
        return y.reshape(-1, self.groups, y.shape[-1] // self.groups).transpose(1, 0, 2)

    def merge_out(self, gy):
        """(G, M, F/G) → (M, F)."""
        return gy.transpose(1, 0, 2).reshape(gy.shape[1], -1)


class ConvND(Function):
    """y = W ⋆ x: im2col then one GEMM (G batched ones for grouped convolutions), per chunk of
    images."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x, w):
        g, xp, f = self.geo, array_module(x, w), w.shape[-1]
        y = xp.empty((x.shape[0], *g.out, f), dtype=xp.result_type(x, w))

        def images(i, j):
            cols = g.im2col(x[i:j])
            if g.groups == 1:
                y[i:j] = (cols @ w.reshape(-1, f)).reshape(y[i:j].shape)
            else:
                y[i:j] = g.merge_out(g.split_cols(cols) @ g.split_kernel(w)).reshape(y[i:j].shape)

        threads.parallel_for(images, x.shape[0], g.chunk(xp, g.taps * x.shape[-1] + f))
        return y

    def backward(self, gy):
        x, w = self.inputs
        gx = ConvNDInputGrad(self.geo)(gy, w) if self.needs_input_grad[0] else None
        gw = ConvNDFilterGrad(self.geo, w.shape)(x, gy) if self.needs_input_grad[1] else None
        return gx, gw


class ConvNDInputGrad(Function):
    """∂L/∂x = col2im(gy · Wᵀ): the transposed convolution of gy by W."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, gy, w):
        g, xp, f = self.geo, array_module(gy, w), w.shape[-1]
        gx = xp.empty(g.x_shape, dtype=xp.result_type(gy, w))

        def images(i, j):
            if g.groups == 1:
                gcols = gy[i:j].reshape(-1, f) @ w.reshape(-1, f).T
            else:
                gcols = g.merge_cols(g.split_out(gy[i:j]) @ g.split_kernel(w).transpose(0, 2, 1))
            g.col2im_into(gcols, gx[i:j])

        threads.parallel_for(images, g.x_shape[0], g.chunk(xp, g.taps * g.x_shape[-1] + f))
        return gx

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = ConvND(self.geo)(ggx, w) if self.needs_input_grad[0] else None
        g_w = ConvNDFilterGrad(self.geo, w.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class ConvNDFilterGrad(Function):
    """∂L/∂W = im2col(x)ᵀ · gy (per group), reshaped to the kernel's (k…, C/G, F): a sum over
    chunks of images."""

    def __init__(self, geo, w_shape):
        self.geo, self.w_shape = geo, tuple(w_shape)

    def forward(self, x, gy):
        g, xp, n = self.geo, array_module(x, gy), x.shape[0]
        if n == 0:
            return xp.zeros(self.w_shape, dtype=xp.result_type(x, gy))

        def images(i, j):
            cols = g.im2col(x[i:j])
            if g.groups == 1:
                return cols.T @ gy[i:j].reshape(-1, gy.shape[-1])
            return g.split_cols(cols).transpose(0, 2, 1) @ g.split_out(gy[i:j])  # (G, K·C/G, F/G)

        gw = threads.parallel_sum(images, n, g.chunk(xp, g.taps * x.shape[-1] + gy.shape[-1]))
        if g.groups == 1:
            return gw.reshape(self.w_shape)
        return gw.transpose(1, 0, 2).reshape(self.w_shape)

    def backward(self, ggw):
        x, gy = self.inputs
        g_x = ConvNDInputGrad(self.geo)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = ConvND(self.geo)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


def _check_padding(padding, fn):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"{fn}: expected padding 'valid' or 'same'. Received: padding={padding!r}")
    return p


def conv(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """r-D convolution (r = 1, 2, 3) of channels-last ``x`` (N, *spatial, C) with a kernel
    (k₁, …, k_r, C/G, F), as ``keras.ops.conv``: the number of groups G = C / kernel.shape[-2]
    is read from the kernel (Keras's rule), F must be a multiple of G.

    'valid': out = ⌊(n − d(k − 1) − 1)/s⌋ + 1; 'same': out = ⌈n/s⌉ (TF's placement).

    >>> import profond as pf
    >>> conv(pf.ones((2, 5, 6, 7, 4)), pf.ones((3, 3, 3, 2, 6))).shape  # 3-D, 2 groups
    (2, 3, 4, 5, 6)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    r = x.ndim - 2
    if r not in (1, 2, 3) or kernel.ndim != r + 2:
        raise ValueError(f"conv: expects an input (N, *spatial, C) with 1 to 3 spatial axes and a "
                         f"kernel (*k, C/groups, F) of the same rank. Received: input shape "
                         f"{x.shape}, kernel shape {kernel.shape}")
    c, cg, f = x.shape[-1], kernel.shape[-2], kernel.shape[-1]
    if cg <= 0 or c % cg or f % (c // cg):
        raise ValueError(f"conv: the input's {c} channels must be a multiple of the kernel's "
                         f"{cg} input channels, and its {f} filters a multiple of the number of "
                         f"groups. Received: input shape {x.shape}, kernel shape {kernel.shape}")
    geo = _GeometryND(x.shape, kernel.shape[:r], _tuple(strides, r, "strides", "conv"),
                      _check_padding(padding, "conv"),
                      _tuple(dilation_rate, r, "dilation_rate", "conv"), c // cg)
    return ConvND(geo)(x, kernel)


def conv_transpose(x, kernel, output_spatial, strides=1, padding="valid", dilation_rate=1):
    """The transposed r-D convolution (the input gradient of ``conv``), kernel (k…, F, C) as
    Keras's ConvNDTranspose: maps (N, *spatial, C) to (N, *output_spatial, F).

        y[n, i·s + u·d, f] += Σ_c x[n, i, c] · W[u, f, c]   ('same' then crops TF's pads)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    r = x.ndim - 2
    if r not in (1, 2, 3) or kernel.ndim != r + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(f"conv_transpose: expects an input (N, *spatial, C) and a kernel "
                         f"(*k, F, C) of the same rank. Received: input shape {x.shape}, kernel "
                         f"shape {kernel.shape}")
    output_spatial = tuple(int(n) for n in output_spatial)
    geo = _GeometryND((x.shape[0], *output_spatial, kernel.shape[-2]), kernel.shape[:r],
                      _tuple(strides, r, "strides", "conv_transpose"),
                      _check_padding(padding, "conv_transpose"),
                      _tuple(dilation_rate, r, "dilation_rate", "conv_transpose"),
                      fn="conv_transpose")
    if geo.out != tuple(x.shape[1:-1]):
        raise ValueError(f"conv_transpose: the output size {output_spatial} does not map back to "
                         f"the input size {tuple(x.shape[1:-1])} with these strides and padding")
    return ConvNDInputGrad(geo)(x, kernel)
