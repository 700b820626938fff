"""Anomaly mode (``profond.autodiff.detect_anomaly``, ``tf.debugging.enable_check_numerics``):
the first op whose forward output or backward gradient holds NaN/Inf raises, naming the op, the
layer and its inputs' statistics; ``check_numerics`` checks gradients too; ``TerminateOnNaN``
can raise; ``fit`` warns about NaN/Inf in its data."""

import sys
import warnings

import numpy as np
import pytest

import profond as pf
from profond.autodiff import AnomalyError, Function, anomaly, detect_anomaly, set_detect_anomaly
from profond.callbacks import TerminateOnNaN

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own NaN warnings


@pytest.fixture(autouse=True)
def _mode_off_around_each_test():
    assert not pf.autodiff.is_anomaly_enabled()
    yield
    pf.debugging.disable_check_numerics()


def _log_model(name="seq"):
    return pf.keras.Sequential([pf.keras.Input((3,)),
                                pf.keras.layers.Dense(2, activation=pf.math.log,
                                                      kernel_initializer="ones",
                                                      name="dense_log")], name=name)


# --- forward ------------------------------------------------------------------------------------


def test_forward_error_names_the_op_the_layer_and_the_input_statistics():
    model = _log_model()
    x = np.array([[1.0, -2.0, -3.0]], np.float32)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        model(x)
    text = str(info.value)
    assert 'op "Log" produced NaN' in text
    assert 'in layer "seq/dense_log"' in text
    assert "forward pass" in text
    # the input of log (x @ W + b) is shown with its statistics: a negative minimum
    line = next(s for s in text.splitlines() if s.strip().startswith("input 0:"))
    assert "shape (1, 2), dtype float32" in line
    assert "all finite" in line
    low = float(line.split("min ")[1].split(",")[0])
    assert low < 0


def test_the_layer_path_runs_through_nested_models():
    inputs = pf.keras.Input((3,))
    hidden = pf.keras.layers.Dense(4, kernel_initializer="ones", name="hidden")(inputs)
    outputs = pf.keras.layers.Lambda(pf.math.log, name="logit")(hidden)
    inner = pf.keras.Model(inputs, outputs, name="fun")
    outer = pf.keras.Sequential([inner, pf.keras.layers.Dense(1)], name="outer")
    with detect_anomaly(), pytest.raises(AnomalyError, match='in layer "outer/fun/logit"'):
        outer(np.array([[1.0, -2.0, -3.0]], np.float32))


def test_error_is_caught_as_tf_numpy_and_python_errors():
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        pf.sqrt(pf.tensor([-1.0]))
    assert isinstance(info.value, pf.debugging.InvalidArgumentError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FloatingPointError)
    assert "outside any layer" in str(info.value)


def test_off_by_default_nan_flows_silently_and_the_mode_is_restored():
    model = _log_model()
    y = model(np.array([[1.0, -2.0, -3.0]], np.float32))
    assert np.isnan(y.numpy()).all()  # no error when the mode is off
    with detect_anomaly():
        assert pf.autodiff.is_anomaly_enabled()
        with detect_anomaly(check_nan=False):
            assert not pf.autodiff.is_anomaly_check_nan_enabled()
            pf.sqrt(pf.tensor([-1.0]))  # only stacks are recorded
        assert pf.autodiff.is_anomaly_check_nan_enabled()
    assert not pf.autodiff.is_anomaly_enabled()


def test_input_already_non_finite_is_pointed_out():
    dense = pf.keras.layers.Dense(2, activation="relu", name="fused")
    x = np.array([[np.nan, 1.0], [2.0, np.inf]], np.float32)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        dense(x)
    text = str(info.value)
    assert 'op "Dense"' in text and 'in layer "fused"' in text
    assert "input 0: shape (2, 2), dtype float32: 1 NaN, 1 +Inf of 4 values" in text
    assert "An input already held NaN or Inf" in text


def test_overflow_to_inf_is_caught_and_counted():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r'op "Exp" produced Inf') as info:
        pf.exp(pf.tensor([1.0, 100.0, 200.0]))
    assert "2 +Inf of 3 values" in str(info.value)


