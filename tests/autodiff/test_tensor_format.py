"""What a learner reads off tensors, as in TF: ``format(tensor, spec)`` (the tutorials print
``f"Loss: {train_loss.result():0.2f}"``) and ``variable.numpy()`` as a snapshot."""

import pytest

import profond as pf


def test_a_scalar_tensor_takes_a_format_spec():
    loss = pf.constant(2.3456)
    assert f"{loss:0.2f}" == "2.35"
    assert f"{loss * 100:.1f}" == "234.6"
    assert f"{pf.Variable(3):d}" == "3"
    assert f"{pf.constant(2.5)}" == "2.5"  # no spec: the value, not the repr


def test_a_non_scalar_formats_its_values_and_refuses_a_number_spec():
    assert f"{pf.constant([1.0, 2.0])}" == "[1. 2.]"
    with pytest.raises(TypeError, match="format"):
        f"{pf.constant([1.0, 2.0]):0.2f}"


def test_a_variable_numpy_is_a_snapshot():
    v = pf.Variable([1.0, 2.0])
    before = v.numpy()
    v.assign_add([1.0, 1.0])
    assert before.tolist() == [1.0, 2.0] and v.numpy().tolist() == [2.0, 3.0]
