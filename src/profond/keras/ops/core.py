"""``keras.ops.core``: tensors, control flow (eager) and slicing, with Keras 3's signatures."""

from profond.ops import cast
from profond.ops.control_flow import (
    associative_scan,
    cond,
    custom_gradient,
    fori_loop,
    map,
    scan,
    switch,
    vectorized_map,
    while_loop,
)
from profond.ops.numpy_api import (
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    get_item,
    is_tensor,
    saturate_cast,
    shape,
    stop_gradient,
    unstack,
)
from profond.ops.selection import scatter, scatter_update, slice, slice_update

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor", "custom_gradient",
    "dtype", "fori_loop", "get_item", "is_tensor", "map", "saturate_cast", "scan", "scatter",
    "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch", "unstack",
    "vectorized_map", "while_loop",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402
from profond.ops.numpy_api import EAGER_ONLY as _EAGER_ONLY  # noqa: E402

_symbolic.install(globals(), [n for n in __all__ if n not in _EAGER_ONLY], prefix="keras.ops.")
