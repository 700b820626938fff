"""``show_attributions``: attribution maps (``profond.explain``) drawn over their images."""

import numpy

from profond.viz._common import finish, new_figure, to_numpy
from profond.viz.images import _as_images, _displayable_rgb


def _as_maps(attributions, n, size):
    """(N, H, W) heat maps: channels summed (|·| not taken: the sign says for or against)."""
    maps = to_numpy(attributions).astype(numpy.float64)
    if maps.ndim == 4:
        maps = maps.sum(axis=-1)
    if maps.ndim == 2 and maps.shape[1] == size[0] * size[1]:
        maps = maps.reshape(len(maps), *size)
    if maps.ndim != 3 or len(maps) != n or maps.shape[1:] != size:
        raise ValueError(f"show_attributions: Expected attributions of shape ({n}, {size[0]}, "
                         f"{size[1]}) or ({n}, {size[0]}, {size[1]}, C), one map per image. "
                         f"Received: shape {to_numpy(attributions).shape}")
    return maps


def show_attributions(images, attributions, titles=None, alpha=0.6, signed=None, ncols=8,
                      show=False):
    """Each image (top row) and its attribution map laid over it (bottom row).

    ``attributions``: what ``profond.explain`` returns (channels are summed). A map with
    negative values (``signed``, guessed from the data when None) is drawn on a blue–white–red
    scale centred on 0 (red: for the class, blue: against it); a map of magnitudes (saliency,
    Grad-CAM) from transparent to red. Each map is scaled to its own largest magnitude.
    ``titles``: one string per image (e.g. ``"7 (p=0.98)"``). Returns the ``Figure``."""
    images = _as_images(images)
    n = len(images)
    if n == 0:
        raise ValueError("show_attributions: Expected at least one image. Received: 0 images")
    maps = _as_maps(attributions, n, images.shape[1:3])
    if titles is not None and len(titles) != n:
        raise ValueError(f"show_attributions: Expected one title per image. Received: {n} images "
                         f"and {len(titles)} titles")
    signed = bool((maps < 0).any()) if signed is None else signed
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = new_figure(2 * nrows, ncols, figsize=(1.6 * ncols, 3.3 * nrows))
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        top, bottom = axes[2 * (i // ncols), i % ncols], axes[2 * (i // ncols) + 1, i % ncols]
        image = images[i]
        for ax in (top, bottom):
            ax.imshow(image, cmap="gray") if image.ndim == 2 else ax.imshow(
                _displayable_rgb(image))
        scale = numpy.abs(maps[i]).max() or 1.0
        if signed:
            bottom.imshow(maps[i], cmap="bwr", vmin=-scale, vmax=scale, alpha=alpha)
        else:
            bottom.imshow(maps[i], cmap="Reds", vmin=0, vmax=scale, alpha=alpha)
        if titles is not None:
            top.set_title(str(titles[i])[:40], fontsize=9)
    fig.tight_layout()
    return finish(fig, show)
