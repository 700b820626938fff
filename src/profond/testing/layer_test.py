"""The layer contract every layer passes, and a cross-check of a layer against PyTorch.

``run_layer_test(LayerClass, init_kwargs, input_shape, ...)`` checks, in order:

1. lazy build: no weights before the first call, all of them after it;
2. the output shape (eager call, ``compute_output_shape`` and a symbolic ``Input``);
3. the numbers of trainable and non-trainable weights;
4. the config round-trip: ``from_config(get_config())`` gives the same config, and the same
   outputs once given the same weights;
5. the save/load round-trip of a model holding the layer (``profond.saving``);
6. a short fit lowers the loss (layers with trainable weights).

``check_layer_against_torch(layer, torch_fn, x)`` compares the outputs and the gradients (input and
weights, with a random upstream gradient) to a PyTorch function given the same weights.
"""

import os
import tempfile
import warnings

import numpy as np

from profond.autodiff.engine import grad
from profond.autodiff.tensor import Tensor


def _shapes(out):
    if isinstance(out, (list, tuple)):
        return [tuple(o.shape) for o in out]
    return tuple(out.shape)


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


def _numpy(out):
    if isinstance(out, (list, tuple)):
        return [o.numpy() for o in out]
    return [out.numpy()]


def _assert_shape(got, expected, what):
    """``expected`` may hold None for dimensions that are not checked."""
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), \
            f"{what}: expected {len(expected)} outputs {expected}. Received: {got}"
        for g, e in zip(got, expected):
            _assert_shape(g, e, what)
        return
    got = tuple(got)
    assert len(got) == len(expected) and all(
        e is None or g is None or g == e for g, e in zip(got, expected)), \
        f"{what}: expected shape {tuple(expected)}. Received: {got}"


def _make_input(input_shape, input_dtype, input_data, rng):
    if input_data is not None:
        return np.asarray(input_data)
    if np.dtype(input_dtype).kind == "i":
        return rng.integers(0, 10, input_shape).astype(input_dtype)
    return rng.standard_normal(input_shape).astype(input_dtype)


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   input_dtype="float32", input_data=None, run_training_check=True,
                   run_save_check=True, custom_objects=None, fit_steps=20, seed=0):
    """Assert that ``layer_cls(**init_kwargs)`` honours the layer contract (see module docstring).

    ``input_shape`` includes the batch dimension; ``expected_output_shape`` too (a list of
    shapes for a layer with several outputs; None entries are not checked).

    >>> from profond.layers import Dense
    >>> run_layer_test(Dense, {"units": 3}, (4, 2), (4, 3), expected_num_trainable_weights=2)
    """
    from profond import layers as layers_lib

    rng = np.random.default_rng(seed)
    x = _make_input(input_shape, input_dtype, input_data, rng)
    expected = (list(expected_output_shape) if expected_output_shape
                and isinstance(expected_output_shape[0], (tuple, list))
                else tuple(expected_output_shape))
    if isinstance(expected, list):
        expected = [tuple(e) for e in expected]
    name = layer_cls.__name__

    # 1. lazy build
    layer = layer_cls(**init_kwargs)
    assert not layer.weights, f"{name}: weights made before the first call (not lazy)"
    out = layer(x)
    assert layer.built, f"{name}: not built after its first call"

    # 2. output shape: eager, compute_output_shape, symbolic
    _assert_shape(_shapes(out), expected, f"{name} output")
    batchless = (None,) + tuple(input_shape[1:])
    cos = layer.compute_output_shape(batchless)
    cos = [tuple(s) for s in cos] if isinstance(cos, (list, tuple)) and cos and isinstance(
        cos[0], (tuple, list)) else tuple(cos)
    exp_none = ([(None,) + e[1:] for e in expected] if isinstance(expected, list)
                else (None,) + expected[1:])
    _assert_shape(cos, exp_none, f"{name}.compute_output_shape")
    sym = layer_cls(**init_kwargs)(layers_lib.Input(shape=input_shape[1:], dtype=input_dtype))
    _assert_shape(_shapes(sym), exp_none, f"{name} symbolic output")

    # 3. weight counts
    n_tr, n_ntr = len(layer.trainable_weights), len(layer.non_trainable_weights)
    assert n_tr == expected_num_trainable_weights, \
        f"{name}: expected {expected_num_trainable_weights} trainable weights. Received: {n_tr}"
    assert n_ntr == expected_num_non_trainable_weights, (
        f"{name}: expected {expected_num_non_trainable_weights} non-trainable weights. "
        f"Received: {n_ntr}")
    assert len(layer.get_weights()) == n_tr + n_ntr

    # 4. config round-trip (a JSON-able config; the clone computes the same function)
    import json

    config = layer.get_config()
    json.dumps(config)
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, f"{name}: config changed by from_config/get_config"
    clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(_numpy(layer(x)), _numpy(clone(x))):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: clone from config differs")

    # 5. save / load round-trip of a model holding the layer
    if run_save_check:
        _check_save_load(layer_cls, init_kwargs, x, input_shape, input_dtype, custom_objects)

    # 6. a short fit lowers the loss
    if run_training_check and expected_num_trainable_weights > 0:
        _check_training(layer_cls, init_kwargs, x, input_shape, input_dtype, fit_steps, rng)


