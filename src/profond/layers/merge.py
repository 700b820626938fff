"""Merge layers: combine a list of tensors into one.

    Add          y = x₁ + x₂ + … + xₖ                Subtract   y = x₁ − x₂
    Multiply     y = x₁ ⊙ x₂ ⊙ … ⊙ xₖ                Average    y = (x₁ + … + xₖ) / k
    Maximum      y = max(x₁, …, xₖ) element-wise     Minimum    y = min(x₁, …, xₖ)
    Concatenate  the inputs side by side along ``axis``
    Dot          yₙ = Σₖ x₁[n, …, k, …] x₂[n, …, k, …] over the ``axes`` pair (per example)

The element-wise ones broadcast as Keras does: the batch sizes must agree; the other dimensions,
aligned from the right, must be equal or 1; an input of lower rank gets size-1 axes inserted
after the batch axis. Each has a lower-case functional form, ``add([a, b])`` = ``Add()([a, b])``.
"""

import math

from profond import backend, ops
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.registry import register_serializable


def _mask_array(mask):
    """A mask (Tensor or array-like) as a boolean array."""
    data = mask.data if isinstance(mask, Tensor) else mask
    return backend.default_module().asarray(data, dtype=bool)


def _shape_text(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


def _is_list_of_shapes(input_shape):
    return isinstance(input_shape, (list, tuple)) and bool(input_shape) and all(
        isinstance(s, (list, tuple)) for s in input_shape)


def _elementwise_shape(layer_name, shape1, shape2):
    """The broadcast of two batchless shapes, aligned from the right (None = unknown)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(f'Layer "{layer_name}": inputs have incompatible shapes. '
                             f"Received shapes {tuple(shape1)} and {tuple(shape2)}")
    return tuple(out)


class _Merge(Layer):
    """The shared checks of the element-wise merge layers; a subclass gives ``_merge(a, b)``
    (folded left over the inputs), or overrides ``_merge_all``."""

    _exact_inputs = None  # Subtract: exactly 2
    supports_masking = True

    def _check_shapes(self, input_shape):
        """Validate a list of full shapes (batch first); return the output shape."""
        cls = type(self).__name__
        if not _is_list_of_shapes(input_shape):
            raise ValueError(f'A merge layer ("{self.name}", {cls}) should be called on a list '
                             f"of inputs. Received: input_shape={input_shape} "
                             "(not a list of shapes)")
        shapes = [tuple(s) for s in input_shape]
        if self._exact_inputs is not None and len(shapes) != self._exact_inputs:
            raise ValueError(f"A `{cls}` layer should be called on exactly {self._exact_inputs} "
                             f"inputs. Received: input_shape={shapes}")
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f'Layer "{self.name}": every input needs a batch axis. '
                             f"Received: input_shape={shapes}")
        batch = {s[0] for s in shapes} - {None}
        if len(batch) > 1:
            raise ValueError(f'Layer "{self.name}": cannot merge tensors with different batch '
                             f"sizes. Received tensors with shapes [{_shape_text(shapes)}]")
        out = shapes[0][1:]
        for s in shapes[1:]:
            out = _elementwise_shape(self.name, out, s[1:])
        return (batch.pop() if batch else None,) + out

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_shapes([tuple(x.shape) for x in inputs]
                           if isinstance(inputs, (list, tuple)) else tuple(inputs.shape))
        rank = max(x.ndim for x in inputs)
        inputs = [_expand_after_batch(x, rank) for x in inputs]
        return self._merge_all(inputs)

    def _merge_all(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)

    def compute_mask(self, inputs, mask=None):
        """The AND of the inputs' masks (None when no input has one)."""
        if mask is None or all(m is None for m in mask):
            return None
        kept = None
        for m in mask:
            if m is None:
                continue
            m = _mask_array(m)
            kept = m if kept is None else kept & m
        return kept


def _expand_after_batch(x, rank):
    """(batch, 3) → (batch, 1, 3) for a rank-3 partner: Keras's right alignment past the batch."""
    while x.ndim < rank:
        x = ops.expand_dims(x, 1)
    return x


@register_serializable()
class Add(_Merge):
    """y = x₁ + x₂ + … + xₖ (element-wise, with broadcasting).

    >>> import profond as pf
    >>> pf.layers.Add()([pf.ones((2, 3)), pf.ones((2, 1))]).numpy()
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """

    def _merge(self, a, b):
        return a + b


@register_serializable()
class Subtract(_Merge):
    """y = x₁ − x₂ (exactly two inputs).

    >>> import profond as pf
    >>> pf.layers.Subtract()([pf.ones((1, 2)), pf.ones((1, 2))]).numpy()
    array([[0., 0.]], dtype=float32)
    """

    _exact_inputs = 2

    def _merge(self, a, b):
        return a - b


@register_serializable()
class Multiply(_Merge):
    """y = x₁ ⊙ x₂ ⊙ … ⊙ xₖ (element-wise product)."""

    def _merge(self, a, b):
        return a * b


@register_serializable()
class Average(_Merge):
    """y = (x₁ + … + xₖ) / k."""

    def _merge_all(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))


