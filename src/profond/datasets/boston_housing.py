"""Boston housing prices (Harrison and Rubinfeld, 1978): 506 houses, 13 features, prices in k$.

Keras's file ``boston_housing.npz`` (arrays ``x`` and ``y``, read without pickle), verified by
SHA-256. Offline: put it in ``$PROFOND_HOME/datasets/`` (``~/.profond/datasets/``).
"""

import numpy

from profond.datasets._fetch import KERAS_URL, check_test_split, fetch, shuffle_split

ORIGIN = KERAS_URL + "boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` as Keras gives them: float64 features of shape
    (n, 13) and prices of shape (n,), shuffled by ``seed``; ``test_split`` of the houses test."""
    check_test_split(test_split)
    with numpy.load(fetch(path, ORIGIN, SHA256), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffle_split(x, y, test_split, seed)