def _saving_available():
    try:
        from profond import models, saving
    except ImportError:
        return False
    return hasattr(saving, "save_model") and hasattr(models, "Sequential")


def _check_save_load(layer_cls, init_kwargs, x, input_shape, input_dtype, custom_objects):
    if not _saving_available():
        warnings.warn("run_layer_test: profond.saving.save_model / profond.models.Sequential "
                      "are not available yet; the save/load round-trip was skipped.",
                      stacklevel=3)
        return
    from profond import layers as layers_lib
    from profond import models, saving

    model = models.Sequential([layers_lib.Input(shape=input_shape[1:], dtype=input_dtype),
                               layer_cls(**init_kwargs)])
    before = _numpy(model(x))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.profond")
        saving.save_model(model, path)
        loaded = saving.load_model(path, custom_objects=custom_objects)
    after = _numpy(loaded(x))
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{layer_cls.__name__}: differs after save/load")
    for w0, w1 in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def _check_training(layer_cls, init_kwargs, x, input_shape, input_dtype, steps, rng):
    """Fit the layer's (first) output to a fixed random target with Adam; the mean squared error
    measured at inference must go down."""
    from profond import optimizers
    from profond.autodiff.tape import GradientTape
    from profond.ops import reduce_mean, square

    layer = layer_cls(**init_kwargs)
    target = rng.standard_normal(_first(layer(x)).shape).astype("float32")
    x_t = layer._convert(x)

    def loss_of(training):
        out = _first(layer(x_t, training=training))
        return reduce_mean(square(out - Tensor._wrap(target)))

    before = float(loss_of(False).numpy())
    opt = optimizers.Adam(learning_rate=0.01)
    for _ in range(steps):
        with GradientTape() as tape:
            loss = loss_of(True)
            extra = layer.losses
            if extra:
                loss = loss + sum(extra)
        grads = tape.gradient(loss, layer.trainable_weights)
        opt.apply_gradients(zip(grads, layer.trainable_weights))
    after = float(loss_of(False).numpy())
    assert after < before, (f"{layer_cls.__name__}: {steps} training steps did not lower the "
                            f"loss ({before:.5f} -> {after:.5f})")


def check_layer_against_torch(layer, torch_fn, x, rtol=None, atol=None, training=None,
                              call_kwargs=None, seed=0):
    """Compare ``layer(x)`` with ``torch_fn(x_t, weights_t)`` in value and gradient.

    ``weights_t`` are torch leaves holding ``layer.get_weights()`` in Keras's layouts; ``torch_fn``
    maps them to PyTorch's (transposes, gate order) with differentiable torch ops, so the
    gradients compared are those of the Keras-layout weights. Tolerances default to 1e-5
    (float32) and 1e-9 (float64), relative and absolute. Returns the profond outputs.
    """
    import torch

    x = np.asarray(x)
    dtype = np.dtype(layer.dtype)
    tol = 1e-9 if dtype == np.float64 else 1e-5
    rtol = tol if rtol is None else rtol
    atol = tol if atol is None else atol
    rng = np.random.default_rng(seed)
    float_x = x.dtype.kind == "f"
    if float_x:
        x = x.astype(dtype)
    xs = Tensor(x, requires_grad=float_x)
    out = layer(xs, training=training, **(call_kwargs or {}))
    params = layer.trainable_weights
    trainable_ids = {id(p) for p in params}
    outs = list(out) if isinstance(out, (list, tuple)) else [out]

    weights_t = [torch.tensor(w, requires_grad=id(v) in trainable_ids)
                 for w, v in zip(layer.get_weights(), layer.weights)]
    x_t = torch.tensor(x, requires_grad=float_x)
    ref = torch_fn(x_t, weights_t)
    refs = list(ref) if isinstance(ref, (list, tuple)) else [ref]
    assert len(outs) == len(refs), f"{len(outs)} outputs against torch's {len(refs)}"
    for k, (a, b) in enumerate(zip(outs, refs)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{layer.name}: output {k} differs from torch")

    us = [rng.standard_normal(o.shape).astype(dtype) for o in outs]
    sources = ([xs] if float_x else []) + list(params)
    gs = grad(outs, sources, grad_outputs=[Tensor(u) for u in us])
    t_sources = ([x_t] if float_x else []) + [w for w in weights_t if w.requires_grad]
    tgs = torch.autograd.grad(refs, t_sources, grad_outputs=[torch.tensor(u) for u in us],
                              allow_unused=True)
    names = (["input"] if float_x else []) + [p.name for p in params]
    for nm, g, tg, src in zip(names, gs, tgs, t_sources):
        want = np.zeros(tuple(src.shape), dtype) if tg is None else tg.numpy()
        got = np.zeros(tuple(src.shape), dtype) if g is None else g.numpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"{layer.name}: gradient of {nm} differs from torch")
    return outs
