"""``tf.nest``: work on nested structures of lists, tuples, namedtuples and dicts.

A *structure* is a leaf (anything else: a tensor, an array, a number, a string, ``None``) or a
list / tuple / namedtuple / dict of structures. ``flatten`` lists the leaves in a fixed order —
depth first, dict keys sorted (an ``OrderedDict`` keeps its own order) — and
``pack_sequence_as`` is its inverse, so a function can be mapped over all the leaves of several
structures of the same shape at once.

>>> from profond import nest
>>> nest.flatten({"b": 1, "a": (2, [3, 4])})
[2, 3, 4, 1]
>>> nest.map_structure(lambda a, b: a + b, (1, {"x": 2}), (10, {"x": 20}))
(11, {'x': 22})
>>> nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
{'b': 3, 'a': [1, 2]}
"""

import collections
from collections import abc

from profond._names import missing_name


def is_nested(seq):
    """True for a list, tuple, namedtuple or dict (even empty); False for a leaf."""
    return isinstance(seq, (list, tuple, abc.Mapping))


def _keys(mapping):
    return list(mapping) if isinstance(mapping, collections.OrderedDict) else sorted(mapping)


def _children(structure):
    if isinstance(structure, abc.Mapping):
        return [structure[key] for key in _keys(structure)]
    return list(structure)


def _rebuild(template, children):
    """A structure of ``template``'s type holding ``children`` (in ``_children`` order)."""
    if isinstance(template, abc.Mapping):
        by_key = dict(zip(_keys(template), children))
        items = [(key, by_key[key]) for key in template]  # the template's own key order
        if isinstance(template, collections.defaultdict):
            return collections.defaultdict(template.default_factory, items)
        return type(template)(items)
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*children)
    return type(template)(children)


def flatten(structure, expand_composites=False):
    """The leaves of ``structure`` in order; a leaf gives ``[leaf]`` (``None`` gives ``[None]``)."""
    leaves, stack = [], [structure]
    while stack:  # iterative, so deep structures cannot exhaust Python's recursion limit
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            leaves.append(item)
    return leaves


def _same_structure(a, b, check_types, path="structure"):
    if is_nested(a) != is_nested(b):
        nested, leaf = (a, b) if is_nested(a) else (b, a)
        raise ValueError(f"The two structures don't have the same nested structure: at {path}, "
                         f"{nested!r} is a sequence while {leaf!r} is not.")
    if not is_nested(a):
        return
    if check_types and type(a) is not type(b):
        raise TypeError(f"The two structures don't have the same sequence type: at {path}, "
                        f"{type(a).__name__} and {type(b).__name__}.")
    if isinstance(a, abc.Mapping) and isinstance(b, abc.Mapping) and set(a) != set(b):
        raise ValueError(f"The two structures don't have the same keys at {path}: "
                         f"{sorted(map(str, a))} and {sorted(map(str, b))}.")
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        raise ValueError(f"The two structures don't have the same number of elements at {path}: "
                         f"{len(ca)} and {len(cb)}. First: {a!r}. Second: {b!r}.")
    for i, (x, y) in enumerate(zip(ca, cb)):
        _same_structure(x, y, check_types, f"{path}[{i}]")


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raise ``ValueError`` if the nesting or the number of elements differ, and ``TypeError``
    if ``check_types`` and the sequence types differ (a list against a tuple)."""
    _same_structure(nest1, nest2, check_types)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Put the leaves ``flat_sequence`` back into the shape of ``structure``."""
    flat = list(flat_sequence)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"pack_sequence_as: a leaf structure takes exactly 1 element. "
                             f"Received: {len(flat)} elements.")
        return flat[0]
    count = len(flatten(structure))
    if count != len(flat):
        raise ValueError(f"pack_sequence_as: the structure has {count} leaves, but "
                         f"flat_sequence has {len(flat)} elements.")
    leaves = iter(flat)

    def build(template):
        if not is_nested(template):
            return next(leaves)
        return _rebuild(template, [build(child) for child in _children(template)])

    return build(structure)


def map_structure(func, *structure, **kwargs):
    """``func`` applied to matching leaves of the structures; the result has the first one's
    shape. ``check_types=False`` lets a list match a tuple."""
    if not callable(func):
        raise TypeError(f"map_structure: func must be callable. Received: {func!r}")
    if not structure:
        raise ValueError("map_structure: give at least one structure.")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError(f"map_structure: unknown keyword arguments {sorted(kwargs)}.")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)])


def __getattr__(name):
    raise missing_name(__name__, name)
