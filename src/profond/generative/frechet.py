"""The Fréchet distance between two clouds of feature vectors (the "FID" of GAN papers).

Each cloud is summarised by a Gaussian N(μ, Σ) fitted to it (mean and covariance of the rows);
the distance between the two Gaussians is (Dowson & Landau 1982; Heusel et al. 2017)

    d² = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)

Small when the generated images land, in a classifier's feature space, where the real ones do
(same mean *and* same spread): a generator that always draws the same good-looking shirt has the
right mean but no spread, and is punished by the trace term.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.standard_normal((2000, 3))
>>> round(frechet_distance(a, a), 6)
0.0
>>> round(frechet_distance(a, a + 2.0), 2)  # shifted by 2 on each of 3 axes: 3 · 2² = 12
12.0
"""

import numpy as np


def gaussian_statistics(features):
    """The mean μ (d,) and covariance Σ (d, d) of the rows of ``features`` (n, d), in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError("frechet_distance: Expected features of shape (n, d) with n ≥ 2 rows. "
                         f"Received: shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError("frechet_distance: Expected finite features. Received: NaN or inf")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], -1)


def _sqrt_psd(matrix):
    """The square root of a symmetric positive semi-definite matrix by its eigendecomposition
    S = V diag(λ) Vᵀ → S^½ = V diag(√λ) Vᵀ.

    # NOTE: round-off can make tiny eigenvalues slightly negative: they are clipped to 0."""
    matrix = (matrix + matrix.T) / 2
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """d² = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½) between the Gaussians fitted to two
    sets of feature rows, ``features_a`` (n, d) and ``features_b`` (m, d). Returns a float ≥ 0.

    # NOTE: Σa^½ Σb Σa^½ is symmetric positive semi-definite (unlike the product Σa Σb, whose
    # square root other implementations take with a general ``sqrtm`` and then drop the
    # imaginary round-off), so both square roots are taken by ``eigh``: real and stable.
    """
    mu_a, sigma_a = gaussian_statistics(features_a)
    mu_b, sigma_b = gaussian_statistics(features_b)
    if mu_a.shape != mu_b.shape:
        raise ValueError("frechet_distance: Expected two feature sets with the same width d. "
                         f"Received: features_a of width {mu_a.shape[0]}, features_b of "
                         f"width {mu_b.shape[0]}")
    root_a = _sqrt_psd(sigma_a)
    cross = _sqrt_psd(root_a @ sigma_b @ root_a)
    d2 = np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b) - 2 * np.trace(cross)
    return float(max(d2, 0.0))
