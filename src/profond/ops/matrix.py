"""Matrices: diagonals, triangles, trace, and the differentiable decompositions ``det``, ``inv``,
``solve``, ``cholesky``, ``slogdet``, ``qr``, ``svd`` and ``eigh`` (their gradients in the
classes' docstrings); ``pinv`` and ``lstsq`` give values only.

All work on the last two axes, with any batch axes in front (as ``tf.linalg``).
"""

import collections

import numpy

from profond import backend
from profond.autodiff.function import Function
from profond.autodiff.tensor import Tensor
from profond.backend import array_module
from profond.ops._util import as_tensor
from profond.ops.elementwise import where
from profond.ops.indexing import ScatterAdd, getitem
from profond.ops.linalg import _mT, matmul
from profond.ops.reduction import reduce_sum
from profond.ops.shape import expand_dims, reshape, squeeze

Slogdet = collections.namedtuple("Slogdet", ["sign", "log_abs_determinant"])
Eigh = collections.namedtuple("Eigh", ["eigenvalues", "eigenvectors"])


def _square(x, name):
    x = as_tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name} expects square matrices (shape [..., M, M]). "
                         f"Received: shape={x.shape}")
    return x


def _float(x, name):
    if x.dtype.kind != "f":
        raise TypeError(f"{name} expects a float tensor. Received: dtype={x.dtype}")
    return x


def _diag_index(shape, k):
    """Row and column indices of the k-th diagonal of a matrix of ``shape`` (rows, cols)."""
    rows, cols = shape
    n = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
    i = numpy.arange(n)
    return i + max(-k, 0), i + max(k, 0)


def matrix_transpose(a):
    """Swap the last two axes (the transpose of each matrix of a batch)."""
    a = as_tensor(a)
    if a.ndim < 2:
        raise ValueError(f"matrix_transpose expects a tensor of rank >= 2. "
                         f"Received: shape={a.shape}")
    return _mT(a)


