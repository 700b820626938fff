"""Anomaly mode: stop at the first op whose forward or backward makes a NaN or an infinity.

A NaN in the loss is the end of a chain: somewhere an op took ``log`` of a negative, divided by
zero or overflowed, and every op after it carried the NaN along. In anomaly mode each op checks
what it produced, so the error is raised where the chain starts:

* **forward**: after an op ``y = f(x₁, …, xₖ)`` runs, every value of ``y`` must be finite;
* **backward**: after a node's backward returns ∂L/∂xᵢ, every value of it must be finite (the
  ops *inside* a backward are not checked one by one: a gradient formula may make a harmless
  infinity that it masks out, only what it returns counts, as in PyTorch).

The error (``AnomalyError``) names the op, the layer it ran in (``"sequential/dense"``) and the
statistics of its inputs (shape, dtype, min/max/mean of the finite values, how many NaN/±Inf).
A backward error also shows where the op was created: the forward call stack, short (the frames
inside ``profond.autodiff`` are left out), recorded for every op while the mode is on.

Turn it on with ``profond.autodiff.detect_anomaly()`` (a ``with`` block or a decorator, as
PyTorch's ``torch.autograd.detect_anomaly``), ``set_detect_anomaly(True)``, or TensorFlow's
``tf.debugging.enable_check_numerics()``. The switch is global to all threads (as PyTorch's).
When it is off, an op pays one attribute test. When it is on, every op scans its outputs and
records its call stack: expect training to run a few times slower, as in PyTorch.

>>> import profond as pf
>>> x = pf.tensor([4.0, -1.0])
>>> with pf.autodiff.detect_anomaly():
...     pf.sqrt(x)
Traceback (most recent call last):
...
profond.autodiff.anomaly.AnomalyError: Anomaly in the forward pass: op "Sqrt" produced NaN ...
"""

import contextlib
import os
import sys
import threading
import traceback

from profond import _validation as check
from profond._text import quote
from profond.backend import array_module

_AUTODIFF_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class InvalidArgumentError(ValueError):
    """A value that breaks a check (TF's ``InvalidArgumentError``: ``tf.debugging`` assertions
    and ``check_numerics``; a ``ValueError``, as TF's error of that name is in eager mode)."""


class AnomalyError(InvalidArgumentError, FloatingPointError):
    """An op produced NaN or Inf while anomaly mode was on. Caught as TF's
    ``InvalidArgumentError``, as a ``ValueError`` or as Python's ``FloatingPointError``."""


class _Mode:
    """The switches of anomaly mode (class attributes: one global state, cheap to read)."""

    enabled = False  # the one flag every op tests
    check_nan = True  # raise on NaN/Inf (False: only record the forward stacks, as PyTorch)
    stack_limit = 10  # frames of the forward call stack kept per op
    path_limit = 50  # longest file path shown (longer ones keep their end)


class _Local(threading.local):
    quiet = 0  # > 0: the forward checks of this thread are off (inside a backward, shape runs)


_mode = _Mode
_local = _Local()
_layer_path = None  # set by profond.layers: () → the path of the layers running now


def is_anomaly_enabled():
    """True while anomaly mode is on."""
    return _mode.enabled


def is_anomaly_check_nan_enabled():
    """True while anomaly mode is on and checks for NaN/Inf (not only recording stacks)."""
    return _mode.enabled and _mode.check_nan


def _set(enabled, check_nan=True, stack_limit=None, path_limit=None):
    """Set the switches; return the previous ones (to restore them)."""
    previous = (_mode.enabled, _mode.check_nan, _mode.stack_limit, _mode.path_limit)
    stack_limit = check.positive_int("stack_height_limit", stack_limit, "enable_check_numerics",
                                     allow_none=True)
    path_limit = check.positive_int("path_length_limit", path_limit, "enable_check_numerics",
                                    allow_none=True)
    _mode.enabled, _mode.check_nan = bool(enabled), bool(check_nan)
    _mode.stack_limit = stack_limit or _mode.stack_limit
    _mode.path_limit = path_limit or _mode.path_limit
    return previous


