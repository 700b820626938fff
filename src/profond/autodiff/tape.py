"""``GradientTape``: TensorFlow's door to the engine.

Inside ``with GradientTape() as tape:`` the forward computation runs as usual (ops record the graph
whenever an input requires grad); ``tape.gradient(target, sources)`` then calls the engine. Nested
tapes give higher derivatives: while an outer tape is still recording, the inner tape's gradient is
computed with ``create_graph=True``, so the outer tape can differentiate it again.
"""

from profond.autodiff.engine import _as_list, run_backward
from profond.autodiff.mode import set_grad_enabled
from profond.autodiff.tensor import Tensor, Variable
from profond.backend import array_module

_active_tapes = []


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
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched = {}  # id -> tensor
        self._unwatch = []  # tensors whose requires_grad we switched on, restored on exit
        self._used = False

    def __enter__(self):
        self._grad_mode = set_grad_enabled(True)
        self._grad_mode.__enter__()
        _active_tapes.append(self)
        return self

    def __exit__(self, *exc):
        _active_tapes.remove(self)
        self._grad_mode.__exit__(*exc)
        for t in self._unwatch:
            t.requires_grad = False
        self._unwatch = []
        return False

    def watch(self, tensor):
        """Track a tensor (a constant, say) so gradients with respect to it can be taken."""
        for t in _as_list(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"watch() expects a Tensor. Received: {type(t).__name__}")
            self._watched[id(t)] = t
            if not t.requires_grad:
                t.requires_grad = True
                self._unwatch.append(t)

    def watched_variables(self):
        return [t for t in self._watched.values() if isinstance(t, Variable)]

    def stop_recording(self):
        """Context manager pausing the tape (ops inside record nothing)."""
        return set_grad_enabled(False)

    def reset(self):
        self._watched.clear()

    def _is_watched(self, t):
        if id(t) in self._watched:
            return True
        if isinstance(t, Variable) and not self.watch_accessed_variables:
            return False
        return t.requires_grad

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """∂target/∂source for each source, in the structure of ``sources`` (None if unconnected).

        A non-scalar target is summed first, as in TensorFlow.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used once. "
                "Use GradientTape(persistent=True) to compute several gradients."
            )
        self._used = True
        flat = _as_list(sources) if not isinstance(sources, dict) else list(sources.values())
        outs = _as_list(target)
        gos = _as_list(output_gradients) if output_gradients is not None else [None] * len(outs)
        create_graph = bool(_active_tapes)  # a tape still recording will differentiate this
        watched = [s for s in flat if self._is_watched(s)]
        grads, _ = run_backward(outs, gos, watched, self.persistent or create_graph, create_graph)
        by_id = {id(s): g for s, g in zip(watched, grads)}
        result = []
        for s in flat:
            g = by_id.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = Tensor._wrap(array_module(s.data).zeros_like(s.data))
            result.append(g)
        if isinstance(sources, dict):
            return dict(zip(sources.keys(), result))
        if isinstance(sources, (list, tuple)):
            return type(sources)(result) if isinstance(sources, list) else tuple(result)
        return result[0]
