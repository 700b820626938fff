"""What every attribution method needs: checked inputs, the targets, and the gradient of the
targeted scores with respect to the inputs."""

import numpy

from profond import backend
from profond.autodiff import GradientTape, convert_to_tensor


def as_inputs(method, inputs):
    """``inputs`` as a floating NumPy array of at least 2 dimensions (a batch)."""
    x = numpy.asarray(inputs.numpy() if hasattr(inputs, "numpy") else inputs)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"explain.{method}: Expected numeric inputs. Received: dtype={x.dtype}")
    if x.dtype.kind != "f":
        raise ValueError(
            f"explain.{method}: Expected floating-point inputs (attributions are gradients with "
            f"respect to the inputs). Received: dtype={x.dtype}. For token ids, explain the output "
            "of the Embedding layer instead (a model that starts from the embeddings).")
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"explain.{method}: Expected a batch of inputs, of shape (N, ...) with "
                         f"N ≥ 1. Received: shape {x.shape}")
    return x.astype(backend.floatx(), copy=False)


def scores(model, x, training=False):
    """The model's output for ``x``, as an (N, outputs) tensor (a 1-D output is one column)."""
    out = model(x, training=training)
    if isinstance(out, (list, tuple)):
        raise ValueError("explain: Expected a model with one output. Received: a model with "
                         f"{len(out)} outputs (build a model that returns the one to explain)")
    if out.ndim == 1:
        out = out.reshape((-1, 1))
    if out.ndim != 2:
        raise ValueError("explain: Expected the model's output to be (N, outputs) scores. "
                         f"Received: shape {tuple(out.shape)}")
    return out


def targets(method, model, x, target):
    """One output index per sample: ``target`` checked against the number of outputs, or each
    sample's predicted class (the index of its highest score) when ``target`` is None."""
    out = scores(model, x).numpy()
    n, outputs = out.shape
    if target is None:
        return out.argmax(axis=1)
    chosen = numpy.asarray(target)
    if chosen.dtype.kind not in "iu" or chosen.ndim > 1 or (chosen.ndim == 1 and len(chosen) != n):
        raise ValueError(f"explain.{method}: Expected target to be an int or {n} ints (one per "
                         f"sample). Received: target={target!r:.200}")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= outputs):
        raise ValueError(f"explain.{method}: Expected target between 0 and {outputs - 1} (the "
                         f"model has {outputs} outputs). Received: target={target!r:.200}")
    return numpy.broadcast_to(chosen, (n,)).copy()


def score_of(out, chosen):
    """Σ_i out[i, chosen[i]]: summed over the batch, its gradient gives each sample's own
    ∂f_c/∂x (the samples do not interact in inference mode)."""
    mask = numpy.zeros(tuple(out.shape), dtype=out.dtype)
    mask[numpy.arange(len(chosen)), chosen] = 1
    return (out * mask).sum()


def input_gradients(model, x, chosen, batch_size=None):
    """∂f_{c_i}(x_i)/∂x_i for every row of ``x``, computed ``batch_size`` rows at a time."""
    step = batch_size or len(x)
    parts = []
    for start in range(0, len(x), step):
        xt = convert_to_tensor(x[start:start + step])
        with GradientTape() as tape:
            tape.watch(xt)
            total = score_of(scores(model, xt), chosen[start:start + step])
        parts.append(numpy.asarray(tape.gradient(total, xt).numpy()))
    return numpy.concatenate(parts)


def check_positive_int(method, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"explain.{method}: Expected {name} to be a positive integer. "
                         f"Received: {name}={value!r:.200}")
    return int(value)
