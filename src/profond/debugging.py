"""``tf.debugging``: assertions on tensor values and shapes, checked at once (profond is eager).

Each ``assert_*`` returns ``None`` when the condition holds and otherwise raises
``InvalidArgumentError`` (a ``ValueError``, as TF's error of that name is raised in eager mode)
saying which values broke it; ``message`` is put in front. ``check_numerics`` returns its tensor
unchanged (gradients flow through it, and are checked too) unless it holds a NaN or an infinity.
``enable_check_numerics()`` checks every op instead: it turns on anomaly mode
(``profond.autodiff.anomaly``), where the first op making a NaN or Inf, forward or backward,
raises an error naming the op and its layer.

>>> import profond as tf
>>> tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2])
>>> tf.debugging.assert_shapes([(tf.ones((2, 3)), ("N", "D")), (tf.ones((2,)), ("N",))])
"""

import builtins
import sys

import numpy

from profond._names import missing_name
from profond.autodiff import anomaly
from profond.autodiff.anomaly import InvalidArgumentError
from profond.autodiff.function import Function
from profond.autodiff.mode import is_grad_enabled
from profond.autodiff.tensor import Tensor, convert_to_tensor
from profond.backend import array_module


def _values(x):
    return x.numpy() if isinstance(x, Tensor) else numpy.asarray(x)


def _fail(message, text):
    raise InvalidArgumentError(f"{message}\n{text}" if message else text)


def _compare(x, y, holds, words, message, summarize):
    a, b = _values(x), _values(y)
    try:
        ok = holds(a, b)
    except ValueError:
        _fail(message, f"Condition x {words} y: shapes {a.shape} and {b.shape} do not broadcast.")
    if not numpy.all(ok):
        bad = numpy.argwhere(~numpy.broadcast_to(ok, numpy.broadcast_shapes(a.shape, b.shape)))
        n = summarize or 3
        _fail(message, f"Condition x {words} y did not hold. Indices of the first different "
                       f"values: {bad[:n].tolist()}. x = {a.ravel()[:n].tolist()}..., "
                       f"y = {b.ravel()[:n].tolist()}...")


def assert_equal(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.equal, "==", message, summarize)