def diag_part(x, k=0):
    """The k-th diagonal of each matrix (the last two axes): out[..., i] = x[..., i, i + k]."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diag_part expects a tensor of rank >= 2. Received: shape={x.shape}")
    r, c = _diag_index(x.shape[-2:], int(k))
    return getitem(x, (Ellipsis, r, c))


def diag(diagonal, k=0):
    """Matrices with ``diagonal`` (its last axis) on the k-th diagonal and zeros elsewhere, as
    ``tf.linalg.diag``: a batch of vectors gives a batch of matrices."""
    v = as_tensor(diagonal)
    if v.ndim < 1:
        raise ValueError("diag expects a tensor of rank >= 1. Received: shape=()")
    n = v.shape[-1] + abs(int(k))
    r, c = _diag_index((n, n), int(k))
    return ScatterAdd((Ellipsis, r, c), v.shape[:-1] + (n, n))(v)


def set_diag(x, diagonal, k=0):
    """``x`` with its k-th diagonal replaced by ``diagonal`` (differentiable in both)."""
    x = as_tensor(x)
    r, c = _diag_index(x.shape[-2:], int(k))
    keep = array_module(x.data).ones(x.shape[-2:], x.dtype)
    keep[r, c] = 0
    v = as_tensor(diagonal, x)
    return x * Tensor._wrap(keep) + ScatterAdd((Ellipsis, r, c), x.shape)(v)


def trace(x):
    """Σᵢ x[..., i, i], the trace of each matrix."""
    return reduce_sum(diag_part(x), -1)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=None, k=0):
    """Identity matrices (ones on the k-th diagonal), float32 unless ``dtype``; with
    ``batch_shape`` a batch of them, as ``tf.eye``."""
    m = int(num_rows) if num_columns is None else int(num_columns)
    xp = backend.default_module()
    out = xp.eye(int(num_rows), m, int(k), dtype=dtype or backend.floatx())
    if batch_shape is not None:
        out = xp.broadcast_to(out, tuple(int(n) for n in batch_shape) + out.shape).copy()
    return Tensor._wrap(out)


def band_part(x, num_lower, num_upper):
    """Keep the band −num_lower ≤ j − i ≤ num_upper of each matrix, zero elsewhere (a negative
    bound keeps the whole triangle), as ``tf.linalg.band_part``."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"band_part expects a tensor of rank >= 2. Received: shape={x.shape}")
    xp = array_module(x.data)
    i = xp.arange(x.shape[-2])[:, None]
    j = xp.arange(x.shape[-1])[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return where(keep, x, 0)


def tril(x, k=0):
    """The lower triangle (j ≤ i + k) of each matrix, zero above."""
    x = as_tensor(x)
    keep = array_module(x.data).tri(x.shape[-2], x.shape[-1], int(k), dtype=bool)
    return where(keep, x, 0)


def triu(x, k=0):
    """The upper triangle (j ≥ i + k) of each matrix, zero below."""
    x = as_tensor(x)
    keep = ~array_module(x.data).tri(x.shape[-2], x.shape[-1], int(k) - 1, dtype=bool)
    return where(keep, x, 0)


def matvec(a, b, transpose_a=False):
    """The matrix-vector product a b over the last axes (aᵀ b with ``transpose_a``)."""
    a = as_tensor(a)
    return squeeze(matmul(_mT(a) if transpose_a else a, expand_dims(b, -1)), -1)


# --- decompositions ------------------------------------------------------------------------------


class Inverse(Function):
    """Y = X⁻¹;  ∂L/∂X = −Yᵀ (∂L/∂Y) Yᵀ (from dY = −Y dX Y)."""

    def forward(self, x):
        return array_module(x).linalg.inv(x)

    def backward(self, gy):
        yt = _mT(self.output())
        return -matmul(matmul(yt, gy), yt)


class Det(Function):
    """d = det X;  ∂d/∂X = d X⁻ᵀ (Jacobi's formula). NOTE: needs X invertible (as TF)."""

    def forward(self, x):
        return array_module(x).linalg.det(x)

    def backward(self, gy):
        x = self.inputs[0]
        scale = expand_dims(expand_dims(gy * self.output(), -1), -1)
        return scale * _mT(inv(x))


class LogAbsDet(Function):
    """l = log |det X|;  ∂l/∂X = X⁻ᵀ."""

    def forward(self, x):
        return array_module(x).linalg.slogdet(x)[1]

    def backward(self, gy):
        return expand_dims(expand_dims(gy, -1), -1) * _mT(inv(self.inputs[0]))


class Solve(Function):
    """X = A⁻¹ B;  ∂L/∂B = A⁻ᵀ ∂L/∂X,  ∂L/∂A = −(∂L/∂B) Xᵀ."""

    def forward(self, a, b):
        return array_module(a).linalg.solve(a, b)

    def backward(self, gx):
        a, _ = self.inputs
        gb = Solve()(_mT(a), gx)
        ga = -matmul(gb, _mT(self.output())) if self.needs_input_grad[0] else None
        return ga, gb if self.needs_input_grad[1] else None


class Cholesky(Function):
    """A = L Lᵀ with L lower triangular. With Φ(M) the lower triangle of M, diagonal halved,
    S = L⁻ᵀ Φ(Lᵀ ∂L/∂L) L⁻¹ and ∂L/∂A = ½ (S + Sᵀ) (symmetric, as PyTorch; Murray 2016)."""

    def forward(self, a):
        return array_module(a).linalg.cholesky(a)

    def backward(self, gl):
        low = self.output()
        p = tril(matmul(_mT(low), gl))
        p = p - diag(diag_part(p)) * 0.5
        li = inv(low)
        s = matmul(matmul(_mT(li), p), li)
        return (s + _mT(s)) * 0.5


class SingularValues(Function):
    """σ(X), the singular values (descending);  ∂L/∂X = U diag(∂L/∂σ) Vᵀ."""

    def forward(self, x):
        u, s, vt = array_module(x).linalg.svd(x, full_matrices=False)
        self.saved = (u, vt)
        return s

    def backward(self, gs):
        u, vt = (Tensor._wrap(a) for a in self.saved)
        return matmul(u * expand_dims(gs, -2), vt)


class Eigenvalues(Function):
    """λ(X) of a symmetric X (ascending);  ∂L/∂X = V diag(∂L/∂λ) Vᵀ."""

    def forward(self, x):
        w, v = array_module(x).linalg.eigh(x)
        self.saved = v
        return w

    def backward(self, gw):
        v = Tensor._wrap(self.saved)
        return matmul(v * expand_dims(gw, -2), _mT(v))


def _off_diagonal_inverse(d):
    """F with F[..., i, j] = 1 / (d_j − d_i) off the diagonal and 0 on it (d: [..., k])."""
    gap = expand_dims(d, -2) - expand_dims(d, -1)
    eye_k = array_module(gap.data).eye(gap.shape[-1], dtype=bool)
    return where(eye_k, 0, 1 / where(eye_k, 1, gap))


class EighFull(Function):
    """(λ, V) of a symmetric A = V diag(λ) Vᵀ (λ ascending). With F_ij = 1/(λ_j − λ_i):

        ∂L/∂A = V (diag(∂L/∂λ) + F ∘ (Vᵀ ∂L/∂V)) Vᵀ    (Giles 2008; needs distinct λ).
    """

    def forward(self, a):
        return tuple(array_module(a).linalg.eigh(a))

    def backward(self, gw, gv):
        w, v = self.output(0), self.output(1)
        inner = _off_diagonal_inverse(w) * matmul(_mT(v), gv) + diag(gw)
        return matmul(matmul(v, inner), _mT(v))


class SVDFull(Function):
    """(U, s, Vᵀ) of A = U diag(s) Vᵀ, reduced (U: m×k, V: n×k, k = min(m, n)). With
    F_ij = 1/(s_j² − s_i²) off the diagonal (Townsend 2016):

        ∂L/∂A = U [(F ∘ (UᵀŪ − ŪᵀU)) S + diag(s̄) + S (F ∘ (VᵀV̄ − V̄ᵀV))] Vᵀ
                + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ)

    (Ū, V̄ the gradients of U and V; the last two terms vanish for square A). Needs distinct,
    nonzero singular values.
    """

    def __init__(self, full_matrices):
        self.full_matrices = full_matrices

    def forward(self, a):
        return tuple(array_module(a).linalg.svd(a, full_matrices=self.full_matrices))

    def backward(self, gu, gs, gvt):
        a = self.inputs[0]
        m, n = a.shape[-2:]
        k = min(m, n)
        if self.full_matrices and m != n:
            raise NotImplementedError("svd: the gradient with full_matrices=True needs a square "
                                      "matrix (the extra columns are not unique); use "
                                      "full_matrices=False")
        u, s, v = self.output(0), self.output(1), _mT(self.output(2))
        gv = _mT(gvt)
        f = _off_diagonal_inverse(s * s)
        ut_gu, vt_gv = matmul(_mT(u), gu), matmul(_mT(v), gv)
        s_row = expand_dims(s, -2)  # X * s_row = X S,  s_col * X = S X
        s_col = expand_dims(s, -1)
        inner = (f * (ut_gu - _mT(ut_gu))) * s_row + diag(gs) + s_col * (f * (vt_gv - _mT(vt_gv)))
        ga = matmul(matmul(u, inner), _mT(v))
        if m > k:  # (I − UUᵀ) Ū S⁻¹ Vᵀ
            ga = ga + matmul((gu - matmul(u, ut_gu)) / s_row, _mT(v))
        if n > k:  # U S⁻¹ V̄ᵀ (I − VVᵀ)
            ga = ga + matmul(u, _mT((gv - matmul(v, vt_gv)) / s_row))
        return ga


class QRFull(Function):
    """(Q, R) of A = Q R with Q having orthonormal columns and R upper triangular. For m ≥ n
    (reduced), with M = R R̄ᵀ − Q̄ᵀ Q and copyltu(M) = tril(M) + tril(M, −1)ᵀ (Seeger et al.):

        ∂L/∂A = (Q̄ + Q copyltu(M)) R⁻ᵀ.
    """

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a):
        return tuple(array_module(a).linalg.qr(a, mode=self.mode))

    def backward(self, gq, gr):
        a = self.inputs[0]
        m, n = a.shape[-2:]
        if m < n or (self.mode == "complete" and m != n):
            raise NotImplementedError("qr: the gradient needs m >= n and mode='reduced' (the "
                                      "factors are not unique otherwise). Received: "
                                      f"shape={a.shape}")
        q, r = self.output(0), self.output(1)
        mm = matmul(r, _mT(gr)) - matmul(_mT(gq), q)
        sym = tril(mm) + _mT(tril(mm, -1))
        b = gq + matmul(q, sym)
        return _mT(Solve()(r, _mT(b)))  # b R⁻ᵀ = (R⁻¹ bᵀ)ᵀ


