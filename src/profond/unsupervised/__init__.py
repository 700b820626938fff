"""``profond.unsupervised``: learning without labels.

- ``autoencoders``: Dense, convolutional, denoising and LSTM autoencoders (plain ``Sequential``
  models whose ``"encoder"`` gives the codes);
- ``dec``: grouping unlabeled data, Deep Embedded Clustering (``DEC``, ``ClusteringLayer``) with
  scikit-learn's ``KMeans`` for the first centroids;
- ``anomaly``: anomaly and fraud detection by reconstruction error, a generator of synthetic card
  transactions with injected fraud, and a loader of the public credit-card fraud CSV.

scikit-learn is needed by ``DEC.initialize`` and pandas by ``load_creditcard_csv``.
"""

from profond.unsupervised.anomaly import (
    TransactionSet,
    load_creditcard_csv,
    make_transactions,
    reconstruction_errors,
)
from profond.unsupervised.autoencoders import (
    conv_autoencoder,
    denoising_autoencoder,
    dense_autoencoder,
    lstm_autoencoder,
)
from profond.unsupervised.dec import DEC, ClusteringLayer, soft_assignments, target_distribution

__all__ = ["DEC", "ClusteringLayer", "TransactionSet", "conv_autoencoder", "dense_autoencoder",
           "denoising_autoencoder", "load_creditcard_csv", "lstm_autoencoder",
           "make_transactions", "reconstruction_errors", "soft_assignments",
           "target_distribution"]
