"""``Lambda``: wrap a Python function as a layer, y = f(x, **arguments).

Convenient for small glue (``Lambda(lambda t: t / 255.0)``), but a function is code, and code
never goes into a profond file: the config stores only a marker and the function's name,

    {"function": {"class_name": "__python_code__", "config": {"name": "scale"}}, ...}

so a model holding a ``Lambda`` saves fine, and loading it is refused with a clear error unless
the user hands the function back: ``load_model(path, custom_objects={"scale": scale})`` (for an
anonymous ``lambda``, key it by the layer's name). Keras's ``safe_mode=False`` would run bytecode
stored in the file; profond has no such door. A registered serializable object (a callable with
``get_config``) is stored by its config like any other layer argument.
"""

import inspect
import json

from profond import registry
from profond.layers.base import Layer
from profond.registry import register_serializable

_CODE = "__python_code__"  # the marker of a function that was not (and is never) stored
_KERAS_CODE = ("__lambda__", "function")  # the same in a Keras 3 config


def _function_spec(fn):
    """What a config stores for a callable: a registered object's config, or the code marker."""
    if hasattr(fn, "get_config") and getattr(type(fn), "_registered_name", None):
        return registry.serialize(fn)
    return {"class_name": _CODE, "config": {"name": getattr(fn, "__name__", type(fn).__name__)}}


def _resolve(spec, keys, layer_name, role):
    """The callable for ``spec``: a registered object is rebuilt; code is looked up in
    ``custom_objects`` (or an open ``custom_object_scope``) under one of ``keys``."""
    kind = spec.get("class_name") if isinstance(spec, dict) else None
    if kind not in (_CODE, *_KERAS_CODE):
        return registry.deserialize(spec)
    inner = spec.get("config")
    # Keras files: "function" names a function ({"config": "my_fn"}); "__lambda__" carries
    # bytecode, which is never read: the function must come from custom_objects.
    name = inner if kind == "function" else "<lambda>" if kind == "__lambda__" else (
        (inner or {}).get("name"))
    for key in [name, *keys]:
        found = registry.get_custom_object(key) if isinstance(key, str) else None
        if found is not None:
            if not callable(found):
                raise ValueError(f'Lambda layer "{layer_name}": custom_objects[{key!r}] must be a '
                                 f"callable for its `{role}`. Received: {found!r:.100}")
            return found
    hint = name if name and name != "<lambda>" else keys[0]
    raise ValueError(
        f'Lambda layer "{layer_name}" holds Python code (its {role}, {name!r}) that was not '
        "saved: profond never stores or runs code from a file. If you trust this model, pass "
        f"the function when loading: load_model(path, custom_objects={{{hint!r}: <function>}})."
    )


def _accepts(fn, name):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


@register_serializable()
class Lambda(Layer):
    """y = function(x, **arguments), run in memory as ordinary Python.

    Args:
        function: a callable of the inputs (a tensor, or a list of them).
        output_shape: the output's shape without the batch axis (a tuple), or a callable of the
            input shape; by default it is found by running ``function`` on zeros.
        mask: a callable ``mask(inputs, previous_mask)`` for ``compute_mask``.
        arguments: a dict of extra keyword arguments for ``function`` (saved; must be JSON-able).

    >>> import profond as pf
    >>> pf.layers.Lambda(lambda t: t * 2.0)(pf.constant([[1.0, 2.0]])).numpy()
    array([[2., 4.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f'Lambda layer "{self.name}": `function` must be callable. '
                             f"Received: function={function!r:.100}")
        if output_shape is not None and not callable(output_shape):
            try:
                output_shape = tuple(None if d is None else int(d) for d in output_shape)
            except (TypeError, ValueError):
                raise ValueError(f'Lambda layer "{self.name}": `output_shape` must be a tuple '
                                 "(without the batch axis) or a callable. Received: "
                                 f"output_shape={output_shape!r:.100}") from None
        if mask is not None and not callable(mask):
            raise ValueError(f'Lambda layer "{self.name}": `mask` must be None or a callable '
                             f"mask(inputs, previous_mask). Received: mask={mask!r:.100}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f'Lambda layer "{self.name}": `arguments` must be a dict. '
                             f"Received: arguments={arguments!r:.100}")
        self.function = function
        self._output_shape_arg = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None or _accepts(function, "mask")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if mask is not None and _accepts(self.function, "mask"):
            kwargs["mask"] = mask
        if training is not None and _accepts(self.function, "training"):
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = self._output_shape_arg
        if shape is None:
            return super().compute_output_shape(input_shape)
        if callable(shape):
            return shape(input_shape)
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + tuple(shape)

    def compute_mask(self, inputs, mask=None):
        if self.mask is not None:
            return self.mask(inputs, mask)
        return mask

    def get_config(self):
        config = super().get_config()
        try:
            json.dumps(self.arguments)
        except TypeError:
            raise ValueError(f'Lambda layer "{self.name}": `arguments` must hold JSON values '
                             "(numbers, strings, lists, dicts) to be saved. Received: "
                             f"arguments={self.arguments!r:.200}") from None
        shape = self._output_shape_arg
        config.update({
            "function": _function_spec(self.function),
            "output_shape": _function_spec(shape) if callable(shape)
            else None if shape is None else list(shape),
            "mask": None if self.mask is None else _function_spec(self.mask),
            "arguments": self.arguments,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.get("name", "lambda")
        config["function"] = _resolve(config["function"], [name], name, "function")
        for role in ("output_shape", "mask"):
            spec = config.get(role)
            if isinstance(spec, dict):
                config[role] = _resolve(spec, [f"{name}/{role}"], name, role)
        return cls(**config)
