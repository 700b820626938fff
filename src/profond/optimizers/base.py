"""``Optimizer``: the loop shared by every update rule (Keras 3's design).

One training step is ``optimizer.apply_gradients(zip(grads, variables))``, which

1. builds the optimizer on first use (``build(var_list)`` makes the per-variable slots: momentum,
   velocity, ...), and skips the variables whose gradient is ``None``;
2. clips the gradients (``clipnorm``, ``global_clipnorm`` or ``clipvalue``);
3. applies decoupled weight decay when ``weight_decay`` is set: ``W ← W − η·λ·W``;
4. calls ``update_step(gradient, variable, learning_rate)`` once per variable, the only method a
   new optimizer has to write;
5. with ``use_ema``, updates the moving averages of the variables (overwriting the variables
   with them every ``ema_overwrite_frequency`` steps), adds one to ``iterations`` and applies
   the variables' constraints.

Updates run on the raw arrays, in place (``variable.data`` keeps its identity) and without
recording a graph, so a step costs a handful of NumPy calls per variable.
"""

import math
import re
import warnings

from profond import _validation as check
from profond import backend
from profond.autodiff.mode import no_grad
from profond.autodiff.tape import GradientTape
from profond.autodiff.tensor import Tensor, Variable
from profond.backend import replicas
from profond.optimizers import schedules as schedules_lib


def _make_variable(array, name):
    """A non-trainable Variable holding ``array`` as is (no copy, same device and dtype)."""
    var = Variable(0.0, trainable=False, name=name)
    var.data = array
    return var


def _variable_name(variable, index):
    return getattr(variable, "path", None) or getattr(variable, "name", None) or f"variable_{index}"


