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
offset (kh·kw vectorized adds, no per-element loop; one compiled pass when numba is installed,
``conv_jit``).

NOTE (speed):
- Each of the three ops works on chunks of a few images at a time (``_Geometry.chunk``), so that a
  chunk's im2col matrix (kh·kw times larger than its images) stays in the cache between the copy
  that builds it and the GEMM that reads it. The chunks run on the worker threads of
  ``profond.backend.threads`` (single-threaded BLAS each, which degrades gracefully when another
  process holds a core). The filter gradient, Σ over the batch, is a sum of per-chunk GEMMs, so
  its inner dimension stays small (a few thousand rows rather than N·H'·W').
- The GEMM shape follows the layer: im2col copies kh·kw·C values per output pixel, which is
  wasteful when a stride-1 convolution has few output channels F (a 7×7 conv from 128 channels
  to 1 image channel). Such a conv (``_Geometry.narrow``) instead expands gy's F channels: the
  forward multiplies each input pixel by all kh·kw taps at once and adds the kh·kw shifted
  results, and both gradients read windows of the zero-padded gy (a flipped kernel) instead of
  scattering with col2im. Same numbers, kh·kw·F values moved per pixel instead of kh·kw·C.
"""

import math

from profond.autodiff.function import Function
from profond.backend import array_module, threads
from profond.backend import jit as _jit
from profond.ops._util import as_tensor
from profond.ops.nn import activate_inplace, activation_grad_array, through_activation
from profond.ops.reduction import reduce_sum


def _import_kernels():
    from profond.ops import conv_jit

    return conv_jit


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


def pad_images(x, pads, value=0):
    """NHWC ``x`` with ((top, bottom), (left, right)) rows and columns of ``value`` around each
    image: one fill and one copy (``xp.pad`` does the same with more Python around it, which
    counts when it runs once per chunk of images)."""
    (t, b), (left, r) = pads
    if t == b == left == r == 0:
        return x
    xp = array_module(x)
    n, h, w, c = x.shape
    out = xp.full((n, h + t + b, w + left + r, c), value, dtype=x.dtype)
    out[:, t : t + h, left : left + w] = x
    return out


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

    def pad(self, x, pads=None, value=0):
        """x with its 'same' padding (or the given ((top, bottom), (left, right))) of zeros."""
        return pad_images(x, self.pads if pads is None else pads, value)

    def im2col(self, x):
        """(N, H, W, C) → (N·H'·W', kh·kw·C), rows ordered (n, i, j), columns (u, v, c)."""
        x = self.pad(x)
        xp = array_module(x)
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

    def col2im_into(self, cols, out):
        """The transpose of im2col for the rows of a few images: every window's values added
        back where they came from, written into ``out`` (m, H, W, C)."""
        xp = array_module(cols)
        m, c = out.shape[0], out.shape[3]
        padded = self.pads != ((0, 0), (0, 0))
        buf = xp.zeros((m, self.hp, self.wp, c), dtype=out.dtype) if padded else out
        if not padded:
            buf[...] = 0
        cols = cols.reshape(m, self.ho, self.wo, self.kh, self.kw, c)
        kernels = _jit.kernels(_import_kernels, cols, buf)
        if kernels is not None:  # one compiled pass instead of kh·kw slice-adds
            kernels.col2im_add(cols, buf, self.sh, self.sw, self.dh, self.dw)
        else:
            self._col2im_numpy(cols, buf)
        if padded:
            (t, b), (l, r) = self.pads
            out[...] = buf[:, t : self.hp - b, l : self.wp - r, :]

    def _col2im_numpy(self, cols, buf):
        """buf += cols put back in place: one strided slice-add per kernel offset."""
        for u in range(self.kh):
            i0 = u * self.dh
            rows = slice(i0, i0 + self.sh * (self.ho - 1) + 1, self.sh)
            for v in range(self.kw):
                j0 = v * self.dw
                cs = slice(j0, j0 + self.sw * (self.wo - 1) + 1, self.sw)
                buf[:, rows, cs, :] += cols[:, :, :, u, v]

    # --- the other GEMM shape: expand gy's F channels instead of x's C (stride 1, F < C) --------

    def narrow(self, f):
        """Whether a stride-1 convolution to ``f`` channels should expand its F channels rather
        than the input's C: im2col moves kh·kw·C values per output pixel, the formulation below
        kh·kw·F per input pixel (a 7×7 conv from 128 channels to 1 moves 128 times less)."""
        return (self.sh, self.sw) == (1, 1) and self.hp * self.wp * f < self.ho * self.wo * (
            self.x_shape[3])

    def gy_windows(self, gy, pads):
        """The windows of the zero-padded gy that meet each pixel of x, as rows (n, a, b) with
        columns (u', v', f), u' = kh − 1 − u (the kernel flipped): with gy padded by d(kh − 1) on
        each side these are the pixels of the padded x, with the given smaller ``pads`` those of
        x itself. Row (n, a, b), column (u', v', f) holds gy[n, a + t − u·d, b + l − v·d, f]."""
        gy = self.pad(gy, pads)
        geo = _Geometry(gy.shape, (self.kh, self.kw), (1, 1), "valid", (self.dh, self.dw))
        return geo.im2col(gy)

    def gy_pads(self, full):
        """The padding of gy for ``gy_windows``: around the padded x (``full``) or x itself."""
        eh, ew = (self.kh - 1) * self.dh, (self.kw - 1) * self.dw
        if full:
            return (eh, eh), (ew, ew)
        (t, b), (left, r) = self.pads
        return (eh - t, eh - b), (ew - left, ew - r)

    def chunk(self, xp, width):
        """Images per chunk when each image's GEMM rows are ``width`` values wide (the whole
        batch at once off NumPy: a GPU wants one big GEMM)."""
        n = self.x_shape[0]
        if xp.__name__ != "numpy":
            return max(n, 1)
        return threads.chunk_size(n, self.ho * self.wo * width)


class Conv2D(Function):
    """y = g(b + conv2d(x, W)) (cross-correlation, as every deep-learning library), with the bias
    and a relu / sigmoid / tanh activation applied in place on the GEMM's output, as ``Dense``."""

    def __init__(self, geo, activation=None):
        self.geo, self.activation = geo, activation

    def forward(self, x, w, b=None):
        g, xp = self.geo, array_module(x, w)
        n, f = x.shape[0], w.shape[-1]
        wm = w.reshape(-1, f)
        y = xp.empty((n, g.ho, g.wo, f), dtype=xp.result_type(x, w))

        narrow = g.narrow(f)
        if narrow:  # z = x_pad · W as (C, kh·kw·F): each pixel's products with every tap
            wm = w.transpose(2, 0, 1, 3).reshape(w.shape[2], -1)

        def images(i, j):  # y[i:j] = g(b + im2col(x[i:j]) · W), in place on the GEMM's output
            yc = y[i:j].reshape(-1, f)
            if narrow:  # then y[n, i, j] = Σ_{u,v} z[n, i + u·d, j + v·d, (u, v)]: kh·kw adds
                xc = g.pad(x[i:j])
                z = (xc.reshape(-1, xc.shape[3]) @ wm).reshape(*xc.shape[:3], g.kh, g.kw, f)
                y[i:j] = 0
                for u in range(g.kh):
                    for v in range(g.kw):
                        y[i:j] += z[:, u * g.dh: u * g.dh + g.ho, v * g.dw: v * g.dw + g.wo, u, v]
            else:
                xp.matmul(g.im2col(x[i:j]), wm, out=yc)
            if b is not None:
                yc += b
            out = activate_inplace(yc, self.activation)
            if out is not yc:
                yc[...] = out

        threads.parallel_for(images, n, g.chunk(xp, wm.shape[0] + f))
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        gy = through_activation(self, gy, self.activation)
        gx = Conv2DInputGrad(self.geo)(gy, w) if self.needs_input_grad[0] else None
        gw = Conv2DFilterGrad(self.geo, w.shape)(x, gy) if self.needs_input_grad[1] else None
        gb = None
        if len(self.inputs) > 2 and self.needs_input_grad[2]:
            gb = reduce_sum(gy, (0, 1, 2))
        return gx, gw, gb

    def per_example(self, gy, i):
        """Example n's gradients (see ``profond.autodiff.per_example``), with G = ∂L/∂y ⊙ g'(y):
        gₙ(W) = im2col(xₙ)ᵀ Gₙ (one (kh·kw·C, F) GEMM per image, batched), gₙ(b) = Σ_pixels Gₙ."""
        g = activation_grad_array(self.output().data, gy, self.activation)
        if i == 2:
            return g.sum(axis=(1, 2))
        return _filter_grad_per_example(self.geo, self.inputs[0].data, g, self.inputs[1].shape)


