"""California housing (Pace and Barry, 1997): 20,640 districts, 8 features, median house value.

Keras's file ``california_housing.npz`` (arrays ``x`` and ``y``, read without pickle), verified
by SHA-256. Offline: put it in ``$PROFOND_HOME/datasets/`` (``~/.profond/datasets/``).
"""

import numpy

from profond.datasets._fetch import KERAS_URL, check_test_split, fetch, shuffle_split

ORIGIN = KERAS_URL + "california_housing.npz"
SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` as Keras gives them: features of shape (n, 8) and
    values of shape (n,). ``version="small"`` keeps the first 600 districts (Keras's), "large"
    all of them; shuffled by ``seed``, ``test_split`` of them for testing."""
    if version not in ("small", "large"):
        raise ValueError(f"Expected `version` 'small' or 'large'. Received: version={version!r}")
    check_test_split(test_split)
    with numpy.load(fetch(path, ORIGIN, SHA256), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed)
