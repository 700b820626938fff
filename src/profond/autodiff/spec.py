"""``TensorShape`` and ``TensorSpec``: what a tensor looks like, without its values.

A shape may leave sizes unknown (``None``, the batch size of a ``tf.function`` input), or even its
rank (``TensorShape(None)``). Two shapes are *compatible* when they could describe the same
tensor: same rank, and equal sizes wherever both are known.

>>> from profond.autodiff.spec import TensorShape, TensorSpec
>>> s = TensorShape([None, 3])
>>> s.as_list(), s.rank, s[1], s.is_compatible_with((32, 3))
([None, 3], 2, 3, True)
>>> TensorSpec([None, 3], "float32", name="x")
TensorSpec(shape=(None, 3), dtype=float32, name='x')
"""

import numpy

from profond import backend


def _dim(d):
    if d is None:
        return None
    try:
        value = int(d)
    except (TypeError, ValueError):
        raise TypeError(
            f"TensorShape: a dimension must be an int or None. Received: {d!r}") from None
    if value < 0:
        raise ValueError(f"TensorShape: a dimension must be >= 0 or None. Received: {d!r}")
    return value


class TensorShape:
    """A shape with possibly unknown sizes (``None``) or unknown rank (``TensorShape(None)``).

    It compares equal to a list or tuple of the same sizes, indexes like a tuple (a slice gives
    a ``TensorShape``) and ``+`` concatenates.
    """

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
        elif isinstance(dims, (int, numpy.integer)):
            self._dims = (_dim(dims),)
        else:
            self._dims = tuple(_dim(d) for d in dims)

    @property
    def rank(self):
        """The number of axes, or ``None`` when unknown."""
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self):
        return self._dims is not None and None not in self._dims

    def num_elements(self):
        """The product of the sizes, or ``None`` if one is unknown."""
        return int(numpy.prod(self._dims, dtype=numpy.int64)) if self.is_fully_defined() else None

    def is_compatible_with(self, other):
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        return len(self._dims) == len(other._dims) and all(
            a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other):
        """The most specific shape compatible with both (a ``ValueError`` if there is none)."""
        other = TensorShape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible.")
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other):
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    __add__ = concatenate

    def __radd__(self, other):
        return TensorShape(other).concatenate(self)

    def _known(self, what):
        if self._dims is None:
            raise ValueError(f"Cannot take the {what} of a shape with unknown rank.")
        return self._dims

    def __len__(self):
        return len(self._known("length"))

    def __iter__(self):
        return iter(self._known("dimensions"))

    def __getitem__(self, key):
        if isinstance(key, slice):
            return TensorShape(self._known("slice")[key])
        return self._known("dimensions")[key]

    def __bool__(self):
        return self._dims is not None

    def __eq__(self, other):
        try:
            other = TensorShape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        return "TensorShape(None)" if self._dims is None else f"TensorShape({list(self._dims)})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        return str(self._dims)  # as a tuple: (None, 3), (3,), ()


class TensorSpec:
    """The shape and dtype a tensor must have: ``tf.function(input_signature=[...])`` checks its
    arguments against these, and ``Dataset.element_spec`` describes elements with them.

    ``dtype`` defaults to float32, as in TF; ``None`` in ``shape`` matches any size.
    """

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype=numpy.float32, name=None):
        self.shape = TensorShape(shape)
        self.dtype = numpy.dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(numpy.shape(tensor), getattr(tensor, "dtype", None) or backend.floatx(), name)

    def is_compatible_with(self, spec_or_value):
        """True for a spec or a tensor/array of this dtype and a compatible shape."""
        if not isinstance(spec_or_value, TensorSpec):
            dtype = getattr(spec_or_value, "dtype", None)
            if dtype is None:
                dtype = numpy.asarray(spec_or_value).dtype
            spec_or_value = TensorSpec(numpy.shape(spec_or_value), dtype)
        return (self.dtype == spec_or_value.dtype
                and self.shape.is_compatible_with(spec_or_value.shape))

    def __eq__(self, other):
        if not isinstance(other, TensorSpec):
            return NotImplemented
        return (self.shape, self.dtype, self.name) == (other.shape, other.dtype, other.name)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype}, name={self.name!r})"
