"""``keras.datasets``: the data sets under Keras's import paths (``keras.datasets.mnist``, …)."""

from profond.keras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb",
           "mnist", "reuters"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