class Optimizer:
    """Base class of the optimizers: owns the learning rate, the step counter and the slots.

    Subclasses write ``build(var_list)`` (call ``super().build(var_list)`` first, then create
    slots with ``add_variable_from_reference``) and ``update_step(gradient, variable,
    learning_rate)``, which receives raw arrays and updates ``variable.data`` in place.

    Args:
        learning_rate: a float, or a ``LearningRateSchedule`` called with ``iterations``.
        weight_decay: if set, every step first shrinks each variable: ``W ← W − η·weight_decay·W``.
        clipnorm: if set, each gradient is rescaled so that its L2 norm is at most ``clipnorm``.
        clipvalue: if set, each gradient entry is clipped to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so that the norm of their
            concatenation is at most ``global_clipnorm``.
        use_ema: keep an exponential moving average of each variable, after every step
            ``W̄ ← μ W̄ + (1 − μ) W`` (``W̄ = W`` at the first step), with μ = ``ema_momentum``.
            The averaged weights often generalise (and, for a GAN's generator, draw) better than
            the last ones: ``finalize_variable_values`` puts them into the variables, as ``fit``
            does when it ends.
        ema_momentum: μ, in [0, 1].
        ema_overwrite_frequency: if set, every this many steps the variables are overwritten by
            their averages (training then goes on from the averaged weights).
        name: the optimizer's name (prefix of its variables' paths).
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        if "lr" in kwargs:  # Keras 2 spelling, still common in course notebooks
            warnings.warn("Argument `lr` is deprecated: use `learning_rate` instead.",
                          stacklevel=2)
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                "Only one of `clipnorm` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, global_clipnorm={global_clipnorm}"
            )
        where = type(self).__name__
        if name is not None and not isinstance(name, str):
            raise check.fail("name", name, "a string", where)
        self.name = name or type(self).__name__.lower()
        self.weight_decay = check.non_negative_float("weight_decay", weight_decay, where, True)
        self.clipnorm = check.positive_float("clipnorm", clipnorm, where, True)
        self.clipvalue = check.positive_float("clipvalue", clipvalue, where, True)
        self.global_clipnorm = check.positive_float("global_clipnorm", global_clipnorm, where,
                                                    True)
        self.use_ema = check.boolean("use_ema", use_ema, where)
        self.ema_momentum = check.real("ema_momentum", ema_momentum, where, 0, 1)
        self.ema_overwrite_frequency = check.positive_int(
            "ema_overwrite_frequency", ema_overwrite_frequency, where, allow_none=True)
        self._averages = []  # with use_ema: W̄ of each variable, in the order of var_list
        self.built = False
        self._variables = []  # iteration, learning_rate, then the slots in creation order
        self._trainable_variables = []
        self._index = {}  # id(variable) -> position in _trainable_variables
        self._exclude_ids = set()
        self._exclude_names = None
        self._current_step = 1

        self._iterations = self.add_variable((), dtype="int64", name="iteration")
        self._lr_schedule = None
        self._lr_variable = None
        if isinstance(learning_rate, schedules_lib.LearningRateSchedule):
            self._lr_schedule = learning_rate
        else:
            self._lr_variable = self.add_variable((), dtype="float64", name="learning_rate")
            self._lr_variable.data[...] = self._as_float_learning_rate(learning_rate)

    # --- learning rate and step counter -----------------------------------------------------
    def _as_float_learning_rate(self, learning_rate):
        """η as a float: a finite number ≥ 0 (a 0-d array or Tensor too). A string, a bool or
        a callable is a ``TypeError``; a negative or non-finite value a ``ValueError``.
        (0 is allowed: a schedule or ``LearningRateScheduler`` may end training at η = 0.)"""
        value = learning_rate.data if isinstance(learning_rate, Tensor) else learning_rate
        if getattr(value, "shape", None) == () and hasattr(value, "item"):
            value = value.item()  # a 0-d array
        if not check.is_real(value):
            raise check.fail("learning_rate", learning_rate,
                             "a float or an instance of LearningRateSchedule",
                             type(self).__name__, error=TypeError)
        return check.non_negative_float("learning_rate", value, type(self).__name__)

    @property
    def iterations(self):
        """The number of steps taken so far: an int64 ``Variable`` (``int(opt.iterations)``)."""
        return self._iterations

    @property
    def learning_rate(self):
        """The learning rate of the next step, as a float (``schedule(iterations)`` if any).

        Assignable (``opt.learning_rate = 0.01``), as the ``ReduceLROnPlateau`` and
        ``LearningRateScheduler`` callbacks do, unless the optimizer was built on a schedule.
        """
        if self._lr_schedule is not None:
            return float(self._lr_schedule(self._iterations))
        return float(self._lr_variable.data)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules_lib.LearningRateSchedule):
            self._lr_schedule = learning_rate
            return
        if self._lr_schedule is not None:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        self._lr_variable.data[...] = self._as_float_learning_rate(learning_rate)

    # --- state ------------------------------------------------------------------------------
    @property
    def variables(self):
        """Every state Variable, in a fixed order: ``iteration``, ``learning_rate`` (unless a
        schedule is used), then the slots in the order ``build`` made them. Assigning these
        values to a fresh optimizer built on the same variables resumes training exactly."""
        return list(self._variables)

    def add_variable(self, shape, dtype=None, initializer="zeros", name=None):
        """Create and track a state Variable filled with zeros (or ``initializer``: a number)."""
        xp = backend.default_module()
        fill = 0 if initializer == "zeros" else initializer
        array = xp.full(shape, fill, dtype=dtype or backend.floatx())
        var = _make_variable(array, name)
        var.path = f"{self.name}/{name}"
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name, initializer="zeros"):
        """A slot shaped like ``reference_variable`` (same dtype and device), tracked."""
        ref = reference_variable.data
        xp = backend.array_module(ref)
        fill = 0 if initializer == "zeros" else initializer
        index = self._index.get(id(reference_variable), len(self._variables))
        base = _variable_name(reference_variable, index).replace("/", "_")
        var = _make_variable(xp.full(ref.shape, fill, dtype=ref.dtype), f"{base}_{name}")
        var.path = f"{self.name}/{base}_{name}"
        self._variables.append(var)
        return var

    def build(self, var_list):
        """Remember the variables this optimizer updates (and, with ``use_ema``, make their
        averages, before any slot, as Keras does); subclasses then create their slots."""
        self._trainable_variables = list(var_list)
        self._index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        if self.use_ema:
            self._averages = [self.add_variable_from_reference(v, "average") for v in var_list]
        self.built = True

    def save_own_variables(self, store):
        """Write the state into ``store`` (a dict): ``store["0"]``, ``store["1"]``, ..."""
        for i, var in enumerate(self._variables):
            store[str(i)] = var.numpy()

    def load_own_variables(self, store):
        """Restore the state written by ``save_own_variables`` (build the optimizer first)."""
        if len(store) != len(self._variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                   f"{len(self._variables)} variables whereas the saved optimizer has "
                   f"{len(store)} variables. ")
            if not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, var in enumerate(self._variables):
            var.assign(store[str(i)])

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Spare some variables from ``weight_decay``: given ones, or those whose name contains
        one of ``var_names`` (e.g. ``["bias", "gamma", "beta"]``)."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be called before the "
                             "optimizer is built.")
        self._exclude_ids |= {id(v) for v in var_list or ()}
        if var_names:
            self._exclude_names = re.compile("|".join(re.escape(n) for n in var_names))

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        name = getattr(variable, "path", None) or getattr(variable, "name", None) or ""
        return self._exclude_names is None or not self._exclude_names.search(name)

    # --- one training step --------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable.data`` in place from ``gradient`` (an array): each optimizer's rule."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def apply_gradients(self, grads_and_vars):
        """Apply one step from ``zip(grads, variables)``; ``None`` gradients are skipped.

        >>> import profond as pf
        >>> w = pf.Variable([1.0, 2.0])
        >>> opt = pf.optimizers.SGD(learning_rate=0.1)
        >>> _ = opt.apply_gradients([(pf.constant([1.0, -1.0]), w)])
        >>> w.numpy(), int(opt.iterations)
        (array([0.9, 2.1], dtype=float32), 1)
        """
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, trainable_variables=None):
        """Apply one step from ``grads`` and the matching ``trainable_variables`` (by default,
        the variables the optimizer was built on). Returns ``iterations``."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            trainable_variables = self._trainable_variables
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Expected as many gradients as variables. Received: {len(grads)} gradients "
                f"and {len(variables)} variables."
            )
        if not self.built:
            self.build(variables)
        pairs, missing = [], []
        for i, (g, v) in enumerate(zip(grads, variables)):
            if g is None:
                missing.append(_variable_name(v, i))
            else:
                pairs.append((self._gradient_array(g, v, i), v))
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?", stacklevel=3)
        if not pairs:
            return self._iterations
        for _, v in pairs:
            if id(v) not in self._index:
                raise ValueError(
                    f"Unknown variable: {_variable_name(v, 0)!r}. This optimizer can only be "
                    "called for the variables it was originally built with. When working with "
                    "a new set of variables, you should recreate a new optimizer instance."
                )
        with no_grad():
            arrays = [g for g, _ in pairs]
            group = replicas.group()
            if group is not None:  # data-parallel: every process takes the same, averaged step
                arrays = group.all_reduce_gradients(arrays)
            arrays = self._clip_gradients(arrays)
            learning_rate = self.learning_rate
            self._current_step = int(self._iterations.data) + 1  # t = 1 on the first step
            if self.weight_decay:
                shrink = 1.0 - learning_rate * self.weight_decay
                for _, v in pairs:
                    if self._use_weight_decay(v):
                        v.data *= shrink
            for g, (_, v) in zip(arrays, pairs):
                self.update_step(g, v, learning_rate)
            if self.use_ema:
                self._update_averages()
            self._iterations.data += 1
            for _, v in pairs:
                constraint = getattr(v, "constraint", None)
                if constraint is not None:
                    v.assign(constraint(v))
        return self._iterations

    def _update_averages(self):
        """W̄ ← μ W̄ + (1 − μ) W for every variable (W̄ ← W at the first step); every
        ``ema_overwrite_frequency`` steps, W ← W̄."""
        first = int(self._iterations.data) == 0
        mu = 0.0 if first else self.ema_momentum
        for v, average in zip(self._trainable_variables, self._averages):
            a = average.data
            a *= mu
            a += (1.0 - mu) * v.data
        every = self.ema_overwrite_frequency
        if every and (int(self._iterations.data) + 1) % every == 0:
            self.finalize_variable_values(self._trainable_variables)

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, give each variable of ``var_list`` its moving average W̄ (Keras
        calls this at the end of ``fit``; call it yourself after a custom loop); otherwise
        nothing."""
        if not self._has_averages():
            return
        for v in var_list:
            i = self._index.get(id(v))
            if i is None:
                raise ValueError(f"Unknown variable: {_variable_name(v, 0)!r}. This optimizer "
                                 "keeps averages only of the variables it was built with.")
            v.data[...] = self._averages[i].data

    def _has_averages(self):
        """With ``use_ema``, whether W̄ exists (a step was taken: before it, no average)."""
        return bool(self.use_ema and self._averages and int(self._iterations.data) > 0)

    def swap_averages(self):
        """W ↔ W̄ for every variable, in place (with ``use_ema``, once a step was taken; see
        ``profond.callbacks.SwapEMAWeights``): swapping twice restores both."""
        if not self._has_averages():
            return
        for v, average in zip(self._trainable_variables, self._averages):
            weights = v.data.copy()
            v.data[...] = average.data
            average.data[...] = weights

    def minimize(self, loss, var_list, tape=None):
        """TF's ``minimize``: one step on ``loss`` (a zero-argument callable, or a tensor
        recorded by ``tape``) with respect to ``var_list``."""
        var_list = list(var_list() if callable(var_list) else var_list)
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed. "
                                 f"Received: loss={loss!r:.80}, tape={tape}.")
            with GradientTape() as tape:
                tape.watch(var_list)
                loss = loss()
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def _gradient_array(self, gradient, variable, index):
        """The gradient as a raw array of the variable's dtype; a clear error on a shape clash."""
        data = variable.data
        if isinstance(gradient, Tensor):
            g = gradient.data
        else:
            g = backend.array_module(data).asarray(gradient)
        if g.shape != data.shape:
            raise ValueError(
                f"Expected the gradient of variable {_variable_name(variable, index)!r} to have "
                f"the variable's shape {tuple(data.shape)}. Received: gradient shape "
                f"{tuple(g.shape)}."
            )
        return g if g.dtype == data.dtype else g.astype(data.dtype)

    def _clip_gradients(self, grads):
        """Keras's order: ``clipnorm``, else ``global_clipnorm``, else ``clipvalue``.

        Norm clipping rescales ``g ← g · c / max(‖g‖, c)``: unchanged when ``‖g‖ ≤ c``."""
        if self.clipnorm and self.clipnorm > 0:
            c = self.clipnorm
            out = []
            for g in grads:
                norm = math.sqrt(float(backend.array_module(g).vdot(g, g)))
                out.append(g if norm <= c else g * (c / norm))
            return out
        if self.global_clipnorm and self.global_clipnorm > 0:
            c = self.global_clipnorm
            norm = math.sqrt(sum(float(backend.array_module(g).vdot(g, g)) for g in grads))
            if norm <= c:
                return grads
            scale = c / norm if math.isfinite(norm) else math.nan  # NaN spreads, as in Keras
            return [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [backend.array_module(g).clip(g, -v, v) for g in grads]
        return grads

    # --- config -------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments (a schedule is stored as its ``serialize`` dict)."""
        if self._lr_schedule is not None:
            learning_rate = schedules_lib.serialize(self._lr_schedule)
        else:
            learning_rate = self.learning_rate
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_lib.deserialize(config["learning_rate"],
                                                                custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate:g}>"
