"""``keras.ops.linalg``: linear algebra with Keras 3's (NumPy's) conventions."""

from profond.ops.matrix import (
    cholesky,
    cholesky_inverse,
    det,
    eigh,
    inv,
    logdet,
    lstsq,
    matrix_rank,
    pinv,
    slogdet,
    solve,
    solve_triangular,
)
from profond.ops.matrix import numpy_qr as qr
from profond.ops.matrix import numpy_svd as svd
from profond.ops.norms import numpy_norm as norm

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eigh", "inv", "logdet", "lstsq", "matrix_rank", "norm",
    "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402
from profond.ops.numpy_api import EAGER_ONLY as _EAGER_ONLY  # noqa: E402

_symbolic.install(globals(), [n for n in __all__ if n not in _EAGER_ONLY], prefix="keras.ops.")
