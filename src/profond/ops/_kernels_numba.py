"""A compiled col2im (numba, optional): the scatter of a convolution's input gradient,

    out[n, i·s + u·d, j·s + v·d, :] += cols[n, i, j, u, v, :]

which NumPy writes as one strided slice-add per kernel offset (kh·kw passes over the output);
compiled, it is one pass over ``cols``, about twice as fast for a 3×3 kernel.

``usable(...)`` is False when numba is not installed or ``PROFOND_JIT=0`` is set, and the
NumPy loop of ``conv.py`` runs (both are tested to give the same numbers). numba is imported on
the first call, not with profond, and the loop is compiled once per dtype and cached on disk
(``cache=True``: about a second the first time, a few milliseconds after). It releases the GIL, so
the chunks of ``profond.backend.threads`` run it in parallel.

(Max pooling stays in NumPy: its compiled version measured slower than NumPy's vectorized
passes over the kh·kw strided views.)
"""

import importlib.util
import os

ENABLED = (os.environ.get("PROFOND_JIT", "1") != "0"
           and importlib.util.find_spec("numba") is not None)
_compiled = {}


def usable(*arrays):
    """Whether the compiled loop takes these arrays: NumPy float32/float64, numba enabled."""
    return ENABLED and all(type(a).__module__ == "numpy" and a.dtype.char in "fd" for a in arrays)


def col2im_add(cols, out, sh, sw, dh, dw):
    """out (m, Hp, Wp, C) += the windows cols (m, H', W', kh, kw, C) put back in place (strides
    sh, sw; dilations dh, dw)."""
    if "col2im" not in _compiled:
        import numba

        _compiled["col2im"] = numba.njit(cache=True, nogil=True)(_col2im)
    _compiled["col2im"](cols, out, sh, sw, dh, dw)


def _col2im(cols, out, sh, sw, dh, dw):
    """The loop numba compiles: row by row of C channels (contiguous in both arrays), offsets
    (u, v) outside positions (i, j) so that each pixel sums in NumPy's order (same numbers)."""
    m, ho, wo, kh, kw, c = cols.shape
    for n in range(m):
        for u in range(kh):
            for v in range(kw):
                for i in range(ho):
                    for j in range(wo):
                        src = cols[n, i, j, u, v]
                        dst = out[n, i * sh + u * dh, j * sw + v * dw]
                        for ch in range(c):
                            dst[ch] += src[ch]
