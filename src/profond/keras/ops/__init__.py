"""``keras.ops``: Keras 3's backend-neutral op namespace on profond's engine (``from keras import
ops`` becomes ``from profond.keras import ops``). Every op is differentiable where it makes sense
and runs eagerly; control flow (``cond``, ``while_loop``, ``scan``) is plain Python.

    from profond.keras import ops
    y = ops.mean(ops.square(x - ops.expand_dims(m, 0)), axis=0)
"""

from profond.keras.ops import core, image, linalg, nn, numpy
from profond.keras.ops.core import *  # noqa: F403
from profond.keras.ops.linalg import *  # noqa: F403
from profond.keras.ops.nn import *  # noqa: F403
from profond.keras.ops.numpy import *  # noqa: F403
from profond.ops.math import rsqrt
from profond.ops.nn import erf
from profond.ops.selection import extract_sequences, segment_max, segment_min, segment_sum
from profond.ops.special import erfinv

__all__ = sorted(set(core.__all__) | set(linalg.__all__) | set(nn.__all__) | set(numpy.__all__)
                 | {"erf", "erfinv", "extract_sequences", "rsqrt", "segment_max", "segment_min",
                    "segment_sum", "core", "image", "linalg", "nn", "numpy"})


def __getattr__(name):
    raise AttributeError(f"profond.keras.ops has no attribute {name!r}: not a keras.ops name, or "
                         f"one profond does not implement yet")