@register_serializable()
class Maximum(_Merge):
    """y = max(x₁, …, xₖ), element-wise."""

    def _merge(self, a, b):
        return ops.maximum(a, b)


@register_serializable()
class Minimum(_Merge):
    """y = min(x₁, …, xₖ), element-wise."""

    def _merge(self, a, b):
        return ops.minimum(a, b)


@register_serializable()
class Concatenate(Layer):
    """The inputs side by side along ``axis`` (default −1, the features); every other dimension
    must match.

    >>> import profond as pf
    >>> pf.layers.Concatenate()([pf.ones((2, 3)), pf.zeros((2, 4))]).shape
    (2, 7)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"Concatenate: `axis` must be an int. Received: axis={axis!r}")
        self.axis = axis

    def _check_shapes(self, input_shape):
        if not _is_list_of_shapes(input_shape):
            raise ValueError(f'A `Concatenate` layer ("{self.name}") should be called on a list '
                             f"of inputs. Received: input_shape={input_shape}")
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        axis = self.axis + rank if self.axis < 0 else self.axis
        bad = f"Received: input_shape={shapes}, axis={self.axis}"
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank:
            raise ValueError(f'A `Concatenate` layer ("{self.name}") requires inputs of the same '
                             f"rank, with `axis` inside it. {bad}")
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, d in enumerate(s):
                if i == axis:
                    continue
                if out[i] is not None and d is not None and out[i] != d:
                    raise ValueError(f'A `Concatenate` layer ("{self.name}") requires inputs '
                                     "with matching shapes except for the concatenation axis. "
                                     + bad)
                out[i] = out[i] if out[i] is not None else d
        sizes = [s[axis] for s in shapes]
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out), axis

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        shapes = ([tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple))
                  else tuple(inputs.shape))
        _, axis = self._check_shapes(shapes)
        return ops.concat(list(inputs), axis=axis)

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)[0]

    def compute_mask(self, inputs, mask=None):
        """Masks (batch, time) are joined along the axis, an unmasked input counting as all
        kept; masks shaped like the inputs are joined then reduced over the last axis."""
        if mask is None or all(m is None for m in mask):
            return None
        xp = backend.default_module()
        parts = []
        for x, m in zip(inputs, mask):
            shape = tuple(x.shape)
            if m is None:
                m = xp.ones(shape, dtype=bool)
            else:
                m = _mask_array(m)
                if m.ndim < len(shape):
                    m = xp.broadcast_to(m[..., None], shape)
            parts.append(m)
        _, axis = self._check_shapes([tuple(x.shape) for x in inputs])
        return xp.all(xp.concatenate(parts, axis=axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


@register_serializable()
class Dot(Layer):
    """Per-example dot product of two tensors along ``axes``: for x₁ (batch, 3, 4), x₂ (batch,
    5, 4) and ``axes=2``, y[n, i, j] = Σₖ x₁[n, i, k] x₂[n, j, k], shape (batch, 3, 5). Two
    vectors (batch, d) give (batch, 1). With ``normalize=True`` each input is first divided by
    its L2 norm along its axis, so y is the cosine similarity.

    >>> import profond as pf
    >>> pf.layers.Dot(axes=1)([pf.ones((2, 3)), pf.ones((2, 3))]).numpy()
    array([[3.],
           [3.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, int) else tuple(axes) if isinstance(
            axes, (list, tuple)) else None
        if (pair is None or len(pair) != 2
                or any(not isinstance(a, int) or isinstance(a, bool) for a in pair)):
            raise ValueError("Dot: `axes` must be an int or a list/tuple of 2 ints. "
                             f"Received: axes={axes!r}")
        self.axes = axes if isinstance(axes, int) else list(pair)
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        """The validated (axis of x₁, axis of x₂), both non-negative."""
        if not _is_list_of_shapes(shapes) or len(shapes) != 2:
            raise ValueError(f'A `Dot` layer ("{self.name}") should be called on a list of 2 '
                             f"inputs. Received: input_shape={shapes}")
        s1, s2 = (tuple(s) for s in shapes)
        a1, a2 = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        a1 = a1 % len(s1) if a1 < 0 else a1
        a2 = a2 % len(s2) if a2 < 0 else a2
        if not (0 < a1 < len(s1) and 0 < a2 < len(s2)):
            raise ValueError(f'Layer "{self.name}": `axes` must name a non-batch axis of each '
                             f"input. Received: axes={self.axes}, input shapes {s1}, {s2}")
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f'Layer "{self.name}": incompatible input shapes: axis values '
                             f"{s1[a1]} (at axis {a1}) != {s2[a2]} (at axis {a2}). "
                             f"Full input shapes: {s1}, {s2}")
        b1, b2 = s1[0], s2[0]
        if b1 is not None and b2 is not None and b1 != b2:
            raise ValueError(f'Layer "{self.name}": cannot take the dot product of tensors with '
                             f"different batch sizes. Received: {s1}, {s2}")
        return a1, a2

    def build(self, input_shape):
        self._axes_for(input_shape)
        self.built = True

    def call(self, inputs):
        shapes = ([tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple))
                  else tuple(inputs.shape))
        a1, a2 = self._axes_for(shapes)
        x1, x2 = inputs
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        return _batch_dot(x1, x2, a1, a2)

    def compute_output_shape(self, input_shape):
        a1, a2 = self._axes_for(input_shape)
        s1, s2 = (tuple(s) for s in input_shape)
        rest = s1[1:a1] + s1[a1 + 1:] + s2[1:a2] + s2[a2 + 1:]
        return (s1[0],) + (rest or (1,))

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _l2_normalize(x, axis):
    """x / ‖x‖ along ``axis``. NOTE: the squared norm is floored at 1e-12 (no 0/0)."""
    return x / ops.sqrt(ops.maximum(ops.reduce_sum(ops.square(x), axis=axis, keepdims=True),
                                    1e-12))


def _batch_dot(x1, x2, a1, a2):
    """Contract axis a1 of x1 with axis a2 of x2, example by example, as one batched matmul:
    x1 → (batch, M, K), x2 → (batch, K, N), y = x1 @ x2 → (batch, rest of x1, rest of x2)."""
    n = x1.shape[0]
    perm1 = [0] + [i for i in range(1, x1.ndim) if i != a1] + [a1]
    perm2 = [0, a2] + [i for i in range(1, x2.ndim) if i != a2]
    rest1 = [x1.shape[i] for i in perm1[1:-1]]
    rest2 = [x2.shape[i] for i in perm2[2:]]
    k = x1.shape[a1]
    m1 = ops.reshape(ops.transpose(x1, perm1), (n, math.prod(rest1), k))
    m2 = ops.reshape(ops.transpose(x2, perm2), (n, k, math.prod(rest2)))
    return ops.reshape(ops.matmul(m1, m2), (n,) + tuple(rest1 + rest2 or [1]))


# --- functional forms ---------------------------------------------------------------------------


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: x₁ − x₂."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the element-wise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the element-wise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the element-wise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
