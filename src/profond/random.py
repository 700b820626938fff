"""Random numbers for the whole framework, from seeded generators (``profond.set_seed``).

Every sampler takes ``seed``, as TF and Keras do:

- ``None``: draw from the calling thread's stream (reproducible after ``set_seed``, see below);
- an int (or a pair of ints): a fresh generator from that seed, so the same call gives the same
  numbers each time (Keras's rule for integer seeds);
- a ``SeedGenerator``: its own stream, advancing at each draw (reproducible, yet a different
  draw each call: what layers that sample in ``call`` hold).

Threads. As in TF (a global seed, then a sequence of op seeds derived from it) the seed is
process-wide but the streams are not: each thread draws from a generator of its own
(``generator()``), so two threads training two models never take numbers from each other.

- ``set_seed(s)`` records ``s`` as the global seed and gives the *calling* thread the stream
  ``default_rng(s)``, which it keeps (that thread has seeded itself): a script that seeds and then
  trains, in one thread or in each of several threads, gets the same numbers however the threads
  interleave.
- A thread that has not seeded itself derives its stream, at its first draw after the latest
  ``set_seed``, from the global seed and a counter: the k-th such thread gets the k-th child of
  ``SeedSequence(s)`` (NumPy's way to split one seed into independent streams). Runs are then
  reproducible when those threads make their first draws in the same order; before any
  ``set_seed`` the root seed comes from the operating system.
- ``get_state`` / ``set_state`` read and restore the calling thread's stream (checkpoints).
"""

import threading

import numpy

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.registry import register_serializable

_OWN = -1  # the epoch of a stream a thread seeded itself (kept across later set_seed calls)


class _Stream(threading.local):
    generator = None  # this thread's NumPy Generator (class attributes: each thread's defaults)
    epoch = None  # the set_seed call it derives from, or _OWN


_stream = _Stream()
_lock = threading.Lock()  # guards the two globals below (and spawning from _root)
_root = numpy.random.SeedSequence()  # the global seed; spawns the streams of unseeded threads
_epoch = 0  # how many times set_seed was called


def set_seed(seed):
    """Make every random draw of profond (initializers, dropout, shuffling) reproducible.

    The calling thread draws from ``default_rng(seed)`` from now on; threads that did not seed
    themselves derive new streams from ``seed`` (see the module docstring).

    >>> import profond as pf
    >>> pf.set_seed(3); a = pf.random.uniform((2,)).numpy()
    >>> pf.set_seed(3); bool((pf.random.uniform((2,)).numpy() == a).all())
    True
    """
    global _root, _epoch
    root = numpy.random.SeedSequence(seed)  # validates the seed before anything changes
    with _lock:
        _root, _epoch = root, _epoch + 1
    _stream.generator, _stream.epoch = numpy.random.default_rng(root), _OWN


def generator():
    """The calling thread's NumPy ``Generator`` (draws happen on the host, then move to the
    backend)."""
    s = _stream
    if s.epoch != _OWN and s.epoch != _epoch:
        with _lock:  # first draw of this thread since the last set_seed: derive its stream
            s.generator, s.epoch = numpy.random.default_rng(_root.spawn(1)[0]), _epoch
    return s.generator


def get_state():
    """The calling thread's generator state as a JSON-able dict (saved in checkpoints)."""
    return generator().bit_generator.state


def set_state(state):
    """Restore the calling thread's generator to a state from ``get_state``; the thread keeps
    that stream, as after ``set_seed``."""
    generator().bit_generator.state = state
    _stream.epoch = _OWN


