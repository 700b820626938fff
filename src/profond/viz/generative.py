"""What a generative model learned: its latent space, and images decoded along it.

- ``plot_latent_space(encoder, x, labels)``: each sample's code z = μ(x) as a point (a 2-D
  latent), coloured by class: a VAE trained without labels still sorts the classes into regions;
- ``plot_latent_grid(decoder)``: the images decoded on a regular n × n grid of a 2-D latent;
- ``plot_interpolation(decoder, z_start, z_end)``: the images decoded along the segment
  z(t) = (1 − t) z_start + t z_end, for a latent of any size (a smooth morph when the space is
  well organised, as the KL term asks).
"""

import numpy

from profond.viz._common import class_colors, class_name, finish, new_figure, to_numpy
from profond.viz.images import _as_images, _grid


def _first_output(model, x, batch_size):
    out = model.predict(x, batch_size=batch_size, verbose=0)
    return to_numpy(out[0] if isinstance(out, (list, tuple)) else out)


def plot_latent_space(encoder, x, labels=None, class_names=None, batch_size=256, show=False):
    """Scatter the codes μ(x) of a 2-D latent (the encoder's first output), one colour a class.

    Returns the ``Figure``; ``show=True`` also calls ``plt.show()``."""
    codes = _first_output(encoder, x, batch_size)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError("plot_latent_space: Expected an encoder giving 2-D codes (n, 2) "
                         "(use a latent size of 2, or plot_interpolation). "
                         f"Received: codes of shape {codes.shape}")
    fig, axes = new_figure(1, 1, figsize=(6.5, 5.5))
    ax = axes[0, 0]
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=3, alpha=0.6)
    else:
        labels = to_numpy(labels).reshape(-1).astype(int)
        if len(labels) != len(codes):
            raise ValueError("plot_latent_space: Expected one label per sample. Received: "
                             f"{len(codes)} samples and {len(labels)} labels")
        classes = numpy.unique(labels)
        colors = class_colors(int(classes.max()) + 1)
        for k in classes:
            sel = labels == k
            ax.scatter(codes[sel, 0], codes[sel, 1], s=3, alpha=0.6, color=colors[k],
                       label=class_name(k, class_names))
        ax.legend(markerscale=4, fontsize=8, loc="best")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title("latent space: μ(x) of each sample")
    fig.tight_layout()
    return finish(fig, show)


def _decode(decoder, z, batch_size=256):
    return _as_images(decoder.predict(z.astype("float32"), batch_size=batch_size, verbose=0))


def _mosaic(images, nrows, ncols):
    """(nrows·ncols, h, w) images as one (nrows·h, ncols·w) picture, row by row."""
    h, w = images.shape[1:3]
    return images.reshape(nrows, ncols, h, w, *images.shape[3:]).swapaxes(1, 2).reshape(
        nrows * h, ncols * w, *images.shape[3:])


def plot_latent_grid(decoder, n=15, scale=2.0, show=False):
    """Decode an ``n`` × ``n`` grid of codes z ∈ [−scale, scale]² (a 2-D latent; the prior
    N(0, I) puts 95% of its mass within ±2) and show the images as one mosaic, z[0] along x
    and z[1] upwards. Returns the ``Figure``."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"plot_latent_grid: Expected `n` ≥ 2. Received: n={n!r}")
    if not scale > 0:
        raise ValueError(f"plot_latent_grid: Expected `scale` > 0. Received: scale={scale!r}")
    width = decoder.input_shape[-1] if hasattr(decoder, "input_shape") else None
    if width != 2:
        raise ValueError("plot_latent_grid: Expected a decoder taking 2-D codes (None, 2). "
                         f"Received: codes of size {width}")
    ticks = numpy.linspace(-scale, scale, n)
    z = numpy.array([[a, b] for b in ticks[::-1] for a in ticks])  # top row: largest z[1]
    picture = _mosaic(_decode(decoder, z), n, n)
    fig, axes = new_figure(1, 1, figsize=(7, 7))
    ax = axes[0, 0]
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None,
              extent=(-scale, scale, -scale, scale))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(f"decoded images on a {n}×{n} grid of the latent space")
    fig.tight_layout()
    return finish(fig, show)


def interpolate(z_start, z_end, steps=8):
    """The codes (steps, d) evenly spaced on the segment from ``z_start`` to ``z_end``."""
    z_start, z_end = (to_numpy(z).astype("float64").reshape(-1) for z in (z_start, z_end))
    if z_start.shape != z_end.shape:
        raise ValueError("interpolate: Expected z_start and z_end of the same size. "
                         f"Received: {z_start.shape[0]} and {z_end.shape[0]}")
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"interpolate: Expected `steps` ≥ 2. Received: steps={steps!r}")
    t = numpy.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * z_start + t * z_end


def plot_interpolation(decoder, z_start, z_end, steps=8, show=False):
    """The images decoded along z(t) = (1 − t) z_start + t z_end, t from 0 to 1, in a row
    (rows of codes give one row each). Returns the ``Figure``."""
    starts, ends = numpy.atleast_2d(to_numpy(z_start)), numpy.atleast_2d(to_numpy(z_end))
    if starts.shape != ends.shape:
        raise ValueError("plot_interpolation: Expected z_start and z_end of the same shape. "
                         f"Received: {starts.shape} and {ends.shape}")
    z = numpy.concatenate([interpolate(a, b, steps) for a, b in zip(starts, ends)])
    images = _decode(decoder, z)
    fig, axes = _grid(len(images), steps, cell=1.1)
    for ax, image in zip(axes, images):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    fig.suptitle("interpolation in the latent space", fontsize=10)
    fig.tight_layout()
    return finish(fig, show)