def _restore(previous):
    _mode.enabled, _mode.check_nan, _mode.stack_limit, _mode.path_limit = previous


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Anomaly mode inside a ``with`` block or a decorated function (the previous state comes
    back on exit). ``check_nan=False`` only records each op's forward stack, shown when a
    backward fails for another reason.

    >>> import profond as pf
    >>> with pf.autodiff.detect_anomaly():
    ...     pf.autodiff.is_anomaly_enabled()
    True
    >>> pf.autodiff.is_anomaly_enabled()
    False
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.previous = _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _restore(self.previous)
        return False


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly mode on or off now; used as a context manager, the previous state comes back
    at the end of the block (as ``torch.autograd.set_detect_anomaly``)."""

    def __init__(self, mode, check_nan=True):
        self.previous = _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _restore(self.previous)
        return False


def enable(stack_limit=None, path_limit=None):
    """Anomaly mode on until ``disable()`` (``tf.debugging.enable_check_numerics``)."""
    _set(True, True, stack_limit, path_limit)


def disable():
    _set(False)


def set_layer_path_source(source):
    """Let the layers tell which layers are running (``source()`` returns e.g.
    ``"sequential/dense"``, or ``""`` outside any layer). Called once by ``profond.layers``: the
    engine cannot import the floor above it, and this costs the layers nothing per call."""
    global _layer_path
    _layer_path = source


@contextlib.contextmanager
def quiet():
    """No forward checks in this thread inside the block: for computations on stand-in values
    (a layer run on zeros to infer its output shape), whose infinities mean nothing."""
    _local.quiet += 1
    try:
        yield
    finally:
        _local.quiet -= 1


# --- what the ops call while the mode is on ----------------------------------------------------


def after_forward(fn, inputs, outs):
    """Called by ``Function.__call__`` after ``fn`` ran forward: remember where (when the op was
    recorded, its backward may need it), then check its outputs."""
    if fn.inputs is not None:
        fn._anomaly_site = (_where(), _forward_stack())
    if not _mode.check_nan or _local.quiet:
        return
    for i, y in enumerate(outs):
        if not all_finite(y.data):
            raise AnomalyError(_forward_message(fn, inputs, outs, i))


def checked_backward(fn, gys):
    """Run ``fn.backward(*gys)`` with the forward checks off, then check every gradient it
    returns. An error raised inside the backward gets the op's forward stack as a note."""
    _local.quiet += 1
    try:
        gxs = fn.backward(*gys)
    except Exception as err:
        noted = any(n.startswith("(anomaly mode)") for n in getattr(err, "__notes__", ()))
        if hasattr(err, "add_note") and not noted and not isinstance(err, AnomalyError):
            err.add_note(f'(anomaly mode) in the backward of op "{type(fn).__name__}"'
                         + _site_text(fn))  # the innermost op only (add_note: Python ≥ 3.11)
        raise
    finally:
        _local.quiet -= 1
    if _mode.check_nan:
        for i, gx in enumerate(gxs if isinstance(gxs, tuple) else (gxs,)):
            if gx is not None and fn.needs_input_grad[i] and not all_finite(gx.data):
                raise AnomalyError(_backward_message(fn, gys, gx, i))
    return gxs


# --- the pieces of the messages ----------------------------------------------------------------


def all_finite(a):
    """Whether the array ``a`` holds no NaN and no ±Inf. For real arrays without a temporary
    array: NaN propagates through ``min`` and ``max`` and ±Inf is one of them, so ``a`` is finite
    exactly when its min and max are."""
    if a.dtype.kind not in "fc" or a.size == 0:
        return True
    xp = array_module(a)
    if a.dtype.kind == "c":
        return bool(xp.isfinite(a).all())
    return bool(xp.isfinite(a.min())) and bool(xp.isfinite(a.max()))


def _where():
    path = _layer_path() if _layer_path is not None else ""
    return "in layer " + quote(path, mark='"') if path else "outside any layer"


