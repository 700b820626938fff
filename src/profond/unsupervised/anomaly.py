"""Anomaly and fraud detection: what a model trained on normal data rebuilds badly is suspect.

- ``reconstruction_errors(model, x)``: sᵢ = mean over features of (xᵢ − x̂ᵢ)² (or |xᵢ − x̂ᵢ|), the
  anomaly score of each sample for an autoencoder trained on normal samples. Rank by it
  (ROC-AUC, PR-AUC) or flag sᵢ above a threshold (a high quantile of the training scores).
- ``make_transactions``: synthetic card-transaction sequences with injected fraud, for tests
  and examples (real card data is private).
- ``load_creditcard_csv``: the public credit-card fraud table (Time, V1..V28, Amount, Class),
  read with pandas when you have the file.

>>> data = make_transactions(n_sequences=200, length=20, fraud_fraction=0.1, seed=0)
>>> data.x.shape, int(data.y.sum())
((200, 20, 13), 20)
"""

import collections
import math
import os

import numpy as np

from profond import _validation as check

__all__ = ["FRAUD_PATTERNS", "MERCHANTS", "TransactionSet", "load_creditcard_csv",
           "make_transactions", "reconstruction_errors"]

MERCHANTS = ("grocery", "restaurant", "fuel", "transport", "clothing", "online", "electronics",
             "jewelry")
FRAUD_PATTERNS = ("amount", "time", "merchant", "burst", "geography")
FEATURE_NAMES = (("log_amount", "hour_sin", "hour_cos", "log_gap_hours", "log_distance_km")
                 + tuple(f"merchant_{m}" for m in MERCHANTS))

TransactionSet = collections.namedtuple(
    "TransactionSet", ["x", "y", "mask", "pattern", "feature_names"])
TransactionSet.__doc__ = """Synthetic transactions from ``make_transactions``.

x: (sequences, length, 13) float32 features; y: (sequences,) 1 for a card with fraud;
mask: (sequences, length) True on the fraudulent transactions; pattern: (sequences,) the name of
the injected pattern ("" for a normal card); feature_names: the 13 feature names."""


def _errors(model, x, batch_size, metric):
    x_hat = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if x_hat.shape != x.shape:
        raise ValueError(f"`reconstruction_errors`: expected a model whose output has the shape "
                         f"of its input {x.shape}. Received: output shape {x_hat.shape}")
    diff = (x.astype(np.float64) - x_hat).reshape(len(x), -1)
    return diff ** 2 if metric == "mse" else np.abs(diff)


def reconstruction_errors(model, x, batch_size=256, metric="mse", reference=None):
    """The anomaly score of each sample: the mean over all its features of (x − x̂)² (``"mse"``)
    or |x − x̂| (``"mae"``), x̂ = ``model.predict(x)``. Returns a (samples,) float64 array.

    With ``reference`` (normal samples, say the training set), each feature's error is divided
    by its mean error e_p on the reference: s(x) = 1/D Σ_p (x_p − x̂_p)² / e_p, the
    negative log-likelihood (up to constants) of the residual under a diagonal Gaussian fitted
    to normal residuals. A pixel where normal images vary a lot then counts less than one the
    model always rebuilds well.

    >>> import profond as pf
    >>> halve = pf.keras.Sequential([pf.keras.layers.Input((2,)), pf.keras.layers.Rescaling(0.5)])
    >>> reconstruction_errors(halve, np.array([[2.0, 2.0], [0.0, 4.0]], "float32")).tolist()
    [1.0, 2.0]
    """
    if metric not in ("mse", "mae"):
        raise check.fail("metric", metric, 'one of "mse", "mae"', "reconstruction_errors")
    errors = _errors(model, np.asarray(x), batch_size, metric)
    if reference is None:
        return errors.mean(axis=1)
    reference = np.asarray(reference)
    if reference.shape[1:] != np.shape(x)[1:]:
        raise ValueError(f"`reconstruction_errors`: expected reference samples of the shape of x's "
                         f"{np.shape(x)[1:]}. Received: reference with shape {reference.shape}")
    scale = _errors(model, reference, batch_size, metric).mean(axis=0)
    # NOTE: a floor of 10% of the mean error, so that a feature the model always rebuilds
    # perfectly (an image border that is always 0) does not turn a tiny error into a huge score.
    return (errors / (scale + 0.1 * scale.mean() + 1e-12)).mean(axis=1)


def _normal_cards(rng, n, length):
    """Each card has its own habits: median amount, hour of day, pace, favourite merchants."""
    median = np.exp(rng.normal(math.log(40.0), 0.5, (n, 1)))
    amount = median * np.exp(rng.normal(0.0, 0.6, (n, length)))
    hour = (rng.normal(13.0, 3.0, (n, 1)) + rng.normal(0.0, 2.5, (n, length))) % 24
    pace = rng.uniform(8.0, 36.0, (n, 1))                     # mean hours between payments
    gap = rng.exponential(1.0, (n, length)) * pace
    distance = rng.exponential(5.0, (n, length))              # km from home
    taste = rng.dirichlet(np.full(6, 0.8), n)                 # the six everyday merchants
    taste = np.concatenate([0.96 * taste, np.full((n, 2), 0.02)], axis=1)
    merchant = np.array([rng.choice(len(MERCHANTS), length, p=t) for t in taste])
    return amount, hour, gap, distance, merchant


