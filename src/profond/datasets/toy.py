"""Small synthetic 2-D data sets for the playground and for first experiments.

Each classification set returns ``(x, y)``: ``x`` float32 of shape (n_samples, 2) and ``y`` int64
class labels of shape (n_samples,). The regression sets return float32 ``y`` of shape
(n_samples, 1). ``noise`` sets how much the classes overlap; ``seed`` makes the draw
reproducible (``None`` draws from ``profond.random.generator()``, so ``profond.set_seed`` works).

>>> x, y = spiral(300, n_classes=3, seed=0)
>>> x.shape, x.dtype, sorted(set(y.tolist()))
((300, 2), dtype('float32'), [0, 1, 2])
"""

import numpy

from profond import random as _random


def _rng(seed):
    return numpy.random.default_rng(seed) if seed is not None else _random.generator()


def _check(n_samples, n_classes=1, noise=0.0):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, numpy.integer)) \
            or n_samples < n_classes:
        raise ValueError(
            f"Expected `n_samples` to be an integer of at least {n_classes}. "
            f"Received: n_samples={n_samples!r}"
        )
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, numpy.integer)) \
            or n_classes < 1:
        raise ValueError(f"Expected `n_classes` to be a positive integer. Received: {n_classes!r}")
    if noise < 0:
        raise ValueError(f"Expected `noise` to be non-negative. Received: noise={noise}")


