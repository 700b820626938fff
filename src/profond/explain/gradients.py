"""Gradient attributions: saliency, SmoothGrad and Integrated Gradients."""

import numpy

from profond.explain._common import (
    as_inputs,
    check_positive_int,
    input_gradients,
    scores,
    targets,
)


def saliency(model, inputs, target=None, absolute=True):
    """The saliency map ∂f_c/∂x (Simonyan et al. 2014): how fast the score of class c changes
    with each input feature; ``absolute=True`` (Captum's default) gives |∂f_c/∂x|.

    Returns an array shaped like ``inputs``."""
    x = as_inputs("saliency", inputs)
    grads = input_gradients(model, x, targets("saliency", model, x, target))
    return numpy.abs(grads) if absolute else grads


def smooth_grad(model, inputs, target=None, samples=50, noise_level=0.15, absolute=False,
                seed=None, batch_size=None):
    """SmoothGrad (Smilkov et al. 2017): the gradient averaged over ``samples`` noisy copies,

        (1/n) Σ_k ∂f_c(x + ε_k)/∂x,   ε_k ~ N(0, σ²),   σ = noise_level · (max x − min x)

    (the range of each sample), which removes the gradient's pixel-scale noise. ``absolute``
    averages |∂f_c/∂x| instead. The target is chosen on the clean inputs."""
    x = as_inputs("smooth_grad", inputs)
    samples = check_positive_int("smooth_grad", "samples", samples)
    if not (isinstance(noise_level, (int, float)) and 0 <= noise_level < float("inf")):
        raise ValueError("explain.smooth_grad: Expected noise_level ≥ 0 (a fraction of the "
                         f"inputs' range). Received: noise_level={noise_level!r:.100}")
    chosen = targets("smooth_grad", model, x, target)
    axes = tuple(range(1, x.ndim))
    sigma = noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))
    rng = numpy.random.default_rng(seed)
    total = numpy.zeros_like(x)
    for _ in range(samples):
        noisy = (x + sigma * rng.standard_normal(x.shape)).astype(x.dtype)
        grads = input_gradients(model, noisy, chosen, batch_size)
        total += numpy.abs(grads) if absolute else grads
    return total / samples


def _path(method, steps):
    """The points α_k ∈ [0, 1] of the path and their weights w_k, Σ_k w_k g(α_k) ≈ ∫₀¹ g(α) dα."""
    if method == "gausslegendre":
        nodes, weights = numpy.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    width = 1.0 / steps
    if method == "riemann_left":
        return numpy.arange(steps) * width, numpy.full(steps, width)
    if method == "riemann_right":
        return (numpy.arange(steps) + 1) * width, numpy.full(steps, width)
    if method == "riemann_middle":
        return (numpy.arange(steps) + 0.5) * width, numpy.full(steps, width)
    if method == "riemann_trapezoid":
        if steps < 2:
            raise ValueError("explain.integrated_gradients: Expected steps ≥ 2 for the trapezoid "
                             f"rule. Received: steps={steps}")
        weights = numpy.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return numpy.linspace(0, 1, steps), weights
    raise ValueError("explain.integrated_gradients: Expected method to be one of "
                     "'gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', "
                     f"'riemann_trapezoid'. Received: method={method!r:.100}")


def integrated_gradients(model, inputs, target=None, baseline=None, steps=50,
                         method="gausslegendre", batch_size=None, return_convergence_delta=False):
    """Integrated Gradients (Sundararajan et al. 2017), from a ``baseline`` x' (zeros by default:
    a black image) to x:

        IG(x) = (x − x') · ∫₀¹ ∂f_c(x' + α(x − x'))/∂x dα

    the integral taken with ``steps`` points (``method``: Gauss–Legendre by default, or a Riemann
    sum). Completeness: Σ IG(x) = f_c(x) − f_c(x'), up to the integral's error, which
    ``return_convergence_delta=True`` also returns (one value per sample).

    ``batch_size`` bounds how many path points go through the model at once (all of them by
    default: N · steps rows)."""
    x = as_inputs("integrated_gradients", inputs)
    steps = check_positive_int("integrated_gradients", "steps", steps)
    base = numpy.zeros_like(x) if baseline is None else numpy.asarray(baseline, dtype=x.dtype)
    try:
        base = numpy.broadcast_to(base, x.shape)
    except ValueError:
        raise ValueError("explain.integrated_gradients: Expected a baseline that broadcasts to "
                         f"the inputs' shape {x.shape}. Received: shape {base.shape}") from None
    alphas, weights = _path(method, steps)
    chosen = targets("integrated_gradients", model, x, target)
    # Row k·N + i of the path batch is x'_i + α_k (x_i − x'_i).
    shape = (-1,) + (1,) * (x.ndim - 1)
    path = (base[None] + alphas.reshape(shape)[..., None] * (x - base)[None]).astype(x.dtype)
    grads = input_gradients(model, path.reshape((-1,) + x.shape[1:]), numpy.tile(chosen, steps),
                            batch_size)
    mean_grad = numpy.tensordot(weights, grads.reshape((steps,) + x.shape), axes=1)
    attributions = ((x - base) * mean_grad).astype(x.dtype)
    if not return_convergence_delta:
        return attributions
    at_x, at_base = (scores(model, v).numpy()[numpy.arange(len(x)), chosen] for v in (x, base))
    delta = attributions.reshape(len(x), -1).sum(axis=1) - (at_x - at_base)
    return attributions, delta
