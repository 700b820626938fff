"""The layer contract every layer passes, and a cross-check of a layer against PyTorch.

``run_layer_test(LayerClass, init_kwargs, input_shape, ...)`` checks, in order:

1. lazy build: no weights before the first call, all of them after it;
2. the output shape (eager call, ``compute_output_shape`` and a symbolic ``Input``);
3. the numbers of trainable and non-trainable weights;
4. the config round-trip: ``from_config(get_config())`` gives the same config, and the same
   outputs once given the same weights;
5. the save/load round-trip of a functional model holding the layer (``model.save`` then
   ``profond.models.load_model``): same outputs, same weights. It is never skipped: a layer that
   cannot be saved fails the contract;
6. a short fit lowers the loss (layers with trainable weights).

A layer with several inputs (``Add``, ``Concatenate``, ``Dot`` …) gets a list of input shapes.

``check_layer_against_torch(layer, torch_fn, x)`` compares the outputs and the gradients (input and
weights, with a random upstream gradient) to a PyTorch function given the same weights.
"""

import json
import os
import tempfile

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


def _is_multi(input_shape):
    """A list of shapes (several inputs) rather than one shape."""
    return bool(input_shape) and isinstance(input_shape[0], (tuple, list))


def _make_input(input_shape, input_dtype, input_data, rng):
    if input_data is not None:
        return [np.asarray(a) for a in input_data] if _is_multi(input_shape) else np.asarray(
            input_data)
    if _is_multi(input_shape):
        return [_make_input(s, input_dtype, None, rng) for s in input_shape]
    if np.dtype(input_dtype).kind in "iu":
        return rng.integers(0, 10, input_shape).astype(input_dtype)
    return rng.standard_normal(input_shape).astype(input_dtype)


def _symbolic_inputs(input_shape, input_dtype):
    from profond.layers import Input

    if _is_multi(input_shape):
        return [Input(shape=tuple(s[1:]), dtype=input_dtype) for s in input_shape]
    return Input(shape=tuple(input_shape[1:]), dtype=input_dtype)


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   input_dtype="float32", input_data=None, run_training_check=True,
                   custom_objects=None, fit_steps=20, seed=0):
    """Assert that ``layer_cls(**init_kwargs)`` honours the layer contract (see module docstring).

    ``input_shape`` includes the batch dimension (a list of shapes for a layer with several
    inputs); ``expected_output_shape`` too (a list of shapes for a layer with several outputs;
    None entries are not checked). ``custom_objects`` is handed to ``load_model``.

    >>> from profond.layers import Add, Dense
    >>> run_layer_test(Dense, {"units": 3}, (4, 2), (4, 3), expected_num_trainable_weights=2)
    >>> run_layer_test(Add, {}, [(4, 2), (4, 2)], (4, 2))
    """
    rng = np.random.default_rng(seed)
    x = _make_input(input_shape, input_dtype, input_data, rng)
    expected = (list(expected_output_shape) if _is_multi(expected_output_shape)
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
    batchless = ([(None,) + tuple(s[1:]) for s in input_shape] if _is_multi(input_shape)
                 else (None,) + tuple(input_shape[1:]))
    cos = layer.compute_output_shape(batchless)
    cos = [tuple(s) for s in cos] if _is_multi(cos) else tuple(cos)
    exp_none = ([(None,) + e[1:] for e in expected] if isinstance(expected, list)
                else (None,) + expected[1:])
    _assert_shape(cos, exp_none, f"{name}.compute_output_shape")
    sym = layer_cls(**init_kwargs)(_symbolic_inputs(input_shape, input_dtype))
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
    config = layer.get_config()
    json.dumps(config)
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, f"{name}: config changed by from_config/get_config"
    clone(x)
    clone.set_weights(layer.get_weights())
    # inference mode: a layer that is random while training (augmentation) is then deterministic
    for a, b in zip(_numpy(layer(x, training=False)), _numpy(clone(x, training=False))):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: clone from config differs")

    # 5. save / load round-trip of a model holding the layer (mandatory)
    _check_save_load(layer_cls, init_kwargs, x, input_shape, input_dtype, custom_objects)

    # 6. a short fit lowers the loss
    if run_training_check and expected_num_trainable_weights > 0:
        _check_training(layer_cls, init_kwargs, x, fit_steps, rng)


def _check_save_load(layer_cls, init_kwargs, x, input_shape, input_dtype, custom_objects):
    """``Model(inputs, layer(inputs)).save(path)`` then ``load_model(path)``: the loaded model
    holds a layer of the same class, with the same weights, and computes the same outputs."""
    from profond import models

    name = layer_cls.__name__
    inputs = _symbolic_inputs(input_shape, input_dtype)
    model = models.Model(inputs, layer_cls(**init_kwargs)(inputs))
    before = _numpy(model(x, training=False))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.profond")
        try:
            model.save(path)
            loaded = models.load_model(path, custom_objects=custom_objects)
        except Exception as e:
            raise AssertionError(f"{name}: a model holding the layer could not be saved and "
                                 f"loaded back ({type(e).__name__}: {e})") from e
    assert any(type(lay) is layer_cls for lay in loaded.layers), \
        f"{name}: the loaded model holds no {name}. Received: {[type(v) for v in loaded.layers]}"
    after = _numpy(loaded(x, training=False))
    assert len(after) == len(before), f"{name}: {len(after)} outputs after load, not {len(before)}"
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: differs after save/load")
    w0, w1 = model.get_weights(), loaded.get_weights()
    assert len(w0) == len(w1), f"{name}: {len(w1)} weights after load, not {len(w0)}"
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: a weight differs after save/load")


def _check_training(layer_cls, init_kwargs, x, steps, rng):
    """Fit the layer's (first) output to a fixed random target with Adam; the mean squared error
    measured at inference must go down."""
    from profond import optimizers
    from profond.autodiff.tape import GradientTape
    from profond.ops import reduce_mean, square

    layer = layer_cls(**init_kwargs)
    target = rng.standard_normal(_first(layer(x)).shape).astype("float32")
    x_t = [layer._convert(a) for a in x] if isinstance(x, list) else layer._convert(x)

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
