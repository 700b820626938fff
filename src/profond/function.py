"""``profond.function``: TensorFlow's ``@tf.function`` decorator, run eagerly.

TensorFlow traces a decorated Python function into a graph and compiles it. profond has no graph
compiler: every op already runs as soon as it is called, so the decorated function simply runs
as Python, op by op, every time. What stays the same as in TF:

- both forms, ``@tf.function`` and ``@tf.function(input_signature=..., jit_compile=True, ...)``;
- ``input_signature``: each call is checked against the ``TensorSpec`` list (a ``TypeError``
  naming the argument when its shape or dtype does not fit);
- ``.python_function`` (the undecorated function), ``.input_signature``, ``.name``, and use on
  methods (``@tf.function def train_step(self, x)``).

``jit_compile``, ``reduce_retracing`` and ``autograph`` are accepted and change nothing.
Side effects (``print``, appending to a list) therefore happen at every call, as in TF with
``tf.config.run_functions_eagerly(True)``, not only while tracing.

>>> import profond as tf
>>> @tf.function
... def double(x):
...     return 2 * x
>>> double(tf.constant([1.0, 2.0])).numpy()
array([2., 4.], dtype=float32)
"""

import functools

from profond.autodiff.spec import TensorSpec
from profond.autodiff.tensor import Tensor


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _leaves(structure[key])]
    return [structure]


class EagerFunction:
    """What ``profond.function`` returns: the Python function, called as is (see the module)."""

    def __init__(self, python_function, input_signature=None, jit_compile=None,
                 reduce_retracing=False, autograph=True):
        if not callable(python_function):
            raise TypeError(f"function expects a callable. Received: {python_function!r}")
        if input_signature is not None:
            input_signature = tuple(input_signature)
            for spec in _leaves(input_signature):
                if not isinstance(spec, TensorSpec):
                    raise TypeError("function: input_signature must hold TensorSpec objects. "
                                    f"Received: {spec!r}")
        self.python_function = python_function
        self.input_signature = input_signature
        self.jit_compile = jit_compile
        self.reduce_retracing = bool(reduce_retracing)
        self.autograph = bool(autograph)
        functools.update_wrapper(self, python_function)

    @property
    def name(self):
        return getattr(self.python_function, "__name__", type(self.python_function).__name__)

    def _bind(self, args, kwargs):
        """The arguments checked against ``input_signature``, Python values made tensors (as TF
        converts them); a ``TypeError`` naming the argument when one does not fit."""
        if kwargs or len(args) != len(self.input_signature):
            raise TypeError(
                f"{self.name}: expected {len(self.input_signature)} positional argument(s) "
                f"matching input_signature={list(self.input_signature)}. "
                f"Received: {len(args)} positional and {len(kwargs)} keyword argument(s)."
            )
        return tuple(self._match(arg, spec, f"argument {i}")
                     for i, (arg, spec) in enumerate(zip(args, self.input_signature)))

    def _match(self, value, spec, where):
        if isinstance(spec, TensorSpec):
            tensor = value if isinstance(value, Tensor) else Tensor(value)
            if not spec.is_compatible_with(tensor):
                raise TypeError(f"{self.name}: {where} must match {spec}. Received: "
                                f"{TensorSpec(tensor.shape, tensor.dtype)}")
            return value if isinstance(value, Tensor) else tensor
        if isinstance(spec, dict) and isinstance(value, dict) and set(spec) == set(value):
            return {key: self._match(value[key], spec[key], f"{where}[{key!r}]") for key in spec}
        if isinstance(spec, (list, tuple)) and isinstance(value, (list, tuple)) \
                and len(spec) == len(value):
            return type(value)(self._match(v, s, f"{where}[{i}]")
                               for i, (v, s) in enumerate(zip(value, spec)))
        raise TypeError(f"{self.name}: {where} does not have the structure of {spec}. "
                        f"Received: {value!r}")

    def __call__(self, *args, **kwargs):
        if self.input_signature is not None:
            args = self._bind(args, kwargs)
        return self.python_function(*args, **kwargs)

    def __get__(self, instance, owner=None):
        """On a method, bind ``self`` as Python does for the undecorated function."""
        if instance is None:
            return self
        bound = EagerFunction(self.python_function.__get__(instance, owner), None,
                              self.jit_compile, self.reduce_retracing, self.autograph)
        bound.input_signature = self.input_signature
        return bound

    def __repr__(self):
        return f"<profond.function {self.name} (runs eagerly)>"


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """``@tf.function`` and ``@tf.function(...)``: run ``func`` eagerly (see the module).

    The ``experimental_*`` arguments are accepted, as ``jit_compile`` and ``reduce_retracing``
    are, and change nothing: there is no graph to trace or compile.
    """
    def decorate(f):
        return EagerFunction(f, input_signature, jit_compile, reduce_retracing, autograph)

    return decorate if func is None else decorate(func)
