"""TensorFlow's object checkpoints (``tf.train.Checkpoint``, ``CheckpointManager``,
``latest_checkpoint``) over profond's safe files.

A ``Checkpoint`` names the objects to save: ``Checkpoint(model=model, optimizer=opt, step=step)``.
``save(prefix)`` writes ``prefix-N.profond`` (N counts the saves) and returns ``prefix-N``, the
path that ``restore`` takes, as TensorFlow does. The file is profond's zip (see
``model_file.py``): a safetensors blob with every variable, keyed ``"0003:optimizer/m_0"`` (object
name, then the variable), and ``training_state.json`` listing the objects and the save counter.
No pickle, atomic writes. The directory's ``checkpoint.json`` remembers the latest saves, for
``latest_checkpoint``. Optimizer slots are saved too, so a custom training loop resumes exactly:

>>> import profond as tf                                            # doctest: +SKIP
>>> ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=tf.Variable(0))  # doctest: +SKIP
>>> manager = tf.train.CheckpointManager(ckpt, "ckpts", max_to_keep=3)           # doctest: +SKIP
>>> ckpt.restore(manager.latest_checkpoint)   # nothing to do on the first run  # doctest: +SKIP
>>> ...; manager.save()                                                         # doctest: +SKIP
"""

import copy
import json
import os
import re
from time import time as _clock

from profond.saving.model_file import (
    METADATA,
    TRAINING_STATE,
    WEIGHTS,
    FileFormatError,
    _atomic_write,
    _json_bytes,
    _key_index,
    _metadata,
    _read_bounded_file,
    _tensors_bytes,
    _write_archive,
    assign_variables,
    check_metadata,
    open_archive,
    parse_json,
)

SUFFIX = ".profond"
STATE_FILE = "checkpoint.json"


def _is_variable(obj):
    return hasattr(obj, "assign") and hasattr(obj, "numpy") and hasattr(obj, "shape")


def _is_optimizer(obj):
    return hasattr(obj, "apply_gradients") and hasattr(obj, "variables")


def _variables_of(name, obj):
    """The variables that stand for ``obj`` in a checkpoint, in a fixed order."""
    if _is_variable(obj):
        return [obj]
    if isinstance(obj, Checkpoint):
        return [v for _, v in obj._named_variables()]
    if _is_optimizer(obj):
        return list(obj.variables)
    for attribute in ("weights", "variables"):
        found = getattr(obj, attribute, None)
        if found is not None and not callable(found):
            if not found and hasattr(obj, "update_state"):
                # NOTE: saving it would silently save nothing, and restore nothing.
                raise ValueError(
                    f"Checkpoint: the metric `{name}` ({type(obj).__name__}) keeps its state "
                    "outside Variables, so it cannot be checkpointed. Received: "
                    f"{name}={obj!r:.100}"
                )
            return list(found)
    raise ValueError(
        f"Checkpoint: `{name}` must be a Variable, a layer or model, an optimizer, a metric or "
        f"another Checkpoint. Received: {name}={obj!r:.100}"
    )


def _prefixed(path):
    """``prefix`` as given, without a trailing ``.profond`` (``restore`` accepts both)."""
    path = os.fspath(path)
    return path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path


