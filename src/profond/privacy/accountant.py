"""The privacy budget of DP-SGD, from a real accountant (Google's ``dp-accounting`` library).

DP-SGD (Abadi et al. 2016) takes T steps; at each, every example joins the batch independently
with probability q (Poisson sampling, ``sampling_rate`` q = expected batch / n), the per-example
gradients are clipped to norm C and Gaussian noise N(0, σ²C²) is added to their sum
(``noise_multiplier`` σ). The T steps together are (ε, δ)-differentially private: for two data
sets that differ by one example, any outcome's probability differs by a factor at most e^ε,
except with probability δ (take δ below 1/n, e.g. 1e-5 for 60,000 examples).

The accountant tracks the composition of the T subsampled Gaussian mechanisms:

- ``"rdp"``: Rényi DP (Mironov 2017; Mironov, Talwar & Zhang 2019), then converted to (ε, δ);
  fast, a slight over-estimate;
- ``"pld"``: privacy loss distributions (Koskela et al. 2020; Doroshenko et al. 2022), a
  tighter ε, slower.

>>> round(compute_epsilon(sampling_rate=256 / 60000, noise_multiplier=1.1, steps=60 * 234,
...                       delta=1e-5), 2)   # 60 epochs of batches of 256 among 60,000
2.59
"""

import contextlib
import logging
import math

import numpy


def _dp_accounting():
    try:
        import dp_accounting
    except ImportError as error:
        raise ImportError("profond.privacy needs Google's privacy accountant: pip install "
                          f"'profond[privacy]' (the dp-accounting package). ({error})") from None
    return dp_accounting


def _check(sampling_rate, noise_multiplier, steps, delta, where):
    def number(value):
        return not isinstance(value, bool) and isinstance(value, (int, float, numpy.number)) \
            and math.isfinite(value)

    if not number(noise_multiplier) or noise_multiplier <= 0:
        raise ValueError(f"{where}: Expected noise_multiplier > 0 (the noise's standard "
                         "deviation over the clip norm). Received: "
                         f"noise_multiplier={noise_multiplier!r}")
    if not number(sampling_rate) or not 0 < sampling_rate <= 1:
        raise ValueError(f"{where}: Expected 0 < sampling_rate <= 1 (batch size / examples). "
                         f"Received: sampling_rate={sampling_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, numpy.integer)) or steps < 0:
        raise ValueError(f"{where}: Expected steps a non-negative integer. "
                         f"Received: steps={steps!r}")
    if not number(delta) or not 0 < delta < 1:
        raise ValueError(f"{where}: Expected 0 < delta < 1. Received: delta={delta!r}")


def compute_epsilon(sampling_rate, noise_multiplier, steps, delta, accountant="rdp"):
    """ε of ``steps`` DP-SGD steps with Poisson ``sampling_rate`` q and ``noise_multiplier`` σ,
    at ``delta`` δ, by the ``accountant`` "rdp" or "pld" (see the module)."""
    _check(sampling_rate, noise_multiplier, steps, delta, "compute_epsilon")
    if accountant not in ("rdp", "pld"):
        raise ValueError("compute_epsilon: Expected accountant 'rdp' or 'pld'. "
                         f"Received: accountant={accountant!r}")
    if steps == 0:
        return 0.0
    dp = _dp_accounting()
    step = dp.PoissonSampledDpEvent(float(sampling_rate), dp.GaussianDpEvent(noise_multiplier))
    tracker = dp.rdp.RdpAccountant() if accountant == "rdp" else dp.pld.PLDAccountant()
    with _quiet_orders():
        tracker.compose(dp.SelfComposedDpEvent(step, int(steps)))
        return float(tracker.get_epsilon(float(delta)))


@contextlib.contextmanager
def _quiet_orders():
    """At large q, the RDP accountant warns once per Rényi order whose series does not converge
    and leaves that order out (ε stays a valid bound from the others): dozens of lines in the
    middle of ``fit``'s output. They are silenced while it runs."""
    log = logging.getLogger("absl")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
