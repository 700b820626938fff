"""Keras-style layers: ``Layer`` (the base class), ``Input``, core layers (``Dense``, ``Flatten``…),
convolution and pooling, normalization, recurrent layers and their wrappers."""

from profond.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from profond.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
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
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution1DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
)
from profond.layers.conv_depthwise import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from profond.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM2DCell, ConvLSTM3D
from profond.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from profond.layers.lambda_layer import Lambda
from profond.layers.masking import Masking
from profond.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from profond.layers.normalization import BatchNormalization, LayerNormalization
from profond.layers.op_layer import OpLayer  # also routes ops on KerasTensors to op-layers
from profond.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from profond.layers.positional import (
    PositionEmbedding,
    SinePositionEncoding,
    TokenAndPositionEmbedding,
)
from profond.layers.preprocessing import (
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    StringLookup,
    SubwordTokenizer,
    TextVectorization,
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
    StackedRNNCells,
    TimeDistributed,
)
from profond.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout2D,
)
from profond.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from profond.layers.serialization import deserialize, serialize

__all__ = [
    "Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
    "BatchNormalization", "Bidirectional", "Conv1D", "Conv2D", "Conv2DTranspose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Cropping2D", "Dense", "Dropout",
    "Embedding", "Flatten", "GRU", "GRUCell", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer", "InputSpec",
    "KerasTensor", "LSTM", "LSTMCell", "Layer", "LayerNormalization", "MaxPool1D", "MaxPool2D",
    "MaxPooling1D", "MaxPooling2D", "RNN", "Reshape", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells",
    "SpatialDropout2D", "TimeDistributed", "UpSampling2D", "ZeroPadding2D", "clear_session",
]
# activations, merging, Lambda, masking, noise and more reshaping (issue 10, item 4)
__all__ += [
    "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "Add", "Average", "Concatenate", "Dot",
    "Maximum", "Minimum", "Multiply", "Subtract", "add", "average", "concatenate", "dot",
    "maximum", "minimum", "multiply", "subtract", "Lambda", "Masking", "ActivityRegularization",
    "AlphaDropout", "GaussianDropout", "GaussianNoise", "Cropping1D", "Cropping3D", "Permute",
    "RepeatVector", "UpSampling1D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding3D",
]
# preprocessing and augmentation (issue 10, item 4)
__all__ += [
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]
# convolution variants and 3-D pooling (issue 10, item 4)
__all__ += [
    "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1DTranspose", "Convolution3D",
    "Convolution3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
    "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D", "AveragePooling3D",
    "AvgPool3D", "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D",
    "GlobalMaxPooling3D", "MaxPool3D", "MaxPooling3D", "ConvLSTM1D", "ConvLSTM2D",
    "ConvLSTM2DCell", "ConvLSTM3D",
]
# keras.layers.serialize / deserialize (the saving guide)
__all__ += ["deserialize", "serialize"]
# attention (issue 17, item 2)
__all__ += ["AdditiveAttention", "Attention", "MultiHeadAttention"]
# text preprocessing (issue 17, item 1)
__all__ += ["IntegerLookup", "StringLookup", "TextVectorization"]
__all__ += ["SubwordTokenizer"]  # sub-word tokenizers (Hugging Face tokenizers), issue 17
# position embeddings, KerasHub's names (issue 17, item 2)
__all__ += ["PositionEmbedding", "SinePositionEncoding", "TokenAndPositionEmbedding"]