def test_integer_and_boolean_results_are_not_checked():
    with detect_anomaly():
        assert pf.argmax(pf.tensor([1.0, 3.0])).numpy() == 1
        assert (pf.tensor([1, 2]) * 3).numpy().tolist() == [3, 6]


def test_shape_inference_on_zeros_is_not_an_anomaly():
    with detect_anomaly():
        inputs = pf.keras.Input((3,))
        outputs = pf.keras.layers.Dense(2, activation=pf.math.log, bias_initializer="zeros")(
            inputs)  # run on zeros to infer the shape: log(0) = -inf there
        model = pf.keras.Model(inputs, outputs)
    assert model.output_shape == (None, 2)


# --- backward -----------------------------------------------------------------------------------


def test_backward_error_names_the_op_whose_gradient_is_inf_and_where_it_ran():
    v = pf.Variable([0.0, 4.0])
    with detect_anomaly():
        with pf.GradientTape() as tape:
            y = pf.reduce_sum(pf.sqrt(v))  # the line the error must show
        with pytest.raises(AnomalyError) as info:
            tape.gradient(y, v)
    text = str(info.value)
    assert text.startswith('Anomaly in the backward pass: the gradient of op "Sqrt" with respect '
                           "to its input 0 holds Inf.")
    assert "gradient for input 0: shape (2,), dtype float32: 1 +Inf of 2 values" in text
    assert "forward input 0: shape (2,), dtype float32: all finite; min 0, max 4" in text
    assert "The op ran forward outside any layer" in text
    assert "test_anomaly.py" in text
    assert "y = pf.reduce_sum(pf.sqrt(v))  # the line the error must show" in text
    assert "profond/autodiff/" not in text  # the engine's own frames are left out


def test_backward_error_names_the_layer_the_op_ran_in():
    model = pf.keras.Sequential([pf.keras.Input((2,)),
                                 pf.keras.layers.Dense(2, activation=pf.sqrt,
                                                       kernel_initializer="zeros",
                                                       name="root")], name="net")
    x = np.ones((4, 2), np.float32)
    with detect_anomaly():
        with pf.GradientTape() as tape:
            loss = pf.reduce_mean(model(x))  # forward fine: sqrt(0) = 0
        with pytest.raises(AnomalyError, match='op "Sqrt"') as info:
            tape.gradient(loss, model.trainable_variables)
    assert 'The op ran forward in layer "net/root"' in str(info.value)


def test_backward_through_the_engine_and_backward_method_too():
    x = pf.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = pf.reduce_sum(pf.sqrt(x))
        with pytest.raises(AnomalyError, match="backward pass"):
            y.backward()
        y = pf.reduce_sum(pf.sqrt(x))
        with pytest.raises(AnomalyError, match="backward pass"):
            pf.grad(y, x)