class _NoGrad(Function):
    """Values whose gradient is not implemented (pinv, lstsq)."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def forward(self, x):
        return self.fn(array_module(x), x)

    def backward(self, *gys):
        raise NotImplementedError(f"the gradient of {self.name} is not implemented in profond")


def inv(x):
    """The inverse of each square matrix."""
    return Inverse()(_float(_square(x, "inv"), "inv"))


def det(x):
    """The determinant of each square matrix."""
    return Det()(_float(_square(x, "det"), "det"))


def slogdet(x):
    """(sign, log |det|) of each square matrix; the log is differentiable."""
    x = _float(_square(x, "slogdet"), "slogdet")
    sign = Tensor._wrap(array_module(x.data).linalg.slogdet(x.data)[0])
    return Slogdet(sign, LogAbsDet()(x))


def logdet(x):
    """log det X of symmetric positive-definite matrices (as ``tf.linalg.logdet``)."""
    return slogdet(x).log_abs_determinant


def solve(matrix, rhs):
    """X with A X = B for square A (``rhs`` may be a vector: then X is one)."""
    a = _float(_square(matrix, "solve"), "solve")
    b = as_tensor(rhs, a)
    vector = b.ndim == a.ndim - 1
    if vector:
        b = expand_dims(b, -1)
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: rhs must have {a.shape[-1]} rows (matrix is {a.shape}). "
                         f"Received: rhs.shape={as_tensor(rhs).shape}")
    x = Solve()(a, b)
    return squeeze(x, -1) if vector else x


def cholesky(x, upper=False):
    """The lower-triangular L with L Lᵀ = x (x symmetric positive definite); Lᵀ if ``upper``."""
    x = _float(_square(x, "cholesky"), "cholesky")
    try:
        low = Cholesky()(x)
    except numpy.linalg.LinAlgError:
        raise ValueError("cholesky expects symmetric positive-definite matrices. "
                         "Received: a matrix that is not") from None
    return _mT(low) if upper else low


def numpy_qr(x, mode="reduced"):
    """(Q, R) with x = Q R, Q with orthonormal columns, R upper triangular, as
    ``numpy.linalg.qr`` / ``keras.ops.linalg.qr`` (``mode`` "reduced" or "complete");
    differentiable for m ≥ n, reduced."""
    x = _float(as_tensor(x), "qr")
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr expects mode 'reduced' or 'complete'. Received: mode={mode!r}")
    return QRFull(mode)(x)


def qr(input, full_matrices=False):  # noqa: A002 - the TF name
    """TF's ``tf.linalg.qr``: (Q, R), reduced unless ``full_matrices``."""
    return numpy_qr(input, "complete" if full_matrices else "reduced")


