"""Convolution and pooling on channels-last (NHWC) images.

conv2d is im2col + one GEMM: the windows of x are gathered with ``sliding_window_view`` (a view, no
copy) into a matrix of shape (N·H'·W', kh·kw·C), which one matrix product with the kernel reshaped
to (kh·kw·C, F) turns into the output:

    y[n, i, j, f] = Σ_{u,v,c} x[n, i·s + u·d, j·s + v·d, c] · W[u, v, c, f]


Its two gradients are themselves linear in gy, so each is an op whose own backward is another of
the three (this is what makes second derivatives work):
  ∂L/∂W = im2col(x)ᵀ · gy                       (conv2d_filter_grad)
  ∂L/∂x = col2im(gy · Wᵀ)                        (conv2d_input_grad, = a transposed convolution)
col2im adds each of the kh·kw kernel offsets' contributions back with one strided slice-add per
offset (kh·kw vectorized adds, no per-element loop).
"""

from profond.autodiff.function import Function
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.nn import activate_inplace, through_activation
from profond.ops.reduction import reduce_sum


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"Expected {name} to be an int or a pair. Received: {name}={v}")
    return v


def conv_output_length(size, k, stride, padding, dilation=1):
    """Output length along one axis (TF's rule): ceil(size / s) for 'same', else
    floor((size − d(k−1) − 1) / s) + 1."""
    k_eff = (k - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - k_eff) // stride + 1


def _same_pads(size, k, stride, dilation):
    """TF 'same' padding (before, after): the extra pixel goes after."""
    k_eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


class _Geometry:
    """Everything about a conv's shapes, computed once: strides, dilation, padding, output size."""

    def __init__(self, x_shape, k_shape, strides, padding, dilation):
        n, h, w, c = x_shape
        kh, kw = k_shape[:2]
        self.x_shape, self.kh, self.kw = tuple(x_shape), kh, kw
        self.sh, self.sw = strides
        self.dh, self.dw = dilation
        if padding == "same":
            self.pads = (_same_pads(h, kh, self.sh, self.dh), _same_pads(w, kw, self.sw, self.dw))
        else:
            self.pads = ((0, 0), (0, 0))
        self.hp = h + sum(self.pads[0])
        self.wp = w + sum(self.pads[1])
        self.ho = (self.hp - (kh - 1) * self.dh - 1) // self.sh + 1
        self.wo = (self.wp - (kw - 1) * self.dw - 1) // self.sw + 1
        if self.ho <= 0 or self.wo <= 0:
            raise ValueError(
                f"conv2d: the kernel {(kh, kw)} (dilation {dilation}) is larger than the padded "
                f"input {(self.hp, self.wp)}. Received input shape {tuple(x_shape)}"
            )

    def im2col(self, x):
        """(N, H, W, C) → (N·H'·W', kh·kw·C), rows ordered (n, i, j), columns (u, v, c)."""
        xp = array_module(x)
        if self.pads != ((0, 0), (0, 0)):
            x = xp.pad(x, ((0, 0), self.pads[0], self.pads[1], (0, 0)))
        n, c = x.shape[0], x.shape[3]
        if self.kh == 1 and self.kw == 1:
            cols = x[:, : self.sh * self.ho : self.sh, : self.sw * self.wo : self.sw, :]
            return cols.reshape(n * self.ho * self.wo, c)
        kh_eff = (self.kh - 1) * self.dh + 1
        kw_eff = (self.kw - 1) * self.dw + 1
        win = xp.lib.stride_tricks.sliding_window_view(x, (kh_eff, kw_eff), axis=(1, 2))
        win = win[:, :: self.sh, :: self.sw, :, :: self.dh, :: self.dw][:, : self.ho, : self.wo]
        # (N, H', W', C, kh, kw) → (N, H', W', kh, kw, C): one copy into GEMM-ready rows.
        return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * self.ho * self.wo, -1)

    def col2im(self, cols, dtype):
        """The transpose of im2col: add every window's values back where they came from."""
        xp = array_module(cols)
        n, h, w, c = self.x_shape
        out = xp.zeros((n, self.hp, self.wp, c), dtype=dtype)
        cols = cols.reshape(n, self.ho, self.wo, self.kh, self.kw, c)
        for u in range(self.kh):
            i0 = u * self.dh
            rows = slice(i0, i0 + self.sh * (self.ho - 1) + 1, self.sh)
            for v in range(self.kw):
                j0 = v * self.dw
                cs = slice(j0, j0 + self.sw * (self.wo - 1) + 1, self.sw)
                out[:, rows, cs, :] += cols[:, :, :, u, v]
        (t, b), (l, r) = self.pads
        return out[:, t : self.hp - b, l : self.wp - r, :]


