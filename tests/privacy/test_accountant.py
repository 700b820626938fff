"""The DP-SGD accountant: ε from dp-accounting equals Opacus's within 1% (RDP against its RDP
accountant, PLD against its PRV accountant), behaves as a budget should, and names bad input."""

import numpy as np
import pytest

pytest.importorskip("dp_accounting")
from profond.privacy import compute_epsilon  # noqa: E402

CASES = [  # (sampling rate, noise multiplier, steps, delta)
    (256 / 60000, 1.1, 60 * 234, 1e-5),  # Abadi et al.'s MNIST setting, 60 epochs
    (0.01, 0.8, 1000, 1e-5),
    (0.1, 2.0, 500, 1e-6),
    (1.0, 5.0, 10, 1e-5),  # full batch: the Gaussian mechanism composed 10 times
    (2048 / 60000, 2.15, 29 * 40, 1e-5),  # examples/dp_fashion_mnist.py (Tramèr & Boneh)
]


@pytest.mark.parametrize("q,sigma,steps,delta", CASES)
def test_rdp_epsilon_equals_opacus_within_one_percent(q, sigma, steps, delta):
    accountants = pytest.importorskip("opacus.accountants")
    theirs = accountants.RDPAccountant()
    theirs.history = [(sigma, q, steps)]
    ours = compute_epsilon(q, sigma, steps, delta)
    np.testing.assert_allclose(ours, theirs.get_epsilon(delta), rtol=0.01)


@pytest.mark.parametrize("q,sigma,steps,delta", CASES[:2])
def test_pld_epsilon_equals_opacus_prv_within_one_percent_and_is_tighter(q, sigma, steps,
                                                                          delta):
    accountants = pytest.importorskip("opacus.accountants")
    theirs = accountants.PRVAccountant()
    theirs.history = [(sigma, q, steps)]
    ours = compute_epsilon(q, sigma, steps, delta, accountant="pld")
    np.testing.assert_allclose(ours, theirs.get_epsilon(delta), rtol=0.01)
    assert ours < compute_epsilon(q, sigma, steps, delta, accountant="rdp")


def test_the_budget_grows_with_steps_and_sampling_and_shrinks_with_noise_and_delta():
    base = compute_epsilon(0.01, 1.0, 1000, 1e-5)
    assert compute_epsilon(0.01, 1.0, 4000, 1e-5) > base
    assert compute_epsilon(0.02, 1.0, 1000, 1e-5) > base
    assert compute_epsilon(0.01, 2.0, 1000, 1e-5) < base
    assert compute_epsilon(0.01, 1.0, 1000, 1e-3) < base
    assert compute_epsilon(0.01, 1.0, 0, 1e-5) == 0.0


@pytest.mark.parametrize("kwargs,message", [
    ({"noise_multiplier": 0}, r"Expected noise_multiplier > 0.*noise_multiplier=0"),
    ({"noise_multiplier": -1.0}, r"noise_multiplier=-1.0"),
    ({"sampling_rate": 0.0}, r"Expected 0 < sampling_rate <= 1.*sampling_rate=0.0"),
    ({"sampling_rate": 1.5}, r"sampling_rate=1.5"),
    ({"steps": -1}, r"Expected steps a non-negative integer.*steps=-1"),
    ({"steps": 2.5}, r"steps=2.5"),
    ({"delta": 0}, r"Expected 0 < delta < 1.*delta=0"),
    ({"accountant": "moments"}, r"accountant 'rdp' or 'pld'.*accountant='moments'"),
])
def test_bad_input_is_named(kwargs, message):
    args = dict(sampling_rate=0.01, noise_multiplier=1.0, steps=100, delta=1e-5) | kwargs
    with pytest.raises(ValueError, match=rf"compute_epsilon: .*{message}"):
        compute_epsilon(**args)


def test_without_dp_accounting_says_how_to_install_it():
    import subprocess
    import sys

    code = ("import sys; sys.modules['dp_accounting'] = None\n"
            "from profond.privacy import compute_epsilon\n"
            "try:\n    compute_epsilon(0.01, 1.0, 10, 1e-5)\n"
            "except ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert "pip install 'profond[privacy]'" in done.stdout, done.stderr