def _inject(rng, pattern, segment, amount, hour, gap, distance, merchant):
    """Rewrite the transactions ``segment`` (a slice) of one card with a fraud pattern."""
    k = segment.stop - segment.start
    if pattern == "amount":          # a thief spends much more than the owner
        amount[segment] *= rng.uniform(5.0, 20.0, k)
    elif pattern == "time":          # in the middle of the night
        hour[segment] = rng.uniform(1.0, 5.0, k)
    elif pattern == "merchant":      # resellable goods, bought online or in shops
        merchant[segment] = rng.choice([5, 6, 7], k, p=[0.2, 0.5, 0.3])
    elif pattern == "burst":         # many payments within minutes (card testing)
        gap[segment] = rng.uniform(0.01, 0.2, k)
    elif pattern == "geography":     # far from home (a copied card used abroad)
        distance[segment] = rng.uniform(500.0, 8000.0)


def make_transactions(n_sequences=1000, length=30, fraud_fraction=0.1, patterns=FRAUD_PATTERNS,
                      seed=None):
    """Synthetic card-transaction sequences, ``fraud_fraction`` of them with injected fraud.

    Each sequence is one card's last ``length`` payments. A normal card keeps its habits: a
    median amount m (log-normal around 40), amounts m·e^ε with ε ~ N(0, 0.6²), daytime hours
    around 13 h, a mean time between payments of 8–36 h (exponential gaps), payments within a
    few km of home, favourite merchants among six everyday ones (electronics and jewelry 2%
    each). In round(``fraud_fraction``·n) cards, a run of 3–8 payments in the second half is
    rewritten with one pattern drawn from ``patterns``:

    - ``"amount"``: amounts × 5–20;
    - ``"time"``: between 1 h and 5 h at night;
    - ``"merchant"``: online, electronics or jewelry;
    - ``"burst"``: 0.6–12 minutes apart;
    - ``"geography"``: 500–8000 km from home.

    Features of each payment (``feature_names``): log(1 + amount), sin and cos of 2π·hour/24,
    log(1 + hours since the previous payment), log(1 + km from home), and the merchant one-hot
    (8 categories). Returns a ``TransactionSet`` (x, y, mask, pattern, feature_names); the same
    ``seed`` gives the same data.
    """
    where = "make_transactions"
    n = check.positive_int("n_sequences", n_sequences, where)
    length = check.integer("length", length, where, minimum=8)
    fraud_fraction = check.probability("fraud_fraction", fraud_fraction, where)
    if isinstance(patterns, str):
        patterns = (patterns,)
    if not patterns or any(p not in FRAUD_PATTERNS for p in patterns):
        raise check.fail("patterns", patterns, f"a non-empty tuple of {FRAUD_PATTERNS}", where)
    rng = np.random.default_rng(seed)
    amount, hour, gap, distance, merchant = _normal_cards(rng, n, length)
    y = np.zeros(n, np.int64)
    mask = np.zeros((n, length), bool)
    pattern = np.full(n, "", dtype=object)
    for i in rng.permutation(n)[:round(fraud_fraction * n)]:
        k = int(rng.integers(3, 9))
        start = int(rng.integers(length // 2, length - k + 1))
        segment = slice(start, start + k)
        pattern[i] = patterns[int(rng.integers(len(patterns)))]
        _inject(rng, pattern[i], segment, amount[i], hour[i], gap[i], distance[i], merchant[i])
        y[i], mask[i, segment] = 1, True
    angle = 2 * np.pi * hour / 24
    x = np.concatenate([
        np.stack([np.log1p(amount), np.sin(angle), np.cos(angle), np.log1p(gap),
                  np.log1p(distance)], axis=-1),
        np.eye(len(MERCHANTS))[merchant]], axis=-1).astype(np.float32)
    return TransactionSet(x, y, mask, pattern.astype(str), FEATURE_NAMES)


CREDITCARD_COLUMNS = ("Time",) + tuple(f"V{i}" for i in range(1, 29)) + ("Amount", "Class")


def load_creditcard_csv(path):
    """Read the public credit-card fraud table (``creditcard.csv``, European cardholders,
    September 2013: 284,807 payments, 492 frauds) with pandas.

    Columns: Time (seconds since the first payment), V1..V28 (PCA components, anonymised),
    Amount, Class (1 = fraud). Returns ``(x, y)``: x (rows, 30) float32 in the order Time,
    V1..V28, Amount; y (rows,) int64. The table has no card identifier, so it gives rows, not
    sequences: window rows by Time yourself for a sequence model. A missing column, or a Class
    other than 0/1, is a ``ValueError``.
    """
    import pandas as pd

    where = "load_creditcard_csv"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`{where}`: expected the path of an existing CSV file. "
                                f"Received: path={path!r}")
    frame = pd.read_csv(path)
    missing = [c for c in CREDITCARD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"`{where}`: expected the columns Time, V1..V28, Amount, Class. "
                         f"Received: path={path!r} without {missing}")
    y = frame["Class"].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"`{where}`: expected Class values 0 or 1. Received: "
                         f"{sorted(set(np.unique(y).tolist()) - {0, 1})[:5]} in {path!r}")
    x = frame[list(CREDITCARD_COLUMNS[:-1])].to_numpy(dtype=np.float32)
    return x, y.astype(np.int64)