class Conv2D(Function):
    """y = g(b + conv2d(x, W)) (cross-correlation, as every deep-learning library), with the bias
    and a relu / sigmoid / tanh activation applied in place on the GEMM's output, as ``Dense``."""

    def __init__(self, geo, activation=None):
        self.geo, self.activation = geo, activation

    def forward(self, x, w, b=None):
        g = self.geo
        y = g.im2col(x) @ w.reshape(-1, w.shape[-1])
        if b is not None:
            y += b
        y = activate_inplace(y, self.activation)
        return y.reshape(x.shape[0], g.ho, g.wo, w.shape[-1])

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        gy = through_activation(self, gy, self.activation)
        gx = Conv2DInputGrad(self.geo)(gy, w) if self.needs_input_grad[0] else None
        gw = Conv2DFilterGrad(self.geo, w.shape)(x, gy) if self.needs_input_grad[1] else None
        gb = None
        if len(self.inputs) > 2 and self.needs_input_grad[2]:
            gb = reduce_sum(gy, (0, 1, 2))
        return gx, gw, gb


class Conv2DInputGrad(Function):
    """∂L/∂x = col2im(gy · Wᵀ): a transposed convolution of gy by W."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, gy, w):
        f = w.shape[-1]
        gcols = gy.reshape(-1, f) @ w.reshape(-1, f).T
        return self.geo.col2im(gcols, gy.dtype)

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = Conv2D(self.geo)(ggx, w) if self.needs_input_grad[0] else None
        g_w = Conv2DFilterGrad(self.geo, w.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class Conv2DFilterGrad(Function):
    """∂L/∂W = im2col(x)ᵀ · gy, reshaped to the kernel's (kh, kw, C, F)."""

    def __init__(self, geo, w_shape):
        self.geo, self.w_shape = geo, tuple(w_shape)

    def forward(self, x, gy):
        cols = self.geo.im2col(x)
        return (cols.T @ gy.reshape(-1, gy.shape[-1])).reshape(self.w_shape)

    def backward(self, ggw):
        x, gy = self.inputs
        g_x = Conv2DInputGrad(self.geo)(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = Conv2D(self.geo)(x, ggw) if self.needs_input_grad[1] else None
        return g_x, g_gy


def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1, bias=None, activation=None):
    """2-D convolution of NHWC ``x`` with a ``(kh, kw, C, F)`` kernel (Keras's layout).

    ``padding``: "valid" (no padding) or "same" (output size ceil(H/stride), TF's placement).
    ``bias`` (F,) and ``activation`` (None, "relu", "sigmoid", "tanh") are fused into the op.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
    if x.ndim != 4 or kernel.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D input (N, H, W, C) and a 4-D kernel (kh, kw, C, F)."
                         f" Received: input shape {x.shape}, kernel shape {kernel.shape}")
    if x.shape[-1] != kernel.shape[2]:
        raise ValueError(f"conv2d: the input has {x.shape[-1]} channels but the kernel expects "
                         f"{kernel.shape[2]}. Received: input shape {x.shape}, kernel shape "
                         f"{kernel.shape}")
    strides, dilation = _pair(strides, "strides"), _pair(dilation_rate, "dilation_rate")
    if dilation != (1, 1) and strides != (1, 1):
        raise ValueError("conv2d: strides > 1 with dilation_rate > 1 is not supported (as Keras)")
    if activation not in (None, "linear", "relu", "sigmoid", "tanh"):
        raise ValueError(f"conv2d: activation must be None, 'linear', 'relu', 'sigmoid' or "
                         f"'tanh'. Received: activation={activation!r}")
    op = Conv2D(_Geometry(x.shape, kernel.shape, strides, padding, dilation),
                None if activation == "linear" else activation)
    if bias is None:
        return op(x, kernel)
    bias = as_tensor(bias)
    if bias.shape != (kernel.shape[-1],):
        raise ValueError(f"conv2d: expected a bias of shape {(kernel.shape[-1],)}. Received: "
                         f"bias.shape={bias.shape}")
    return op(x, kernel, bias)


def conv2d_transpose(x, kernel, output_shape_hw, strides=1, padding="valid", dilation_rate=1):
    """The transposed convolution (the input gradient of ``conv2d``), kernel ``(kh, kw, F, C)``
    as Keras's Conv2DTranspose: maps (N, H, W, C) to (N, *output_shape_hw, F)."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    kh, kw, f, c = kernel.shape
    strides, dilation = _pair(strides, "strides"), _pair(dilation_rate, "dilation_rate")
    out_shape = (x.shape[0], *output_shape_hw, f)
    geo = _Geometry(out_shape, (kh, kw, f, c), strides, padding.lower(), dilation)
    if (geo.ho, geo.wo) != tuple(x.shape[1:3]):
        raise ValueError(f"conv2d_transpose: output size {output_shape_hw} does not map back to "
                         f"the input size {x.shape[1:3]} with these strides and padding")
    return Conv2DInputGrad(geo)(x, kernel)
