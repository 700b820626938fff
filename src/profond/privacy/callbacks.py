"""Callbacks that keep the privacy budget of DP-SGD training in view.

``PrivacyAccountant`` adds ``epsilon`` (ε at the given δ, spent so far) to each epoch's logs, so
the progress bar prints it and ``History`` keeps it; ``EpsilonStopping`` also stops training
before the step that would take ε past a target. Both count the model's DP optimizer's steps
(``optimizer.iterations``, so a second ``fit`` goes on from the first) and account them as
Poisson sampling at rate q = batch_size / num_examples with the optimizer's noise multiplier.
``sampling`` states which batches the training draws: ``"shuffled"`` (fit's fixed-size batches
of a shuffled epoch, counted as Poisson: the usual approximation) or ``"poisson"`` (batches from
``profond.privacy.poisson_batches``, ``batch_size`` then the expected size q·n: ε exactly as
the accountant assumes it).
"""

from profond.callbacks.base import Callback
from profond.privacy.accountant import _check, compute_epsilon


class PrivacyAccountant(Callback):
    """Log ε (at ``delta``) after each epoch: ``logs["epsilon"]``, ``history["epsilon"]``.

    Args:
        num_examples: n, the training set's size.
        batch_size: the examples per DP step: ``fit``'s batch size, times the optimizer's
            ``gradient_accumulation_steps`` when it accumulates; with Poisson sampling, the
            expected batch size q·n (a float is fine).
        delta: δ (below 1/n).
        accountant: "rdp" or "pld" (see ``compute_epsilon``).
        sampling: "shuffled" (fixed-size batches, accounted as Poisson: an approximation) or
            "poisson" (``poisson_batches``: exact; the optimizer must then have
            ``expected_batch_size``). ``self.assumption`` says it in words.
    """

    def __init__(self, num_examples, batch_size, delta=1e-5, accountant="rdp",
                 sampling="shuffled"):
        super().__init__()
        where = type(self).__name__
        if sampling not in ("shuffled", "poisson"):
            raise ValueError(f"{where}: Expected sampling 'shuffled' or 'poisson'. "
                             f"Received: sampling={sampling!r}")
        if sampling == "poisson" and isinstance(batch_size, float) and batch_size > 0:
            pass  # an expected size q·n need not be whole
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"{where}: Expected batch_size a positive integer (or, with "
                             f"sampling='poisson', the expected size q·n > 0). "
                             f"Received: batch_size={batch_size!r}")
        if isinstance(num_examples, bool) or not isinstance(num_examples, int) or \
                num_examples < 1:
            raise ValueError(f"{where}: Expected num_examples a positive integer. "
                             f"Received: num_examples={num_examples!r}")
        if batch_size > num_examples:
            raise ValueError(f"{where}: Expected batch_size <= num_examples={num_examples}. "
                             f"Received: batch_size={batch_size}")
        _check(batch_size / num_examples, 1.0, 0, delta, where)
        if accountant not in ("rdp", "pld"):
            raise ValueError(f"{where}: Expected accountant 'rdp' or 'pld'. "
                             f"Received: accountant={accountant!r}")
        self.num_examples, self.batch_size, self.sampling = num_examples, batch_size, sampling
        self.delta, self.accountant = float(delta), accountant

    @property
    def assumption(self):
        """The sampling the ε is computed for, and whether the training draws it exactly."""
        rate = f"Poisson sampling at rate q = {self.batch_size}/{self.num_examples}"
        if self.sampling == "poisson":
            return f"{rate}, as drawn by poisson_batches (exact)"
        return f"{rate}, for fixed-size shuffled batches (the usual approximation)"

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
        self._check_sampling()

    def _check_sampling(self):
        optimizer = self.model.optimizer
        if self.sampling == "poisson" and getattr(optimizer, "expected_batch_size", None) is None:
            raise ValueError(
                f"{type(self).__name__}: sampling='poisson' draws batches of random size, so the "
                f"DP step must divide by the expected batch size: make the optimizer with "
                f"expected_batch_size={self.batch_size}. Received: "
                f"{type(optimizer).__name__}(expected_batch_size=None)")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epsilon"] = self.epsilon()


class EpsilonStopping(PrivacyAccountant):
    """Stop training before ε (at ``delta``) would exceed ``target_epsilon``; also logs ε.

    At the start of training it finds the largest number of DP steps whose ε stays within the
    target; ``fit`` stops after that step. A target that not even one more step fits in raises
    a ``ValueError`` naming it, before any training.
    """

    def __init__(self, target_epsilon, num_examples, batch_size, delta=1e-5, accountant="rdp",
                 sampling="shuffled"):
        super().__init__(num_examples, batch_size, delta, accountant, sampling)
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
        self._check_sampling()
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