class _MaskedInverse(Function):
    """y = x; its backward makes an infinity (gy / 0) and then masks it out."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        raw = gy / pf.zeros_like(gy)  # inf inside the backward formula
        return pf.where(pf.math.is_finite(raw), raw, gy)


def test_an_infinity_inside_a_backward_that_is_masked_out_is_not_an_anomaly():
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        (g,) = pf.grad(pf.reduce_sum(_MaskedInverse()(x)), [x])
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0])


class _BrokenBackward(Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        raise RuntimeError("a bug in this backward")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_another_error_in_a_backward_gets_the_forward_stack_as_a_note():
    x = pf.tensor([1.0], requires_grad=True)
    with detect_anomaly(check_nan=False):
        y = pf.reduce_sum(_BrokenBackward()(x))  # created here
        with pytest.raises(RuntimeError, match="a bug in this backward") as info:
            y.backward()
    note = "\n".join(info.value.__notes__)
    assert 'in the backward of op "_BrokenBackward"' in note
    assert "y = pf.reduce_sum(_BrokenBackward()(x))  # created here" in note


def test_anomaly_mode_changes_no_number_second_order_and_fused_ops_included():
    x = pf.tensor(3.0, requires_grad=True)
    with detect_anomaly():
        (dx,) = pf.grad(x ** 3, [x], create_graph=True)
        (ddx,) = pf.grad(dx, [x])
    assert (float(dx), float(ddx)) == (27.0, 18.0)

    def train(anomaly_on):
        pf.set_seed(1)
        model = pf.keras.Sequential([pf.keras.Input((5, 3)), pf.keras.layers.LSTM(4),
                                     pf.keras.layers.Dense(3, activation="relu"),
                                     pf.keras.layers.Dense(1)])
        model.compile("adam", "mse")
        rng = np.random.default_rng(0)
        xs, ys = rng.normal(size=(16, 5, 3)).astype("float32"), rng.normal(size=(16, 1))
        with set_detect_anomaly(anomaly_on):
            history = model.fit(xs, ys, epochs=2, batch_size=8, verbose=0)
        return history.history["loss"], [w.numpy() for w in model.weights]

    loss_off, weights_off = train(False)
    loss_on, weights_on = train(True)
    assert loss_on == loss_off
    for a, b in zip(weights_on, weights_off):
        np.testing.assert_array_equal(a, b)


def test_fit_under_enable_check_numerics_stops_at_the_first_bad_op():
    model = _log_model("clf")
    model.compile("sgd", "mse")
    x = np.array([[1.0, -2.0, -3.0]] * 4, np.float32)
    pf.debugging.enable_check_numerics()
    assert pf.autodiff.is_anomaly_enabled()
    with pytest.raises(pf.debugging.InvalidArgumentError, match='op "Log".*layer "clf/dense_log"'):
        model.fit(x, np.zeros((4, 2)), verbose=0)
    pf.debugging.disable_check_numerics()
    assert not pf.autodiff.is_anomaly_enabled()


# --- switches -----------------------------------------------------------------------------------


def test_set_detect_anomaly_as_a_call_and_as_a_context_manager():
    set_detect_anomaly(True)
    assert pf.autodiff.is_anomaly_enabled()
    with set_detect_anomaly(False):
        assert not pf.autodiff.is_anomaly_enabled()
        pf.sqrt(pf.tensor([-1.0]))
    assert pf.autodiff.is_anomaly_enabled()
    set_detect_anomaly(False)
    assert not pf.autodiff.is_anomaly_enabled()


def test_detect_anomaly_as_a_decorator():
    @detect_anomaly()
    def bad():
        return pf.log(pf.tensor([0.0]))

    with pytest.raises(AnomalyError, match="-Inf"):
        bad()
    assert not pf.autodiff.is_anomaly_enabled()


def test_enable_check_numerics_limits_and_bad_limits():
    pf.debugging.enable_check_numerics(stack_height_limit=1, path_length_limit=20)
    v = pf.Variable([0.0])
    with pf.GradientTape() as tape:
        y = pf.sqrt(v)
    with pytest.raises(AnomalyError) as info:
        tape.gradient(y, v)
    frames = [s for s in str(info.value).splitlines() if s.strip().startswith("File ")]
    assert len(frames) == 1
    assert frames[0].strip().startswith('File "...') and len(frames[0].split('"')[1]) == 20
    pf.debugging.disable_check_numerics()
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=r"`enable_check_numerics`: Expected "
                                             r"`stack_height_limit` to be a positive integer or "
                                             rf"None. Received: stack_height_limit={bad!r}"):
            pf.debugging.enable_check_numerics(stack_height_limit=bad)
        assert not pf.autodiff.is_anomaly_enabled()


def test_describe_covers_every_kind_of_array():
    assert anomaly.describe(np.zeros((0, 3), np.float32)) == \
        "shape (0, 3), dtype float32: empty"
    assert anomaly.describe(np.array([1, 5], np.int64)) == \
        "shape (2,), dtype int64: all finite; min 1, max 5, mean 3"
    assert anomaly.describe(np.array([np.nan, np.nan])) == \
        "shape (2,), dtype float64: 2 NaN of 2 values; finite: none"
    assert anomaly.describe(np.array([3 + 4j, complex(np.inf, 0)])).startswith(
        "shape (2,), dtype complex128: 1 +Inf of 2 values; finite: min 5, max 5")


# --- check_numerics ------------------------------------------------------------------------------


def test_check_numerics_checks_the_gradient_flowing_back_through_it():
    x = pf.Variable([1.0, 0.0])
    with pf.GradientTape() as tape:
        y = pf.reduce_sum(pf.sqrt(pf.debugging.check_numerics(x, "after x")))
    with pytest.raises(pf.debugging.InvalidArgumentError,
                       match=r"detected in gradient. after x : Tensor had Inf values"):
        tape.gradient(y, x)
    with pf.GradientTape() as tape:  # a finite gradient passes unchanged
        y = pf.reduce_sum(pf.debugging.check_numerics(x, "x") * 3)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 3.0])


def test_check_numerics_and_assert_all_finite_messages_as_tf():
    t = pf.constant([1.0, 2.0])
    assert pf.debugging.assert_all_finite(t, "fine") is t
    with pytest.raises(pf.debugging.InvalidArgumentError,
                       match="^hello : Tensor had Inf and NaN values$"):
        pf.debugging.check_numerics(pf.constant([np.nan, np.inf]), "hello")


# --- TerminateOnNaN ------------------------------------------------------------------------------


def _nan_fit(callback, epochs=3):
    model = pf.keras.Sequential([pf.keras.Input((2,)), pf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 2), np.float32)
    y = np.ones((8, 1), np.float32)
    y[5] = np.nan  # batch 1 (batch_size 4) of the first epoch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model, model.fit(x, y, epochs=epochs, batch_size=4, shuffle=False, verbose=0,
                                callbacks=[callback])


def test_terminate_on_nan_raise_error_names_batch_and_epoch():
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 1 of epoch "
                                           r"1/3\. Loss value: nan\. Terminating training "
                                           r"immediately\."):
        _nan_fit(TerminateOnNaN(raise_error=True))


def test_terminate_on_nan_default_stops_training_as_keras(capsys):
    model, history = _nan_fit(TerminateOnNaN())
    assert model.stop_training
    assert len(history.history["loss"]) == 1  # stopped in the first epoch
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_rejects_a_non_boolean():
    with pytest.raises(TypeError, match="raise_error to be True or False. Received: "
                                        "raise_error='yes'"):
        TerminateOnNaN(raise_error="yes")


# --- fit's warning -------------------------------------------------------------------------------


def _model():
    model = pf.keras.Sequential([pf.keras.Input((3,)), pf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _fit_warnings(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _model().fit(*args, verbose=0, **kwargs)
    return [str(w.message) for w in caught if "not finite" in str(w.message)]


def test_fit_warns_once_naming_x_and_the_counts():
    x = np.random.default_rng(0).random((20, 3)).astype("float32")
    x[2, 1], x[5, 0], x[7, 2] = np.nan, np.inf, -np.inf
    found = _fit_warnings(x, np.ones((20, 1)), epochs=3, batch_size=4)
    assert len(found) == 1
    assert "`x` holds 1 NaN and 2 Inf value(s) out of 60" in found[0]
    assert "`y`" not in found[0]


def test_fit_warns_naming_y_and_not_on_clean_data():
    x = np.ones((6, 3), np.float32)
    y = np.ones((6, 1), np.float32)
    assert _fit_warnings(x, y) == []
    y[0] = np.nan
    (message,) = _fit_warnings(x, y)
    assert "`y` holds 1 NaN value(s) out of 6" in message and "`x`" not in message


def test_fit_checks_the_first_batch_of_a_dataset():
    x = np.ones((8, 3), np.float32)
    y = np.ones((8, 1), np.float32)
    x[1, 0] = np.inf
    ds = pf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    (message,) = _fit_warnings(ds, epochs=2)
    assert "in the first batch, `x` holds 1 Inf value(s) out of 12" in message
    x[1, 0], x[6, 0] = 1.0, np.nan  # only in the second batch: not looked at
    assert _fit_warnings(pf.data.Dataset.from_tensor_slices((x, y)).batch(4)) == []


def test_the_warning_points_at_the_callers_line():
    x = np.full((4, 3), np.nan, np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _model().fit(x, np.ones((4, 1)), verbose=0)
    (w,) = [w for w in caught if "not finite" in str(w.message)]
    assert w.filename == __file__
