"""How a batch holds inputs, targets and sample weights: ``x``, ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)`` (Keras's ``unpack_x_y_sample_weight`` and ``pack_x_y_sample_weight``).

>>> unpack_x_y_sample_weight(([1, 2], [0, 1]))
([1, 2], [0, 1], None)
>>> pack_x_y_sample_weight([1, 2])
([1, 2],)
"""


def unpack_x_y_sample_weight(data):
    """``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` → ``(x, y, sample_weight)``,
    missing parts as None (a list counts as a tuple)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`. Received: a tuple of length {len(data)}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch ``unpack_x_y_sample_weight`` reads back: ``x`` (or ``(x,)`` when ``x`` is a
    tuple or list, so it is not taken for ``(x, y)``), ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
