"""Feature preprocessing layers: ``Normalization``, ``Rescaling``, ``Discretization``,
``CategoryEncoding`` and ``Hashing``.

They turn raw features into what a network eats: standardized numbers (z = (x − μ)/σ), rescaled
pixels, bucket indices, one-hot / multi-hot vectors. Statistics learned by ``adapt`` are stored as
non-trainable weights, so they are saved and loaded with the model.
"""

import hashlib

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.ops.elementwise import cast, maximum, sqrt
from profond.registry import register_serializable

_EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest σ used to divide


def _to_numpy(x):
    if isinstance(x, Tensor):
        return backend.to_numpy(x.data)
    if hasattr(x, "to_numpy"):
        return x.to_numpy()
    return numpy.asarray(x)


def _batches(data, batch_size=None, steps=None):
    """NumPy batches of ``data``: an array (cut into ``batch_size`` rows) or an iterable of batches
    such as a batched ``profond.data.Dataset`` (an ``(x, y)`` element gives its x), at most
    ``steps`` of them."""
    if isinstance(data, (Tensor, numpy.ndarray, list, tuple)) or hasattr(data, "to_numpy"):
        arr = _to_numpy(data)
        size = len(arr) if batch_size is None or arr.ndim == 0 else int(batch_size)
        chunks = [arr] if arr.ndim == 0 else [arr[i:i + size] for i in range(0, len(arr), size)]
    elif hasattr(data, "__iter__"):
        chunks = data
    else:
        raise TypeError("adapt: expected a NumPy array, a tensor or a Dataset. "
                        f"Received: data of type {type(data).__name__}")
    for i, chunk in enumerate(chunks):
        if steps is not None and i >= steps:
            return
        if isinstance(chunk, tuple):
            chunk = chunk[0]
        yield _to_numpy(chunk)


# --- Normalization ------------------------------------------------------------------------------


