"""Grad-CAM: where a convolutional layer looked when the network chose a class."""

import numpy

from profond.autodiff import GradientTape, convert_to_tensor
from profond.explain._common import as_inputs, score_of, targets


def _feature_model(model, layer):
    """A model returning (the layer's output, the model's output) for the same inputs."""
    from profond.models import Model

    if isinstance(layer, str):
        layer = model.get_layer(layer)  # raises a clear error for an unknown name
    if not getattr(model, "inputs", None):
        raise ValueError("explain.grad_cam: Expected a functional or Sequential model built on "
                         f"an Input. Received: {type(model).__name__} {model.name!r}, which has "
                         "no symbolic inputs (call it once on an Input, or rebuild it so)")
    try:
        features = layer.output
    except (AttributeError, ValueError) as error:
        raise ValueError(f"explain.grad_cam: the layer {layer.name!r} has no single output in "
                         f"this model ({error})") from None
    if len(features.shape) < 3:
        raise ValueError(f"explain.grad_cam: Expected a convolutional layer, whose output is "
                         f"(N, ..., channels) with spatial axes. Received: layer {layer.name!r} "
                         f"with output shape {tuple(features.shape)}")
    return Model(model.inputs, [features, model.outputs[0]])


def _resize(maps, size):
    """Bilinear resize of (N, h, w) maps to (N, H, W), pixel centres aligned as in
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``."""
    out = maps
    for axis, new in ((1, size[0]), (2, size[1])):
        old = out.shape[axis]
        centre = (numpy.arange(new) + 0.5) * old / new - 0.5
        centre = numpy.clip(centre, 0, old - 1)
        low = numpy.floor(centre).astype(int)
        high = numpy.minimum(low + 1, old - 1)
        frac = (centre - low).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = numpy.take(out, low, axis=axis) * (1 - frac) + numpy.take(out, high, axis=axis) * frac
    return out


def grad_cam(model, inputs, layer, target=None, relu=True, resize=True):
    """Grad-CAM (Selvaraju et al. 2017) on a convolutional ``layer`` (a name or the layer):

        α_k = mean over positions of ∂f_c/∂A_k,   map = ReLU(Σ_k α_k A_k)

    where A_k is the layer's k-th feature map. Returns (N, h, w) maps (or (N, steps) for a 1-D
    convolution), resized to the inputs' spatial size by bilinear interpolation when ``resize``
    (2-D only). ``relu=False`` keeps the negative evidence too."""
    x = as_inputs("grad_cam", inputs)
    chosen = targets("grad_cam", model, x, target)
    both = _feature_model(model, layer)
    xt = convert_to_tensor(x)
    with GradientTape() as tape:
        features, out = both(xt, training=False)
        tape.watch(features)
        total = score_of(out if out.ndim == 2 else out.reshape((-1, 1)), chosen)
    grads = numpy.asarray(tape.gradient(total, features).numpy())
    maps_ = numpy.asarray(features.numpy())
    spatial = tuple(range(1, maps_.ndim - 1))
    alphas = grads.mean(axis=spatial, keepdims=True)
    cam = (alphas * maps_).sum(axis=-1)
    if relu:
        cam = numpy.maximum(cam, 0)
    if resize and cam.ndim == 3 and x.ndim == 4 and cam.shape[1:] != x.shape[1:3]:
        cam = _resize(cam, x.shape[1:3])
    return cam.astype(x.dtype)
