"""``keras.preprocessing``: Keras's older home of the data helpers (``image``, ``sequence``,
``text``, and the ``*_dataset_from_*`` functions), re-exporting ``profond.utils``."""

from profond.keras.preprocessing import image, sequence, text
from profond.utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)

__all__ = ["image", "image_dataset_from_directory", "sequence", "text",
           "text_dataset_from_directory", "timeseries_dataset_from_array"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
