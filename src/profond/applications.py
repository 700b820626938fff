"""``keras.applications``: ImageNet input preprocessing, and an honest refusal for the models.

Keras's applications are large convolutional networks (ResNet50, MobileNetV2, …) whose use
almost always starts by downloading pretrained ImageNet weights (``weights="imagenet"``).
profond does not include those architectures yet and cannot read Keras's HDF5 weight files, so
each builder raises ``NotImplementedError`` naming the application and why. What works:

- ``preprocess_input(x, data_format=None, mode=...)`` with Keras's three modes, on arrays
  (a new array, the input is never modified) or tensors (differentiable):

      caffe  RGB → BGR, then subtract the ImageNet channel means (103.939, 116.779, 123.68)
      tf     x / 127.5 − 1, pixels scaled to [−1, 1]
      torch  x / 255, then (x − μ) / σ per channel, μ = (0.485, 0.456, 0.406),
             σ = (0.229, 0.224, 0.225)

  and each family's own choice (``resnet50``, ``vgg16`` → caffe; ``mobilenet_v2``,
  ``inception_v3`` → tf; ``densenet`` → torch; ``efficientnet`` → unchanged);
- ``decode_predictions(preds, top=5)``, given ImageNet's class index file (see its docstring).

>>> import numpy as np
>>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]), mode="tf")
array([[[-1.,  0.,  1.]]])
"""

import json
import os

import numpy

from profond._names import missing_name
from profond.autodiff.tensor import Tensor
from profond.config import image_data_format

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # B, G, R
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def _per_channel(values, ndim, channels_first):
    """A channel vector shaped to broadcast against an image batch of rank ``ndim``."""
    v = numpy.asarray(values, dtype=numpy.float32)
    return v.reshape((3,) + (1,) * (ndim - 1 - (ndim == 4))) if channels_first else v


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale images the way a pretrained ImageNet model expects (see the module for the modes).

    ``x``: RGB images, (…, height, width, 3) channels-last or (…, 3, height, width).
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: expected mode 'caffe', 'tf' or 'torch'. "
                         f"Received: mode={mode!r}")
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"preprocess_input: expected data_format 'channels_last' or "
                         f"'channels_first'. Received: data_format={data_format!r}")
    if not isinstance(x, Tensor):
        x = numpy.asarray(x)
        x = x.astype(numpy.float32) if x.dtype.kind != "f" else x.copy()
    channels_first = data_format == "channels_first"
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        mean = _per_channel(_TORCH_MEAN, x.ndim, channels_first)
        std = _per_channel(_TORCH_STD, x.ndim, channels_first)
        return (x / 255.0 - mean) / std
    if channels_first:
        flipped = x[:, ::-1] if x.ndim == 4 else x[::-1]
    else:
        flipped = x[..., ::-1]
    return flipped - _per_channel(_CAFFE_MEAN, x.ndim, channels_first)


def _identity_preprocess(x, data_format=None):
    """EfficientNet, ConvNeXt and MobileNetV3 rescale inside the model: inputs pass unchanged."""
    return x


CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                   "imagenet_class_index.json")


def _class_index_path():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models", "imagenet_class_index.json")


def decode_predictions(preds, top=5):
    """The ``top`` most likely ImageNet classes of each row of ``preds`` (shape (n, 1000)), as
    lists of ``(class_id, class_name, score)``, best first.

    Needs ImageNet's class names: profond reads the file Keras uses, from
    ``~/.keras/models/imagenet_class_index.json`` (``$KERAS_HOME/models`` if set). Offline,
    fetch it by hand from ``CLASS_INDEX_URL`` and put it there.
    """
    scores = preds.numpy() if isinstance(preds, Tensor) else numpy.asarray(preds)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise ValueError("decode_predictions expects a batch of predictions of shape "
                         f"(samples, 1000). Received: shape={scores.shape}")
    path = _class_index_path()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"decode_predictions needs ImageNet's class index, not found at "
                                f"{path}. Download {CLASS_INDEX_URL} and save it there.")
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    results = []
    for row in scores:
        best = numpy.argsort(row)[::-1][:top]
        results.append([(index[str(i)][0], index[str(i)][1], float(row[i])) for i in best])
    return results


class UnavailableApplication:
    """A Keras application builder profond does not have: calling it explains why."""

    def __init__(self, name):
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(
            f"keras.applications.{self.__name__} is not implemented in profond yet: the "
            "architecture is not included, and its pretrained ImageNet weights are Keras files "
            "downloaded from the internet that profond cannot read. Build your own model with "
            "profond.keras.layers; preprocess_input works for every family."
        )

    def __repr__(self):
        return f"<unavailable keras.applications.{self.__name__}>"


APPLICATIONS = (
    "ConvNeXtBase ConvNeXtLarge ConvNeXtSmall ConvNeXtTiny ConvNeXtXLarge DenseNet121 DenseNet169 "
    "DenseNet201 EfficientNetB0 EfficientNetB1 EfficientNetB2 EfficientNetB3 EfficientNetB4 "
    "EfficientNetB5 EfficientNetB6 EfficientNetB7 EfficientNetV2B0 EfficientNetV2B1 "
    "EfficientNetV2B2 EfficientNetV2B3 EfficientNetV2L EfficientNetV2M EfficientNetV2S "
    "InceptionResNetV2 InceptionV3 MobileNet MobileNetV2 MobileNetV3Large MobileNetV3Small "
    "NASNetLarge NASNetMobile ResNet101 ResNet101V2 ResNet152 ResNet152V2 ResNet50 ResNet50V2 "
    "VGG16 VGG19 Xception"
).split()
"""Keras 3's application builders (all unavailable, see ``UnavailableApplication``)."""

# Each family's preprocess_input, as Keras defines it per module.
PREPROCESS_MODE = {
    "resnet": "caffe", "resnet50": "caffe", "vgg16": "caffe", "vgg19": "caffe",
    "resnet_v2": "tf", "mobilenet": "tf", "mobilenet_v2": "tf", "inception_v3": "tf",
    "inception_resnet_v2": "tf", "xception": "tf", "nasnet": "tf", "densenet": "torch",
    "efficientnet": None, "efficientnet_v2": None, "convnext": None, "mobilenet_v3": None,
}


def preprocess_for(family):
    """The ``preprocess_input`` of ``keras.applications.<family>`` (e.g. ``"resnet50"``)."""
    if family not in PREPROCESS_MODE:
        raise ValueError(f"Unknown application family. Expected one of "
                         f"{sorted(PREPROCESS_MODE)}. Received: {family!r}")
    mode = PREPROCESS_MODE[family]
    if mode is None:
        return _identity_preprocess

    def family_preprocess(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)

    family_preprocess.__name__ = "preprocess_input"
    family_preprocess.__doc__ = f"``preprocess_input`` in Keras's {family!r} mode: {mode}."
    return family_preprocess


def __getattr__(name):
    raise missing_name(__name__, name)