class Checkpoint:
    """Saves and restores a group of named objects (``tf.train.Checkpoint``).

    Args:
        root: an object saved under the name ``root`` (optional).
        **kwargs: the objects: variables, layers/models (their ``weights``), optimizers (their
            slots and iteration count), metrics, other ``Checkpoint``s.

    ``save_counter`` (an int64 ``Variable``) counts the saves and is saved too.
    """

    def __init__(self, root=None, **kwargs):
        from profond.autodiff import Variable

        object.__setattr__(self, "_objects", {})
        object.__setattr__(self, "save_counter",
                           Variable(0, dtype="int64", trainable=False, name="save_counter"))
        if root is not None:
            kwargs = {"root": root, **kwargs}
        for name, obj in kwargs.items():
            setattr(self, name, obj)

    def __setattr__(self, name, value):
        if name.startswith("_") or name == "save_counter":
            raise AttributeError(f"Checkpoint: `{name}` is a reserved name.")
        _variables_of(name, value)  # checks the kind of object now
        self._objects[name] = value

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"Checkpoint has no object named {name!r}. Objects: "
                             f"{sorted(objects)}")

    def _named_variables(self):
        """``[(key, variable)]``: each object's variables under its name, then the counter."""
        pairs = []
        for name, obj in self._objects.items():
            pairs += [(f"{name}/{_short_name(v)}", v) for v in _variables_of(name, obj)]
        pairs.append(("save_counter", self.save_counter))
        return pairs

    def _layout(self):
        return {name: len(_variables_of(name, obj)) for name, obj in self._objects.items()}

    # --- writing ------------------------------------------------------------------------------
    def write(self, file_prefix):
        """Write the checkpoint at ``file_prefix`` (the file is ``file_prefix.profond``), without
        counting the save or updating ``checkpoint.json``; return the path to ``restore``."""
        prefix = _prefixed(file_prefix)
        pairs = self._named_variables()
        arrays = _tensors_bytes([_Keyed(key, v) for key, v in pairs])
        _write_archive(prefix + SUFFIX, {
            METADATA: _json_bytes(_metadata("tf_checkpoint")),
            WEIGHTS: arrays,
            TRAINING_STATE: _json_bytes({"objects": self._layout()}),
        })
        return prefix

    def save(self, file_prefix):
        """Count one more save, write ``file_prefix-N`` and remember it in the directory's
        ``checkpoint.json`` (for ``latest_checkpoint``); return the path."""
        self.save_counter.assign(int(self.save_counter.numpy()) + 1)
        path = self.write(f"{_prefixed(file_prefix)}-{int(self.save_counter.numpy())}")
        directory = os.path.dirname(os.path.abspath(path))
        state = _read_state(directory)
        paths = [p for p in state["all_model_checkpoint_paths"] if p != os.path.basename(path)]
        _write_state(directory, os.path.basename(path), paths + [os.path.basename(path)])
        return path

    # --- reading ------------------------------------------------------------------------------
    def read(self, save_path):
        """Restore from ``save_path`` (what ``save``/``write`` returned). See ``restore``."""
        return self.restore(save_path)

    def restore(self, save_path):
        """Load the values saved at ``save_path`` into this checkpoint's objects.

        Objects pair up by name; every value is checked before any is written, so a mismatch
        leaves everything unchanged. An optimizer that has not made its slots yet is built on
        the checkpoint's model (``model=...``) first. ``save_path=None`` (no checkpoint yet, as
        ``manager.latest_checkpoint`` says on a first run) restores nothing.

        Returns a status with ``assert_consumed()``, ``assert_existing_objects_matched()`` and
        ``expect_partial()``, each returning the status.
        """
        if save_path is None:
            return CheckpointLoadStatus(self, matched=[], unused=[], missing=list(self._objects),
                                        initializing=True)
        path = _prefixed(save_path) + SUFFIX
        if not os.path.exists(path):
            raise FileNotFoundError(f"Checkpoint.restore: no checkpoint at {save_path!r} "
                                    f"(looked for {path!r}).")
        with open_archive(path, required=(METADATA, WEIGHTS, TRAINING_STATE)) as archive:
            check_metadata({METADATA: archive.read(METADATA)})
            layout = _read_layout(archive.read(TRAINING_STATE))

            def check(entries):  # before the tensors' bytes are read
                if len(entries) != sum(layout.values()) + 1:
                    raise FileFormatError(f"{path}: the variables do not match the listed "
                                          "objects.")

            tensors = archive.tensors(WEIGHTS, check=check)
        ordered = sorted(tensors.items(), key=lambda item: _key_index(item[0], path))
        chunks, start = {}, 0  # name -> {"0000:key": array} renumbered from 0
        for name, count in layout.items():
            chunks[name] = {f"{i:04d}:{k.split(':', 1)[1]}": a
                            for i, (k, a) in enumerate(ordered[start:start + count])}
            start += count
        counter = dict(ordered[start:start + 1])
        if len(counter) != 1 or start + 1 != len(ordered):
            raise FileFormatError(f"{path}: the variables do not match the listed objects.")

        matched = [n for n in self._objects if n in chunks]
        for name in matched:
            obj = self._objects[name]
            if not _is_optimizer(obj) and getattr(obj, "built", True) is False:
                raise ValueError(
                    f"Checkpoint.restore: `{name}` ({type(obj).__name__}) is not built yet, so "
                    "it has no variables to restore into. Build it first (call it on a batch, "
                    "or model.build(input_shape)), then restore."
                )
        self._build_optimizers(matched, chunks)
        plan = []
        for name in matched:  # check everything first ...
            variables = _variables_of(name, self._objects[name])
            plan.append((variables, chunks[name], f"variables of `{name}`"))
            assign_variables(variables, chunks[name], f"variables of `{name}`", check_only=True)
        for variables, chunk, what in plan:  # ... then write
            assign_variables(variables, chunk, what)
        self.save_counter.assign(next(iter(counter.values())))
        return CheckpointLoadStatus(
            self, matched=matched, unused=[n for n in chunks if n not in self._objects],
            missing=[n for n in self._objects if n not in chunks])

    def _build_optimizers(self, names, chunks):
        """Make the slots of an unbuilt optimizer among ``names``, so that they can be loaded:
        on the checkpoint's model whose variables give slots of the saved shapes (with a
        generator and a discriminator, each optimizer finds its own network)."""
        models = [o for o in self._objects.values()
                  if hasattr(o, "trainable_variables") and not _is_optimizer(o)]
        for name in names:
            obj = self._objects[name]
            if not _is_optimizer(obj) or getattr(obj, "built", True):
                continue
            if not models:
                raise ValueError(
                    f"Checkpoint.restore: the optimizer `{name}` has not been built yet and "
                    "the checkpoint holds no model to build it on. Add the model "
                    "(Checkpoint(model=..., optimizer=...)) or call "
                    "optimizer.build(model.trainable_variables) first."
                )
            obj.build(_model_for(obj, models, chunks[name]).trainable_variables)


