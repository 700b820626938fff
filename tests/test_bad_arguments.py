"""No silent garbage (issue 13, item 7): every bad public argument fails at the API boundary.

One row per case: what is called, the error class, and a piece of the message that names the
argument and the received value (``batch_size=0``). Before these checks, ``fit(batch_size=-4)``
ran zero steps and reported a loss of 0.0, ``Dense(use_bias="no")`` meant True,
``Conv2D(kernel_size=[3.7, 3])`` became (3, 3) and ``Adam(beta_1=1.5)`` trained to NaN. The
second table holds edge values that are valid (NumPy integers, ``epochs=0``, a zero learning
rate …) and must keep working.
"""

import numpy as np
import pytest

import profond as pf
from profond import _validation as check
from profond import keras
from profond.optimizers import schedules

L = keras.layers
O = keras.optimizers  # noqa: E741
X = np.random.default_rng(0).random((8, 4)).astype("float32")
Y = np.random.default_rng(1).random((8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1])
EMPTY = np.zeros((0, 4), "float32")


def regression():
    """A compiled Sequential on Input((4,)) → Dense(1), trained with SGD on the MSE."""
    model = keras.Sequential([keras.Input((4,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def classifier():
    """Three classes, sparse integer labels."""
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def fit(**kwargs):
    return regression().fit(X, Y, verbose=0, **kwargs)


def fit_classes(**kwargs):
    return classifier().fit(X, LABELS, verbose=0, **kwargs)


def row(case_id, make, needle, error=ValueError):
    return pytest.param(make, error, needle, id=case_id)


BAD = [
    # --- fit ------------------------------------------------------------------------------------
    row("fit-batch_size-0", lambda: fit(batch_size=0), "batch_size=0"),
    row("fit-batch_size-negative", lambda: fit(batch_size=-4), "batch_size=-4"),
    row("fit-batch_size-float", lambda: fit(batch_size=1.5), "batch_size=1.5"),
    row("fit-batch_size-str", lambda: fit(batch_size="32"), "batch_size='32'"),
    row("fit-batch_size-bool", lambda: fit(batch_size=True), "batch_size=True"),
    row("fit-epochs-negative", lambda: fit(epochs=-1), "epochs=-1"),
    row("fit-epochs-float", lambda: fit(epochs=1.5), "epochs=1.5"),
    row("fit-epochs-str", lambda: fit(epochs="2"), "epochs='2'"),
    row("fit-initial_epoch-negative", lambda: fit(epochs=1, initial_epoch=-3),
        "initial_epoch=-3"),
    row("fit-initial_epoch-float", lambda: fit(epochs=2, initial_epoch=0.5), "initial_epoch=0.5"),
    row("fit-steps_per_epoch-0", lambda: fit(steps_per_epoch=0), "steps_per_epoch=0"),
    row("fit-steps_per_epoch-negative", lambda: fit(steps_per_epoch=-1), "steps_per_epoch=-1"),
    row("fit-steps_per_epoch-float", lambda: fit(steps_per_epoch=1.5), "steps_per_epoch=1.5"),
    row("fit-validation_steps-0", lambda: fit(validation_data=(X, Y), validation_steps=0),
        "validation_steps=0"),
    row("fit-validation_steps-negative",
        lambda: fit(validation_data=(X, Y), validation_steps=-2), "validation_steps=-2"),
    row("fit-validation_freq-0", lambda: fit(validation_data=(X, Y), validation_freq=0),
        "validation_freq=0"),
    row("fit-validation_freq-float", lambda: fit(validation_data=(X, Y), validation_freq=1.5),
        "validation_freq=1.5"),
    row("fit-validation_freq-list-with-0",
        lambda: fit(validation_data=(X, Y), validation_freq=[0, 1]), "validation_freq=[0, 1]"),
    row("fit-validation_freq-str", lambda: fit(validation_data=(X, Y), validation_freq="1"),
        "validation_freq='1'"),
    row("fit-validation_split-1", lambda: fit(validation_split=1.0), "validation_split=1.0"),
    row("fit-validation_split-negative", lambda: fit(validation_split=-0.1),
        "validation_split=-0.1"),
    row("fit-validation_split-str", lambda: fit(validation_split="0.2"),
        "validation_split='0.2'"),
    row("fit-validation_split-nan", lambda: fit(validation_split=float("nan")),
        "validation_split=nan"),
    row("fit-validation_batch_size-0",
        lambda: fit(validation_data=(X, Y), validation_batch_size=0), "validation_batch_size=0"),
    row("fit-validation_data-str", lambda: fit(validation_data="abc"), "validation_data='abc'"),
    row("fit-validation_data-4-tuple", lambda: fit(validation_data=(X, Y, None, None)),
        "validation_data=("),
    row("fit-validation_data-without-y", lambda: fit(validation_data=(X,)), "y=None"),
    row("fit-validation_data-empty", lambda: fit(validation_data=(EMPTY, Y[:0])),
        "validation_data=array([]"),
    row("fit-class_weight-unknown-class", lambda: fit_classes(class_weight={7: 2.0}),
        "class_weight={7: 2.0}"),
    row("fit-class_weight-negative-class", lambda: fit_classes(class_weight={-1: 2.0}),
        "class_weight={-1: 2.0}"),
    row("fit-class_weight-negative-weight",
        lambda: fit_classes(class_weight={0: -2.0, 1: 1.0}), "class_weight={0: -2.0, 1: 1.0}"),
    row("fit-class_weight-nan-weight", lambda: fit_classes(class_weight={0: float("nan")}),
        "class_weight={0: nan}"),
    row("fit-class_weight-str-key", lambda: fit_classes(class_weight={"a": 2.0}),
        "class_weight={'a': 2.0}"),
    row("fit-class_weight-float-key", lambda: fit_classes(class_weight={0.5: 2.0}),
        "class_weight={0.5: 2.0}"),
    row("fit-class_weight-list", lambda: fit_classes(class_weight=[1.0, 2.0, 3.0]),
        "class_weight=[1.0, 2.0, 3.0]"),
    row("fit-class_weight-one-hot-width", lambda: _unbuilt_one_hot_fit({2: 1.0}),
        "class_weight={2: 1.0}"),
    row("fit-callbacks-str", lambda: fit(callbacks="EarlyStopping"),
        "callbacks='EarlyStopping'"),
    row("fit-callbacks-int-item", lambda: fit(callbacks=[1]), "callbacks=[1]"),
    row("fit-callbacks-class", lambda: fit(callbacks=[keras.callbacks.EarlyStopping]),
        "write EarlyStopping(), an instance"),
    row("fit-x-None", lambda: regression().fit(None, Y, verbose=0), "x=None"),
    row("fit-no-data", lambda: regression().fit(verbose=0), "x=None"),
    row("fit-0-samples", lambda: regression().fit(EMPTY, Y[:0], verbose=0), "x=array([]"),
    row("fit-x-str", lambda: regression().fit("abc", Y, verbose=0), "x=array('abc'"),
    row("fit-y-None-with-compiled-loss", lambda: regression().fit(X, verbose=0), "y=None"),
    row("fit-verbose-str", lambda: regression().fit(X, Y, verbose="yes"), "verbose='yes'"),
    row("fit-verbose-5", lambda: regression().fit(X, Y, verbose=5), "verbose=5"),
    row("fit-shuffle-str", lambda: fit(shuffle="no"), "shuffle='no'"),
    row("fit-sample_weight-length", lambda: fit(sample_weight=np.ones(5)),
        "'sample_weight' sizes: 5"),
    row("fit-dataset-class_weight-bad",
        lambda: classifier().fit(pf.data.Dataset.from_tensor_slices((X, LABELS)).batch(4),
                                 class_weight={5: 1.0}, verbose=0), "class_weight={5: 1.0}"),
    # --- evaluate / predict / on_batch -----------------------------------------------------------
    row("evaluate-batch_size-0", lambda: regression().evaluate(X, Y, batch_size=0, verbose=0),
        "batch_size=0"),
    row("evaluate-batch_size-float",
        lambda: regression().evaluate(X, Y, batch_size=2.5, verbose=0), "batch_size=2.5"),
    row("evaluate-steps-0", lambda: regression().evaluate(X, Y, steps=0, verbose=0), "steps=0"),
    row("evaluate-steps-negative", lambda: regression().evaluate(X, Y, steps=-1, verbose=0),
        "steps=-1"),
    row("evaluate-x-None", lambda: regression().evaluate(None, Y, verbose=0), "x=None"),
    row("evaluate-y-None", lambda: regression().evaluate(X, None, verbose=0), "y=None"),
    row("evaluate-0-samples", lambda: regression().evaluate(EMPTY, Y[:0], verbose=0),
        "x=array([]"),
    row("evaluate-callbacks-str", lambda: regression().evaluate(X, Y, callbacks="x", verbose=0),
        "callbacks='x'"),
    row("evaluate-verbose-str", lambda: regression().evaluate(X, Y, verbose="loud"),
        "verbose='loud'"),
    row("predict-batch_size-0", lambda: regression().predict(X, batch_size=0, verbose=0),
        "batch_size=0"),
    row("predict-batch_size-negative", lambda: regression().predict(X, batch_size=-1, verbose=0),
        "batch_size=-1"),
    row("predict-batch_size-float", lambda: regression().predict(X, batch_size=1.5, verbose=0),
        "batch_size=1.5"),
    row("predict-steps-0", lambda: regression().predict(X, steps=0, verbose=0), "steps=0"),
    row("predict-x-None", lambda: regression().predict(None, verbose=0), "x=None"),
    row("predict-0-samples", lambda: regression().predict(EMPTY, verbose=0), "x=array([]"),
    row("predict-callbacks-str", lambda: regression().predict(X, callbacks="x", verbose=0),
        "callbacks='x'"),
    row("predict-empty-Sequential", lambda: keras.Sequential().predict(X, verbose=0),
        "has no layers"),
    row("predict-wrong-rank", lambda: regression().predict(np.zeros((3, 2, 4)), verbose=0),
        "found shape=(3, 2, 4)"),
    row("call-wrong-rank", lambda: regression()(np.zeros((3, 2, 4), "float32")),
        "found shape=(3, 2, 4)"),
    row("predict-wrong-width", lambda: regression().predict(np.zeros((3, 5)), verbose=0),
        "shape (3, 5)"),
    row("train_on_batch-class_weight", lambda: classifier().train_on_batch(
        X, LABELS, class_weight={9: 1.0}), "class_weight={9: 1.0}"),
    row("train_on_batch-0-samples", lambda: regression().train_on_batch(EMPTY, Y[:0]),
        "x=array([]"),
    row("compile-unknown-keyword", lambda: regression().compile("sgd", "mse", metric=["mae"]),
        "'metric'", TypeError),
    row("evaluate-unknown-keyword", lambda: regression().evaluate(X, Y, epochs=3, verbose=0),
        "{'epochs': 3}"),
    row("count_params-unbuilt-layer", lambda: L.Dense(3).count_params(), "isn't built"),
    row("count_params-unbuilt-Sequential", lambda: keras.Sequential([L.Dense(3)]).count_params(),
        "isn't built"),
    # --- optimizers -------------------------------------------------------------------------------
    row("SGD-learning_rate-negative", lambda: O.SGD(learning_rate=-0.01), "learning_rate=-0.01"),
    row("Adam-learning_rate-nan", lambda: O.Adam(learning_rate=float("nan")),
        "learning_rate=nan"),
    row("Adam-learning_rate-inf", lambda: O.Adam(learning_rate=float("inf")),
        "learning_rate=inf"),
    row("Adam-learning_rate-str", lambda: O.Adam(learning_rate="0.1"), "learning_rate='0.1'",
        TypeError),
    row("Adam-learning_rate-bool", lambda: O.Adam(learning_rate=True), "learning_rate=True",
        TypeError),
    row("Adam-learning_rate-setter-negative", lambda: setattr(O.Adam(), "learning_rate", -1.0),
        "learning_rate=-1.0"),
    row("Adam-learning_rate-setter-nan",
        lambda: setattr(O.Adam(), "learning_rate", float("nan")), "learning_rate=nan"),
    row("RMSprop-learning_rate-negative", lambda: O.RMSprop(learning_rate=-1),
        "learning_rate=-1"),
    row("AdamW-learning_rate-negative", lambda: O.AdamW(learning_rate=-1), "learning_rate=-1"),
    row("SGD-clipnorm-negative", lambda: O.SGD(clipnorm=-1), "clipnorm=-1"),
    row("SGD-clipnorm-0", lambda: O.SGD(clipnorm=0), "clipnorm=0"),
    row("SGD-clipvalue-negative", lambda: O.SGD(clipvalue=-1), "clipvalue=-1"),
    row("SGD-global_clipnorm-negative", lambda: O.SGD(global_clipnorm=-1), "global_clipnorm=-1"),
    row("Adam-clipnorm-str", lambda: O.Adam(clipnorm="1"), "clipnorm='1'"),
    row("SGD-weight_decay-negative", lambda: O.SGD(weight_decay=-1), "weight_decay=-1"),
    row("AdamW-weight_decay-negative", lambda: O.AdamW(weight_decay=-0.1), "weight_decay=-0.1"),
    row("Adam-beta_1-above-1", lambda: O.Adam(beta_1=1.5), "beta_1=1.5"),
    row("Adam-beta_1-negative", lambda: O.Adam(beta_1=-0.1), "beta_1=-0.1"),
    row("Adam-beta_1-1", lambda: O.Adam(beta_1=1.0), "beta_1=1.0"),
    row("Adam-beta_2-1", lambda: O.Adam(beta_2=1.0), "beta_2=1.0"),
    row("Adam-beta_2-str", lambda: O.Adam(beta_2="0.9"), "beta_2='0.9'"),
    row("AdamW-beta_1-above-1", lambda: O.AdamW(beta_1=2.0), "beta_1=2.0"),
    row("Adam-epsilon-negative", lambda: O.Adam(epsilon=-1), "epsilon=-1"),
    row("Adam-epsilon-nan", lambda: O.Adam(epsilon=float("nan")), "epsilon=nan"),
    row("Adam-amsgrad-str", lambda: O.Adam(amsgrad="yes"), "amsgrad='yes'"),
    row("SGD-momentum-negative", lambda: O.SGD(momentum=-0.1), "momentum=-0.1"),
    row("SGD-momentum-above-1", lambda: O.SGD(momentum=1.5), "momentum=1.5"),
    row("SGD-momentum-str", lambda: O.SGD(momentum="0.9"), "momentum='0.9'"),
    row("SGD-nesterov-str", lambda: O.SGD(momentum=0.9, nesterov="no"), "nesterov='no'"),
    row("SGD-nesterov-int", lambda: O.SGD(momentum=0.9, nesterov=1), "nesterov=1"),
    row("SGD-name-int", lambda: O.SGD(name=5), "name=5"),
    row("RMSprop-rho-above-1", lambda: O.RMSprop(rho=1.5), "rho=1.5"),
    row("RMSprop-momentum-negative", lambda: O.RMSprop(momentum=-1), "momentum=-1"),
    row("RMSprop-epsilon-negative", lambda: O.RMSprop(epsilon=-1), "epsilon=-1"),
    row("RMSprop-centered-str", lambda: O.RMSprop(centered="no"), "centered='no'"),
    row("Adadelta-rho-negative", lambda: O.Adadelta(rho=-0.5), "rho=-0.5"),
    row("Adadelta-epsilon-negative", lambda: O.Adadelta(epsilon=-1e-7), "epsilon=-1e-07"),
    row("Adagrad-initial_accumulator_value-negative",
        lambda: O.Adagrad(initial_accumulator_value=-1), "initial_accumulator_value=-1"),
    row("Adagrad-epsilon-inf", lambda: O.Adagrad(epsilon=float("inf")), "epsilon=inf"),
    row("ExponentialDecay-decay_steps-0",
        lambda: schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5), "decay_steps=0"),
    row("ExponentialDecay-decay_rate-negative",
        lambda: schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=-0.5),
        "decay_rate=-0.5"),
    row("ExponentialDecay-initial_learning_rate-negative",
        lambda: schedules.ExponentialDecay(-0.1, decay_steps=10, decay_rate=0.5),
        "initial_learning_rate=-0.1"),
    row("CosineDecay-alpha-above-1", lambda: schedules.CosineDecay(0.1, 100, alpha=2.0),
        "alpha=2.0"),
    row("CosineDecay-decay_steps-negative", lambda: schedules.CosineDecay(0.1, -5),
        "decay_steps=-5"),
    # --- core layers ------------------------------------------------------------------------------
    row("Dense-units-negative", lambda: L.Dense(-1), "units=-1"),
    row("Dense-units-0", lambda: L.Dense(0), "units=0"),
    row("Dense-units-float", lambda: L.Dense(2.5), "units=2.5"),
    row("Dense-units-str", lambda: L.Dense("3"), "units='3'"),
    row("Dense-units-bool", lambda: L.Dense(True), "units=True"),
    row("Dense-use_bias-str", lambda: L.Dense(3, use_bias="no"), "use_bias='no'"),
    row("Dense-use_bias-int", lambda: L.Dense(3, use_bias=0), "use_bias=0"),
    row("Dense-input_dim-float", lambda: L.Dense(3, input_dim=2.5), "input_dim=2.5"),
    row("Dense-input_dim-negative", lambda: L.Dense(3, input_dim=-1), "input_dim=-1"),
    row("Dense-input_shape-str", lambda: L.Dense(3, input_shape="784"), "input_shape='784'"),
    row("Dense-input_shape-int", lambda: L.Dense(3, input_shape=784), "input_shape=784"),
    row("Dense-input_shape-negative", lambda: L.Dense(3, input_shape=(-1,)),
        "input_shape=(-1,)"),
    row("Dense-input_shape-float", lambda: L.Dense(3, input_shape=(2.5,)), "input_shape=(2.5,)"),
    row("Dense-batch_input_shape-negative", lambda: L.Dense(3, batch_input_shape=(None, -2)),
        "batch_input_shape=(None, -2)"),
    row("Dense-trainable-str", lambda: L.Dense(3, trainable="no"), "trainable='no'"),
    row("Dense-name-int", lambda: L.Dense(3, name=5), "name=5"),
    row("Dense-dtype-unknown", lambda: L.Dense(3, dtype="foo"), "dtype='foo'", TypeError),
    row("Input-dtype-unknown", lambda: keras.Input((4,), dtype="foo"), "dtype='foo'", TypeError),
    row("Dropout-rate-above-1", lambda: L.Dropout(1.5), "rate=1.5"),
    row("Dropout-rate-negative", lambda: L.Dropout(-0.1), "rate=-0.1"),
    row("Dropout-rate-str", lambda: L.Dropout("0.5"), "rate='0.5'"),
    row("Dropout-rate-nan", lambda: L.Dropout(float("nan")), "rate=nan"),
    row("Dropout-noise_shape-str", lambda: L.Dropout(0.5, noise_shape="ab"), "noise_shape='ab'"),
    row("Dropout-seed-float", lambda: L.Dropout(0.5, seed=1.5), "seed=1.5"),
    row("Reshape-float", lambda: L.Reshape((2.5, 4)), "target_shape=(2.5, 4)"),
    row("Reshape-minus-2", lambda: L.Reshape((-2, 4)), "target_shape=(-2, 4)"),
    row("Reshape-two-unknown", lambda: L.Reshape((-1, -1)), "target_shape=(-1, -1)"),
    row("Reshape-int", lambda: L.Reshape(24), "target_shape=24"),
    row("Reshape-str", lambda: L.Reshape("24"), "target_shape='24'"),
    # --- convolution and pooling ------------------------------------------------------------------
    row("Conv2D-filters-0", lambda: L.Conv2D(0, 3), "filters=0"),
    row("Conv2D-filters-float", lambda: L.Conv2D(2.5, 3), "filters=2.5"),
    row("Conv2D-kernel_size-float", lambda: L.Conv2D(4, kernel_size=[3.7, 3]),
        "kernel_size=[3.7, 3]"),
    row("Conv2D-kernel_size-0", lambda: L.Conv2D(4, 0), "kernel_size=0"),
    row("Conv2D-kernel_size-length", lambda: L.Conv2D(4, (3,)), "kernel_size=(3,)"),
    row("Conv2D-kernel_size-str", lambda: L.Conv2D(4, "3"), "kernel_size='3'"),
    row("Conv2D-kernel_size-bool", lambda: L.Conv2D(4, True), "kernel_size=True"),
    row("Conv2D-strides-0", lambda: L.Conv2D(4, 3, strides=0), "strides=0"),
    row("Conv2D-strides-float", lambda: L.Conv2D(4, 3, strides=1.5), "strides=1.5"),
    row("Conv2D-padding", lambda: L.Conv2D(4, 3, padding="full"), "padding='full'"),
    row("Conv2D-dilation_rate-0", lambda: L.Conv2D(4, 3, dilation_rate=0), "dilation_rate=0"),
    row("Conv2D-groups-0", lambda: L.Conv2D(4, 3, groups=0), "groups=0"),
    row("Conv2D-groups-not-dividing", lambda: L.Conv2D(4, 3, groups=3), "groups=3"),
    row("Conv2D-use_bias-str", lambda: L.Conv2D(4, 3, use_bias="no"), "use_bias='no'"),
    row("Conv2D-data_format", lambda: L.Conv2D(4, 3, data_format="nhwc"),
        "data_format='nhwc'"),
    row("Conv1D-kernel_size-float", lambda: L.Conv1D(4, 2.5), "kernel_size=2.5"),
    row("Conv3D-kernel_size-float", lambda: L.Conv3D(4, (3, 3, 1.5)), "kernel_size=(3, 3, 1.5)"),
    row("Conv2DTranspose-output_padding-negative",
        lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=-1), "output_padding=-1"),
    row("Conv2DTranspose-output_padding-float",
        lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=0.5), "output_padding=0.5"),
    row("Conv2DTranspose-output_padding-not-below-strides",
        lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding=2"),
    row("DepthwiseConv2D-kernel_size-float", lambda: L.DepthwiseConv2D(2.5),
        "kernel_size=2.5"),
    row("MaxPooling2D-pool_size-float", lambda: L.MaxPooling2D(pool_size=2.5), "pool_size=2.5"),
    row("MaxPooling2D-strides-0", lambda: L.MaxPooling2D(2, strides=0), "strides=0"),
    row("AveragePooling2D-pool_size-list-float", lambda: L.AveragePooling2D([2, 2.0]),
        "pool_size=[2, 2.0]"),
    # --- reshaping -------------------------------------------------------------------------------
    row("UpSampling2D-size-float", lambda: L.UpSampling2D(size=1.5), "size=1.5"),
    row("UpSampling2D-size-0", lambda: L.UpSampling2D(size=0), "size=0"),
    row("UpSampling1D-size-negative", lambda: L.UpSampling1D(size=-2), "size=-2"),
    row("ZeroPadding2D-negative", lambda: L.ZeroPadding2D(padding=-1), "padding=-1"),
    row("ZeroPadding2D-float", lambda: L.ZeroPadding2D(padding=1.5), "padding=1.5"),
    row("ZeroPadding2D-pair-float", lambda: L.ZeroPadding2D(padding=((1, 2), (0, 0.5))),
        "padding=((1, 2), (0, 0.5))"),
    row("ZeroPadding1D-float", lambda: L.ZeroPadding1D(padding=1.5), "padding=1.5"),
    row("Cropping2D-negative", lambda: L.Cropping2D(cropping=-1), "cropping=-1"),
    row("Cropping2D-float", lambda: L.Cropping2D(cropping=1.5), "cropping=1.5"),
    row("Cropping1D-float", lambda: L.Cropping1D(cropping=(1, 2.5)), "cropping=(1, 2.5)"),
    row("Permute-not-a-permutation", lambda: L.Permute((1, 3)), "dims=(1, 3)"),
    row("Permute-floats", lambda: L.Permute((1.0, 2.0)), "dims=(1.0, 2.0)"),
    row("RepeatVector-0", lambda: L.RepeatVector(0), "n=0"),
    row("RepeatVector-float", lambda: L.RepeatVector(2.5), "n=2.5"),
    # --- normalization ----------------------------------------------------------------------------
    row("BatchNormalization-epsilon-negative", lambda: L.BatchNormalization(epsilon=-1),
        "epsilon=-1"),
    row("BatchNormalization-momentum-above-1", lambda: L.BatchNormalization(momentum=1.5),
        "momentum=1.5"),
    row("BatchNormalization-momentum-str", lambda: L.BatchNormalization(momentum="0.9"),
        "momentum='0.9'"),
    row("BatchNormalization-center-str", lambda: L.BatchNormalization(center="no"),
        "center='no'"),
    row("BatchNormalization-scale-str", lambda: L.BatchNormalization(scale="no"),
        "scale='no'"),
    row("BatchNormalization-axis-float", lambda: L.BatchNormalization(axis=1.5), "axis=1.5"),
    row("BatchNormalization-axis-str", lambda: L.BatchNormalization(axis="x"), "axis='x'"),
    row("LayerNormalization-epsilon-negative", lambda: L.LayerNormalization(epsilon=-1),
        "epsilon=-1"),
    row("LayerNormalization-axis-float", lambda: L.LayerNormalization(axis=1.5), "axis=1.5"),
    row("LayerNormalization-rms_scaling-str", lambda: L.LayerNormalization(rms_scaling="yes"),
        "rms_scaling='yes'"),
    # --- recurrent and embedding ------------------------------------------------------------------
    row("SimpleRNN-units-0", lambda: L.SimpleRNN(0), "units=0"),
    row("LSTM-units-float", lambda: L.LSTM(2.5), "units=2.5"),
    row("GRU-units-negative", lambda: L.GRU(-1), "units=-1"),
    row("LSTMCell-units-str", lambda: L.LSTMCell("4"), "units='4'"),
    row("LSTM-dropout-above-1", lambda: L.LSTM(4, dropout=1.5), "dropout=1.5"),
    row("LSTM-recurrent_dropout-negative", lambda: L.LSTM(4, recurrent_dropout=-0.1),
        "recurrent_dropout=-0.1"),
    row("LSTM-dropout-str", lambda: L.LSTM(4, dropout="0.1"), "dropout='0.1'"),
    row("LSTM-return_sequences-str", lambda: L.LSTM(4, return_sequences="no"),
        "return_sequences='no'"),
    row("LSTM-return_state-str", lambda: L.LSTM(4, return_state="yes"), "return_state='yes'"),
    row("LSTM-go_backwards-str", lambda: L.LSTM(4, go_backwards="no"), "go_backwards='no'"),
    row("LSTM-stateful-str", lambda: L.LSTM(4, stateful="no"), "stateful='no'"),
    row("LSTM-use_bias-str", lambda: L.LSTM(4, use_bias="no"), "use_bias='no'"),
    row("LSTM-unit_forget_bias-str", lambda: L.LSTM(4, unit_forget_bias="no"),
        "unit_forget_bias='no'"),
    row("GRU-reset_after-str", lambda: L.GRU(4, reset_after="no"), "reset_after='no'"),
    row("Embedding-input_dim-0", lambda: L.Embedding(0, 4), "input_dim=0"),
    row("Embedding-output_dim-float", lambda: L.Embedding(10, 2.5), "output_dim=2.5"),
    row("Embedding-mask_zero-str", lambda: L.Embedding(10, 4, mask_zero="no"),
        "mask_zero='no'"),
    # --- Input ------------------------------------------------------------------------------------
    row("Input-shape-negative", lambda: keras.Input(shape=(-1, 4)), "shape=(-1, 4)"),
    row("Input-shape-int", lambda: keras.Input(shape=784), "e.g. shape=(784,)"),
    row("Input-shape-numpy-int", lambda: keras.Input(shape=np.int64(784)), "shape=np.int64(784)"),
    row("Input-shape-float", lambda: keras.Input(shape=(2.5,)), "shape=(2.5,)"),
    row("Input-shape-str", lambda: keras.Input(shape="784"), "shape='784'"),
    row("Input-batch_size-0", lambda: keras.Input(shape=(4,), batch_size=0), "batch_size=0"),
    row("Input-batch_size-negative", lambda: keras.Input(shape=(4,), batch_size=-1),
        "batch_size=-1"),
    row("Input-batch_size-float", lambda: keras.Input(shape=(4,), batch_size=2.5),
        "batch_size=2.5"),
    row("Input-batch_shape-negative", lambda: keras.Input(batch_shape=(2, -3)),
        "batch_shape=(2, -3)"),
    # --- one_hot ----------------------------------------------------------------------------------
    row("one_hot-depth-negative", lambda: pf.one_hot([0, 1], depth=-1), "depth=-1"),
    row("one_hot-depth-float", lambda: pf.one_hot([0, 1], depth=2.5), "depth=2.5"),
    row("one_hot-depth-str", lambda: pf.one_hot([0, 1], depth="3"), "depth='3'"),
    row("one_hot-axis-out-of-range", lambda: pf.one_hot([0, 1], depth=3, axis=5), "axis=5"),
    row("keras.ops.one_hot-num_classes-negative",
        lambda: keras.ops.one_hot(np.array([0, 1]), -1), "num_classes=-1"),
]


def _unbuilt_one_hot_fit(class_weight):
    """A model whose output width is unknown before fit: the one-hot targets give the classes."""
    model = keras.Sequential([L.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    return model.fit(X, np.eye(2, dtype="float32")[LABELS % 2], class_weight=class_weight,
                     verbose=0)


def test_the_table_is_big_enough():
    assert len(BAD) >= 120


@pytest.mark.parametrize("make, error, needle", BAD)
def test_a_bad_argument_is_refused_naming_it_and_its_value(make, error, needle):
    with pytest.raises(error) as info:
        make()
    assert needle in str(info.value), str(info.value)


def test_a_refused_fit_trains_nothing():
    """The checks run before any step: the weights are those of before the call."""
    model = regression()
    before = [w.copy() for w in model.get_weights()]
    for bad in ({"batch_size": -4}, {"epochs": -1}, {"steps_per_epoch": 0},
                {"callbacks": "EarlyStopping"}, {"validation_freq": 0}):
        with pytest.raises(ValueError):
            model.fit(X, Y, verbose=0, **bad)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_messages_name_the_layer_and_who_checks():
    with pytest.raises(ValueError, match=r'^`Dense` "d7": Expected `units` to be a positive '
                                         r"integer\. Received: units=-1$"):
        L.Dense(-1, name="d7")
    with pytest.raises(ValueError, match=r"^`fit`: Expected `batch_size`"):
        fit(batch_size=0)
    with pytest.raises(ValueError, match=r"^`Adam`: Expected `beta_1` to be a float in \[0, 1\)"):
        O.Adam(beta_1=1.5)


# --- valid edge values: they must keep working ------------------------------------------------


def _history(**kwargs):
    return fit(**kwargs).history


GOOD = [
    pytest.param(lambda: _history(batch_size=np.int64(4)), lambda h: len(h["loss"]) == 1,
                 id="fit-batch_size-numpy-int"),
    pytest.param(lambda: _history(epochs=np.int32(2)), lambda h: len(h["loss"]) == 2,
                 id="fit-epochs-numpy-int"),
    pytest.param(lambda: _history(epochs=0), lambda h: h == {}, id="fit-epochs-0-as-Keras"),
    pytest.param(lambda: _history(epochs=2, initial_epoch=5), lambda h: h == {},
                 id="fit-initial_epoch-past-epochs-as-Keras"),
    pytest.param(lambda: _history(epochs=3, initial_epoch=2), lambda h: len(h["loss"]) == 1,
                 id="fit-initial_epoch-resumes"),
    pytest.param(lambda: _history(steps_per_epoch=np.int64(1)), lambda h: len(h["loss"]) == 1,
                 id="fit-steps_per_epoch-numpy-int"),
    pytest.param(lambda: _history(validation_split=0.25), lambda h: "val_loss" in h,
                 id="fit-validation_split"),
    pytest.param(lambda: _history(validation_data=(X, Y), epochs=2, validation_freq=[2]),
                 lambda h: len(h["val_loss"]) == 1, id="fit-validation_freq-list"),
    pytest.param(lambda: _history(validation_data=[X, Y], validation_freq=np.int64(1)),
                 lambda h: len(h["val_loss"]) == 1, id="fit-validation_data-list"),
    pytest.param(lambda: _history(shuffle="batch"), lambda h: len(h["loss"]) == 1,
                 id="fit-shuffle-batch"),
    pytest.param(lambda: _history(shuffle=np.bool_(False)), lambda h: len(h["loss"]) == 1,
                 id="fit-shuffle-numpy-bool"),
    pytest.param(lambda: regression().fit(X, Y, verbose=False).history,
                 lambda h: len(h["loss"]) == 1, id="fit-verbose-False"),
    pytest.param(lambda: _history(callbacks=keras.callbacks.History()),
                 lambda h: len(h["loss"]) == 1, id="fit-callbacks-single-instance"),
    pytest.param(lambda: _history(callbacks=(keras.callbacks.EarlyStopping("loss", patience=1),)),
                 lambda h: len(h["loss"]) == 1, id="fit-callbacks-tuple"),
    pytest.param(lambda: fit_classes(class_weight={np.int64(0): 1.0, 1: np.float32(2.0),
                                                   2: 0}).history,
                 lambda h: np.isfinite(h["loss"][0]), id="fit-class_weight-numpy-and-zero"),
    pytest.param(lambda: _unbuilt_one_hot_fit({0: 1.0, 1: 3.0}).history,
                 lambda h: np.isfinite(h["loss"][0]), id="fit-class_weight-one-hot"),
    pytest.param(lambda: regression().predict(X, batch_size=np.int64(3), steps=2, verbose=0),
                 lambda p: p.shape == (6, 1), id="predict-numpy-batch_size-and-steps"),
    pytest.param(lambda: keras.Sequential([keras.Input((1,)), L.Dense(1)]).predict(
        np.arange(5.0), verbose=0), lambda p: p.shape == (5, 1),
        id="predict-1d-on-Input-of-one"),
    pytest.param(lambda: O.Adam(learning_rate=0.0).learning_rate, lambda v: v == 0.0,
                 id="Adam-learning_rate-0"),
    pytest.param(lambda: O.SGD(learning_rate=np.float32(0.5)).learning_rate,
                 lambda v: v == 0.5, id="SGD-learning_rate-numpy-float"),
    pytest.param(lambda: O.SGD(learning_rate=pf.constant(0.25)).learning_rate,
                 lambda v: v == 0.25, id="SGD-learning_rate-tensor"),
    pytest.param(lambda: O.SGD(learning_rate=1).learning_rate, lambda v: v == 1.0,
                 id="SGD-learning_rate-int"),
    pytest.param(lambda: O.SGD(momentum=1, nesterov=np.bool_(True)).nesterov,
                 lambda v: v is True, id="SGD-momentum-1-numpy-bool"),
    pytest.param(lambda: O.Adam(beta_1=0, beta_2=0.0, epsilon=0).beta_1, lambda v: v == 0.0,
                 id="Adam-betas-and-epsilon-0"),
    pytest.param(lambda: O.Adam(learning_rate=schedules.CosineDecay(0.1, 10)).learning_rate,
                 lambda v: abs(v - 0.1) < 1e-6, id="Adam-schedule"),
    pytest.param(lambda: O.AdamW(weight_decay=0.0, clipnorm=np.float64(1.0)).clipnorm,
                 lambda v: v == 1.0, id="AdamW-weight_decay-0"),
    pytest.param(lambda: L.Dense(np.int64(3), use_bias=np.bool_(False)).units,
                 lambda v: v == 3 and type(v) is int, id="Dense-numpy-units"),
    pytest.param(lambda: keras.Sequential([L.Dense(3, input_shape=[4])]).count_params(),
                 lambda n: n == 15, id="Dense-input_shape-list"),
    pytest.param(lambda: keras.Sequential([L.Dense(3, input_dim=np.int64(4))]).count_params(),
                 lambda n: n == 15, id="Dense-input_dim-numpy"),
    pytest.param(lambda: L.Dropout(1.0).rate, lambda v: v == 1.0, id="Dropout-rate-1"),
    pytest.param(lambda: L.Dropout(np.float32(0.5), noise_shape=(None, 1), seed=3).rate,
                 lambda v: v == 0.5, id="Dropout-numpy-rate"),
    pytest.param(lambda: L.Reshape((-1, 2))(pf.ones((2, 6))).shape, lambda s: s == (2, 3, 2),
                 id="Reshape-one-unknown"),
    pytest.param(lambda: L.Reshape([np.int64(3), 2]).target_shape, lambda s: s == (3, 2),
                 id="Reshape-list-numpy"),
    pytest.param(lambda: L.Conv2D(np.int64(4), np.int64(3)).kernel_size,
                 lambda s: s == (3, 3), id="Conv2D-numpy-ints"),
    pytest.param(lambda: L.Conv2D(4, [3, 1], strides=[1, 2]).strides, lambda s: s == (1, 2),
                 id="Conv2D-lists"),
    pytest.param(lambda: L.Conv2D(4, 3, padding="SAME").padding, lambda p: p == "same",
                 id="Conv2D-padding-upper-case"),
    pytest.param(lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=1).output_padding,
                 lambda p: p == (1, 1), id="Conv2DTranspose-output_padding"),
    pytest.param(lambda: L.ZeroPadding2D(((1, 2), (np.int64(0), 3))).padding,
                 lambda p: p == ((1, 2), (0, 3)), id="ZeroPadding2D-pairs"),
    pytest.param(lambda: L.Cropping1D(np.int64(1)).cropping, lambda c: c == (1, 1),
                 id="Cropping1D-numpy"),
    pytest.param(lambda: L.Permute([2, 1]).dims, lambda d: d == (2, 1), id="Permute-list"),
    pytest.param(lambda: L.RepeatVector(np.int64(2)).n, lambda n: n == 2,
                 id="RepeatVector-numpy"),
    pytest.param(lambda: L.BatchNormalization(axis=[1, 2], epsilon=0).axis,
                 lambda a: a == [1, 2], id="BatchNormalization-axes-epsilon-0"),
    pytest.param(lambda: L.LayerNormalization(axis=(-1,), center=False).axis,
                 lambda a: a == [-1], id="LayerNormalization-axis-tuple"),
    pytest.param(lambda: L.LSTM(np.int64(4), dropout=1.0).units, lambda u: u == 4,
                 id="LSTM-numpy-units-dropout-1"),
    pytest.param(lambda: L.Embedding(np.int64(10), np.int64(4)).input_dim,
                 lambda v: v == 10, id="Embedding-numpy"),
    pytest.param(lambda: keras.Input(shape=[3, 4]).shape, lambda s: s == (None, 3, 4),
                 id="Input-shape-list"),
    pytest.param(lambda: keras.Input(shape=(None, np.int64(4)), batch_size=np.int64(2)).shape,
                 lambda s: s == (2, None, 4), id="Input-None-and-numpy"),
    pytest.param(lambda: keras.Input(shape=(0, 4)).shape, lambda s: s == (None, 0, 4),
                 id="Input-shape-0-as-Keras"),
    pytest.param(lambda: pf.one_hot([0, 1], depth=0).shape, lambda s: s == (2, 0),
                 id="one_hot-depth-0-as-TF"),
    pytest.param(lambda: pf.one_hot([0, 1], depth=np.int64(3), axis=0).shape,
                 lambda s: s == (3, 2), id="one_hot-numpy-depth-axis-0"),
]


@pytest.mark.parametrize("make, ok", GOOD)
def test_a_valid_edge_value_still_works(make, ok):
    assert ok(make())


# --- the helpers themselves -------------------------------------------------------------------


def test_helpers_return_plain_python_values_and_refuse_bools():
    assert type(check.positive_int("n", np.int64(3))) is int
    assert type(check.real("x", np.float32(0.5), low=0, high=1)) is float
    assert check.boolean("b", np.bool_(True)) is True
    assert check.int_tuple("k", 3, 2) == (3, 3)
    assert check.shape_tuple("s", [None, np.int64(2)]) == (None, 2)
    for bad in (True, np.bool_(False)):
        with pytest.raises(ValueError):
            check.positive_int("n", bad)
        with pytest.raises(ValueError):
            check.real("x", bad)
    with pytest.raises(ValueError, match="Received: b=1$"):
        check.boolean("b", 1)
    with pytest.raises(ValueError, match="Received: s=4$"):
        check.shape_tuple("s", 4)
    long = "x" * 1000
    assert len(str(check.fail("a", long, "short"))) < 300  # a huge value stays a short line