def numpy_svd(x, full_matrices=True, compute_uv=True):
    """NumPy's order (u, s, vᵀ), as ``keras.ops.linalg.svd``; only ``s`` when not
    ``compute_uv``. Differentiable (with distinct singular values; the factors' gradient needs
    ``full_matrices=False`` unless the matrix is square)."""
    x = _float(as_tensor(x), "svd")
    if not compute_uv:
        return SingularValues()(x)
    return SVDFull(full_matrices)(x)


def svd(tensor, full_matrices=False, compute_uv=True):
    """TF's ``tf.linalg.svd``: (s, u, v) with x = u diag(s) vᵀ (note: v, not vᵀ), or only s
    (differentiable) when not ``compute_uv``."""
    if not compute_uv:
        return numpy_svd(tensor, compute_uv=False)
    u, s, vt = numpy_svd(tensor, full_matrices)
    return s, u, _mT(vt)


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices; differentiable (with
    distinct eigenvalues)."""
    x = _float(_square(x, "eigh"), "eigh")
    return Eigh(*EighFull()(x))


def eigvalsh(x):
    """Eigenvalues (ascending) of symmetric matrices, differentiable."""
    return Eigenvalues()(_float(_square(x, "eigvalsh"), "eigvalsh"))


def triangular_solve(matrix, rhs, lower=True, adjoint=False):
    """X with A X = B for triangular A (only its ``lower`` or upper triangle is read), as
    ``tf.linalg.triangular_solve``; Aᵀ X = B with ``adjoint``. Differentiable."""
    a = _float(_square(matrix, "triangular_solve"), "triangular_solve")
    a = tril(a) if lower else triu(a)
    return solve(_mT(a) if adjoint else a, rhs)


def solve_triangular(a, b, lower=False):
    """Keras's ``solve_triangular``: X with A X = B, A upper triangular unless ``lower``."""
    return triangular_solve(a, b, lower=lower)


