"""DP-SGD optimizers (Abadi et al. 2016), with TF Privacy's names and arguments.

One step on a batch of B examples, with clip norm C (``l2_norm_clip``) and noise multiplier σ:

1. the gradient of each example's loss, gᵢ = ∇_W Lᵢ, for all the weights W at once (computed
   by the engine in one backward pass: ``profond.autodiff.per_example``);
2. each clipped to norm C: ḡᵢ = gᵢ · min(1, C / ‖gᵢ‖), ‖gᵢ‖ the norm of all its weights together;
3. noise added to their sum and the result averaged: g̃ = (Σᵢ ḡᵢ + N(0, σ²C² I)) / B;
4. the wrapped optimizer's update with g̃ (SGD: W ← W − η g̃; momentum or Adam: their own rule).

With ``num_microbatches`` m < B the batch is cut into m groups of B/m examples in order; each
group's mean gradient is clipped instead of each example's, and the sum is divided by m.
With ``gradient_accumulation_steps`` k > 1, k batches of B make one DP step of k·B examples (a
"lot" held in memory a batch at a time): their clipped sums add up, the noise is drawn once and
the update made on every k-th call; the accountant counts the steps, of k·B examples each.

Sampling. ``fit`` with ``shuffle=True`` draws fixed-size batches from a shuffled epoch; the
accountant (``PrivacyAccountant``, ``compute_epsilon``) treats them as Poisson sampling at rate
q = B / n, the usual approximation (TF Privacy's and Opacus's tutorials make it too). For the
exact assumption, train on ``profond.privacy.poisson_batches`` (batches of random size) and give
``expected_batch_size`` = q·n: step 3 then divides by q·n instead of the drawn size, as Opacus
does (see ``profond.privacy.sampling`` for why).

Data parallelism. Under ``profond.distribute.MultiWorkerMirroredStrategy`` (``fit`` or
``strategy.run``) each rank clips the gradients of its own slice of the batch, rank 0 alone adds
the noise, and the sum over the ranks is divided by the examples of all of them (or by
``expected_batch_size``): N ranks take the step of one process with the same seed (see
``_share``). The noise is drawn once per step, so σ keeps its meaning and ε is unchanged.

The loss must give one value per example (``reduction="none"``, as TF Privacy asks), and no
layer may mix examples (BatchNormalization in training): both are refused with a clear error.
The noise is drawn from profond's random stream (``profond.random.set_seed`` makes runs
repeatable; a deployment that must resist an attacker who knows the seed should not seed it).

>>> import profond as pf
>>> opt = DPKerasSGDOptimizer(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.1)
>>> (opt.l2_norm_clip, opt.noise_multiplier, opt.num_microbatches)
(1.0, 1.1, None)
"""

import math

import numpy

from profond import optimizers
from profond import random as _random
from profond.autodiff.engine import grad
from profond.autodiff.per_example import per_example_gradients
from profond.autodiff.tape import GradientTape
from profond.backend import replicas
from profond.registry import register_serializable
from profond.utils.packing import unpack_x_y_sample_weight

_NOT_PRIVATE = ("{name}: apply_gradients was called with gradients that did not come from "
                "this optimizer's minimize / compute_gradients, so they were not clipped nor "
                "noised and the step would not be differentially private. Pass the per-example "
                "losses to `minimize(losses, var_list, tape=tape)` (or use compile/fit).")


def _positive(value, name, where):
    ok = not isinstance(value, bool) and isinstance(value, (int, float, numpy.number)) \
        and math.isfinite(value) and value > 0
    if not ok:
        raise ValueError(f"{where}: Expected {name} > 0. Received: {name}={value!r}")
    return float(value)


def _count(value, name, where, none_ok=False):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{where}: Expected {name} {'None or ' if none_ok else ''}a positive "
                         f"integer. Received: {name}={value!r}")
    return int(value)