def _model_for(optimizer, models, saved):
    """The first of ``models`` on which ``optimizer`` makes slots of the shapes in ``saved``
    (or the first model, whose mismatch ``restore`` then reports)."""
    for model in models if len(models) > 1 else []:
        scratch = copy.deepcopy(optimizer)
        scratch.build(model.trainable_variables)
        try:
            assign_variables(scratch.variables, saved, "optimizer variables", check_only=True)
        except FileFormatError:
            continue
        return model
    return models[0]


class _Keyed:
    """A variable seen under its checkpoint key (``_tensors_bytes`` names arrays by ``path``)."""

    def __init__(self, path, variable):
        self.path = path
        self.variable = variable

    def numpy(self):
        return self.variable.numpy()


def _short_name(variable):
    return str(getattr(variable, "path", None) or getattr(variable, "name", None) or "variable")


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` matched; its assertions raise ``AssertionError``."""

    def __init__(self, checkpoint, matched, unused, missing, initializing=False):
        self._checkpoint = checkpoint
        self.matched, self.unused, self.missing = matched, unused, missing
        self._initializing = initializing

    def assert_consumed(self):
        """Every object in the file was restored and every object of the checkpoint got a
        value."""
        if self._initializing:
            raise AssertionError("No checkpoint was restored (save_path=None).")
        if self.unused or self.missing:
            raise AssertionError(
                f"Unresolved objects: in the file but not in the Checkpoint: {self.unused}; "
                f"in the Checkpoint but not in the file: {self.missing}."
            )
        return self

    def assert_existing_objects_matched(self):
        """Every object of the checkpoint got a value from the file."""
        if self.missing and not self._initializing:
            raise AssertionError(f"Objects of the Checkpoint not in the file: {self.missing}.")
        return self

    def assert_nontrivial_match(self):
        """At least one object was restored."""
        if not self.matched:
            raise AssertionError("Nothing was restored from the checkpoint.")
        return self

    def expect_partial(self):
        """Accept a partial restore (profond never warns about one, so this only returns)."""
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run: the values are already restored (TF 1's graph mode needed this)."""
        return None


def _read_layout(data):
    state = parse_json(data, TRAINING_STATE)
    layout = state.get("objects")
    if not isinstance(layout, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in layout.items()):
        raise FileFormatError("training_state.json does not list the checkpoint's objects "
                              "(not a tf.train.Checkpoint file?).")
    return layout


# --- the directory's list of checkpoints ---------------------------------------------------------
def _read_state(directory):
    path = os.path.join(directory, STATE_FILE)
    empty = {"model_checkpoint_path": None, "all_model_checkpoint_paths": []}
    if not os.path.exists(path):
        return empty
    state = parse_json(_read_bounded_file(path, 2**20), STATE_FILE)
    paths = state.get("all_model_checkpoint_paths")
    latest = state.get("model_checkpoint_path")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths) or not (
            latest is None or isinstance(latest, str)):
        raise FileFormatError(f"{path} is not a valid checkpoint list.")
    for name in paths + ([latest] if latest else []):
        if os.path.basename(name) != name:
            raise FileFormatError(f"{path} names a checkpoint outside its directory: {name!r}")
    return {"model_checkpoint_path": latest, "all_model_checkpoint_paths": paths}


def _write_state(directory, latest, paths):
    data = json.dumps({"model_checkpoint_path": latest, "all_model_checkpoint_paths": paths},
                      indent=2).encode("utf-8")
    _atomic_write(os.path.join(directory, STATE_FILE), lambda f: f.write(data))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the newest checkpoint saved in ``checkpoint_dir``, or None."""
    directory = os.fspath(checkpoint_dir)
    if not os.path.isdir(directory):
        return None
    latest = _read_state(directory)["model_checkpoint_path"]
    if latest is None or not os.path.exists(os.path.join(directory, latest + SUFFIX)):
        return None
    return os.path.join(directory, latest)


class CheckpointManager:
    """Numbered saves of a ``Checkpoint`` in one directory, keeping the newest ``max_to_keep``
    (``tf.train.CheckpointManager``).

    Args:
        checkpoint: the ``Checkpoint`` to save.
        directory: where the files go (created if needed).
        max_to_keep: how many to keep (None keeps all); older ones are deleted.
        keep_checkpoint_every_n_hours: also keep one checkpoint per that many hours.
        checkpoint_name: the files' prefix (``ckpt-1``, ``ckpt-2``, ...).
        step_counter, checkpoint_interval: with both, ``save()`` only writes when
            ``step_counter`` has advanced by ``checkpoint_interval`` since the last save.
        init_fn: called by ``restore_or_initialize`` when there is no checkpoint yet.
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError("CheckpointManager: expected a profond.train.Checkpoint. "
                            f"Received: checkpoint={checkpoint!r:.100}")
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep <= 0):
            raise ValueError("CheckpointManager: expected max_to_keep to be None or an int > 0. "
                             f"Received: max_to_keep={max_to_keep!r}")
        if not re.fullmatch(r"[\w.-]{1,200}", str(checkpoint_name)):
            raise ValueError("CheckpointManager: expected checkpoint_name to be a plain file "
                             f"name. Received: checkpoint_name={checkpoint_name!r}")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("CheckpointManager: `step_counter` should be passed if "
                             "`checkpoint_interval` is not None.")
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._checkpoint_name = checkpoint_name
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        self._last_preserved = _clock()  # keep_checkpoint_every_n_hours counts from here
        os.makedirs(self.directory, exist_ok=True)
        state = _read_state(self.directory)
        self._checkpoints = [p for p in state["all_model_checkpoint_paths"]
                             if os.path.exists(os.path.join(self.directory, p + SUFFIX))]
        self._saved_at = {p: os.path.getmtime(os.path.join(self.directory, p + SUFFIX))
                          for p in self._checkpoints}

    @property
    def checkpoints(self):
        """The kept checkpoints' paths, oldest first."""
        return [os.path.join(self.directory, p) for p in self._checkpoints]

    @property
    def latest_checkpoint(self):
        """The newest checkpoint's path, or None."""
        return self.checkpoints[-1] if self._checkpoints else None

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    def save(self, checkpoint_number=None, check_interval=True):
        """Write ``<directory>/<checkpoint_name>-<number>`` and delete the ones beyond
        ``max_to_keep``; return its path (or None when ``checkpoint_interval`` says not yet).

        ``number`` is ``checkpoint_number`` if given, else the checkpoint's save counter."""
        if self._checkpoint_interval is not None and check_interval:
            step = int(self._step_counter.numpy())
            if self._last_step is not None and step < self._last_step + \
                    self._checkpoint_interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign(int(counter.numpy()) + 1)
        number = int(counter.numpy()) if checkpoint_number is None else int(checkpoint_number)
        name = f"{self._checkpoint_name}-{number}"
        path = self._checkpoint.write(os.path.join(self.directory, name))
        self._checkpoints = [p for p in self._checkpoints if p != name] + [name]
        self._saved_at[name] = _clock()
        self._sweep()
        _write_state(self.directory, name, self._checkpoints)
        return path

    def _sweep(self):
        """Delete the oldest files beyond ``max_to_keep``; with ``keep_checkpoint_every_n_hours``
        a checkpoint saved that long after the last one preserved stays on disk (unmanaged)."""
        if self._max_to_keep is None:
            return
        while len(self._checkpoints) > self._max_to_keep:
            oldest = self._checkpoints.pop(0)
            saved_at = self._saved_at.pop(oldest, _clock())
            if self._keep_hours is not None and \
                    saved_at - self._last_preserved >= 3600 * self._keep_hours:
                self._last_preserved = saved_at
                continue
            file = os.path.join(self.directory, oldest + SUFFIX)
            if os.path.exists(file):
                os.remove(file)

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path; with none, call ``init_fn`` (if
        any) and return None."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None