def _filter_grad_per_example(geo, x, g, w_shape):
    """gₙ(W) = im2col(xₙ)ᵀ gₙ for each image n: Conv2DFilterGrad without the sum over the batch,
    (N,) + ``w_shape``; x is shaped like the convolution's input, g like its output."""
    w_shape = tuple(w_shape)
    n, f = g.shape[0], g.shape[-1]
    xp = array_module(g)
    out = xp.empty((n,) + w_shape, xp.result_type(x, g))
    step = max(1, geo.chunk(xp, math.prod(w_shape) // f + f))
    for s in range(0, n, step):  # a few images at a time: im2col's copy stays small
        cols = geo.im2col(x[s:s + step])
        cols = cols.reshape(-1, geo.ho * geo.wo, cols.shape[-1])
        gw = cols.transpose(0, 2, 1) @ g[s:s + step].reshape(cols.shape[0], -1, f)
        out[s:s + step] = gw.reshape((-1,) + w_shape)
    return out


class Conv2DInputGrad(Function):
    """∂L/∂x = col2im(gy · Wᵀ): a transposed convolution of gy by W."""

    def __init__(self, geo):
        self.geo = geo

    def forward(self, gy, w):
        g, xp = self.geo, array_module(gy, w)
        f = w.shape[-1]
        wt = w.reshape(-1, f).T
        gx = xp.empty(g.x_shape, dtype=xp.result_type(gy, w))
        if g.narrow(f):  # gx = windows of gy · W flipped, as (kh·kw·F, C): no col2im
            wf = w[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, w.shape[2])
            pads = g.gy_pads(full=False)

            def images(i, j):
                xp.matmul(g.gy_windows(gy[i:j], pads), wf, out=gx[i:j].reshape(-1, wf.shape[1]))
        else:
            def images(i, j):
                g.col2im_into(gy[i:j].reshape(-1, f) @ wt, gx[i:j])

        threads.parallel_for(images, g.x_shape[0], g.chunk(xp, wt.shape[1] + f))
        return gx

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = Conv2D(self.geo)(ggx, w) if self.needs_input_grad[0] else None
        g_w = Conv2DFilterGrad(self.geo, w.shape)(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w

    def per_example(self, ggx, i):
        """Example n's kernel gradient when this op is a layer (``Conv2DTranspose``: y = the
        transposed convolution of x by W): as in ``backward``, the filter gradient with the
        roles swapped, gₙ(W) = im2col(∂L/∂yₙ)ᵀ xₙ, without the sum over the batch."""
        if i != 1:
            raise ValueError("Conv2DInputGrad: per-example gradients are of the kernel "
                             f"(input 1). Received: input {i}")
        return _filter_grad_per_example(self.geo, ggx, self.inputs[0].data, self.inputs[1].shape)


class Conv2DFilterGrad(Function):
    """∂L/∂W = im2col(x)ᵀ · gy, reshaped to the kernel's (kh, kw, C, F): a sum over chunks of
    images of im2col(x[chunk])ᵀ · gy[chunk]."""

    def __init__(self, geo, w_shape):
        self.geo, self.w_shape = geo, tuple(w_shape)

    def forward(self, x, gy):
        g, xp = self.geo, array_module(x, gy)
        n, f = x.shape[0], gy.shape[-1]
        if n == 0:
            return xp.zeros(self.w_shape, dtype=xp.result_type(x, gy))

        kh, kw, c, _ = self.w_shape
        if g.narrow(f):  # (kh·kw·F, C) = windows of gy ᵀ · x_pad, then unflip the taps
            pads = g.gy_pads(full=True)

            def images(i, j):
                xc = g.pad(x[i:j])
                return g.gy_windows(gy[i:j], pads).T @ xc.reshape(-1, c)

            gw = threads.parallel_sum(images, n, g.chunk(xp, kh * kw * f + c))
            return gw.reshape(kh, kw, f, c)[::-1, ::-1].transpose(0, 1, 3, 2).copy()

        def images(i, j):
            return g.im2col(x[i:j]).T @ gy[i:j].reshape(-1, f)

        return threads.parallel_sum(images, n, g.chunk(xp, kh * kw * c + f)).reshape(self.w_shape)

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
