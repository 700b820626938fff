"""``frechet_distance`` against the formula computed with SciPy's general ``sqrtm``."""

import numpy as np
import pytest
import scipy.linalg

from profond.generative import check_gan, frechet_distance


def _scipy_frechet(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = scipy.linalg.sqrtm(sa @ sb).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(sa + sb - 2 * root))


@pytest.mark.parametrize("d", [1, 3, 16])
def test_frechet_distance_equals_the_scipy_formula(d):
    rng = np.random.default_rng(d)
    a = rng.standard_normal((400, d)) @ rng.standard_normal((d, d))
    b = rng.standard_normal((300, d)) * 2 + 0.5
    assert frechet_distance(a, b) == pytest.approx(_scipy_frechet(a, b), rel=1e-7, abs=1e-9)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200000, 2))
    b = rng.standard_normal((200000, 2)) * 3 + [1, 0]  # ‖μ‖² = 1, Tr: 1+1+9+9 − 2(3+3) = 8
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.01)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    # a collapsed generator (every sample the same) is far even with the right mean
    collapsed = np.zeros((1000, 2)) + a.mean(0)
    assert frechet_distance(a, collapsed) == pytest.approx(2.0, rel=0.01)


def test_frechet_distance_bad_input():
    with pytest.raises(ValueError, match=r"same width d.*width 3.*width 4"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"shape \(n, d\) with n ≥ 2.*\(1, 3\)"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        frechet_distance(np.full((5, 3), np.nan), np.zeros((5, 3)))


def test_check_gan_names_the_mismatch():
    import profond as pf

    L = pf.keras.layers
    g = pf.keras.Sequential([L.Input((8,)), L.Dense(16), L.Reshape((4, 4, 1))])
    d = pf.keras.Sequential([L.Input((4, 4, 1)), L.Flatten(), L.Dense(1)])
    check_gan(g, d, 8)
    with pytest.raises(ValueError, match=r"discriminator's input shape \(None, 28, 28, 1\)\. "
                                         r"Received: generator output shape \(None, 4, 4, 1\)"):
        check_gan(g, pf.keras.Sequential([L.Input((28, 28, 1)), L.Flatten(), L.Dense(1)]), 8)
    with pytest.raises(ValueError, match=r"latent_dim=0"):
        check_gan(g, d, 0)
    with pytest.raises(ValueError, match=r"codes of shape \(None, 4\).*\(None, 8\)"):
        check_gan(g, d, 4)
    with pytest.raises(ValueError, match=r"one logit.*\(None, 3\)"):
        check_gan(g, pf.keras.Sequential([L.Input((4, 4, 1)), L.Flatten(), L.Dense(3)]), 8)
