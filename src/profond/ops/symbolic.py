"""Ops called on symbolic tensors record a graph node instead of computing.

In the functional API, ``tf.concat([a, b], -1)`` or ``tf.nn.relu(x)`` may receive ``KerasTensor``
placeholders (``profond.layers``) that hold a shape and no values. The ops floor sits below the
layers and cannot import them, so the hook is registered downward: ``profond.layers`` calls
``register(KerasTensor, handler)`` once, and every public op of ``profond.ops`` is wrapped by
``dispatchable``. An eager call pays one ``isinstance`` per argument; a call that sees a
registered symbolic type hands ``(op name, args, kwargs)`` to the handler, which records an
op-layer that will replay the op by name.

``OPS`` is that name → function table: the allow-list a saved model's op-layer may name (a config
never carries code, only one of these names).
"""

import functools

OPS = {}  # op name -> the eager function
_TYPES = ()  # symbolic tensor types (KerasTensor), filled by register()
_HANDLER = [None]


def register(types, handler):
    """Route calls that receive one of ``types`` to ``handler(name, args, kwargs)``."""
    global _TYPES
    _TYPES = tuple(types) if isinstance(types, (list, tuple)) else (types,)
    _HANDLER[0] = handler


def is_symbolic(values):
    """True when a value, or an item of a list/tuple value, is a registered symbolic tensor."""
    for v in values:
        if isinstance(v, _TYPES):
            return True
        if type(v) in (list, tuple):
            for w in v:
                if isinstance(w, _TYPES):
                    return True
    return False


def dispatchable(name, fn):
    """``fn`` as a public op: eager as before, recorded in a graph when called symbolically."""
    OPS[name] = fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        for v in args:  # NOTE: the eager cost: one isinstance per argument, no call
            if isinstance(v, _TYPES) or (type(v) in (list, tuple) and is_symbolic(v)):
                return _HANDLER[0](name, args, kwargs)
        if kwargs and is_symbolic(kwargs.values()):
            return _HANDLER[0](name, args, kwargs)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = fn
    return op


def install(namespace, names, prefix=""):
    """Wrap the functions ``names`` of a module's ``namespace`` (its ``globals()``) in place.

    A face module (``profond.nn``) calls it too; a name already taken by another function is
    recorded as ``prefix + name`` (``"nn.moments"``), so a replay never calls the wrong one."""
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and not hasattr(fn, "__wrapped_op__"):
            key = name if OPS.get(name, fn) is fn else prefix + name
            namespace[name] = dispatchable(key, fn)
