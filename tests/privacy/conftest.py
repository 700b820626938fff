"""Shared pieces of the DP tests: float64 for exact comparisons, a small data set and model."""

import numpy as np
import pytest

import profond as pf
from profond.keras import Sequential, layers


@pytest.fixture
def float64():
    before = pf.backend.floatx()
    pf.backend.set_floatx("float64")
    yield
    pf.backend.set_floatx(before)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    return x, y


def _model(seed=0):
    pf.set_seed(seed)
    return Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"),
                       layers.Dense(3)])


@pytest.fixture
def make_data():
    """``make_data(n, seed)``: n rows of 6 features, 3 classes."""
    return _data


@pytest.fixture
def make_model():
    """``make_model(seed)``: Dense(8, tanh) → Dense(3) logits on 6 features."""
    return _model