def cholesky_solve(chol, rhs):
    """X with (L Lᵀ) X = B, given the Cholesky factor L."""
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def cholesky_inverse(x, upper=False):
    """(L Lᵀ)⁻¹ from the Cholesky factor L (or (Uᵀ U)⁻¹ from U when ``upper``)."""
    f = as_tensor(x)
    low = _mT(f) if upper else f
    return inv(matmul(low, _mT(low)))


def pinv(a, rcond=None):
    """The Moore–Penrose pseudo-inverse (values only: no gradient)."""
    a = _float(as_tensor(a), "pinv")
    cut = 1e-15 if rcond is None else rcond
    return _NoGrad("pinv", lambda xp, m: xp.linalg.pinv(m, rcond=cut))(a)


def lstsq(a, b, rcond=None):
    """The least-squares solution X of A X ≈ B (values only: no gradient)."""
    a = _float(as_tensor(a), "lstsq")
    b = as_tensor(b, a)
    return _NoGrad("lstsq", lambda xp, m: xp.linalg.lstsq(m, b.data, rcond=rcond)[0])(a)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (NumPy's default tolerance), int32."""
    d = _float(as_tensor(x), "matrix_rank").data
    return Tensor._wrap(array_module(d).linalg.matrix_rank(d, tol=tol).astype("int32"))


def tensor_diag(diagonal):
    """The tensor T with T[i…, i…] = diagonal[i…] (rank doubled), as ``tf.linalg.tensor_diag``."""
    d = as_tensor(diagonal)
    n = d.size
    flat = diag(reshape(d, (n,)))
    return reshape(flat, d.shape + d.shape)


def tensor_diag_part(input):  # noqa: A002 - the TF name
    """The inverse of ``tensor_diag``: out[i…] = input[i…, i…]."""
    x = as_tensor(input)
    half = x.ndim // 2
    if x.ndim % 2 or x.shape[:half] != x.shape[half:]:
        raise ValueError(f"tensor_diag_part expects a shape (d…, d…). Received: shape={x.shape}")
    n = 1
    for s in x.shape[:half]:
        n *= s
    return reshape(diag_part(reshape(x, (n, n))), x.shape[:half])
