"""``tf.linalg``: matrix functions under TensorFlow's names (re-exports; the code lives in
``profond.ops``). Batches of matrices are welcome: everything works on the last two axes.

    import profond as tf
    tf.linalg.inv(a), tf.linalg.det(a), tf.linalg.matvec(a, v), tf.linalg.band_part(a, -1, 0)
"""

from profond.ops import einsum, eye, matmul, norm, tensordot
from profond.ops.matrix import (
    band_part,
    cholesky,
    cholesky_solve,
    det,
    diag,
    diag_part,
    eigh,
    eigvalsh,
    inv,
    logdet,
    matrix_rank,
    matrix_transpose,
    matvec,
    pinv,
    qr,
    set_diag,
    slogdet,
    solve,
    svd,
    tensor_diag,
    tensor_diag_part,
    trace,
    triangular_solve,
)
from profond.ops.norms import global_norm, l2_normalize
from profond.ops.norms import normalize_tf as normalize
from profond.ops.numpy_api import cross

adjoint = matrix_transpose  # real tensors: the adjoint is the transpose

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "det", "diag", "diag_part",
    "eigh", "eigvalsh", "einsum", "eye", "global_norm", "inv", "l2_normalize", "logdet",
    "matmul", "matrix_rank", "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr",
    "set_diag", "slogdet", "solve", "svd", "tensor_diag", "tensor_diag_part", "tensordot",
    "trace", "triangular_solve",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402

_symbolic.install(globals(), __all__, prefix="linalg.")


def __getattr__(name):
    """A TF name profond lacks says so (see ``profond._names``)."""
    from profond._names import missing_name

    raise missing_name(__name__, name)
