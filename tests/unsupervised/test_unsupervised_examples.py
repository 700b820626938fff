"""The quick versions of ``examples/clustering_fashion_mnist.py`` and
``examples/anomaly_detection.py`` run and reach numbers scaled to their short runs (the full-run
numbers are in the examples' docstrings and the bench results)."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each example is a fresh interpreter that trains
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run_quick(name):
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick"], capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_clustering_quick():
    out = run_quick("clustering_fashion_mnist.py")
    rows = {name.strip(): (float(nmi), float(ari)) for name, nmi, ari in
            re.findall(r"^(.+?)\s+NMI ([0-9.]+)\s+ARI ([0-9.]+)$", out, re.M)}
    assert set(rows) == {"k-means on raw pixels", "autoencoder codes + k-means",
                         "autoencoder codes + GaussianMixture",
                         "autoencoder codes + spectral (k-NN)",
                         "DEC (encoder refined by KL(P||Q))"}, out
    for name, (nmi, ari) in rows.items():
        assert 0.4 < nmi <= 1 and 0.2 < ari <= 1, (name, out)
    # refining the encoder with the clustering loss must not destroy the k-means start
    assert rows["DEC (encoder refined by KL(P||Q))"][0] > rows["autoencoder codes + k-means"][0] \
        - 0.05, out
    assert "best profond model:" in out


def test_anomaly_detection_quick():
    out = run_quick("anomaly_detection.py")
    mean = dict(re.findall(r"mean ROC-AUC over 3 one-class splits, (.+): ([0-9.]+)", out))
    assert set(mean) == {"profond autoencoder", "profond autoencoder, error per pixel scale",
                         "IsolationForest", "OneClassSVM"}, out
    assert float(mean["profond autoencoder"]) > 0.8, out
    assert float(mean["profond autoencoder, error per pixel scale"]) > 0.8, out
    seq = {name: (float(roc), float(pr)) for name, roc, pr in
           re.findall(r"transactions: (.+): ROC-AUC ([0-9.]+), PR-AUC ([0-9.]+)", out)}
    autoencoder = seq["profond LSTM autoencoder"]
    assert autoencoder[0] > 0.75, out
    # 10% of the cards are frauds: a PR-AUC of 0.1 is chance; the sequence model must do better
    # than IsolationForest on the same standardised features
    assert autoencoder[1] > max(0.3, seq["IsolationForest"][1]), out
    assert seq["profond LSTM classifier (labels)"][0] > 0.7, out
