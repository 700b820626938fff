"""Pooling on channels-last (NHWC) images: max and average over kh×kw windows (and over d×h×w
boxes of NDHWC volumes, as two 2-D poolings: ``max_pool3d``, ``avg_pool3d``).

Each window's values are gathered into a last axis of length kh·kw — by a reshape when the windows
tile the image (stride == pool size, the common case: no copy of overlapping windows), else through
the im2col view of ``conv.py``. Max pooling keeps the argmax of every window: its gradient goes to
that one element (the first on ties, which are common after ReLU), as PyTorch does.

NOTE (speed): max and sum pooling and their gradients work on chunks of a few images at a time,
on the worker threads of ``profond.backend.threads`` (NumPy's elementwise loops release the GIL),
so each chunk's kh·kw passes stay in the cache.
"""

from profond.autodiff.function import Function
from profond.autodiff.mode import is_grad_enabled
from profond.backend import array_module, threads
from profond.ops._util import as_tensor
from profond.ops.conv import _Geometry, _pair
from profond.ops.shape import reshape


class _Windows:
    """The windows of an NHWC pooling: one strided view per window offset (``offset_views``) and
    its transpose (``scatter_offsets``); ``gather`` copies them into (N, H', W', C, kh·kw)."""

    def __init__(self, x_shape, pool, strides, padding):
        self.x_shape = tuple(x_shape)
        self.kh, self.kw = pool
        n, h, w, c = x_shape
        self.tiled = strides == pool and padding == "valid"
        self.geo = _Geometry(x_shape, pool, strides, padding, (1, 1))
        self.ho, self.wo = self.geo.ho, self.geo.wo

    def gather(self, x, pad_value=0):
        n, h, w, c = self.x_shape
        xp = array_module(x)
        if self.tiled:
            crop = x[:, : self.ho * self.kh, : self.wo * self.kw, :]
            r = crop.reshape(n, self.ho, self.kh, self.wo, self.kw, c)
            return r.transpose(0, 1, 3, 5, 2, 4).reshape(n, self.ho, self.wo, c, -1)
        g = self.geo
        x = g.pad(x, value=pad_value)
        win = xp.lib.stride_tricks.sliding_window_view(x, (self.kh, self.kw), axis=(1, 2))
        win = win[:, :: g.sh, :: g.sw][:, : self.ho, : self.wo]
        return win.reshape(n, self.ho, self.wo, c, -1)

    def _offset_slices(self):
        g = self.geo
        for u in range(self.kh):
            for v in range(self.kw):
                yield (slice(None), slice(u, u + g.sh * (self.ho - 1) + 1, g.sh),
                       slice(v, v + g.sw * (self.wo - 1) + 1, g.sw))

    def offset_views(self, x, pad_value=0):
        """The kh·kw strided views x[:, u::s, v::s] of shape (N, H', W', C): views, no copy."""
        x = self.geo.pad(x, value=pad_value)
        return [x[idx] for idx in self._offset_slices()]

    def per_chunk(self, fn, xp):
        """Run ``fn(i, j)`` on chunks of images (one chunk off NumPy)."""
        n, h, w, c = self.x_shape
        per = threads.chunk_size(n, h * w * c) if xp.__name__ == "numpy" else max(n, 1)
        threads.parallel_for(fn, n, per)

    def scatter_offsets(self, gy, weight_of):
        """The transpose of ``offset_views``: out[window offset k] += gy ⊙ weight_of(k, i, j)
        for the images i:j of a chunk (``weight_of`` may return 1).

        When the windows tile the image (stride = pool size) each pixel belongs to one window,
        so each offset's slice is written once, straight into the output (no zeros, no adds).
        """
        g, xp = self.geo, array_module(gy)
        n, h, w, c = self.x_shape
        exact = self.tiled and self.ho * self.kh == h and self.wo * self.kw == w
        padded = g.pads != ((0, 0), (0, 0))
        out = xp.empty(self.x_shape, dtype=gy.dtype)
        (t, b), (left, r) = g.pads

        def images(i, j):
            buf = xp.zeros((j - i, g.hp, g.wp, c), gy.dtype) if padded else out[i:j]
            if not (exact or padded):
                buf[...] = 0
            for k, idx in enumerate(self._offset_slices()):
                if self.tiled:
                    xp.multiply(gy[i:j], weight_of(k, i, j), out=buf[idx])
                else:
                    buf[idx] += gy[i:j] * weight_of(k, i, j)
            if padded:
                out[i:j] = buf[:, t : g.hp - b, left : g.wp - r, :]

        self.per_chunk(images, xp)
        return out


class MaxPool2D(Function):
    """y[n, i, j, c] = max over the window of x; the gradient goes to the argmax.

    NOTE: no gathered (N, H', W', C, kh·kw) copy: the max is a running ``maximum`` over the kh·kw
    strided views x[:, u::s, v::s] (one per window offset), and ``arg`` records the first offset
    that reaches it (the first on ties, as PyTorch).
    """

    def __init__(self, windows):
        self.windows = windows

    def forward(self, x):
        xp, w = array_module(x), self.windows
        y = xp.empty((w.x_shape[0], w.ho, w.wo, w.x_shape[3]), dtype=x.dtype)
        k = w.kh * w.kw
        # NOTE: the argmax only serves the backward pass: none under no_grad (predict).
        record = is_grad_enabled()
        self.arg = xp.zeros(y.shape, dtype=xp.int8 if k < 128 else xp.int32) if record else None

        def images(i, j):
            views = w.offset_views(x[i:j], pad_value=-xp.inf)
            yc = y[i:j]
            xp.copyto(yc, views[0])
            for v in views[1:]:
                xp.maximum(yc, v, out=yc)
            if not record:
                return
            arg = self.arg[i:j]
            # arg = the first offset k whose value equals the max (plain elementwise ops: fast;
            # a NaN max equals nothing: arg stays 0).
            taken = views[0] == yc
            for k, v in enumerate(views[1:], start=1):
                hit = v == yc
                hit &= ~taken
                arg += hit.astype(arg.dtype) * arg.dtype.type(k)
                taken |= hit

        w.per_chunk(images, xp)
        return y

    def backward(self, gy):
        return _ScatterToArgmax(self.windows, self.arg)(gy)


