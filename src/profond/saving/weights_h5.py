"""Keras 3's weights files (``*.weights.h5``): real HDF5, in the layout Keras 3 writes.

A Keras 3 weights file is a tree of groups that follows the model's structure; each layer's own
variables sit in a ``vars`` group as datasets ``"0"``, ``"1"``, ... (trainable ones first, in
creation order), and the group's ``name`` attribute holds the layer's name::

    vars                            (the model's own variables; attribute name="sequential")
    layers/dense/vars/0, 1          the first Dense layer (name="d1"): kernel, bias
    layers/batch_normalization/vars/0 … 3
    layers/dense_1/vars/0, 1        the second Dense layer

In a ``Sequential`` or functional model the layers are under ``layers/``, named after their class
in snake_case, numbered by order of appearance (``dense``, ``dense_1``, ...), whatever the layers'
own names. Any other layer (a subclassed model, a layer holding layers) puts each sub-layer under
the attribute that holds it (``encoder/vars/0``; a list of layers: ``blocks/dense``, ...), in
alphabetical order of attributes, as Keras does.

So a model saved by Keras 3 loads into the same profond model, and back: checked for dense,
convolution, normalization, embedding and recurrent layers (``lstm/cell/vars``) and wrappers
(``time_distributed/layer``, ``bidirectional/forward_layer/cell``). A layer whose sub-layers sit
under other attribute names than in Keras would not match a Keras file: the error then names the
first variable that does not fit. Reading is bounded: only numeric datasets, sizes checked first,
each stored whole inside the file (no external storage, no compression that could expand).
"""

import os
import re
import warnings

import numpy

from profond.saving.limits import FileFormatError, limit, open_regular
from profond.saving.model_file import _atomic_write

_INTERNAL_ATTRIBUTES = {"_layers", "_own_variables", "_input_layer", "_inbound_nodes",
                        "_outbound_nodes", "_operations", "_nodes"}


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing .weights.h5 files needs h5py: "
                          "pip install 'profond[h5]'") from None
    return h5py


def snake_case(name):
    """``BatchNormalization`` → ``batch_normalization``, ``Conv2D`` → ``conv2d`` (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _own_variables(layer):
    own = list(getattr(layer, "_own_variables", []))
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def _container_children(layers):
    """``[(key, layer)]`` for a list of layers: snake_case class names, numbered from ``_1``."""
    used, out = {}, []
    for layer in layers:
        key = snake_case(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        out.append((key, layer))
    return out


def _children(layer):
    """``[(relative path, sub-layer)]`` in Keras's walking order (see the module)."""
    from profond.layers.base import InputLayer, Layer
    from profond.models import Sequential

    if isinstance(layer, Sequential):
        return [(f"layers/{k}", sub) for k, sub in _container_children(layer.layers)]
    if getattr(layer, "_graph", None):  # a functional model: its InputLayers are listed too
        return [(f"layers/{k}", sub) for k, sub in _container_children(layer.layers)]
    out = []
    for attribute in sorted(vars(layer)):
        if attribute.startswith("__") or attribute in _INTERNAL_ATTRIBUTES:
            continue
        value = vars(layer)[attribute]
        if isinstance(value, Layer) and not isinstance(value, InputLayer):
            out.append((attribute, value))
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, Layer) for v in value):
            out += [(f"{attribute}/{k}", sub) for k, sub in _container_children(value)]
    return out


def variable_paths(model):
    """``{"layers/dense/vars": (layer name, [variables])}`` for every layer reached, each layer
    once, in walking order; every variable of ``model.weights`` must be reached."""
    table, seen = {}, set()
    stack = [("", model)]
    while stack:
        prefix, layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        table[f"{prefix}vars"] = (layer.name, _own_variables(layer))
        stack.extend((f"{prefix}{path}/", sub) for path, sub in reversed(_children(layer)))
    reached = {id(v) for _, variables in table.values() for v in variables}
    lost = [v for v in model.weights if id(v) not in reached]
    if lost:
        raise ValueError(f"Cannot place variable '{getattr(lost[0], 'path', lost[0].name)}' in "
                         "a .weights.h5 file: its layer is not reachable through attributes.")
    return table


def save_weights_h5(model, filepath):
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    h5py = _h5py()
    table = variable_paths(model)

    def write(f):
        with h5py.File(f, "w") as h5:
            for group_path, (name, variables) in table.items():
                group = h5.require_group(group_path)
                group.attrs["name"] = name
                for i, variable in enumerate(variables):
                    group.create_dataset(str(i), data=numpy.asarray(variable.numpy()))

    _atomic_write(filepath, write)


