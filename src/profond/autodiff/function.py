"""``Function``: one differentiable op — ``forward`` on raw arrays, ``backward`` with profond ops.

Calling a function runs ``forward`` and, when grad mode is on and an input requires grad, makes the
function a node of the graph: it keeps its input tensors, weak references to its outputs and
whatever ``forward`` saved in ``self.saved``. The engine later calls ``backward(*gys)``, which
returns one gradient (a Tensor, or None) per input. Because backward is written with profond ops,
running it with recording on builds the graph of the gradient itself: second derivatives for free.
"""

import weakref

from profond.autodiff import anomaly
from profond.autodiff.anomaly import _mode as _anomaly
from profond.autodiff.mode import _state, next_tick
from profond.autodiff.tensor import Tensor, Variable
from profond.backend import array_module


class Function:
    """Base class of every op. Subclasses define ``forward(*arrays)`` and ``backward(*gys)``.

    Inside ``backward``: ``self.inputs`` are the input tensors, ``self.output(i)`` the i-th output
    tensor, ``self.saved`` what forward stored, ``self.needs_input_grad[i]`` whether input i wants
    a gradient (skip the work when it does not), ``self.saved_reusable`` whether this is the last
    backward through the node (no ``retain_graph``): then saved arrays may be overwritten.

    An output that received no gradient gets zeros in ``backward``; an op with several outputs
    that skips that work itself (e.g. a recurrent loop whose per-step outputs are unused) sets
    ``missing_grads_as_none`` and receives None there instead.
    """

    inputs = None
    tick = -1  # when the node was recorded (tapes differentiate only what they recorded)
    saved = None
    saved_reusable = False
    needs_input_grad = ()
    _outputs = ()
    missing_grads_as_none = False
    _anomaly_site = None  # where the op ran forward (layer, call stack), kept in anomaly mode

    def __call__(self, *inputs):
        ys = self.forward(*[x.data for x in inputs])
        if type(ys) is tuple:
            outs = tuple(Tensor._wrap(y) for y in ys)
        else:
            outs = (Tensor._wrap(ys),)
        if _state.enabled:
            for x in inputs:
                if x.requires_grad:
                    self._record(inputs, outs)
                    break
        if _anomaly.enabled:
            anomaly.after_forward(self, inputs, outs)
        return outs if type(ys) is tuple else outs[0]

    def _record(self, inputs, outs):
        """Make this call a node of the graph: keep inputs, weak references to the outputs."""
        self.inputs = inputs
        self.tick = next_tick()
        if _state.tapes:
            for x in inputs:
                if isinstance(x, Variable):
                    for tape in _state.tapes:
                        tape._accessed(x)
        self.needs_input_grad = tuple(x.requires_grad for x in inputs)
        self._outputs = tuple(weakref.ref(y) for y in outs)
        if len(outs) > 1:
            self._out_meta = tuple((y.shape, y.dtype) for y in outs)
        for i, y in enumerate(outs):
            y.requires_grad = True
            y.creator = self
            y.output_index = i

    @property
    def n_outputs(self):
        return len(self._outputs)

    def output(self, i=0):
        """The i-th output tensor (alive while anything downstream still uses it)."""
        y = self._outputs[i]()
        if y is None:
            raise RuntimeError(f"{type(self).__name__}: output {i} was freed before backward")
        return y

    def zero_grad(self, i):
        """Zeros shaped as output i (of a multi-output node): its gradient when it was unused."""
        shape, dtype = self._out_meta[i]
        return Tensor._wrap(array_module(self.inputs[0].data).zeros(shape, dtype))

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    def release(self):
        """Drop saved arrays and input references (called after backward unless retained)."""
        self.saved = None
        self.inputs = None


class FusedFunction(Function):
    """A fat op whose first-order backward is hand-written on arrays (fast), while second
    derivatives (``create_graph``) differentiate the same math written with profond ops. This is
    the one way an op gets a fast first-order backward (an op must not test the grad mode in its
    own ``backward``): the engine runs backward with recording off unless higher order is asked.

    Subclasses define ``forward``, ``backward_arrays(*gys)`` returning one array (or None) per
    input, and ``composed(*inputs)`` computing the same outputs with differentiable ops.
    """

    def backward(self, *gys):
        from profond.autodiff.engine import grad
        from profond.autodiff.mode import is_grad_enabled

        if is_grad_enabled():
            gys = [self.zero_grad(i) if g is None else g for i, g in enumerate(gys)]
            outs = self.composed(*self.inputs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            return tuple(grad(list(outs), list(self.inputs), grad_outputs=list(gys),
                              create_graph=True))
        gxs = self.backward_arrays(*[None if g is None else g.data for g in gys])
        return tuple(None if g is None else Tensor._wrap(g) for g in gxs)