@register_serializable()
class Normalization(Layer):
    """Standardize features: z = (x − μ) / max(σ, 10⁻⁷), one μ and σ² per index of ``axis``.

    μ and σ² are given (``mean``, ``variance``) or learned by ``adapt(data)``, which streams over
    the data once and combines the batches with Chan's parallel update (n = n_a + n_b,
    δ = μ_b − μ_a):  μ = μ_a + δ·n_b/n,  M₂ = M₂_a + M₂_b + δ²·n_a·n_b/n,  σ² = M₂/n.
    With ``invert=True`` the layer undoes the normalization: x = μ + z·σ.

    ``axis`` names the axes that keep their own statistics (default -1: one per feature); the
    others, batch included, are averaged over. ``axis=None`` uses a single μ and σ².

    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(np.array([[1.0, 20.0]])).numpy()
    array([[0., 0.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: when setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and "
                             f"variance={variance}")
        self.axis = axis
        self.invert = bool(invert)
        self.input_mean = None if mean is None else numpy.asarray(mean, dtype=numpy.float64)
        self.input_variance = (None if variance is None
                               else numpy.asarray(variance, dtype=numpy.float64))
        self._mean_and_var = None  # (μ, σ²) broadcastable to the input, once built

    def _keep_axes(self, ndim):
        keep = []
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"Normalization: axis {a} is out of range for inputs of rank "
                                 f"{ndim}. Received: axis={self.axis}")
            keep.append(a % ndim)
        if 0 in keep:
            raise ValueError("Normalization: the batch axis (0) cannot keep its own statistics. "
                             f"Received: axis={self.axis}")
        return tuple(sorted(set(keep)))

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = self._keep_axes(ndim)
        for a in keep:
            if input_shape[a] is None:
                raise ValueError(f"Normalization: axis {a} of the input must have a known size. "
                                 f"Received: input_shape={tuple(input_shape)}")
        self._keep = keep
        self._broadcast_shape = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        stat_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stat_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stat_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            xp = backend.default_module()
            shape = self._broadcast_shape
            try:
                mean = numpy.broadcast_to(self.input_mean, stat_shape).reshape(shape)
                var = numpy.broadcast_to(self.input_variance, stat_shape).reshape(shape)
            except ValueError:
                raise ValueError(
                    f"Normalization: `mean` and `variance` must broadcast to the shape "
                    f"{stat_shape} of the kept axes {self.axis}. Received: mean.shape="
                    f"{self.input_mean.shape}, variance.shape={self.input_variance.shape}"
                ) from None
            self._mean_and_var = (Tensor._wrap(xp.asarray(mean, dtype=self.dtype)),
                                  Tensor._wrap(xp.asarray(var, dtype=self.dtype)))
        self.built = True

    @property
    def mean(self):
        """μ, shaped to broadcast against the inputs (None before the layer is built)."""
        stats = self._stats()
        return None if stats is None else stats[0]

    @property
    def variance(self):
        stats = self._stats()
        return None if stats is None else stats[1]

    def _stats(self):
        if not self.built:
            return None
        if self.input_mean is not None:
            return self._mean_and_var
        from profond.ops.shape import reshape

        return (reshape(self.adapt_mean, self._broadcast_shape),
                reshape(self.adapt_variance, self._broadcast_shape))

    def adapt(self, data, batch_size=None, steps=None):
        """Compute μ and σ² of ``data`` (array, tensor or batched Dataset) in one pass, in
        float64, and store them in the layer's weights (replacing earlier statistics)."""
        if self.input_mean is not None:
            raise ValueError("Normalization: `adapt` cannot be used when `mean` and `variance` "
                             "were passed to the constructor.")
        n = mean = m2 = None
        for batch in _batches(data, batch_size, steps):
            batch = numpy.asarray(batch, dtype=numpy.float64)
            if batch.ndim == 0:
                batch = batch.reshape(1, 1)
            elif batch.ndim == 1 and self.axis:  # samples of one feature each
                batch = batch[:, None]
            # NOTE: with axis=None a 1-D array stays 1-D, so the layer is built for that rank
            # and keeps the shape of 1-D inputs, as in Keras (the regression tutorial).
            if not self.built:
                self._maybe_build((None,) + batch.shape[1:])
            reduce = tuple(a for a in range(batch.ndim) if a not in self._keep)
            n_b = batch.size // max(1, int(numpy.prod([batch.shape[a] for a in self._keep])))
            if n_b == 0:
                continue
            mean_b = batch.mean(axis=reduce)
            m2_b = ((batch - batch.mean(axis=reduce, keepdims=True)) ** 2).sum(axis=reduce)
            if n is None:
                n, mean, m2 = n_b, mean_b, m2_b
            else:  # Chan et al.'s pairwise combination of (n, μ, M₂)
                total = n + n_b
                delta = mean_b - mean
                mean = mean + delta * (n_b / total)
                m2 = m2 + m2_b + delta ** 2 * (n * n_b / total)
                n = total
        if n is None:
            raise ValueError("Normalization.adapt: received no data.")
        self.adapt_mean.assign(mean.reshape(self.adapt_mean.shape).astype(self.dtype))
        self.adapt_variance.assign((m2 / n).reshape(self.adapt_variance.shape)
                                   .astype(self.dtype))
        self.count.assign(numpy.int64(n))

    def call(self, inputs):
        x = inputs if inputs.dtype.kind == "f" else cast(inputs, self.dtype)
        mean, variance = self._stats()
        std = maximum(sqrt(variance), _EPSILON)
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": list(self.axis), "invert": self.invert,
            "mean": None if self.input_mean is None else self.input_mean.tolist(),
            "variance": None if self.input_variance is None else self.input_variance.tolist(),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["axis"] = tuple(config.get("axis", (-1,)))
        return cls(**config)


# --- Rescaling ----------------------------------------------------------------------------------


