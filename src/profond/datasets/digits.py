"""The 8×8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes, no download).

A quick stand-in for MNIST: small enough to train on in seconds. Needs scikit-learn
(``pip install 'profond[datasets]'``).
"""

import numpy

TEST_SIZE = 360
SEED = 0


def load_data(test_size=TEST_SIZE, seed=SEED):
    """The digits as ``(x_train, y_train), (x_test, y_test)``, like Keras's ``mnist.load_data``.

    ``x``: uint8 images of shape (n, 8, 8) with values 0–16; ``y``: int64 labels 0–9. The split is
    fixed (stratified, ``seed=0``): 1,437 training and 360 test images, the same on every machine.

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((1437, 8, 8), (360, 8, 8))
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "profond.datasets.digits needs scikit-learn: pip install 'profond[datasets]'"
        ) from error
    from profond.utils import train_test_split

    bunch = load_digits()
    x = bunch.images.astype(numpy.uint8)
    y = bunch.target.astype(numpy.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, shuffle=True, seed=seed, stratify=y
    )
    return (x_train, y_train), (x_test, y_test)
