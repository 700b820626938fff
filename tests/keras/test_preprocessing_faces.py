"""Keras's import paths for the utilities, preprocessing helpers and data sets: every name a
Keras program imports from them exists and is profond's own object (faces only re-export)."""

import importlib

import pytest

import profond.datasets as datasets
import profond.utils as utils
from profond.callbacks.progbar import Progbar
from profond.utils import image_utils, sequence_utils, text_utils

KERAS_UTILS = [
    "CustomObjectScope", "Progbar", "PyDataset", "Sequence", "array_to_img",
    "custom_object_scope", "deserialize_keras_object", "get_file", "get_registered_name",
    "get_registered_object", "image_dataset_from_directory", "img_to_array", "load_img",
    "model_to_dot", "normalize", "pack_x_y_sample_weight", "pad_sequences", "plot_model",
    "register_keras_serializable", "save_img", "serialize_keras_object", "set_random_seed",
    "split_dataset", "text_dataset_from_directory", "timeseries_dataset_from_array",
    "to_categorical", "unpack_x_y_sample_weight",
]


def test_keras_utils_has_every_name():
    face = importlib.import_module("profond.keras.utils")
    for name in KERAS_UTILS:
        assert name in face.__all__, name
        if hasattr(utils, name):
            assert getattr(face, name) is getattr(utils, name), name
    assert face.Progbar is Progbar


def test_preprocessing_paths():
    from profond.keras.preprocessing import (
        image,
        image_dataset_from_directory,
        sequence,
        text,
        text_dataset_from_directory,
        timeseries_dataset_from_array,
    )
    from profond.keras.preprocessing.image import (
        array_to_img,
        img_to_array,
        load_img,
        save_img,
        smart_resize,
    )
    from profond.keras.preprocessing.sequence import pad_sequences
    from profond.keras.preprocessing.text import Tokenizer, text_to_word_sequence

    assert image_dataset_from_directory is utils.image_dataset_from_directory
    assert text_dataset_from_directory is utils.text_dataset_from_directory
    assert timeseries_dataset_from_array is utils.timeseries_dataset_from_array
    assert (array_to_img, img_to_array, load_img, save_img, smart_resize) == (
        image_utils.array_to_img, image_utils.img_to_array, image_utils.load_img,
        image_utils.save_img, image_utils.smart_resize)
    assert pad_sequences is sequence_utils.pad_sequences is sequence.pad_sequences
    assert Tokenizer is text_utils.Tokenizer is text.Tokenizer
    assert text_to_word_sequence is text_utils.text_to_word_sequence
    assert image.load_img is load_img
    from profond.keras.preprocessing.sequence import (
        TimeseriesGenerator,
        make_sampling_table,
        skipgrams,
    )

    assert TimeseriesGenerator is utils.timeseries.TimeseriesGenerator
    assert (make_sampling_table, skipgrams) == (sequence_utils.make_sampling_table,
                                                sequence_utils.skipgrams)
    import profond

    assert profond.keras.preprocessing.sequence.pad_sequences is pad_sequences


@pytest.mark.parametrize("name, functions", [
    ("mnist", ["load_data"]),
    ("fashion_mnist", ["load_data"]),
    ("cifar10", ["load_data"]),
    ("cifar100", ["load_data"]),
    ("imdb", ["load_data", "get_word_index"]),
    ("reuters", ["load_data", "get_word_index", "get_label_names"]),
    ("boston_housing", ["load_data"]),
    ("california_housing", ["load_data"]),
])
def test_keras_datasets_modules(name, functions):
    face = importlib.import_module(f"profond.keras.datasets.{name}")
    real = getattr(datasets, name)
    for function in functions:
        assert getattr(face, function) is getattr(real, function)


def test_model_to_dot_says_what_to_use_instead():
    from profond.keras.utils import model_to_dot

    with pytest.raises(ImportError, match="plot_model"):
        model_to_dot(None)


def test_plot_model_writes_the_file(tmp_path):
    pytest.importorskip("matplotlib")
    import profond as tf

    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    path = tmp_path / "model.png"
    fig = tf.keras.utils.plot_model(model, to_file=str(path), show_shapes=True, dpi=50)
    assert path.stat().st_size > 0 and fig is not None
    with pytest.raises(ValueError, match="rankdir"):
        tf.keras.utils.plot_model(model, to_file=None, rankdir="XY")