@register_serializable()
class SeedGenerator:
    """A seeded stream of random draws (``keras.random.SeedGenerator``): pass it as ``seed=``.

    >>> import profond as pf
    >>> g = pf.random.SeedGenerator(42)
    >>> a, b = pf.random.normal((2,), seed=g), pf.random.normal((2,), seed=g)
    >>> bool((a.numpy() != b.numpy()).all())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is not None and not isinstance(seed, (int, numpy.integer)):
            raise TypeError(f"SeedGenerator expects an integer seed or None. "
                            f"Received: seed={seed!r}")
        self.seed = int(generator().integers(2**31)) if seed is None else int(seed)
        self.name = name or "seed_generator"
        self._count = 0

    def next(self):
        """A new NumPy ``Generator`` for the next draw: seeded by (seed, draw number)."""
        self._count += 1
        return numpy.random.default_rng([self.seed, self._count])

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _generator(seed):
    """The NumPy ``Generator`` a draw with ``seed`` uses (see the module docstring)."""
    if seed is None:
        return generator()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, Tensor):
        seed = seed.numpy().tolist()
    try:
        return numpy.random.default_rng(seed)
    except (TypeError, ValueError):
        raise TypeError(f"seed must be None, a non-negative int, a pair of ints or a "
                        f"SeedGenerator. Received: seed={seed!r}") from None


def _shape(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    return (int(shape),) if numpy.ndim(shape) == 0 else tuple(int(n) for n in shape)


def _out(arr, dtype):
    dtype = numpy.dtype(dtype or backend.floatx())
    xp = backend.default_module()
    arr = arr.astype(dtype, copy=False)
    return Tensor._wrap(xp.asarray(arr) if xp is not numpy else arr)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of 𝒩(mean, stddev²)."""
    return _out(_generator(seed).normal(mean, stddev, size=_shape(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of 𝒰[minval, maxval); integers in [minval, maxval) for an integer ``dtype``."""
    g = _generator(seed)
    if dtype is not None and numpy.dtype(dtype).kind in "iu":
        if maxval is None:
            raise ValueError("uniform: an integer dtype needs maxval. Received: maxval=None")
        return _out(g.integers(int(minval), int(maxval), size=_shape(shape)), dtype)
    return _out(g.uniform(minval, 1.0 if maxval is None else maxval, size=_shape(shape)), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    if int(maxval) <= int(minval):
        raise ValueError(f"randint expects minval < maxval. Received: minval={minval}, "
                         f"maxval={maxval}")
    return _out(_generator(seed).integers(int(minval), int(maxval), size=_shape(shape)), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """𝒩(mean, stddev²) redrawn until within two standard deviations (as TF)."""
    g = _generator(seed)
    z = g.standard_normal(size=_shape(shape))
    bad = numpy.abs(z) > 2
    while bad.any():
        z[bad] = g.standard_normal(size=int(bad.sum()))
        bad = numpy.abs(z) > 2
    return _out(mean + stddev * z, dtype)


def gamma(shape, alpha, beta=None, dtype=None, seed=None):
    """Samples of Γ(α, rate β) (β = 1 by default): mean α/β."""
    scale = 1.0 if beta is None else 1.0 / numpy.asarray(beta, dtype=float)
    return _out(_generator(seed).gamma(numpy.asarray(alpha, dtype=float), scale,
                                       size=_shape(shape)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of Beta(α, β), in (0, 1)."""
    return _out(_generator(seed).beta(alpha, beta, size=_shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Successes out of ``counts`` trials of probability ``probabilities`` (as floats)."""
    draws = _generator(seed).binomial(numpy.asarray(counts, dtype="int64"),
                                      numpy.asarray(probabilities, dtype=float),
                                      size=_shape(shape))
    return _out(draws, dtype)


def poisson(shape, lam, dtype=None, seed=None):
    """Samples of Poisson(λ)."""
    return _out(_generator(seed).poisson(lam, size=_shape(shape)), dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes), drawn with
    probabilities softmax(logits): the Gumbel-max trick, argmaxₖ (logitsₖ + Gₖ) with Gₖ Gumbel."""
    lg = logits.numpy() if isinstance(logits, Tensor) else numpy.asarray(logits, dtype=float)
    if lg.ndim != 2:
        raise ValueError(f"categorical expects logits of shape (batch, classes). "
                         f"Received: shape={lg.shape}")
    noise = _generator(seed).gumbel(size=(lg.shape[0], int(num_samples), lg.shape[1]))
    return _out((lg[:, None, :] + noise).argmax(-1), dtype or "int64")


def shuffle(x, seed=None, axis=0):
    """``x`` with its entries permuted along ``axis`` (differentiable: a fixed permutation).
    NOTE: the second positional argument is ``seed`` as in ``tf.random.shuffle``; Keras's
    ``keras.random.shuffle(x, axis=0, seed=None)`` is the same function called with keywords."""
    from profond.ops.indexing import getitem

    t = x if isinstance(x, Tensor) else Tensor(x)
    axis = int(axis) % max(t.ndim, 1)
    perm = _generator(seed).permutation(t.shape[axis])
    return getitem(t, (slice(None),) * axis + (perm,))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout (always active): each entry zeroed with probability ``rate``, the rest
    scaled by 1/(1 − rate)."""
    from profond.ops.nn import dropout as _dropout

    draw = int(_generator(seed).integers(2**63)) if seed is not None else None
    return _dropout(inputs, rate, training=True, noise_shape=noise_shape, seed=draw)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=None):
    """𝒩(mean, stddev²) fully determined by ``seed`` (a pair of ints)."""
    return normal(shape, mean, stddev, dtype, seed=_stateless(seed))


def stateless_uniform(shape, seed, minval=0.0, maxval=None, dtype=None):
    """𝒰[minval, maxval) fully determined by ``seed`` (a pair of ints)."""
    return uniform(shape, minval, maxval, dtype, seed=_stateless(seed))


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=None):
    """Truncated 𝒩(mean, stddev²) fully determined by ``seed`` (a pair of ints)."""
    return truncated_normal(shape, mean, stddev, dtype, seed=_stateless(seed))


def _stateless(seed):
    if isinstance(seed, SeedGenerator):
        raise TypeError("stateless sampling expects a seed of two ints, not a SeedGenerator")
    return [int(s) for s in (seed.numpy().tolist() if isinstance(seed, Tensor) else seed)]
