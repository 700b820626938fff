"""Every layer of issue 4 through the shared layer contract (``profond.testing.layer_test``)."""

import warnings

import pytest

from profond import layers as L
from profond.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from profond.layers.normalization import BatchNormalization, LayerNormalization
from profond.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from profond.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Embedding,
    LSTMCell,
    SimpleRNN,
    TimeDistributed,
)
from profond.layers.regularization import SpatialDropout2D
from profond.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from profond.testing.layer_test import run_layer_test

IMG = (2, 6, 6, 3)
SEQ = (2, 5, 3)

# (class, kwargs, input shape, output shape, trainable, non-trainable[, input dtype])
CASES = [
    (Conv2D, {"filters": 4, "kernel_size": 3}, IMG, (2, 4, 4, 4), 2, 0),
    (Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
              "activation": "relu", "kernel_regularizer": "l2"}, IMG, (2, 3, 3, 4), 2, 0),
    (Conv2D, {"filters": 2, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False},
     IMG, (2, 4, 2, 2), 1, 0),
    (Conv2D, {"filters": 4, "kernel_size": 3, "data_format": "channels_first"},
     (2, 3, 6, 6), (2, 4, 4, 4), 2, 0),
    (Conv1D, {"filters": 4, "kernel_size": 3}, SEQ, (2, 3, 4), 2, 0),
    (Conv1D, {"filters": 4, "kernel_size": 2, "padding": "causal", "dilation_rate": 2},
     SEQ, (2, 5, 4), 2, 0),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     IMG, (2, 12, 12, 3), 2, 0),
    (Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, IMG, (2, 13, 13, 2), 2, 0),
    (MaxPooling2D, {}, IMG, (2, 3, 3, 3), 0, 0),
    (MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, IMG, (2, 3, 3, 3), 0, 0),
    (AveragePooling2D, {"pool_size": 2}, IMG, (2, 3, 3, 3), 0, 0),
    (MaxPooling1D, {}, (2, 6, 3), (2, 3, 3), 0, 0),
    (AveragePooling1D, {"pool_size": 3, "strides": 1}, (2, 6, 3), (2, 4, 3), 0, 0),
    (GlobalAveragePooling2D, {}, IMG, (2, 3), 0, 0),
    (GlobalMaxPooling2D, {"keepdims": True}, IMG, (2, 1, 1, 3), 0, 0),
    (GlobalAveragePooling1D, {}, SEQ, (2, 3), 0, 0),
    (GlobalMaxPooling1D, {}, SEQ, (2, 3), 0, 0),
    (UpSampling2D, {"size": (2, 3)}, IMG, (2, 12, 18, 3), 0, 0),
    (ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, IMG, (2, 9, 7, 3), 0, 0),
    (Cropping2D, {"cropping": ((1, 0), (2, 1))}, IMG, (2, 5, 3, 3), 0, 0),
    (BatchNormalization, {"momentum": 0.5}, IMG, IMG, 2, 2),
    (BatchNormalization, {"axis": 1, "momentum": 0.5}, (4, 3, 5), (4, 3, 5), 2, 2),
    (LayerNormalization, {}, SEQ, SEQ, 2, 0),
    (LayerNormalization, {"axis": [1, 2], "rms_scaling": True}, SEQ, SEQ, 1, 0),
    (SpatialDropout2D, {"rate": 0.3}, IMG, IMG, 0, 0),
    (SimpleRNN, {"units": 4}, SEQ, (2, 4), 3, 0),
    (SimpleRNN, {"units": 4, "return_sequences": True, "go_backwards": True}, SEQ, (2, 5, 4),
     3, 0),
    (LSTM, {"units": 4}, SEQ, (2, 4), 3, 0),
    (LSTM, {"units": 4, "return_sequences": True, "return_state": True},
     SEQ, [(2, 5, 4), (2, 4), (2, 4)], 3, 0),
    (LSTM, {"units": 3, "dropout": 0.2, "recurrent_dropout": 0.2, "seed": 1}, SEQ, (2, 3), 3, 0),
    (GRU, {"units": 4}, SEQ, (2, 4), 3, 0),
    (GRU, {"units": 4, "reset_after": False, "return_state": True}, SEQ, [(2, 4), (2, 4)], 3, 0),
    (TimeDistributed, {"layer": L.Dense(3)}, SEQ, (2, 5, 3), 2, 0),
    (Bidirectional, {"layer": LSTM(4, return_sequences=True)}, SEQ, (2, 5, 8), 6, 0),
    (Bidirectional, {"layer": GRU(2), "merge_mode": "sum"}, SEQ, (2, 2), 6, 0),
    (RNN, {"cell": LSTMCell(3)}, SEQ, (2, 3), 3, 0),
    (Embedding, {"input_dim": 10, "output_dim": 4}, (2, 5), (2, 5, 4), 1, 0, "int64"),
]


def _id(case):
    return f"{case[0].__name__}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"[:60]


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_layer_contract(case):
    cls, kwargs, in_shape, out_shape, n_tr, n_ntr = case[:6]
    dtype = case[6] if len(case) > 6 else "float32"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="run_layer_test: profond.saving")
        run_layer_test(cls, kwargs, in_shape, out_shape, expected_num_trainable_weights=n_tr,
                       expected_num_non_trainable_weights=n_ntr, input_dtype=dtype)


def test_contract_catches_a_wrong_weight_count():
    with pytest.raises(AssertionError, match="trainable weights"):
        run_layer_test(Conv2D, {"filters": 2, "kernel_size": 3}, IMG, (2, 4, 4, 2),
                       expected_num_trainable_weights=1, run_save_check=False)