def _per_class(n_samples, n_classes):
    """How many samples each class gets (as equal as possible, the first ones get the extras)."""
    base, extra = divmod(int(n_samples), n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _out(x, y, rng):
    """Shuffle the rows (so classes are mixed) and set the dtypes."""
    order = rng.permutation(len(y))
    return x[order].astype(numpy.float32), y[order].astype(numpy.int64)


def spiral(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """``n_classes`` interleaved spiral arms (CS231n's classic): not linearly separable.

    Arm k: radius r from 0 to 1, angle θ = 4(k + r) + noise·ε, point (r sin θ, r cos θ).
    """
    _check(n_samples, n_classes, noise)
    rng = _rng(seed)
    xs, ys = [], []
    for k, m in enumerate(_per_class(n_samples, n_classes)):
        r = numpy.linspace(0.0, 1.0, m)
        theta = numpy.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        xs.append(numpy.stack([r * numpy.sin(theta), r * numpy.cos(theta)], axis=1))
        ys.append(numpy.full(m, k))
    return _out(numpy.concatenate(xs), numpy.concatenate(ys), rng)


def spiral_arms(n_samples=300, n_classes=2, turns=1.5, noise=0.0, seed=None):
    """``n_classes`` spiral arms wound around each other, one per class (TF Playground's spiral;
    :func:`spiral` is CS231n's, whose arms do not go round each other).

    Arm k: t from 0.08 to 1, radius r = t, angle θ = 2π(turns·t + k / n_classes); the point
    (r cos θ, r sin θ) plus noise·ε. Along a ray, neighbouring arms are 1 / (turns·n_classes)
    apart, so ``noise`` around a tenth of that already blurs them.

    >>> x, y = spiral_arms(200, seed=0)
    >>> x.shape, sorted(set(y.tolist()))
    ((200, 2), [0, 1])
    """
    _check(n_samples, n_classes, noise)
    if not turns > 0:
        raise ValueError(f"Expected `turns` to be positive. Received: turns={turns}")
    rng = _rng(seed)
    xs, ys = [], []
    for k, m in enumerate(_per_class(n_samples, n_classes)):
        t = numpy.linspace(0.08, 1.0, m)
        theta = 2 * numpy.pi * (turns * t + k / n_classes)
        arm = numpy.stack([t * numpy.cos(theta), t * numpy.sin(theta)], axis=1)
        xs.append(arm + noise * rng.standard_normal((m, 2)))
        ys.append(numpy.full(m, k))
    return _out(numpy.concatenate(xs), numpy.concatenate(ys), rng)


def circles(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """Two concentric circles: class 0 outside (radius 1), class 1 inside (radius ``factor``)."""
    _check(n_samples, 2, noise)
    if not 0 < factor < 1:
        raise ValueError(f"Expected `factor` in (0, 1). Received: factor={factor}")
    rng = _rng(seed)
    n_out, n_in = _per_class(n_samples, 2)
    angles = rng.uniform(0, 2 * numpy.pi, n_out + n_in)
    radius = numpy.concatenate([numpy.ones(n_out), numpy.full(n_in, factor)])
    x = numpy.stack([radius * numpy.cos(angles), radius * numpy.sin(angles)], axis=1)
    x += noise * rng.standard_normal(x.shape)
    y = numpy.concatenate([numpy.zeros(n_out), numpy.ones(n_in)])
    return _out(x, y, rng)


def xor(n_samples=200, noise=0.0, seed=None):
    """Points in the square [-1, 1]²; class 1 where the two coordinates have opposite signs.

    The problem a single neuron cannot solve (Minsky and Papert). ``noise`` jitters the points
    after labelling, so some cross the axes.
    """
    _check(n_samples, 2, noise)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(int(n_samples), 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(numpy.int64)
    x += noise * rng.standard_normal(x.shape)
    return _out(x, y, rng)


def moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (like scikit-learn's ``make_moons``)."""
    _check(n_samples, 2, noise)
    rng = _rng(seed)
    n_top, n_bottom = _per_class(n_samples, 2)
    a = numpy.linspace(0, numpy.pi, n_top)
    b = numpy.linspace(0, numpy.pi, n_bottom)
    top = numpy.stack([numpy.cos(a), numpy.sin(a)], axis=1)
    bottom = numpy.stack([1 - numpy.cos(b), 0.5 - numpy.sin(b)], axis=1)
    x = numpy.concatenate([top, bottom]) + noise * rng.standard_normal((n_top + n_bottom, 2))
    y = numpy.concatenate([numpy.zeros(n_top), numpy.ones(n_bottom)])
    return _out(x, y, rng)


def gaussians(n_samples=200, n_classes=2, noise=1.0, seed=None):
    """``n_classes`` Gaussian blobs with standard deviation ``noise``, centred on a circle of
    radius 3 (class k at angle 2πk / n_classes)."""
    _check(n_samples, n_classes, noise)
    rng = _rng(seed)
    xs, ys = [], []
    for k, m in enumerate(_per_class(n_samples, n_classes)):
        angle = 2 * numpy.pi * k / n_classes
        center = 3.0 * numpy.array([numpy.cos(angle), numpy.sin(angle)])
        xs.append(center + noise * rng.standard_normal((m, 2)))
        ys.append(numpy.full(m, k))
    return _out(numpy.concatenate(xs), numpy.concatenate(ys), rng)


def regression_1d(n_samples=100, noise=0.1, seed=None):
    """A 1-D curve to fit: x uniform in [-1, 1] (shape (n, 1)), y = sin(πx) + noise·ε (n, 1)."""
    _check(n_samples, 1, noise)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(int(n_samples), 1))
    y = numpy.sin(numpy.pi * x) + noise * rng.standard_normal(x.shape)
    return x.astype(numpy.float32), y.astype(numpy.float32)


def regression_plane(n_samples=200, noise=0.1, seed=None):
    """A plane to fit: x uniform in [-1, 1]² (n, 2), y = 0.5 x₁ − 0.3 x₂ + 0.2 + noise·ε (n, 1)."""
    _check(n_samples, 1, noise)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(int(n_samples), 2))
    y = x @ numpy.array([[0.5], [-0.3]]) + 0.2 + noise * rng.standard_normal((int(n_samples), 1))
    return x.astype(numpy.float32), y.astype(numpy.float32)


def regression_wave(n_samples=200, noise=0.1, seed=None):
    """A surface a network has to bend to fit: x uniform in [-1, 1]² (n, 2),
    y = sin(2x₁)·cos(2x₂) + noise·ε (n, 1)."""
    _check(n_samples, 1, noise)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(int(n_samples), 2))
    y = numpy.sin(2 * x[:, :1]) * numpy.cos(2 * x[:, 1:]) \
        + noise * rng.standard_normal((int(n_samples), 1))
    return x.astype(numpy.float32), y.astype(numpy.float32)


__all__ = ["circles", "gaussians", "moons", "regression_1d", "regression_plane",
           "regression_wave", "spiral", "spiral_arms", "xor"]
