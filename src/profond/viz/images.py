"""``show_images`` (samples with their labels) and ``show_filters`` (what the weights look at)."""

import math

import numpy

from profond.viz._common import class_name, finish, new_figure, to_labels, to_numpy

WRONG_COLOR = "red"


def _as_images(images):
    """(N, H, W) for grayscale or (N, H, W, 3) for colour; flat square rows (N, 784) and a
    trailing channel of 1 are reshaped."""
    images = to_numpy(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError("Expected images of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), "
                             f"or flat square images (N, H·W). Received: shape {images.shape}")
        images = images.reshape(len(images), side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError("Expected images of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3). "
                         f"Received: shape {images.shape}")
    return images


def _displayable_rgb(image):
    """An RGB image matplotlib can show: uint8 as is, floats scaled into [0, 1] if outside."""
    if image.dtype == numpy.uint8:
        return image
    image = image.astype(numpy.float64)
    lo, hi = image.min(), image.max()
    if lo < 0 or hi > 1:
        image = (image - lo) / (hi - lo) if hi > lo else numpy.zeros_like(image)
    return image


def _grid(n, ncols, cell=1.4, title_space=0.0):
    """A figure with ``n`` image axes (axes beyond ``n`` are removed), ticks hidden."""
    ncols = max(1, min(int(ncols), n))
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(cell * ncols, (cell + title_space) * nrows))
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    for ax in axes[:n]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes[:n]


def show_images(images, labels=None, predictions=None, class_names=None, ncols=8, show=False):
    """Show a grid of images, each titled with its label, or "true/predicted".

    ``images``: (N, H, W) or (N, H, W, 1) grayscale, (N, H, W, 3) colour, or flat square rows
    (N, 784). ``labels``: the true classes; ``predictions``: predicted labels or the model's
    probabilities (``model.predict(x)``). ``class_names`` turns class numbers into names.

    With both, each title reads ``true/pred`` and the wrong predictions are written in red:
    the learner sees at a glance which samples fool the model, and often why (a badly written
    digit, a label that is itself wrong). Pass a slice (``x[:32]``) to keep the grid small.

    Returns the ``Figure`` (one axes per image); ``show=True`` also calls ``plt.show()``.
    """
    images = _as_images(images)
    n = len(images)
    if n == 0:
        raise ValueError("Expected at least one image. Received: 0 images")
    true = to_labels(labels, "labels") if labels is not None else None
    pred = to_labels(predictions, "predictions") if predictions is not None else None
    for name, values in (("labels", true), ("predictions", pred)):
        if values is not None and len(values) != n:
            raise ValueError(f"Expected one of `{name}` per image. Received: {n} images and "
                             f"{len(values)} {name}")

    fig, axes = _grid(n, ncols, title_space=0.25 if true is not None or pred is not None else 0)
    for i, ax in enumerate(axes):
        image = images[i]
        if image.ndim == 2:
            ax.imshow(image, cmap="gray")
        else:
            ax.imshow(_displayable_rgb(image))
        if true is not None and pred is not None:
            wrong = true[i] != pred[i]
            ax.set_title(f"{class_name(true[i], class_names)}/{class_name(pred[i], class_names)}",
                         color=WRONG_COLOR if wrong else "black", fontsize=9)
        elif true is not None:
            ax.set_title(class_name(true[i], class_names), fontsize=9)
        elif pred is not None:
            ax.set_title("pred: " + class_name(pred[i], class_names), fontsize=9)
    if true is not None and pred is not None:
        wrong = int(numpy.sum(true != pred))
        fig.suptitle(f"true/predicted: {wrong} wrong out of {n} (in red)", fontsize=10)
    fig.tight_layout()
    return finish(fig, show)


def _weights(layer_or_array):
    """The kernel of a layer (Dense, Conv2D) as a NumPy array, or the array given."""
    kernel = getattr(layer_or_array, "kernel", None)
    if kernel is not None:
        return to_numpy(kernel)
    if hasattr(layer_or_array, "kernel"):
        raise ValueError(f"The layer {layer_or_array.name!r} has no weights yet: build it (call "
                         "it once or fit the model) before showing its filters.")
    return to_numpy(layer_or_array)


def show_filters(layer_or_array, image_shape=None, ncols=8, max_filters=64, show=False):
    """Show what each unit of a layer looks for: its weights drawn as an image.

    - A Conv2D kernel (kh, kw, in, out): one small image per output filter, its first input
      channel, or in colour when the layer reads an RGB image (in == 3). First-layer filters of a
      trained network look like edge, colour and stripe detectors.
    - Dense weights (in, out): the ``in`` weights of each unit reshaped as an image, when
      ``in`` is a square (784 → 28×28) or with ``image_shape=(h, w)``. On MNIST each unit of the
      first layer shows a blurry template of the strokes it responds to.

    Single-channel weights use a diverging colour map centred on 0 (red positive, blue negative):
    the sign says whether a pixel pushes the unit's output up or down. At most ``max_filters``
    are drawn. Returns the ``Figure`` (one axes per filter); ``show=True`` calls ``plt.show()``.
    """
    w = _weights(layer_or_array)
    if w.ndim == 4:
        kh, kw, c_in, c_out = w.shape
        filters = numpy.moveaxis(w, 3, 0)  # (out, kh, kw, in)
        filters = filters if c_in == 3 else filters[..., 0]
        title = "Conv2D filters ({}×{}{})".format(kh, kw, ", RGB" if c_in == 3 else "")
    elif w.ndim == 2:
        n_in, c_out = w.shape
        if image_shape is None:
            side = math.isqrt(n_in)
            if side * side != n_in:
                raise ValueError(f"Cannot draw Dense weights with {n_in} inputs as square images: "
                                 "pass `image_shape=(height, width)`.")
            image_shape = (side, side)
        image_shape = tuple(int(d) for d in image_shape)
        if math.prod(image_shape) != n_in:
            raise ValueError(f"Expected `image_shape` with {n_in} pixels (the layer's inputs). "
                             f"Received: image_shape={image_shape}")
        filters = w.T.reshape((c_out,) + image_shape)
        title = "Dense weights as {}×{} images".format(*image_shape[:2])
    else:
        raise ValueError("Expected a Conv2D kernel (kh, kw, in, out) or Dense weights (in, out). "
                         f"Received: shape {w.shape}")

    filters = filters[: int(max_filters)]
    fig, axes = _grid(len(filters), ncols, cell=1.1)
    for i, (ax, f) in enumerate(zip(axes, filters)):
        if f.ndim == 3:  # RGB: each filter scaled into [0, 1] on its own
            lo, hi = f.min(), f.max()
            ax.imshow((f - lo) / (hi - lo) if hi > lo else numpy.zeros_like(f))
        else:
            bound = float(numpy.abs(f).max()) or 1.0
            ax.imshow(f, cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set_title(str(i), fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, show)
