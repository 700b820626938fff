"""``Masking``: marks padded time steps so that later layers (RNNs, attention, pooling) skip them.

For a sequence x of shape (batch, steps, features), a step is padding when every feature equals
``mask_value``:

    mask[n, t] = ∃ f : x[n, t, f] ≠ mask_value          (True = a real step, kept)

The output is x with padded steps set to 0 (y = x ⊙ mask); the mask itself comes from
``compute_mask`` and travels with the output to the next layers (Keras's masking contract).
"""

from profond import backend
from profond.autodiff.tensor import Tensor
from profond.layers.base import Layer
from profond.registry import register_serializable


@register_serializable()
class Masking(Layer):
    """Masks every time step whose features all equal ``mask_value`` (default 0).

    >>> import numpy as np
    >>> import profond as pf
    >>> x = np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]], dtype="float32")
    >>> pf.layers.Masking(mask_value=0.0).compute_mask(x)
    array([[False,  True, False]])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise ValueError("Masking: `mask_value` must be a number. "
                             f"Received: mask_value={mask_value!r}")
        self.mask_value = float(mask_value)

    def _keep(self, inputs):
        """mask[..., t] = any feature differs from mask_value (a boolean array, no gradient)."""
        data = inputs.data if isinstance(inputs, Tensor) else backend.default_module().asarray(
            inputs)
        xp = backend.array_module(data)
        return xp.any(data != self.mask_value, axis=-1)

    def compute_mask(self, inputs, mask=None):
        """The boolean mask of the steps to keep, shaped like the input without its last axis."""
        return self._keep(inputs)

    def call(self, inputs):
        keep = self._keep(inputs)
        return inputs * Tensor._wrap(keep[..., None].astype(inputs.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config

