"""``profond.privacy``: differential privacy. DP-SGD (Abadi et al. 2016) with TF Privacy's names:
optimizers that clip each example's gradient and add Gaussian noise (``DPKerasSGDOptimizer`` …,
per-example gradients from the engine: ``per_example_gradients``), the (ε, δ) budget from
Google's ``dp-accounting`` (RDP or PLD: ``compute_epsilon``), Poisson-sampled batches
(``poisson_batches``) and callbacks that log ε and stop at a target (``PrivacyAccountant``,
``EpsilonStopping``)."""

from profond._names import missing_name
from profond.autodiff.per_example import per_example_gradients
from profond.privacy import expansions  # noqa: F401 (LSTM and GRU: per-example rules)
from profond.privacy.accountant import compute_epsilon
from profond.privacy.callbacks import EpsilonStopping, PrivacyAccountant
from profond.privacy.optimizers import (
    DPKerasAdagradOptimizer,
    DPKerasAdamOptimizer,
    DPKerasSGDOptimizer,
    make_keras_optimizer_class,
)
from profond.privacy.sampling import poisson_batches

__all__ = ["DPKerasAdagradOptimizer", "DPKerasAdamOptimizer", "DPKerasSGDOptimizer",
           "EpsilonStopping", "PrivacyAccountant", "compute_epsilon", "make_keras_optimizer_class",
           "per_example_gradients", "poisson_batches"]


def __getattr__(name):
    raise missing_name(__name__, name)
