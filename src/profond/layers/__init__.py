"""Keras-style layers: ``Layer`` (the base class), ``Input``, core layers (``Dense``, ``Flatten``…),
convolution and pooling, normalization, recurrent layers and their wrappers."""

from profond.layers.base import (
    Input,
    InputLayer,
    InputSpec,
    KerasTensor,
    Layer,
    clear_session,
)
from profond.layers.conv import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
)
from profond.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from profond.layers.normalization import BatchNormalization, LayerNormalization
from profond.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from profond.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Embedding,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    TimeDistributed,
)
from profond.layers.regularization import SpatialDropout2D
from profond.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D

__all__ = [
    "Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
    "BatchNormalization", "Bidirectional", "Conv1D", "Conv2D", "Conv2DTranspose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Cropping2D", "Dense", "Dropout",
    "Embedding", "Flatten", "GRU", "GRUCell", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer", "InputSpec",
    "KerasTensor", "LSTM", "LSTMCell", "Layer", "LayerNormalization", "MaxPool1D", "MaxPool2D",
    "MaxPooling1D", "MaxPooling2D", "RNN", "Reshape", "SimpleRNN", "SimpleRNNCell",
    "SpatialDropout2D", "TimeDistributed", "UpSampling2D", "ZeroPadding2D", "clear_session",
]