def assert_none_equal(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.not_equal, "!=", message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.less, "<", message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.less_equal, "<=", message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.greater, ">", message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    _compare(x, y, numpy.greater_equal, ">=", message, summarize)


def assert_positive(x, message=None, summarize=None, name=None):
    _compare(x, 0, numpy.greater, ">", message, summarize)


def assert_negative(x, message=None, summarize=None, name=None):
    _compare(x, 0, numpy.less, "<", message, summarize)


def assert_non_negative(x, message=None, summarize=None, name=None):
    _compare(x, 0, numpy.greater_equal, ">=", message, summarize)


def assert_non_positive(x, message=None, summarize=None, name=None):
    _compare(x, 0, numpy.less_equal, "<=", message, summarize)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """|x − y| ≤ atol + rtol·|y| element-wise; both tolerances default to 10·ε of the dtype
    (1.19e-6 for float32, as in TF)."""
    a, b = _values(x), _values(y)
    eps = numpy.finfo(a.dtype).eps if a.dtype.kind == "f" else numpy.finfo(numpy.float32).eps
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol
    ok = numpy.abs(a - b) <= atol + rtol * numpy.abs(b)
    if not numpy.all(ok):
        worst = float(numpy.max(numpy.abs(a - b)))
        _fail(message, f"x and y not equal to tolerance rtol={rtol:g}, atol={atol:g}: the "
                       f"largest difference is {worst:g}.")


def assert_rank(x, rank, message=None, name=None):
    got = _values(x).ndim
    if got != int(rank):
        _fail(message, f"Expected a tensor of rank {int(rank)}. Received: rank {got}, "
                       f"shape {_values(x).shape}")


def assert_rank_at_least(x, rank, message=None, name=None):
    got = _values(x).ndim
    if got < int(rank):
        _fail(message, f"Expected a tensor of rank at least {int(rank)}. Received: rank {got}")


def assert_type(tensor, tf_type, message=None, name=None):
    got = _values(tensor).dtype
    if got != numpy.dtype(tf_type):
        raise TypeError(f"{message or ''} Expected dtype {numpy.dtype(tf_type)}. "
                        f"Received: dtype={got}".strip())


def assert_all_finite(x, message, name=None):
    """``check_numerics`` under its other TF name: ``x`` itself unless it holds NaN or Inf."""
    return check_numerics(x, message)


def _check_finite(values, message):
    """TF's words: ``"<message> : Tensor had Inf and NaN values"``."""
    xp = array_module(values)
    if values.dtype.kind in "fc" and not bool(xp.isfinite(values).all()):
        kinds = [k for k, bad in (("Inf", xp.isinf(values).any()),
                                  ("NaN", xp.isnan(values).any())) if bool(bad)]
        _fail(None, f"{message} : Tensor had {' and '.join(kinds)} values")


class _CheckNumerics(Function):
    """The identity, checking its values on the way forward and its gradient on the way back
    (so a NaN born in the backward pass is caught where it crosses this point, as in TF)."""

    def __init__(self, message):
        self.message = message

    def forward(self, x):
        _check_finite(x, self.message)
        return x

    def backward(self, gy):
        return check_numerics(gy, "Not a number (NaN) or infinity (Inf) values detected in "
                                  f"gradient. {self.message}")


def check_numerics(tensor, message, name=None):
    """``tensor`` itself, or an ``InvalidArgumentError`` if it holds a NaN or an infinity; when
    gradients are recorded, the gradient that flows back through it is checked too.

    >>> import profond as tf
    >>> x = tf.Variable([1.0, 0.0])
    >>> with tf.GradientTape() as tape:
    ...     y = tf.reduce_sum(tf.sqrt(tf.debugging.check_numerics(x, "x")))
    >>> tape.gradient(y, x)
    Traceback (most recent call last):
    ...
    profond.autodiff.anomaly.InvalidArgumentError: Not a number (NaN) or infinity (Inf) ...
    """
    if isinstance(tensor, Tensor) and tensor.requires_grad and is_grad_enabled():
        return _CheckNumerics(message)(tensor)
    _check_finite(_values(tensor), message)
    return tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Check several shapes at once. Each entry pairs a tensor with its expected shape, whose
    sizes are ints, ``None`` (any size) or names (``"N"``: the same size wherever it is used);
    a leading ``...`` allows any number of leading axes.

    NOTE: a rank-0 expected shape ``()`` also accepts a 1-element vector, as TF does.
    """
    pairs = shapes.items() if isinstance(shapes, dict) else shapes
    sizes = {}
    for tensor, expected in pairs:
        got = tuple(_values(tensor).shape)
        expected = tuple(expected) if isinstance(expected, (list, tuple)) else (expected,)
        if expected and expected[0] is Ellipsis:
            expected = expected[1:]
            if len(got) < len(expected):
                _fail(message, f"Tensor of shape {got} must have rank at least "
                               f"{len(expected)}.")
            got = got[len(got) - len(expected):]
        elif expected == () and got in ((), (1,)):
            continue
        elif len(got) != len(expected):
            _fail(message, f"Tensor of shape {got} must have rank {len(expected)} "
                           f"(expected shape {expected}).")
        for axis, (want, size) in enumerate(zip(expected, got)):
            if want is None:
                continue
            if isinstance(want, str):
                want = sizes.setdefault(want, size)
            if size != want:
                _fail(message, f"Tensor of shape {got}: dimension {axis} must have size {want}. "
                               f"Received size {size}.")


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's name
    """Raise ``InvalidArgumentError`` showing ``data`` (a list of values) when ``condition``
    (a boolean, or a tensor of them: all must hold) is false."""
    if not numpy.all(_values(condition)):
        n = summarize or 3
        shown = [_values(d).ravel()[:n].tolist() for d in data]
        _fail(None, f"assertion failed: {shown}")


def tf_print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """``tf.print``: print tensors by their values (to ``sys.stderr`` by default, as TF does),
    long ones summarized to their first and last ``summarize`` entries per axis.

    NOTE: numbers are formatted by NumPy (``[1.5 2. ]``), where TF writes ``[1.5 2]``.
    """
    def text(x):
        if isinstance(x, Tensor) or isinstance(x, numpy.ndarray):
            values = _values(x)
            if values.ndim == 0:
                return str(values.item())
            threshold = values.size if summarize is None or summarize < 0 else 2 * summarize
            return numpy.array2string(values, threshold=threshold, edgeitems=summarize or 3,
                                      separator=" ")
        return str(x)

    builtins.print(*[text(x) for x in inputs], sep=sep, end=end,
                   file=sys.stderr if output_stream is None else output_stream)


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Check every op's output and gradient from now on: the first op that makes a NaN or an
    infinity raises an ``InvalidArgumentError`` (``profond.autodiff.AnomalyError``) naming the
    op, its layer and its inputs' statistics. The same switch as PyTorch-style
    ``profond.autodiff.detect_anomaly()`` (see ``profond/autodiff/anomaly.py``).
    ``stack_height_limit``: frames of the forward call stack shown for a bad gradient;
    ``path_length_limit``: the longest file path shown. Slow: for debugging.
    """
    anomaly.enable(stack_height_limit, path_length_limit)


def disable_check_numerics():
    """Turn ``enable_check_numerics`` off (nothing happens if it was not on)."""
    anomaly.disable()


_LOG_PLACEMENT = [False]


def set_log_device_placement(enabled):
    """Accepted and recorded, never logs: every op runs on the backend's one device
    (``profond.config.backend()``), so there is no placement to report."""
    _LOG_PLACEMENT[0] = bool(enabled)


def get_log_device_placement():
    return _LOG_PLACEMENT[0]


def is_numeric_tensor(tensor):
    return isinstance(tensor, Tensor) and tensor.dtype.kind in "biufc"


def __getattr__(name):
    raise missing_name(__name__, name)
