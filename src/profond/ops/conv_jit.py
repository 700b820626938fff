"""A compiled col2im (numba, optional): the scatter of a convolution's input gradient,

    out[n, i·s + u·d, j·s + v·d, :] += cols[n, i, j, u, v, :]

which NumPy writes as one strided slice-add per kernel offset (kh·kw passes over the output);
compiled, it is one pass over ``cols``, about twice as fast for a 3×3 kernel.

Used through ``profond.backend.jit`` (numba installed, ``PROFOND_JIT`` not ``0``); otherwise the
NumPy loop of ``conv.py`` runs (both are tested to give the same numbers). The loop is compiled
at its first call, once per dtype, and cached on disk (``cache=True``: about a second the first
time, a few milliseconds after). It releases the GIL, so the chunks of
``profond.backend.threads`` run it in parallel.

(Max pooling and im2col stay in NumPy: their compiled versions measured slower in a model than
NumPy's vectorized passes over strided views, though a compiled im2col alone was faster.)
"""

import numba


@numba.njit(cache=True, nogil=True)
def col2im_add(cols, out, sh, sw, dh, dw):
    """out (m, Hp, Wp, C) += the windows cols (m, H', W', kh, kw, C) put back in place (strides
    sh, sw; dilations dh, dw): row by row of C channels (contiguous in both arrays), offsets
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