def _forward_stack():
    """The last ``stack_limit`` frames of the call stack outside ``profond.autodiff``, innermost
    last, their source lines looked up only if an error shows them."""
    frames, f = [], sys._getframe(2)
    while f is not None and len(frames) < _mode.stack_limit:
        if not f.f_code.co_filename.startswith(_AUTODIFF_DIR):
            frames.append((f, f.f_lineno))
        f = f.f_back
    return traceback.StackSummary.extract(reversed(frames), lookup_lines=False)


def _site_text(fn):
    site = fn._anomaly_site
    if site is None:
        return ""
    where, stack = site
    lines = [f"\nThe op ran forward {where}, called from (most recent call last):"]
    for frame in stack:
        name = frame.filename
        if len(name) > _mode.path_limit:
            name = "..." + name[-_mode.path_limit + 3:]
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line}")
    return "\n".join(lines)


def describe(a):
    """One line of statistics of an array: shape, dtype, how many NaN/+Inf/−Inf, and the
    min/max/mean of its finite values.

    >>> import numpy as np
    >>> describe(np.array([1.0, np.nan, 3.0, -np.inf]))
    'shape (4,), dtype float64: 1 NaN, 1 -Inf of 4 values; finite: min 1, max 3, mean 2'
    >>> describe(np.array([[1, 2]], dtype=np.float32))
    'shape (1, 2), dtype float32: all finite; min 1, max 2, mean 1.5'
    """
    head = f"shape {tuple(a.shape)}, dtype {a.dtype}: "
    if a.size == 0:
        return head + "empty"
    xp = array_module(a)
    if a.dtype.kind not in "fc":
        a = a.astype("float64")
    elif a.dtype.kind == "c":
        a = xp.abs(a)  # a NaN or infinite part gives a NaN or infinite modulus
    finite = xp.isfinite(a)
    counts = [(int(xp.isnan(a).sum()), "NaN"), (int((xp.isinf(a) & (a > 0)).sum()), "+Inf"),
              (int((xp.isinf(a) & (a < 0)).sum()), "-Inf")]
    bad = ", ".join(f"{n} {word}" for n, word in counts if n)
    head += f"{bad} of {a.size} values; finite:" if bad else "all finite;"
    good = a[finite]
    if good.size == 0:
        return head + " none"
    return head + (f" min {float(good.min()):.4g}, max {float(good.max()):.4g}, "
                   f"mean {float(good.astype('float64').mean()):.4g}")


def _kinds(a):
    """``"NaN"``, ``"Inf"`` or ``"NaN and Inf"``: what is wrong in ``a``."""
    xp = array_module(a)
    found = [word for word, bad in (("NaN", xp.isnan(a).any()), ("Inf", xp.isinf(a).any()))
             if bool(bad)]
    return " and ".join(found)


def _inputs_text(inputs, label="input"):
    lines = [f"  {label} {i}: {describe(x.data)}" for i, x in enumerate(inputs)]
    if any(not all_finite(x.data) for x in inputs):
        lines.append("  An input already held NaN or Inf: it was made outside the checked ops "
                     "(data fed in, or a tensor built from NumPy values).")
    return lines


def _forward_message(fn, inputs, outs, i):
    y = outs[i].data
    lines = [f'Anomaly in the forward pass: op "{type(fn).__name__}" produced {_kinds(y)} in its '
             f"output {i}, {_where()}.",
             f"  output {i}: {describe(y)}"]
    return "\n".join(lines + _inputs_text(inputs))


def _backward_message(fn, gys, gx, i):
    lines = [f'Anomaly in the backward pass: the gradient of op "{type(fn).__name__}" with respect '
             f"to its input {i} holds {_kinds(gx.data)}.",
             f"  gradient for input {i}: {describe(gx.data)}"]
    lines += [f"  incoming gradient for output {j}: {describe(g.data)}"
              for j, g in enumerate(gys) if g is not None]
    lines += _inputs_text(fn.inputs, label="forward input")
    return "\n".join(lines) + _site_text(fn)