@register_serializable()
class Rescaling(Layer):
    """y = x·scale + offset, e.g. ``Rescaling(1/255)`` maps pixels to [0, 1] and
    ``Rescaling(1/127.5, offset=-1)`` to [−1, 1]. ``scale`` and ``offset`` may be per-channel
    lists. Integer inputs become floats.

    >>> import numpy as np
    >>> Rescaling(0.5, offset=1.0)(np.array([[2.0, 4.0]])).numpy()
    array([[2., 3.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def _const(self, value):
        if isinstance(value, (int, float)):
            return value
        return Tensor._wrap(backend.default_module().asarray(value, dtype=self.dtype))

    def call(self, inputs):
        x = inputs if inputs.dtype.kind == "f" else cast(inputs, self.dtype)
        return x * self._const(self.scale) + self._const(self.offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        scale = self.scale if isinstance(self.scale, (int, float)) else numpy.asarray(
            self.scale).tolist()
        offset = self.offset if isinstance(self.offset, (int, float)) else numpy.asarray(
            self.offset).tolist()
        config.update({"scale": scale, "offset": offset})
        return config


# --- encodings of integer indices ---------------------------------------------------------------

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def encode_categorical(indices, depth, output_mode, count_weights=None, dtype="float32",
                       who="CategoryEncoding"):
    """One-hot, multi-hot or count vectors of ``depth`` for integer ``indices`` (NumPy/CuPy).

    ``one_hot``: each index becomes a vector (a last axis of size 1 is replaced by ``depth``);
    ``multi_hot``: one vector per sample (row), 1 where an index occurs; ``count``: how many times
    it occurs (or the sum of ``count_weights``). A rank-1 input is one sample for the latter two.
    """
    xp = backend.array_module(indices)
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= depth):
        raise ValueError(f"{who}: expected every input value in [0, {depth}). Received: values "
                         f"from {int(indices.min())} to {int(indices.max())}")
    if output_mode == "one_hot":
        if indices.ndim and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == xp.arange(depth)).astype(dtype)
    if indices.ndim > 2:
        raise ValueError(f"{who}: {output_mode} expects inputs of rank 1 or 2. Received: "
                         f"inputs.shape={tuple(indices.shape)}")
    rows = indices.reshape(-1 if indices.ndim else 1, indices.shape[-1] if indices.ndim else 1)
    out = xp.zeros((rows.shape[0], depth), dtype=dtype)
    r = xp.broadcast_to(xp.arange(rows.shape[0])[:, None], rows.shape)
    if output_mode == "multi_hot":
        out[r, rows] = 1
    else:
        w = xp.ones(rows.shape, dtype=dtype) if count_weights is None else xp.asarray(
            count_weights, dtype=dtype).reshape(rows.shape)
        xp.add.at(out, (r, rows), w)
    return out[0] if indices.ndim <= 1 else out


def _check_mode(output_mode, who, modes=OUTPUT_MODES):
    if output_mode not in modes:
        raise ValueError(f"{who}: unknown `output_mode`. Expected one of {modes}. Received: "
                         f"output_mode={output_mode!r}")


def _check_sparse(sparse, who):
    if sparse:
        raise ValueError(f"{who}: `sparse=True` is not supported by profond (outputs are dense "
                         "arrays). Received: sparse=True")


@register_serializable()
class CategoryEncoding(Layer):
    """Integer categories → ``one_hot``, ``multi_hot`` (default) or ``count`` vectors of length
    ``num_tokens``. Call with ``count_weights`` to sum weights instead of counting.

    >>> import numpy as np
    >>> CategoryEncoding(4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]])).numpy()
    array([[1., 1., 0., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError("CategoryEncoding: `num_tokens` must be a positive integer. "
                             f"Received: num_tokens={num_tokens}")
        _check_mode(output_mode, "CategoryEncoding", OUTPUT_MODES[1:])
        _check_sparse(sparse, "CategoryEncoding")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("CategoryEncoding: `count_weights` is only used with "
                             f"output_mode='count'. Received: output_mode={self.output_mode!r}")
        idx = inputs.data.astype(numpy.int64)
        cw = _to_numpy(count_weights) if count_weights is not None else None
        return Tensor._wrap(encode_categorical(idx, self.num_tokens, self.output_mode, cw,
                                               self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


# --- Discretization -----------------------------------------------------------------------------


@register_serializable()
class Discretization(Layer):
    """Bucket numbers: x ↦ the number of boundaries b with b ≤ x (``int`` output), or that index
    one-hot / multi-hot / counted. Boundaries are given (``bin_boundaries``) or ``adapt`` sets
    ``num_bins − 1`` of them at the quantiles k/num_bins of the data.

    ``adapt`` computes exact quantiles (the lower value, ``inverted_cdf``) on all the data it
    sees; Keras uses an approximate sketch whose error is bounded by ``epsilon``, kept here only
    for compatible configs.

    >>> import numpy as np
    >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(np.array([[-1.5, 0.0, 0.5, 3.0]])).numpy()
    array([[0, 1, 1, 3]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError("Discretization: pass exactly one of `bin_boundaries` and "
                             f"`num_bins`. Received: bin_boundaries={bin_boundaries} and "
                             f"num_bins={num_bins}")
        if num_bins is not None and int(num_bins) < 2:
            raise ValueError(f"Discretization: `num_bins` must be at least 2. Received: "
                             f"num_bins={num_bins}")
        _check_mode(output_mode, "Discretization")
        _check_sparse(sparse, "Discretization")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b1 < b0 for b0, b1 in zip(bin_boundaries, bin_boundaries[1:])):
                raise ValueError("Discretization: `bin_boundaries` must be sorted. Received: "
                                 f"bin_boundaries={bin_boundaries}")
        self.bin_boundaries = bin_boundaries
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon, self.output_mode, self.sparse = epsilon, output_mode, sparse

    def adapt(self, data, batch_size=None, steps=None):
        """Set the boundaries at the quantiles k/num_bins (k = 1 … num_bins − 1) of ``data``."""
        if self.num_bins is None:
            raise ValueError("Discretization: `adapt` needs `num_bins` (the boundaries were "
                             "given).")
        values = [b.astype(numpy.float64).ravel() for b in _batches(data, batch_size, steps)]
        values = numpy.concatenate(values) if values else numpy.zeros(0)
        if values.size == 0:
            raise ValueError("Discretization.adapt: received no data.")
        qs = numpy.arange(1, self.num_bins) / self.num_bins
        self.bin_boundaries = numpy.quantile(values, qs, method="inverted_cdf").tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("Discretization: call `adapt` first (or pass `bin_boundaries`).")
        xp = backend.array_module(inputs.data)
        edges = xp.asarray(self.bin_boundaries, dtype=numpy.float64)
        idx = xp.searchsorted(edges, inputs.data.astype(numpy.float64), side="right")
        if self.output_mode == "int":
            return Tensor._wrap(idx.astype(numpy.int32))
        return Tensor._wrap(encode_categorical(idx, len(self.bin_boundaries) + 1,
                                               self.output_mode, dtype=self.dtype,
                                               who="Discretization"))

    def get_config(self):
        config = super().get_config()
        config.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None:  # adapted: the boundaries are known now
            config["num_bins"] = None
        return cls(**config)


# --- Hashing --------------------------------------------------------------------------------------


def _salt_key(salt):
    if salt is None:
        return b""
    pair = (salt, salt) if isinstance(salt, int) else tuple(salt)
    return b"".join(int(s).to_bytes(8, "little", signed=False) for s in pair)


@register_serializable()
class Hashing(Layer):
    """Hash strings or integers into ``num_bins`` buckets: bin = H(str(value)) mod num_bins.

    H is the first 8 bytes of BLAKE2b (Python's ``hashlib``, keyed by ``salt`` when given), a
    stable hash: the same value lands in the same bin on every machine and run. NOTE: TensorFlow
    uses FarmHash64 (SipHash when salted), so the bin numbers differ from TF's; the properties a
    model relies on (deterministic, uniform spread) are the same. With ``mask_value``, that value
    maps to bin 0 and the others to 1 … num_bins − 1.

    >>> import numpy as np
    >>> bins = Hashing(num_bins=3)(np.array([["A"], ["B"], ["A"]])).numpy().ravel()
    >>> bool(bins[0] == bins[2]), bins.dtype
    (True, dtype('int64'))
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        kwargs.setdefault("dtype", "int64" if output_mode == "int" else None)
        super().__init__(**kwargs)
        if num_bins is None or int(num_bins) < 1 or (mask_value is not None
                                                     and int(num_bins) < 2):
            raise ValueError("Hashing: `num_bins` must be a positive integer (at least 2 with "
                             f"`mask_value`). Received: num_bins={num_bins}")
        _check_mode(output_mode, "Hashing")
        _check_sparse(sparse, "Hashing")
        if salt is not None and not (isinstance(salt, int) or len(salt) == 2):
            raise ValueError("Hashing: `salt` must be an integer or a pair of integers. "
                             f"Received: salt={salt}")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse
        self._key = _salt_key(salt)

    def _convert(self, x):  # strings and integers pass through unchanged
        if isinstance(x, Tensor):
            return x
        return Tensor._wrap(numpy.asarray(_to_numpy(x)))

    def _bin(self, value):
        digest = hashlib.blake2b(str(value).encode("utf-8"), digest_size=8, key=self._key)
        h = int.from_bytes(digest.digest(), "little")
        if self.mask_value is None:
            return h % self.num_bins
        return 0 if value == self.mask_value else 1 + h % (self.num_bins - 1)

    def call(self, inputs):
        values = backend.to_numpy(inputs.data)
        if values.dtype.kind not in "iuUSO":
            raise ValueError("Hashing: expected string or integer inputs. Received: "
                             f"dtype={values.dtype}")
        if values.dtype.kind == "S":
            values = values.astype(str)
        uniq, inverse = numpy.unique(values, return_inverse=True)
        bins = numpy.array([self._bin(v.item() if hasattr(v, "item") else v) for v in uniq],
                           dtype=numpy.int64)[inverse].reshape(values.shape)
        bins = backend.default_module().asarray(bins)
        if self.output_mode == "int":
            return Tensor._wrap(bins)
        dtype = self.dtype if numpy.dtype(self.dtype).kind == "f" else backend.floatx()
        return Tensor._wrap(encode_categorical(bins, self.num_bins, self.output_mode,
                                               dtype=dtype, who="Hashing"))

    def get_config(self):
        config = super().get_config()
        salt = self.salt if self.salt is None or isinstance(self.salt, int) else list(self.salt)
        config.update({"num_bins": self.num_bins, "mask_value": self.mask_value, "salt": salt,
                       "output_mode": self.output_mode, "sparse": self.sparse})
        return config
