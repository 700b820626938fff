"""Callbacks that keep the privacy budget of DP-SGD training in view.

``PrivacyAccountant`` adds ``epsilon`` (ε at the given δ, spent so far) to each epoch's logs, so
the progress bar prints it and ``History`` keeps it; ``EpsilonStopping`` also stops training
before the step that would take ε past a target. Both count the model's DP optimizer's steps
(``optimizer.iterations``, so a second ``fit`` goes on from the first) and account them as
Poisson sampling at rate q = batch_size / num_examples with the optimizer's noise multiplier
(see ``profond.privacy.optimizers`` for why shuffled fixed-size batches are counted so).
"""

from profond.callbacks.base import Callback
from profond.privacy.accountant import _check, compute_epsilon


class PrivacyAccountant(Callback):
    """Log ε (at ``delta``) after each epoch: ``logs["epsilon"]``, ``history["epsilon"]``.

    Args:
        num_examples: n, the training set's size.
        batch_size: the examples per DP step: ``fit``'s batch size, times the optimizer's
            ``gradient_accumulation_steps`` when it accumulates.
        delta: δ (below 1/n).
        accountant: "rdp" or "pld" (see ``compute_epsilon``).
    """

    def __init__(self, num_examples, batch_size, delta=1e-5, accountant="rdp"):
        super().__init__()
        where = type(self).__name__
        for name, value in (("num_examples", num_examples), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}: Expected {name} a positive integer. "
                                 f"Received: {name}={value!r}")
        if batch_size > num_examples:
            raise ValueError(f"{where}: Expected batch_size <= num_examples={num_examples}. "
                             f"Received: batch_size={batch_size}")
        _check(batch_size / num_examples, 1.0, 0, delta, where)
        if accountant not in ("rdp", "pld"):
            raise ValueError(f"{where}: Expected accountant 'rdp' or 'pld'. "
                             f"Received: accountant={accountant!r}")
        self.num_examples, self.batch_size = num_examples, batch_size
        self.delta, self.accountant = float(delta), accountant

    @property
    def sampling_rate(self):
        return self.batch_size / self.num_examples

    def _noise_multiplier(self):
        sigma = getattr(self.model.optimizer, "noise_multiplier", None)
        if sigma is None:
            raise ValueError(f"{type(self).__name__}: the model's optimizer "
                             f"{type(self.model.optimizer).__name__} is not a DP optimizer (no "
                             "noise_multiplier): use profond.privacy.DPKerasSGDOptimizer …")
        return sigma

    def epsilon(self, steps=None):
        """ε after ``steps`` DP steps (default: the steps taken so far)."""
        steps = int(self.model.optimizer.iterations) if steps is None else steps
        return compute_epsilon(self.sampling_rate, self._noise_multiplier(), steps, self.delta,
                               self.accountant)

    def on_train_begin(self, logs=None):
        self._noise_multiplier()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epsilon"] = self.epsilon()


class EpsilonStopping(PrivacyAccountant):
    """Stop training before ε (at ``delta``) would exceed ``target_epsilon``; also logs ε.

    At the start of training it finds the largest number of DP steps whose ε stays within the
    target; ``fit`` stops after that step. A target that not even one more step fits in raises
    a ``ValueError`` naming it, before any training.
    """

    def __init__(self, target_epsilon, num_examples, batch_size, delta=1e-5, accountant="rdp"):
        super().__init__(num_examples, batch_size, delta, accountant)
        ok = not isinstance(target_epsilon, bool) and isinstance(target_epsilon, (int, float)) \
            and target_epsilon > 0
        if not ok:
            raise ValueError(f"EpsilonStopping: Expected target_epsilon > 0. Received: "
                             f"target_epsilon={target_epsilon!r}")
        self.target_epsilon = float(target_epsilon)
        self.max_steps = None

    def _max_steps(self):
        """The most steps with ε ≤ target (ε grows with the steps: a doubling, then bisection)."""
        if self.epsilon(1) > self.target_epsilon:
            return 0
        lo, hi = 1, 2
        while self.epsilon(hi) <= self.target_epsilon:
            lo, hi = hi, hi * 2
            if hi > 2**40:
                return hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.epsilon(mid) <= self.target_epsilon else (lo, mid)
        return lo

    def on_train_begin(self, logs=None):
        self.max_steps = self._max_steps()
        done = int(self.model.optimizer.iterations)
        if self.max_steps <= done:
            spent = self.epsilon(done + 1)
            raise ValueError(
                f"EpsilonStopping: the target cannot be reached: {done + 1} step(s) of DP-SGD "
                f"(noise_multiplier={self._noise_multiplier()}, sampling rate "
                f"{self.sampling_rate:.4g}) already spend epsilon={spent:.4g} at "
                f"delta={self.delta:g}. Received: target_epsilon={self.target_epsilon}. Raise "
                "the noise multiplier or the target, or lower the batch size.")

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations) >= self.max_steps:
            self.model.stop_training = True
