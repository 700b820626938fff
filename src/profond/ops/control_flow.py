"""Control flow of ``keras.ops`` run eagerly in Python (``cond``, ``while_loop``, ``scan``,
``map``, …), and ``custom_gradient``. Every step is an ordinary recorded op, so gradients flow
through loops and branches like through any other code.
"""

from profond.autodiff.function import Function
from profond.autodiff.mode import no_grad
from profond.autodiff.tensor import Tensor
from profond.ops import shape as sh
from profond.ops._util import as_tensor, normalize_axis


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (a Python ``if``: eager, differentiable)."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clipped to the valid range (as Keras)."""
    i = min(max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """v = init_val; for i in [lower, upper): v = body_fun(i, v); return v."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """While ``cond(*vars)``: ``vars = body(*vars)``; at most ``maximum_iterations`` steps.
    A tuple or list of loop variables comes back as a tuple, a single one as itself."""
    single = not isinstance(loop_vars, (tuple, list))
    vs = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*vs)):
        out = body(*vs)
        vs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        steps += 1
    return vs[0] if single else vs


def _stack_tree(items):
    if not items or items[0] is None:
        return None
    if isinstance(items[0], (tuple, list)):
        return type(items[0])(_stack_tree(list(parts)) for parts in zip(*items))
    return sh.stack(items, 0)


def _slices(xs, length):
    if xs is None:
        return [None] * length
    if isinstance(xs, (tuple, list)):
        cols = [sh.unstack(as_tensor(x), 0) for x in xs]
        return [type(xs)(c) for c in zip(*cols)]
    return sh.unstack(as_tensor(xs), 0)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """carry = init; for each x of ``xs`` (its first axis): carry, y = f(carry, x); returns
    (carry, the ys stacked). ``length`` steps with x = None when ``xs`` is None."""
    if xs is None and length is None:
        raise ValueError("scan expects xs or length. Received: xs=None, length=None")
    if xs is not None:
        first = xs[0] if isinstance(xs, (tuple, list)) else xs
        length = as_tensor(first).shape[0]
    items = _slices(xs, int(length))
    order = range(len(items) - 1, -1, -1) if reverse else range(len(items))
    carry, ys = init, [None] * len(items)
    for i in order:
        carry, ys[i] = f(carry, items[i])
    return carry, _stack_tree(ys)


def map(f, xs):  # noqa: A001 - the Keras name
    """[f(x) for x along the first axis of ``xs``], stacked."""
    n = as_tensor(xs[0] if isinstance(xs, (tuple, list)) else xs).shape[0]
    return _stack_tree([f(x) for x in _slices(xs, n)])


def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` along its first axis, stacked (a
    loop: correct for any function, not batched)."""
    return map(function, elements)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` mapped over the first axis of its tensor arguments (a loop, then stacked)."""
    if signature is not None or excluded:
        raise NotImplementedError("vectorize: signature= and excluded= are not supported")

    def mapped(*args):
        return map(lambda parts: pyfunc(*parts), tuple(args))

    return mapped


def custom_gradient(f):
    """Decorate ``f(*x) -> (y, grad)``: calls return y, and back-propagation calls
    ``grad(upstream)`` for the gradients of the inputs (as ``keras.ops.custom_gradient``).

    >>> import profond as pf
    >>> from profond.keras import ops
    >>> @ops.custom_gradient
    ... def clip_grad(x):
    ...     return x * 1, lambda g: ops.clip(g, -1.0, 1.0)
    >>> x = pf.Tensor([3.0], requires_grad=True)
    >>> pf.grad(clip_grad(x) * 5.0, [x])[0].numpy()
    array([1.], dtype=float32)
    """
    def call(*args):
        return CustomGradient(f)(*[as_tensor(a) for a in args])

    call.__name__ = getattr(f, "__name__", "custom_gradient")
    call.__doc__ = f.__doc__
    return call


class CustomGradient(Function):
    """y = f(x) computed without recording; ∂L/∂x = the user's grad(∂L/∂y)."""

    def __init__(self, f):
        self.f = f

    def forward(self, *arrays):
        with no_grad():
            y, self.grad_fn = self.f(*[Tensor._wrap(a) for a in arrays])
        return as_tensor(y).data

    def backward(self, gy):
        g = self.grad_fn(gy)
        g = tuple(g) if isinstance(g, (tuple, list)) else (g,)
        return tuple(None if t is None else as_tensor(t) for t in g)


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive scan of the associative ``f`` along ``axis``: out[i] = f(out[i−1], x[i])
    (computed left to right; ``elems`` a tensor)."""
    x = as_tensor(elems)
    ax = normalize_axis(axis, x.ndim)[0]
    items = sh.unstack(x, ax)
    if reverse:
        items = items[::-1]
    acc = [items[0]]
    for item in items[1:]:
        acc.append(f(acc[-1], item) if not reverse else f(item, acc[-1]))
    return sh.stack(acc[::-1] if reverse else acc, ax)



__all__ = ["associative_scan", "cond", "custom_gradient", "fori_loop", "map", "scan", "switch",
           "vectorize", "vectorized_map", "while_loop"]