def make_keras_optimizer_class(cls):
    """A DP-SGD version of the optimizer class ``cls`` (TF Privacy's function of that name):
    its constructor takes ``l2_norm_clip``, ``noise_multiplier`` and ``num_microbatches``
    first, then ``cls``'s own arguments."""

    class DPOptimizerClass(cls):
        __doc__ = f"""DP-SGD with {cls.__name__}'s update (see ``profond.privacy.optimizers``).

        Args:
            l2_norm_clip: C > 0, the norm each example's gradient is clipped to.
            noise_multiplier: σ > 0, the noise's standard deviation over C.
            num_microbatches: None (each example clipped alone) or m dividing the batch size.
            gradient_accumulation_steps: k ≥ 1 batches per step (a step of k·B examples).
            expected_batch_size: None (divide by the batch's size) or q·n, the divisor for
                Poisson-sampled batches (``poisson_batches``); keyword only.
            *args, **kwargs: {cls.__name__}'s arguments (``learning_rate`` …).
        """

        def __init__(self, l2_norm_clip, noise_multiplier, num_microbatches=None,
                     gradient_accumulation_steps=1, *args, expected_batch_size=None, **kwargs):
            where = type(self).__name__
            self.l2_norm_clip = _positive(l2_norm_clip, "l2_norm_clip", where)
            self.noise_multiplier = _positive(noise_multiplier, "noise_multiplier", where)
            if num_microbatches is not None:
                num_microbatches = _count(num_microbatches, "num_microbatches", where, True)
            self.num_microbatches = num_microbatches
            self.gradient_accumulation_steps = _count(
                gradient_accumulation_steps, "gradient_accumulation_steps", where)
            if expected_batch_size is not None:
                expected_batch_size = _positive(expected_batch_size, "expected_batch_size", where)
                if num_microbatches is not None or self.gradient_accumulation_steps > 1:
                    raise ValueError(
                        f"{where}: expected_batch_size (Poisson-sampled batches of random size) "
                        "clips each example alone, one batch per step. Received: "
                        f"expected_batch_size={expected_batch_size}, num_microbatches="
                        f"{num_microbatches}, gradient_accumulation_steps="
                        f"{gradient_accumulation_steps}")
            self.expected_batch_size = expected_batch_size
            self._lot = None  # [clipped sums, clipped gradients counted, batches seen]
            self._private = None  # the gradients the last private computation returned
            self._checked_models = set()
            super().__init__(*args, **kwargs)

        # --- the DP gradient ---------------------------------------------------------------
        def compute_gradients(self, loss, var_list, tape=None):
            """The clipped, noised, averaged gradient of the per-example ``loss`` (shape (B,),
            or a zero-argument callable returning it), as ``[(gradient, variable), …]``; None
            on the calls that only accumulate (``gradient_accumulation_steps`` > 1)."""
            var_list = list(var_list() if callable(var_list) else var_list)
            if callable(loss):
                with GradientTape() as tape:
                    tape.watch(var_list)
                    loss = loss()
            grads = self._private_gradients(loss, var_list)
            return None if grads is None else list(zip(grads, var_list))

        def minimize(self, loss, var_list, tape=None):
            """One DP-SGD step on the per-example ``loss`` (TF Privacy's usage: a loss with
            ``reduction="none"``, recorded by ``tape``, or a callable returning it)."""
            pairs = self.compute_gradients(loss, var_list, tape)
            return self.iterations if pairs is None else self.apply_gradients(pairs)

        def _private_gradients(self, losses, var_list, extra=None):
            where = type(self).__name__
            if getattr(losses, "ndim", None) != 1:
                raise ValueError(
                    f"{where}: Expected one loss per example, a vector of shape (batch,): a "
                    "loss with reduction='none', e.g. SparseCategoricalCrossentropy("
                    "from_logits=True, reduction='none'). Received: loss of shape "
                    f"{getattr(losses, 'shape', None)}")
            batch = losses.shape[0]
            m = self.num_microbatches or batch
            if batch == 0 and self.expected_batch_size is None:
                raise ValueError(f"{where}: Received an empty batch. Batches of random size "
                                 "(Poisson sampling) need expected_batch_size=q·n")
            if batch == 0:  # an empty Poisson batch: the step adds noise alone
                sums = [numpy.zeros(v.shape, numpy.dtype(v.dtype)) for v in var_list]
            else:
                if batch % m:
                    raise ValueError(f"{where}: Expected a batch size divisible by num_microbatches"
                                     f"={m}. Received: a batch of {batch} examples")
                per = per_example_gradients(losses, var_list)
                if m != batch:  # each microbatch's mean gradient is what gets clipped
                    per = [g.reshape((m, batch // m) + g.shape[1:]).mean(axis=1) for g in per]
                flat = [g.reshape(m, -1) for g in per]
                norms = numpy.sqrt(sum(numpy.einsum("ij,ij->i", f, f) for f in flat))
                # NOTE: C / max(‖g‖, C) is min(1, C/‖g‖) without dividing by a zero norm.
                scale = (self.l2_norm_clip / numpy.maximum(norms, self.l2_norm_clip)).astype(
                    flat[0].dtype if flat else "float32")
                sums = [(scale @ f).reshape(v.shape) for v, f in zip(var_list, flat)]
            group = replicas.group()
            if group is not None and group.size > 1 and not group.replica_weight():
                sums, m = [numpy.zeros_like(a) for a in sums], 0  # a copied row: no example
            if self._lot is not None:
                sums = [a + s for a, s in zip(self._lot[0], sums)]
                m += self._lot[1]
            calls = 1 if self._lot is None else self._lot[2] + 1
            if calls < self.gradient_accumulation_steps:
                self._lot = [sums, m, calls]
                return None
            self._lot = None
            share, noised = 1.0, True  # this process's part of the step (see _share)
            if group is not None and group.size > 1:
                m, share, noised = self._share(group, m)
            if self.expected_batch_size is not None:
                m = self.expected_batch_size
            rng, std = _random.generator(), self.noise_multiplier * self.l2_norm_clip
            for j, (v, total) in enumerate(zip(var_list, sums)):
                noise = rng.normal(0.0, std, size=v.shape).astype(total.dtype)
                if noised:
                    total += noise
                if share:
                    total /= m * share
                else:  # a rank given no example of this batch hands zeros
                    total *= 0.0
                if extra is not None and extra[j] is not None:
                    total += extra[j].data
            self._private = sums
            return sums

        def _share(self, group, count):
            """Data parallelism (``MultiWorkerMirroredStrategy``): each rank clipped its own
            examples, sum S_r; ``apply_gradients`` then adds c_r·g_r over the ranks (c_r =
            ``group.replica_weight()``). For the step of one process on the whole batch,
            (Σ_r S_r + N) / m, rank r hands g_r = (S_r + [r = 0]·N) / (m·c_r): the noise N is
            added once, by rank 0 (every rank draws it, so their random streams stay equal), and
            m is the examples of all ranks (one all-reduce). Returns (m, c_r, adds the noise)."""
            total = int(group.sum_over_replicas(numpy.array([count], dtype="int64"))[0])
            share = group.replica_weight()
            if count and not share:  # accumulated examples, then a batch with none for it
                raise ValueError(
                    f"{type(self).__name__}: with gradient_accumulation_steps="
                    f"{self.gradient_accumulation_steps} on {group.size} ranks, the lot's last "
                    f"batch must have at least one row per rank. Received: a last batch that "
                    f"gives rank {group.rank} no row (choose a batch size and a number of "
                    f"examples whose last batch has at least {group.size} rows)")
            return total, share, group.rank == 0

        def apply_gradients(self, grads_and_vars):
            pairs = list(grads_and_vars)
            given = [g for g, _ in pairs]
            if self._private is None or len(given) != len(self._private) or any(
                    a is not b for a, b in zip(given, self._private)):
                raise RuntimeError(_NOT_PRIVATE.format(name=type(self).__name__))
            self._private = None
            return super().apply_gradients(pairs)

        # --- compile/fit: Model.train_step hands the step to the optimizer -------------------
        def private_train_step(self, model, data):
            """``Model.train_step`` for DP-SGD: forward, per-example losses, private gradient,
            update, metrics. Weight penalties (``kernel_regularizer`` …) depend on the weights
            alone, so their gradient is added after the noise, unclipped."""
            self._check_model(model)
            x, y, sample_weight = unpack_x_y_sample_weight(data)
            with GradientTape():
                y_pred = model(x, training=True)
                variables = model.trainable_variables  # after the first call builds them
                losses = model._compiled_loss_value(y, y_pred, sample_weight)
                if losses is not None and losses.ndim > 1:  # (B, T): mean over time
                    losses = losses.mean(axis=tuple(range(1, losses.ndim)))
                penalties = list(model.losses)
            if losses is None:
                raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
            extra = None
            penalty = sum(penalties[1:], penalties[0]) if penalties else None
            if penalty is not None:
                extra = grad([penalty], variables, retain_graph=True)
            grads = self._private_gradients(losses, variables, extra)
            if grads is not None:
                self.apply_gradients(zip(grads, variables))
            if losses.shape[0] == 0:  # an empty Poisson batch: nothing to measure
                return model.get_metrics_result()
            mean = float(losses.data.mean()) + (float(penalty.data) if penalty is not None else 0)
            model._loss_tracker.update_state(mean, sample_weight=losses.shape[0])
            return model.compute_metrics(x, y, y_pred, sample_weight)

        def _check_model(self, model):
            if id(model) in self._checked_models:
                return
            for layer in _all_layers(model):
                kind = type(layer).__name__
                if "BatchNormalization" in kind and layer.trainable:
                    raise ValueError(
                        f"{type(self).__name__}: the layer {layer.name!r} ({kind}) normalizes "
                        "over the batch, so one example's gradient depends on the others and "
                        "DP-SGD cannot bound its influence. Use LayerNormalization instead, or "
                        "freeze it (trainable=False: it then uses its moving statistics).")
                if getattr(layer, "activity_regularizer", None) is not None:
                    raise ValueError(
                        f"{type(self).__name__}: the layer {layer.name!r} has an "
                        "activity_regularizer, a penalty on the whole batch's outputs that "
                        "DP-SGD does not clip. Remove it (weight regularizers are fine).")
            self._checked_models.add(id(model))

        def get_config(self):
            config = super().get_config()
            config.update(l2_norm_clip=self.l2_norm_clip,
                          noise_multiplier=self.noise_multiplier,
                          num_microbatches=self.num_microbatches,
                          gradient_accumulation_steps=self.gradient_accumulation_steps,
                          expected_batch_size=self.expected_batch_size)
            return config

    DPOptimizerClass.__name__ = DPOptimizerClass.__qualname__ = f"DPKeras{cls.__name__}Optimizer"
    return DPOptimizerClass


def _all_layers(model):
    stack, seen = [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(getattr(layer, "_layers", ()))


DPKerasSGDOptimizer = register_serializable()(make_keras_optimizer_class(optimizers.SGD))
DPKerasAdamOptimizer = register_serializable()(make_keras_optimizer_class(optimizers.Adam))
DPKerasAdagradOptimizer = register_serializable()(make_keras_optimizer_class(optimizers.Adagrad))
