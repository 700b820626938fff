"""``GradientTape``: TensorFlow's door to the engine.

Inside ``with GradientTape() as tape:`` the forward computation runs as usual (ops record the graph
whenever an input requires grad); ``tape.gradient(target, sources)`` then calls the engine. A tape
differentiates only what it recorded: the nodes whose tick (see ``mode.next_tick``) falls in one
of its recording spans (from ``__enter__`` to ``__exit__``, minus ``stop_recording`` pauses, from
the last ``reset``). An op computed before the tape was entered is a constant to it, as in TF.

Several tapes may watch one forward pass (a GAN's generator and discriminator tapes). The graph
belongs to all of them: a tape's ``gradient`` frees a node's saved arrays only when no other tape
that recorded the node can still take a gradient (a non-persistent tape not yet used, or a
persistent one still alive). The last tape frees what it goes through.

Nested tapes give higher derivatives: while an outer tape is still recording, the inner tape's
gradient is computed with ``create_graph=True``, so the outer tape can differentiate it again.
"""

import contextlib
import math
import threading
import weakref

from profond.autodiff.engine import _as_list, run_backward
from profond.autodiff.mode import _state, next_tick, set_grad_enabled
from profond.autodiff.tensor import Tensor, Variable
from profond.backend import array_module, memory

_local = threading.local()


def _pending():
    """The tapes of this thread that may still take a gradient (weak: a dropped tape counts no
    more)."""
    if not hasattr(_local, "pending"):
        _local.pending = weakref.WeakSet()
    return _local.pending


def _flatten(structure):
    """The tensors of a (nested) list / tuple / dict, and a function rebuilding the structure."""
    if isinstance(structure, dict):
        keys = list(structure)
        parts = [_flatten(structure[k]) for k in keys]
    elif isinstance(structure, (list, tuple)):
        keys = None
        parts = [_flatten(s) for s in structure]
    else:
        return [structure], lambda flat: flat[0]
    sizes = [len(p[0]) for p in parts]

    def pack(flat):
        out, i = [], 0
        for (_, rebuild), n in zip(parts, sizes):
            out.append(rebuild(flat[i : i + n]))
            i += n
        if keys is not None:
            return dict(zip(keys, out))
        return list(out) if isinstance(structure, list) else tuple(out)

    return [t for p in parts for t in p[0]], pack


def _unconnected_mode(value):
    mode = str(getattr(value, "value", value)).lower()
    if mode not in ("none", "zero"):
        raise ValueError("Expected unconnected_gradients to be 'none' or 'zero'. "
                         f"Received: unconnected_gradients={value!r}")
    return mode


