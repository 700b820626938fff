"""``keras.preprocessing.sequence``: re-exports ``pad_sequences``, and TF-Keras 2's
``TimeseriesGenerator``, ``make_sampling_table`` and ``skipgrams``, from ``profond.utils``."""

from profond.utils.sequence_utils import (  # noqa: F401
    make_sampling_table,
    pad_sequences,
    skipgrams,
)
from profond.utils.timeseries import TimeseriesGenerator  # noqa: F401

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
