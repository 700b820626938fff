"""Real data, real accuracy: the demo's digits MLP and a short Fashion-MNIST run.

The full Fashion-MNIST run (3 seeds × 10 epochs, mean test accuracy ≥ 0.885) is in
``bench/fashion_mnist_mlp.py``; this file keeps CI short.
"""

import os

import numpy as np
import pytest

import profond as tf
from profond.cli import build_mlp


def test_digits_mlp_reaches_98_percent():
    (x, y), (xt, yt) = tf.datasets.digits.load_data()
    x, xt = x.astype("float32") / 16, xt.astype("float32") / 16
    tf.set_seed(0)
    model = build_mlp((8, 8), [256, 128], 10, dropout=0.2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.98


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                    reason="Debian's dataset-fashion-mnist is not installed (make test installs "
                           "it when run as root)")
def test_fashion_mnist_mlp_two_epochs():
    (x, y), (xt, yt) = tf.datasets.fashion_mnist.load_data()
    x, xt = x.reshape(-1, 784).astype("float32") / 255, xt.reshape(-1, 784).astype("float32") / 255
    tf.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((784,)),
                                 tf.keras.layers.Dense(256, activation="relu"),
                                 tf.keras.layers.Dense(128, activation="relu"),
                                 tf.keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=128, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy >= 0.85, accuracy
    assert np.isfinite(history.history["loss"]).all()


def test_digits_cnn_reaches_99_percent():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    try:
        import cnn_digits
    finally:
        sys.path.pop(0)
    assert cnn_digits.main(epochs=40, seed=0, verbose=0) >= 0.99