class _ScatterToArgmax(Function):
    """Put each gy at its window's argmax (linear in gy; its transpose gathers at the argmax)."""

    def __init__(self, windows, arg):
        self.windows, self.arg = windows, arg

    def forward(self, gy):
        return self.windows.scatter_offsets(gy, lambda k, i, j: self.arg[i:j] == k)

    def backward(self, gg):
        return _GatherAtArgmax(self.windows, self.arg)(gg)


class _GatherAtArgmax(Function):
    def __init__(self, windows, arg):
        self.windows, self.arg = windows, arg

    def forward(self, x):
        xp = array_module(x)
        out = xp.zeros(self.arg.shape, dtype=x.dtype)
        for k, v in enumerate(self.windows.offset_views(x)):
            xp.copyto(out, v, where=self.arg == k)
        return out

    def backward(self, gy):
        return _ScatterToArgmax(self.windows, self.arg)(gy)


class SumPool2D(Function):
    """y = Σ over each window of x (average pooling divides it by the window's count)."""

    def __init__(self, windows):
        self.windows = windows

    def forward(self, x):
        xp, w = array_module(x), self.windows
        y = xp.empty((w.x_shape[0], w.ho, w.wo, w.x_shape[3]), dtype=x.dtype)

        def images(i, j):  # the kh·kw strided views of the chunk, added up
            views = w.offset_views(x[i:j])
            xp.copyto(y[i:j], views[0])
            for v in views[1:]:
                y[i:j] += v

        w.per_chunk(images, xp)
        return y

    def backward(self, gy):
        return _SpreadToWindows(self.windows)(gy)


class _SpreadToWindows(Function):
    """Copy each gy to every pixel of its window (the transpose of SumPool2D)."""

    def __init__(self, windows):
        self.windows = windows

    def forward(self, gy):
        return self.windows.scatter_offsets(gy, lambda k, i, j: 1)

    def backward(self, gg):
        return SumPool2D(self.windows)(gg)


def _setup(x, pool_size, strides, padding):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"2-D pooling expects a 4-D input (N, H, W, C). Received shape {x.shape}")
    pool = _pair(pool_size, "pool_size")
    strides = pool if strides is None else _pair(strides, "strides")
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
    return x, _Windows(x.shape, pool, strides, padding)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max over each pool_size window (strides default to pool_size, as Keras)."""
    x, windows = _setup(x, pool_size, strides, padding)
    return MaxPool2D(windows)(x)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over each window; with 'same' padding the padded zeros are not counted (as TF)."""
    x, windows = _setup(x, pool_size, strides, padding)
    summed = SumPool2D(windows)(x)
    if windows.geo.pads == ((0, 0), (0, 0)):
        return summed * (1.0 / (windows.kh * windows.kw))
    xp = array_module(x.data)
    ones = xp.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype)
    count = _Windows(ones.shape, (windows.kh, windows.kw), (windows.geo.sh, windows.geo.sw),
                     padding.lower()).gather(ones).sum(axis=-1)
    return summed / as_tensor(count)


def _pool3d(pool2d, x, pool_size, strides, padding):
    """3-D pooling as two 2-D poolings: a max (or a mean) over a d×h×w box is the max (mean) over
    d of the maxima (means) over its h×w faces, so (N, D, H, W, C) is pooled over (H, W) as N·D
    images, then over D as (N, D, H'·W', C) images with (pd, 1) windows. No transpose is needed.

    NOTE: averages stay exact with 'same' padding because the non-padded part of a window is a
    box, so its count is the product of the per-axis counts that each 2-D stage divides by.
    """
    x = as_tensor(x)
    if x.ndim != 5:
        raise ValueError(f"3-D pooling expects a 5-D input (N, D, H, W, C). Received shape "
                         f"{x.shape}")
    pool = _triple(pool_size, "pool_size")
    strides = pool if strides is None else _triple(strides, "strides")
    n, d, h, w, c = x.shape
    y = pool2d(reshape(x, (n * d, h, w, c)), pool[1:], strides[1:], padding)
    ho, wo = y.shape[1:3]
    y = pool2d(reshape(y, (n, d, ho * wo, c)), (pool[0], 1), (strides[0], 1), padding)
    return reshape(y, (n, y.shape[1], ho, wo, c))


def _triple(v, name):
    v = (v,) * 3 if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != 3 or min(v) <= 0:
        raise ValueError(f"Expected {name} to be a positive int or a triple. Received: {name}={v}")
    return v


def max_pool3d(x, pool_size=2, strides=None, padding="valid"):
    """Max over each d×h×w window of NDHWC ``x`` (strides default to pool_size, as Keras)."""
    return _pool3d(max_pool2d, x, pool_size, strides, padding)


def avg_pool3d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over each d×h×w window; with 'same' padding the padded zeros are not counted (as TF)."""
    return _pool3d(avg_pool2d, x, pool_size, strides, padding)
