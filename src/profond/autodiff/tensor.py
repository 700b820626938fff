"""``Tensor``: an n-d array that remembers which function made it, and ``Variable``.

A tensor holds ``data`` (a NumPy or CuPy array), ``requires_grad`` and, when it is the output of a
recorded op, ``creator`` (the ``Function`` node) and ``output_index``. Arithmetic operators and
methods such as ``t.sum()`` are attached by ``profond.ops`` (see ``ops/tensor_methods.py``).
"""

import numpy

from profond import backend


def as_array(data, dtype=None):
    """Turn ``data`` (Tensor, array, list, scalar) into an array of the default backend.

    Python floats and lists of them become ``floatx()`` (float32) as in TF; arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.default_module()
    if isinstance(data, numpy.ndarray) or (xp is not numpy and isinstance(data, xp.ndarray)):
        if dtype is not None and data.dtype != dtype:
            data = data.astype(dtype)
        if xp is not numpy and isinstance(data, numpy.ndarray):
            data = xp.asarray(data)
        return data
    arr = numpy.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype == numpy.float64 and not isinstance(data, numpy.generic):
        arr = arr.astype(backend.floatx())
    return xp.asarray(arr) if xp is not numpy else arr


def _values(obj):
    """``obj`` with every Tensor inside lists, tuples and dicts replaced by its NumPy values."""
    if isinstance(obj, Tensor):
        return obj.numpy()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_values(item) for item in obj)
    if isinstance(obj, dict):
        return {key: _values(value) for key, value in obj.items()}
    return obj


class Tensor:
    """An array with an optional gradient history.

    >>> import profond as pf
    >>> x = pf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.numpy()
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "creator", "output_index", "name",
                 "_keras_logits", "_keras_mask", "__weakref__")
    # NumPy interop, as TF's eager tensors: NumPy functions and ufuncs called on a tensor see its
    # values (``__array__``, ``__array_function__``) and return NumPy results, outside the graph;
    # an operator with an ndarray on the left (``ndarray + tensor``) defers to ``Tensor.__radd__``
    # because the tensor's priority is higher, so it stays a differentiable tensor.
    __array_priority__ = 100
    __hash__ = object.__hash__  # hashed by identity, like torch tensors and Keras variables

    def __init__(self, data, dtype=None, requires_grad=False, name=None):
        self.data = as_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.output_index = 0
        self.name = name

    @classmethod
    def _wrap(cls, array):
        """Fast constructor for op outputs: ``array`` is already an array of the right dtype."""
        t = cls.__new__(cls)
        if type(array) is not numpy.ndarray and not hasattr(array, "__cuda_array_interface__"):
            array = numpy.asarray(array)
        t.data = array
        t.grad = None
        t.requires_grad = False
        t.creator = None
        t.output_index = 0
        t.name = None
        return t

    # --- properties -------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def get_shape(self):
        """TF's ``t.get_shape()``: the shape as a ``TensorShape`` (``.as_list()``, ``.rank``)."""
        from profond.autodiff.spec import TensorShape

        return TensorShape(self.data.shape)

    def set_shape(self, shape):
        """TF's ``t.set_shape(shape)``: an eager tensor's shape is known, so this only checks
        that it is compatible with ``shape`` (``None`` matches any size) and changes nothing."""
        if not self.get_shape().is_compatible_with(shape):
            raise ValueError(f"Tensor's shape {self.data.shape} is not compatible with supplied "
                             f"shape {list(shape)}.")

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (inputs, weights)."""
        return self.creator is None

    def numpy(self):
        """The values as a NumPy array (copied to the host when on a GPU)."""
        return backend.to_numpy(self.data)

    def item(self):
        return self.data.item()

    def detach(self):
        """A tensor sharing the data but cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, flag=True):
        self.requires_grad = bool(flag)
        return self

    def zero_grad(self):
        self.grad = None

    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Back-propagate from this tensor; leaves' ``.grad`` accumulate ∂self/∂leaf."""
        from profond.autodiff.engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph)

    # --- Python protocol ----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __array_function__(self, func, types, args, kwargs):
        """``np.mean(t)``, ``np.concatenate([t, a])``: run NumPy's function on the values.

        NOTE: the result is a NumPy array with no gradient history, as in TF; use profond's own
        ops (``profond.reduce_mean``…) inside a ``GradientTape``.
        """
        return func(*_values(args), **_values(kwargs))

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return int(self.data)

    def __format__(self, format_spec):
        """``f"{loss:0.2f}"`` formats the values, as TF's eager tensors do (a scalar as a NumPy
        scalar; a format spec on a non-scalar raises NumPy's ``TypeError``)."""
        values = self.numpy()
        return format(values[()] if values.ndim == 0 else values, format_spec)

    def __repr__(self):
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}, shape={self.shape}, dtype={self.dtype}{extra})"