class GradientTape:
    """Record operations for automatic differentiation, as ``tf.GradientTape``.

    >>> import profond as pf
    >>> x = pf.constant(3.0)
    >>> with pf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._spans = []  # [first tick, end tick) of each recording period; end None while open
        self._watched = {}  # id → tensor, in the order watched or first read
        self._unwatch = []  # tensors whose requires_grad we switched on, restored on exit
        self._used = False
        self._grad_mode = None

    # --- recording ---------------------------------------------------------------------------
    @property
    def _recording(self):
        return bool(self._spans) and self._spans[-1][1] is None

    def _open_span(self):
        self._spans.append([next_tick(), None])
        _state.tapes = _state.tapes + (self,)

    def _close_span(self):
        self._spans[-1][1] = next_tick()
        _state.tapes = tuple(t for t in _state.tapes if t is not self)

    def _records(self, fn):
        """Whether node ``fn`` was recorded while this tape was watching."""
        return any(a <= fn.tick and (b is None or fn.tick < b) for a, b in self._spans)

    def __enter__(self):
        if self._recording:
            raise ValueError("This GradientTape is already recording (entered twice).")
        self._grad_mode = set_grad_enabled(True)
        self._grad_mode.__enter__()
        self._open_span()
        _pending().add(self)
        return self

    def __exit__(self, *exc):
        self._close_span()
        self._grad_mode.__exit__(*exc)
        for t in self._unwatch:
            t.requires_grad = False
        self._unwatch = []
        return False

    def _check_recording(self):
        if not self._recording:
            raise ValueError("Tape is not recording.")

    @contextlib.contextmanager
    def stop_recording(self):
        """Pause this tape: ops inside the block are constants to it (other tapes still record
        them; with no other tape open, nothing is recorded at all)."""
        self._check_recording()
        self._close_span()
        with set_grad_enabled(bool(_state.tapes)):
            try:
                yield
            finally:
                self._open_span()

    def reset(self):
        """Forget everything recorded and watched so far, as if the tape were entered anew."""
        self._check_recording()
        self._close_span()
        self._spans, self._watched, self._used = [], {}, False
        self._open_span()
        _pending().add(self)

    # --- what the tape watches ---------------------------------------------------------------
    def watch(self, tensor):
        """Track a tensor (a constant, say) so gradients with respect to it can be taken."""
        for t in _flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise TypeError(f"watch() expects a Tensor. Received: {type(t).__name__}")
            self._watched[id(t)] = t
            if not t.requires_grad:
                t.requires_grad = True
                self._unwatch.append(t)

    def _accessed(self, variable):
        """Called by ``Function`` when a recorded op reads ``variable`` under this tape."""
        if self.watch_accessed_variables and variable.trainable:
            self._watched.setdefault(id(variable), variable)

    def watched_variables(self):
        """The variables this tape watches: those passed to ``watch`` and (unless
        ``watch_accessed_variables=False``) the trainable ones read by recorded ops, in the order
        first seen."""
        return tuple(t for t in self._watched.values() if isinstance(t, Variable))

    def _is_watched(self, t):
        if not isinstance(t, Tensor):
            raise TypeError(f"Sources must be tensors or variables. Received: {type(t).__name__}")
        if id(t) in self._watched:
            return True
        if t.creator is not None:  # an intermediate result: watched if this tape computed it
            return self._records(t.creator)
        if isinstance(t, Variable):
            return self.watch_accessed_variables and t.requires_grad
        return t.requires_grad  # a leaf made with requires_grad=True (PyTorch style)

    # --- gradients ---------------------------------------------------------------------------
    def _begin_gradient(self):
        """Check that this tape may compute (once, unless persistent); return the node predicate
        'keep saved arrays': True where another tape that recorded the node may still need it."""
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                               "of gradients (or jacobians). Use GradientTape(persistent=True).")
        self._used = True
        if self.persistent:
            return lambda fn: True
        others = [t for t in _pending() if t is not self]
        _pending().discard(self)
        return lambda fn: any(t._records(fn) for t in others)

    def _backward(self, outs, gos, sources, retain):
        create_graph = bool(_state.tapes)  # a tape still recording will differentiate this
        watched = [s for s in sources if self._is_watched(s)]
        grads, _ = run_backward(outs, gos, watched, retain, create_graph, include=self._records)
        by_id = {id(s): g for s, g in zip(watched, grads)}
        return [by_id.get(id(s)) for s in sources]

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """∂target/∂source for each source, in the structure of ``sources`` (None if unconnected,
        or zeros with ``unconnected_gradients="zero"``). A non-scalar target is summed first (or
        weighted by ``output_gradients``), as in TensorFlow.
        """
        memory.for_training()  # the custom loop's step: freed arrays stay for the next one
        mode = _unconnected_mode(unconnected_gradients)
        flat, pack = _flatten(sources)
        outs = _flatten(target)[0]
        gos = _as_list(output_gradients) if output_gradients is not None else [None] * len(outs)
        retain = self._begin_gradient()
        result = self._backward(outs, gos, flat, retain)
        if mode == "zero":
            result = [_zeros_like(s) if g is None else g for s, g in zip(flat, result)]
        return pack(result)

    def jacobian(self, target, sources, unconnected_gradients="none", parallel_iterations=None,
                 experimental_use_pfor=True):
        """J[i…, j…] = ∂target[i…]/∂source[j…] for each source: shape target.shape + source.shape.

        One backward pass per element of ``target`` (seeded with a one-hot ∂L/∂target). The
        result holds values only: it is not differentiated further by an outer tape.

        >>> import profond as pf
        >>> x = pf.Variable([1.0, 2.0])
        >>> with pf.GradientTape() as tape:
        ...     y = x * x
        >>> tape.jacobian(y, x).numpy()
        array([[2., 0.],
               [0., 4.]], dtype=float32)
        """
        mode = _unconnected_mode(unconnected_gradients)
        flat, pack = _flatten(sources)
        if not isinstance(target, Tensor):
            raise TypeError(f"jacobian() expects a single target tensor. "
                            f"Received: {type(target).__name__}")
        xp = array_module(target.data)
        n = target.size
        rows = self._rows(target, flat, n, lambda i: xp.eye(1, n, i, dtype=target.dtype))
        result = [_assemble(rows_s, target.shape + s.shape, s, mode)
                  for s, rows_s in zip(flat, rows)]
        return pack(result)

    def batch_jacobian(self, target, source, unconnected_gradients="none",
                       parallel_iterations=None, experimental_use_pfor=True):
        """J[b, i…, j…] = ∂target[b, i…]/∂source[b, j…], for examples b independent of each other:
        shape (batch,) + target.shape[1:] + source.shape[1:].

        One backward pass per element of one example's target (seeded on that element in every
        example at once).
        """
        mode = _unconnected_mode(unconnected_gradients)
        if (target.ndim == 0 or source.ndim == 0
                or target.shape[0] != source.shape[0]):
            raise ValueError(f"Need first dimension of target shape ({target.shape}) and source "
                             f"shape ({source.shape}) to match.")
        xp = array_module(target.data)
        b, m = target.shape[0], math.prod(target.shape[1:])

        def seed(j):
            s = xp.zeros((b, m), target.dtype)
            s[:, j] = 1
            return s

        (rows,) = self._rows(target, [source], m, seed)
        shape = (b,) + target.shape[1:] + source.shape[1:]
        g = _assemble(rows, (m, b) + source.shape[1:], source, mode)
        if g is not None:
            g = Tensor._wrap(xp.moveaxis(g.data, 0, 1).reshape(shape))
        return g

    def _rows(self, target, sources, n, seed):
        """For each source, the n gradients of ⟨seed(i), target⟩, i = 0 … n−1. The graph is kept
        until the last pass, which frees what no other tape needs."""
        retain = self._begin_gradient()
        rows = [[] for _ in sources]
        for i in range(n):
            gy = Tensor._wrap(seed(i).reshape(target.shape))
            last = i == n - 1
            grads = self._backward([target], [gy], sources, retain if last else True)
            for r, g in zip(rows, grads):
                r.append(g)
        return rows


def _zeros_like(s):
    return Tensor._wrap(array_module(s.data).zeros_like(s.data))


def _assemble(rows, shape, source, mode):
    """Stack the per-row gradients into ``shape`` (None rows as zeros; None when all are None
    unless ``mode == "zero"``)."""
    xp = array_module(source.data)
    if all(g is None for g in rows) and mode == "none":
        return None
    zero = xp.zeros(source.shape, source.dtype)
    data = [zero if g is None else g.data for g in rows]
    stacked = xp.stack(data) if data else xp.zeros((0,) + source.shape, source.dtype)
    return Tensor._wrap(stacked.reshape(shape))
