"""Reconstruction-error scores, the synthetic transaction generator and the credit-card CSV
loader."""

import numpy as np
import pytest

import profond as pf
from profond.unsupervised import load_creditcard_csv, make_transactions, reconstruction_errors
from profond.unsupervised.anomaly import CREDITCARD_COLUMNS, FRAUD_PATTERNS


def test_reconstruction_errors_by_hand():
    halve = pf.keras.Sequential([pf.keras.layers.Input((2, 2)), pf.keras.layers.Rescaling(0.5)])
    x = np.array([[[2, 2], [0, 0]], [[4, 0], [0, -2]]], "float32")
    # x − x̂ = x/2: sample 0 (1, 1, 0, 0), sample 1 (2, 0, 0, −1)
    np.testing.assert_allclose(reconstruction_errors(halve, x), [0.5, 1.25])
    np.testing.assert_allclose(reconstruction_errors(halve, x, metric="mae"), [0.5, 0.75])
    with pytest.raises(ValueError, match="metric='rmse'"):
        reconstruction_errors(halve, x, metric="rmse")
    # with a reference: each feature's error over its mean error on the reference samples
    reference = np.array([[[2, 0], [0, 0]], [[2, 0], [0, 4]]], "float32")   # e = (1, 0, 0, 2)
    scale = np.array([1, 0, 0, 2]) + 0.1 * 0.75
    expected = [np.mean(np.array([1, 1, 0, 0]) / scale), np.mean(np.array([4, 0, 0, 1]) / scale)]
    np.testing.assert_allclose(reconstruction_errors(halve, x, reference=reference), expected)
    with pytest.raises(ValueError, match=r"reference with shape \(2, 4\)"):
        reconstruction_errors(halve, x, reference=np.zeros((2, 4)))
    squash = pf.keras.Sequential([pf.keras.layers.Input((2, 2)), pf.keras.layers.Flatten()])
    with pytest.raises(ValueError, match=r"shape of its input \(2, 2, 2\).*\(2, 4\)"):
        reconstruction_errors(squash, x)


def test_generator_shapes_labels_and_determinism():
    data = make_transactions(n_sequences=400, length=24, fraud_fraction=0.15, seed=3)
    assert data.x.shape == (400, 24, 13) and data.x.dtype == np.float32
    assert len(data.feature_names) == 13 and np.isfinite(data.x).all()
    assert data.y.sum() == 60                                  # round(0.15 · 400), exactly
    assert np.array_equal(data.mask.any(axis=1), data.y == 1)  # fraud only in fraud cards
    runs = data.mask[data.y == 1].sum(axis=1)
    assert runs.min() >= 3 and runs.max() <= 8
    assert not data.mask[:, :12].any()                         # injected in the second half
    assert set(data.pattern[data.y == 1]) == set(FRAUD_PATTERNS)
    assert set(data.pattern[data.y == 0]) == {""}
    np.testing.assert_array_equal(data.x[..., 5:].sum(-1), 1.0)  # one merchant each
    again = make_transactions(n_sequences=400, length=24, fraud_fraction=0.15, seed=3)
    assert np.array_equal(again.x, data.x) and np.array_equal(again.y, data.y)
    other = make_transactions(n_sequences=400, length=24, fraud_fraction=0.15, seed=4)
    assert not np.array_equal(other.x, data.x)


@pytest.mark.parametrize("pattern, feature, direction", [
    ("amount", "log_amount", 1), ("burst", "log_gap_hours", -1),
    ("geography", "log_distance_km", 1), ("time", "hour_cos", 1)])
def test_each_pattern_moves_its_feature(pattern, feature, direction):
    data = make_transactions(n_sequences=300, fraud_fraction=0.3, patterns=(pattern,), seed=0)
    k = data.feature_names.index(feature)
    fraud, normal = data.x[..., k][data.mask], data.x[..., k][~data.mask]
    assert direction * (fraud.mean() - normal.mean()) > 1.0 * normal.std()


def test_merchant_pattern_uses_risky_merchants():
    data = make_transactions(n_sequences=300, fraud_fraction=0.3, patterns="merchant", seed=0)
    risky = data.x[..., 5 + 5:].sum(-1)                        # online, electronics, jewelry
    assert risky[data.mask].mean() == 1.0 and risky[~data.mask].mean() < 0.4


def test_generator_bad_arguments():
    with pytest.raises(ValueError, match="fraud_fraction=1.5"):
        make_transactions(fraud_fraction=1.5)
    with pytest.raises(ValueError, match="length=4"):
        make_transactions(length=4)
    with pytest.raises(ValueError, match="patterns=\\('skimming',\\)"):
        make_transactions(patterns=("skimming",))
    with pytest.raises(ValueError, match="n_sequences=0"):
        make_transactions(n_sequences=0)


def write_csv(path, rows=6, drop=(), classes=None):
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, len(CREDITCARD_COLUMNS))),
                         columns=CREDITCARD_COLUMNS)
    frame["Class"] = classes if classes is not None else np.arange(rows) % 2
    frame.drop(columns=list(drop)).to_csv(path, index=False)
    return frame


def test_creditcard_loader(tmp_path):
    path = tmp_path / "creditcard.csv"
    frame = write_csv(path)
    x, y = load_creditcard_csv(path)
    assert x.shape == (6, 30) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x[:, 0], frame["Time"], rtol=1e-6)
    np.testing.assert_allclose(x[:, -1], frame["Amount"], rtol=1e-6)
    np.testing.assert_array_equal(y, frame["Class"])


def test_creditcard_loader_errors(tmp_path):
    path = tmp_path / "broken.csv"
    write_csv(path, drop=("V7", "Amount"))
    with pytest.raises(ValueError, match=r"Time, V1..V28, Amount, Class.*without \['V7', "
                                         r"'Amount'\]"):
        load_creditcard_csv(path)
    write_csv(path, classes=[0, 1, 2, 0, 0, 0])
    with pytest.raises(ValueError, match="Class values 0 or 1. Received: \\[2\\]"):
        load_creditcard_csv(path)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_creditcard_csv(tmp_path / "missing.csv")
