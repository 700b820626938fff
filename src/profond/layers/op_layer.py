"""``OpLayer``: an op (``x + 1``, ``pf.concat``, ``pf.reduce_mean``…) applied to KerasTensors.

A functional graph is made of layer calls; an op called on a symbolic tensor becomes one too: the
op's name is stored (``{"op": "concat"}``), the call's arguments live in the graph's node, and
running the model calls the op again on real tensors. The name must be one of the public ops of
``profond.ops`` (the allow-list ``profond.ops.symbolic.OPS``): a saved model names an op, never
code. As in Keras 3, these layers appear in ``summary()`` (``add (Add)``, ``get_item
(GetItem)``) but not in ``model.layers``, which lists layers with state.

>>> import profond as pf
>>> x = pf.layers.Input(shape=(4,))
>>> y = pf.reduce_mean(x * 2, axis=1)
>>> y.shape, y._node.layer.op
((None,), 'reduce_mean')
"""

import numpy

from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer, unique_name
from profond.layers.keras_tensor import KerasTensor, is_symbolic
from profond.ops import symbolic
from profond.registry import register_serializable


@register_serializable()
class OpLayer(Layer):
    """Replays the public profond op ``op`` (a name from ``profond.ops``) on its arguments."""

    def __init__(self, op, name=None, **kwargs):
        if op not in symbolic.OPS:
            raise ValueError(f"OpLayer: expected `op` to be the name of a public profond op "
                             f"(profond.ops). Received: op={op!r}")
        kwargs.pop("trainable", None)
        super().__init__(name=name or unique_name(op), **kwargs)
        self.op = op
        self.built = True

    @property
    def class_name(self):
        """The type shown by ``summary()``: ``"get_item"`` → ``"GetItem"`` (as Keras 3)."""
        base = self.name.rsplit("_", 1)[0] if self.name.rsplit("_", 1)[-1].isdigit() \
            else self.name
        return "".join(part.capitalize() for part in base.split("_"))

    def __call__(self, *args, **kwargs):
        if is_symbolic([list(args), kwargs]):
            return self._symbolic_call(args, kwargs)
        return symbolic.OPS[self.op](*args, **kwargs)

    def get_config(self):
        return {"name": self.name, "op": self.op}


def record_op(op, args, kwargs, name=None):
    """Record ``op(*args, **kwargs)`` on KerasTensors as a call of a new ``OpLayer``."""
    return OpLayer(op, name=unique_name(name or op))(*args, **kwargs)


symbolic.register(KerasTensor, record_op)


# --- the constants among an op's arguments, as JSON (slices, arrays, tuples…) -------------------

_MAX_CONSTANT = 1 << 20  # elements of an array constant in a config


def encode_argument(value, ref):
    """``value`` as JSON: KerasTensors through ``ref(t)``, slices, ``...``, tuples and arrays
    tagged so ``decode_argument`` gives them back."""
    if isinstance(value, KerasTensor):
        return {"__keras_tensor__": ref(value)}
    if isinstance(value, dict):
        return {"__dict__": {k: encode_argument(v, ref) for k, v in value.items()}}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_argument(v, ref) for v in value]}
    if isinstance(value, list):
        return [encode_argument(v, ref) for v in value]
    if isinstance(value, slice):
        return {"__slice__": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, (Tensor, numpy.ndarray, numpy.generic)):
        array = numpy.asarray(value.numpy() if isinstance(value, Tensor) else value)
        return {"__array__": array.tolist(), "dtype": array.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, numpy.dtype) or (isinstance(value, type) and
                                          issubclass(value, numpy.generic)):
        return {"__dtype__": numpy.dtype(value).name}
    raise ValueError(f"Cannot save an op argument of type {type(value).__name__} in a model "
                     f"config. Received: {value!r}")


def decode_argument(value, tensor):
    """Invert ``encode_argument``; ``tensor(ref)`` gives the KerasTensor of a reference."""
    if isinstance(value, list):
        return [decode_argument(v, tensor) for v in value]
    if not isinstance(value, dict):
        return value
    if "__keras_tensor__" in value:
        return tensor(value["__keras_tensor__"])
    if "__dict__" in value:
        return {k: decode_argument(v, tensor) for k, v in value["__dict__"].items()}
    if "__tuple__" in value:
        return tuple(decode_argument(v, tensor) for v in value["__tuple__"])
    if "__slice__" in value:
        return slice(*value["__slice__"])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__dtype__" in value:
        dtype = numpy.dtype(str(value["__dtype__"]))
        if dtype.kind not in "biuf":
            raise ValueError(f"An op's dtype argument must be numeric. Received: {dtype.name}")
        return dtype
    if "__array__" in value:
        dtype = numpy.dtype(str(value.get("dtype")))
        if dtype.kind not in "biuf":
            raise ValueError("An op constant in a model config must hold numbers. Received: "
                             f"dtype={dtype.name}")
        array = numpy.asarray(value["__array__"], dtype=dtype)
        if array.size > _MAX_CONSTANT:
            raise ValueError(f"An op constant in the model config is too large: {array.size} "
                             f"elements (at most {_MAX_CONSTANT}).")
        return array
    raise ValueError(f"Malformed op argument in a model config. Received: {value!r}")
