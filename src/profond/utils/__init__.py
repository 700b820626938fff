"""``profond.utils``: the helpers of ``keras.utils``, one small module per family.

- arrays (``array_utils``): ``to_categorical``, ``normalize``, ``set_random_seed``;
- splits (``split_utils``): ``train_test_split`` (arrays), ``split_dataset`` (Keras's);
- sequences (``sequence_utils``, ``timeseries``): ``pad_sequences``,
  ``timeseries_dataset_from_array``;
- files (``file_utils``): ``get_file``, verified, cached and atomic downloads;
- images (``image_utils``, Pillow): ``load_img``, ``img_to_array``, ``array_to_img``,
  ``save_img``, ``smart_resize``;
- folders (``dataset_utils``): ``image_dataset_from_directory``, ``text_dataset_from_directory``;
- saving (``serialization``): ``register_keras_serializable``, ``custom_object_scope``, …;
- batches (``packing``): ``unpack_x_y_sample_weight``, ``pack_x_y_sample_weight``;
- ``PyDataset`` / ``Sequence`` (defined in ``profond.data.py_dataset``).

``Progbar`` (``profond.callbacks``) and ``plot_model`` (``profond.viz``) live on higher floors:
``profond.keras.utils`` gathers them with these.
"""

from profond.data.py_dataset import PyDataset, Sequence
from profond.utils.array_utils import normalize, set_random_seed, to_categorical
from profond.utils.dataset_utils import image_dataset_from_directory, text_dataset_from_directory
from profond.utils.file_utils import get_file
from profond.utils.image_utils import (
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)
from profond.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from profond.utils.sequence_utils import pad_sequences
from profond.utils.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from profond.utils.split_utils import split_dataset, split_indices, train_test_split
from profond.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "CustomObjectScope",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "smart_resize",
    "split_dataset",
    "split_indices",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "train_test_split",
    "unpack_x_y_sample_weight",
]