def _datasets(h5, filepath):
    """``{"layers/dense/vars": {"0": dataset, ...}}``: the file's datasets, not read yet.

    Each must be a numeric ``vars/<i>`` dataset; at most ``max_tensors`` of them (counted while
    walking, so a file of a million tiny datasets is refused early), in all at most
    ``max_bytes`` (``profond.saving.set_limits``)."""
    h5py = _h5py()
    groups, count, total = {}, 0, 0
    most_tensors, most_bytes = limit("max_tensors"), limit("max_bytes")

    def visit(path, obj):
        nonlocal count, total
        if not isinstance(obj, h5py.Dataset):
            return None
        parent, _, key = path.rpartition("/")
        if not (parent == "vars" or parent.endswith("/vars")) or not key.isdigit():
            raise FileFormatError(f"{filepath}: unexpected dataset {path[:200]!r}: not a Keras "
                                  "3 .weights.h5 file (Keras 2's .h5 files are not read).")
        if obj.dtype.kind not in "biuf":
            raise FileFormatError(f"{filepath}: dataset {path[:200]!r} is not numeric "
                                  f"(dtype {obj.dtype}).")
        _check_stored_inside(obj, path, filepath)
        count += 1
        total += obj.size * obj.dtype.itemsize
        if count > most_tensors or total > most_bytes:
            raise FileFormatError(f"{filepath} holds more than {most_tensors} datasets or "
                                  f"{most_bytes} bytes of weights: refused (see "
                                  "profond.saving.set_limits).")
        groups.setdefault(parent, {})[key] = obj
        return None

    h5.visititems(visit)
    return groups


def _check_stored_inside(dataset, path, filepath):
    """Refuse a dataset whose values are not all in the file, as Keras writes them:

    - values read from other files (HDF5's external storage, virtual datasets): the machine's
      files would become weights;
    - fewer bytes stored than the values take (compressed, or never written and filled on
      reading): 4 KB could then become gigabytes (an HDF5 "bomb").
    """
    if dataset.external or dataset.is_virtual:
        raise FileFormatError(f"{filepath}: dataset {path[:200]!r} reads its values from other "
                              "files: refused.")
    stored = dataset.id.get_storage_size()
    if stored < dataset.nbytes:
        raise FileFormatError(f"{filepath}: dataset {path[:200]!r} stores {stored} bytes for "
                              f"{dataset.nbytes} bytes of values (compressed or unwritten): "
                              "refused.")


def load_weights_h5(model, filepath, skip_mismatch=False):
    """Load a Keras 3 ``.weights.h5`` file into the built ``model``.

    Every value is checked before any is written: a missing or extra layer, a wrong count,
    shape or dtype raises a ``ValueError`` naming the first mismatching variable (its path in
    the file, the expected and received shapes) and the model is left unchanged. With
    ``skip_mismatch=True`` what does not fit is skipped with a warning, the rest is loaded.
    Only the datasets that fit the model are read (their shapes are compared first).
    """
    h5py = _h5py()
    filepath = os.fspath(filepath)
    table = variable_paths(model)
    f, _ = open_regular(filepath, ".weights.h5 file")
    try:
        with f, h5py.File(f, "r") as h5:
            stored = _datasets(h5, filepath)
            plan, problems = _match(table, stored)
            if problems and not skip_mismatch:
                raise FileFormatError(f"load_weights: {problems[0]} ({len(problems)} problem(s) in "
                                 "all; nothing was loaded. Pass skip_mismatch=True to load the "
                                 "rest.)")
            values = [(variable, dataset[()]) for variable, dataset in plan]
    except OSError as e:
        raise FileFormatError(f"{filepath} is not a readable HDF5 file: {e}") from None
    if problems:
        warnings.warn(f"load_weights skipped {len(problems)} item(s): " + " ".join(problems[:5]),
                      stacklevel=3)
    for variable, value in values:
        variable.assign(value.astype(numpy.dtype(variable.dtype), copy=False))


def _match(table, stored):
    """``(plan, problems)``: the ``(variable, dataset)`` pairs that fit, and what does not."""
    problems, plan = [], []
    for group_path, (name, variables) in table.items():
        values = stored.get(group_path, {})
        if len(values) != len(variables):
            if variables or values:
                problems.append(
                    f"Layer '{name}' ({group_path}) has {len(variables)} variables, the file "
                    f"holds {len(values)} there.")
            continue
        for i, variable in enumerate(variables):
            value = values.get(str(i))
            vpath = getattr(variable, "path", None) or variable.name
            if value is None:
                problems.append(f"Variable '{vpath}' ({group_path}/{i}) is not in the file.")
            elif tuple(value.shape) != tuple(variable.shape):
                problems.append(f"Weight mismatch for variable '{vpath}' ({group_path}/{i}): "
                                f"expected shape {tuple(variable.shape)}, received "
                                f"shape {tuple(value.shape)}.")
            else:
                plan.append((variable, value))
    extra = sorted(set(stored) - set(table))
    problems += [f"The file's {path[:200]} has no layer in the model." for path in extra
                 if stored[path]]
    return plan, problems