class Variable(Tensor):
    """A trainable leaf tensor: a weight the optimizer updates in place.

    >>> import profond as pf
    >>> v = pf.Variable([1.0, 2.0], name="w")
    >>> v.assign_sub([0.5, 0.5]).numpy()
    array([0.5, 1.5], dtype=float32)
    """

    __slots__ = ("trainable", "path", "constraint")

    def __init__(self, initial_value, dtype=None, trainable=True, name=None, constraint=None):
        if callable(initial_value):
            initial_value = initial_value()
        super().__init__(initial_value, dtype=dtype, requires_grad=trainable, name=name)
        data = self.data
        if data.dtype.kind == "f" and (not getattr(data.flags, "writeable", True) or not (
                data.flags.c_contiguous or 0 in data.strides)):
            # a C-ordered copy: training writes in place, and the optimizers' compiled kernels
            # take C-ordered arrays only (the orthogonal initializer gives Fortran order: every
            # recurrent kernel fell back to Adam's ten NumPy passes). A writeable broadcast view
            # (stride 0) is kept: it is a loader's placeholder (``layers.deferred``).
            self.data = data.copy(order="C")
        self.trainable = bool(trainable)
        self.path = name
        self.constraint = constraint

    @property
    def value(self):
        return Tensor(self.data)

    def numpy(self):
        """A copy of the current values, as TF's variables give: a later ``assign`` or training
        step (both write in place) leaves it unchanged."""
        values = backend.to_numpy(self.data)
        return values.copy() if values is self.data else values

    def assign(self, value):
        """Write ``value`` into the variable in place (same shape, cast to its dtype)."""
        new = value.data if isinstance(value, Tensor) else value
        xp = backend.array_module(self.data)
        new = xp.asarray(new, dtype=self.data.dtype)
        if new.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.name}' has shape {self.data.shape}; cannot assign a value of "
                f"shape {new.shape}."
            )
        xp.copyto(self.data, new)
        return self

    def assign_add(self, delta):
        return self.assign(self.data + as_array(delta, self.data.dtype))

    def assign_sub(self, delta):
        return self.assign(self.data - as_array(delta, self.data.dtype))

    def __repr__(self):
        body = numpy.array2string(self.numpy(), separator=", ")
        return f"<Variable '{self.name}' shape={self.shape} dtype={self.dtype} value={body}>"


def tensor(data, dtype=None, requires_grad=False):
    """Make a tensor from a list, scalar or array (float lists become float32)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def constant(value, dtype=None, shape=None, name=None):
    """TF's ``tf.constant``: a tensor that needs no gradient, optionally broadcast to ``shape``."""
    t = Tensor(value, dtype=dtype, name=name)
    if shape is not None and tuple(t.shape) != tuple(shape):
        xp = backend.array_module(t.data)
        t.data = xp.broadcast_to(t.data, shape).copy()
    return t


def convert_to_tensor(value, dtype=None):
    """Return ``value`` if it is already a tensor of that dtype, else a new tensor."""
    if isinstance(value, Tensor) and (dtype is None or value.dtype == dtype):
        return value
    return Tensor(value, dtype=dtype)
