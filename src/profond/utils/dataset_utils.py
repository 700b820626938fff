"""Datasets from folders of files, as in Keras: ``image_dataset_from_directory`` and
``text_dataset_from_directory``.

With ``labels="inferred"`` the folder holds one subfolder per class::

    main_directory/
        class_a/  a_1.jpg  a_2.jpg …
        class_b/  b_1.jpg …

Files are listed class by class (classes and file names in alphanumeric order); with ``shuffle``
the list is shuffled once by ``numpy.random.RandomState(seed)`` as Keras does, so that a
``validation_split`` with the same ``seed`` gives the same files to "training" and
"validation" as in Keras (the last ``int(split · n)`` files are the validation ones). Files are
read when a batch is drawn, never all at once.
"""

import os

import numpy

from profond import random as _random

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)


def _fail(function, message):
    raise ValueError(f"{function}: {message}")


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, function="index_directory"):
    """``(file_paths, labels, class_names)`` of the files in ``directory`` (see the module)."""
    if not os.path.isdir(directory):
        _fail(function, f"expected `directory` to be a folder. Received: {directory!r}")
    if not (labels in ("inferred", None) or isinstance(labels, (list, tuple, numpy.ndarray))):
        _fail(function, "expected `labels` to be 'inferred', None, or a list of integer labels "
                        f"(one per file, in alphanumeric order of the paths). Received: "
                        f"labels={labels!r}")
    if isinstance(labels, str) and labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                _fail(function, f"expected `class_names` among the subfolders {subdirs}. "
                                f"Received: class_names={list(class_names)}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            _fail(function, "`class_names` is only valid with labels='inferred'. Received: "
                            f"class_names={list(class_names)}")
        subdirs = [""]
    paths, label_list = [], []
    for index, subdir in enumerate(subdirs):
        root_dir = os.path.join(directory, subdir)
        walk = os.walk(root_dir, followlinks=follow_links)  # subfolders too, as Keras
        for root, _, files in sorted(walk, key=lambda entry: entry[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    label_list.append(index)
    if isinstance(labels, str):
        label_array = numpy.asarray(label_list, dtype=numpy.int32)
        names = list(subdirs)
    elif labels is None:
        label_array, names = None, None
    else:
        label_array = numpy.asarray(labels)
        if len(label_array) != len(paths):
            _fail(function, f"expected one label per file: {len(paths)} files in {directory}. "
                            f"Received: {len(label_array)} labels")
        names = [str(label) for label in sorted(set(label_array.tolist()))]
    if shuffle:
        if seed is None:
            seed = int(_random.generator().integers(10**6))
        order = numpy.arange(len(paths))
        numpy.random.RandomState(seed).shuffle(order)
        paths = [paths[i] for i in order]
        if label_array is not None:
            label_array = label_array[order]
    return paths, label_array, names


def _check_split(function, validation_split, subset, seed, shuffle):
    if subset not in (None, "training", "validation", "both"):
        _fail(function, "expected `subset` to be 'training', 'validation' or 'both'. "
                        f"Received: subset={subset!r}")
    if validation_split is not None and not 0 < validation_split < 1:
        _fail(function, "expected `validation_split` in (0, 1). "
                        f"Received: validation_split={validation_split}")
    if (validation_split is None) != (subset is None):
        _fail(function, "`validation_split` and `subset` go together. Received: "
                        f"validation_split={validation_split}, subset={subset!r}")
    if validation_split and shuffle and seed is None:
        _fail(function, "a `validation_split` with shuffle=True needs a `seed`, so that the "
                        "training and validation subsets do not overlap.")


def _subsets(paths, labels, validation_split, subset, verbose):
    """The (paths, labels) of each requested subset: the last int(split · n) are validation."""
    if not validation_split:
        return [(paths, labels)]
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    if verbose:
        if subset in ("training", "both"):
            print(f"Using {cut} files for training.")
        if subset in ("validation", "both"):
            print(f"Using {n_val} files for validation.")
    train = (paths[:cut], None if labels is None else labels[:cut])
    val = (paths[cut:], None if labels is None else labels[cut:])
    return {"training": [train], "validation": [val], "both": [train, val]}[subset]


def _check_label_mode(function, label_mode, labels, num_classes):
    if label_mode not in ("int", "categorical", "binary", None):
        _fail(function, "expected `label_mode` 'int', 'categorical', 'binary' or None. "
                        f"Received: label_mode={label_mode!r}")
    if labels is None or label_mode is None:
        return None
    if label_mode == "binary" and num_classes != 2:
        _fail(function, f"label_mode='binary' needs exactly 2 classes. Received: {num_classes}")
    return label_mode


def _encode_labels(labels, label_mode, num_classes):
    if label_mode == "int":
        return labels.astype(numpy.int32)
    if label_mode == "binary":
        return labels.astype(numpy.float32)[:, None]
    return numpy.eye(num_classes, dtype=numpy.float32)[labels]


def _make_dataset(paths, labels, label_mode, num_classes, read, batch_size, shuffle, seed):
    """A Dataset of ``read(paths of a batch)`` (and their encoded labels), shuffled if asked."""
    from profond.data import Dataset

    index = numpy.arange(len(paths))
    dataset = Dataset.from_tensor_slices(index)
    if shuffle:
        dataset = dataset.shuffle(max(len(index), 1), seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    encoded = None if label_mode is None else _encode_labels(labels, label_mode, num_classes)

    def load(i):
        i = i.numpy()
        items = read([paths[k] for k in numpy.atleast_1d(i)])
        if i.ndim == 0:
            items = items[0]
        return items if encoded is None else (items, encoded[i])

    dataset = dataset.map(load)
    dataset.file_paths = list(paths)
    return dataset


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """A ``Dataset`` of ``(images, labels)`` batches read from the image files in ``directory``.

    Images are resized to ``image_size = (height, width)`` as ``tf.image.resize`` does
    (``interpolation="bilinear"`` gives float32 pixels in 0–255; "nearest" keeps uint8), first
    cropped (``crop_to_aspect_ratio``) or padded with zeros (``pad_to_aspect_ratio``) to the
    target's aspect ratio if asked. ``color_mode``: "grayscale" (1 channel), "rgb" (3), "rgba"
    (4). Labels: ``label_mode="int"`` (int32 class index), "categorical" (one-hot float32),
    "binary" (float32 0/1, shape (n, 1)) or None (images only). ``validation_split`` with
    ``subset`` "training", "validation" or "both" (a pair of datasets) splits the files. The
    dataset has ``class_names`` and ``file_paths`` attributes, as in Keras.
    """
    from profond.utils.image_utils import (
        _PIL_METHODS,
        img_to_array,
        load_img,
        resize_array,
        smart_resize,
    )

    name = "image_dataset_from_directory"
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}.get(color_mode)
    if channels is None:
        _fail(name, "expected `color_mode` 'grayscale', 'rgb' or 'rgba'. "
                    f"Received: color_mode={color_mode!r}")
    if interpolation not in _PIL_METHODS:
        _fail(name, f"expected `interpolation` in {list(_PIL_METHODS)}. "
                    f"Received: interpolation={interpolation!r}")
    if len(image_size) != 2 or min(image_size) < 1:
        _fail(name, f"expected `image_size` (height, width). Received: image_size={image_size}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        _fail(name, "`crop_to_aspect_ratio` and `pad_to_aspect_ratio` cannot both be True.")
    if data_format not in (None, "channels_last", "channels_first"):
        _fail(name, f"expected `data_format` 'channels_last' or 'channels_first'. "
                    f"Received: data_format={data_format!r}")
    _check_split(name, validation_split, subset, seed, shuffle)
    paths, label_array, names = index_directory(directory, labels, IMAGE_FORMATS, class_names,
                                                shuffle, seed, follow_links, name)
    label_mode = _check_label_mode(name, label_mode, label_array, len(names or ()))
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes."
                                              if names is not None else "."))
    height, width = image_size

    def read_one(path):
        if color_mode == "grayscale" and not path.lower().endswith((".jpg", ".jpeg")):
            # NOTE: TensorFlow's PNG decoder (libpng) makes grey (9798 R + 19235 G + 3736 B) / 2¹⁵
            # rounded down, i.e. 0.299 R + 0.587 G + 0.114 B in 15-bit fixed point; Pillow
            # rounds differently, so it is computed here to give the very same pixels.
            rgb = img_to_array(load_img(path, color_mode="rgb"), dtype="int64")
            image = ((rgb @ numpy.array([9798, 19235, 3736])) >> 15)[..., None].astype(numpy.uint8)
        else:
            image = img_to_array(load_img(path, color_mode=color_mode), dtype="uint8")
        if crop_to_aspect_ratio:
            image = smart_resize(image, image_size, interpolation)
        elif pad_to_aspect_ratio:
            # As tf.image.resize_with_pad: shrink (or grow) to fit inside, then centre on zeros.
            h, w = image.shape[:2]
            ratio = max(w / width, h / height)
            inner_h, inner_w = int(h / ratio), int(w / ratio)
            top = max(0, int((height - h / ratio) / 2))
            left = max(0, int((width - w / ratio) / 2))
            image = resize_array(image, (inner_h, inner_w), interpolation)
            canvas = numpy.zeros((height, width, channels), image.dtype)
            canvas[top : top + inner_h, left : left + inner_w] = image
            image = canvas
        else:
            image = resize_array(image, image_size, interpolation)
        return numpy.moveaxis(image, -1, 0) if data_format == "channels_first" else image

    def read(batch_paths):
        return numpy.stack([read_one(p) for p in batch_paths])

    datasets = []
    for part_paths, part_labels in _subsets(paths, label_array, validation_split, subset, verbose):
        dataset = _make_dataset(part_paths, part_labels, label_mode, len(names or ()), read,
                                batch_size, shuffle, seed)
        dataset.class_names = names
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                verbose=True):
    """A ``Dataset`` of ``(texts, labels)`` batches read from the ``.txt`` files in
    ``directory`` (texts are NumPy string arrays, each file's content decoded as UTF-8 and cut to
    ``max_length`` characters). The other arguments are those of
    ``image_dataset_from_directory``."""
    name = "text_dataset_from_directory"
    if max_length is not None and (isinstance(max_length, bool) or max_length < 1):
        _fail(name, f"expected `max_length` None or a positive integer. "
                    f"Received: max_length={max_length!r}")
    _check_split(name, validation_split, subset, seed, shuffle)
    paths, label_array, names = index_directory(directory, labels, TEXT_FORMATS, class_names,
                                                shuffle, seed, follow_links, name)
    label_mode = _check_label_mode(name, label_mode, label_array, len(names or ()))
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes."
                                              if names is not None else "."))

    def read(batch_paths):
        texts = []
        for path in batch_paths:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            texts.append(text[:max_length] if max_length is not None else text)
        return numpy.array(texts, dtype=object)

    datasets = []
    for part_paths, part_labels in _subsets(paths, label_array, validation_split, subset, verbose):
        dataset = _make_dataset(part_paths, part_labels, label_mode, len(names or ()), read,
                                batch_size, shuffle, seed)
        dataset.class_names = names
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


__all__ = ["image_dataset_from_directory", "index_directory", "text_dataset_from_directory"]
