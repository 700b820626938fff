"""Shared checks of the ONNX tests: random weights, then onnxruntime against ``predict``."""

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _randomize(model, seed=0):
    """Every weight drawn at random (non-zero biases and moving statistics too); a variance
    stays positive."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.name:
            values.append(rng.uniform(0.5, 1.5, shape).astype(w.dtype))
        else:
            values.append((rng.standard_normal(shape) * 0.5).astype(w.dtype))
    model.set_weights(values)
    return model


def _session(proto_or_path):
    data = proto_or_path if isinstance(proto_or_path, str) else proto_or_path.SerializeToString()
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def _run_both(model, inputs, proto=None):
    """(onnxruntime's outputs, profond's predict outputs) on the same ``inputs`` (a list)."""
    from profond.onnx import to_onnx

    sess = _session(proto if proto is not None else to_onnx(model))
    feed = {i.name: x for i, x in zip(sess.get_inputs(), inputs)}
    got = sess.run(None, feed)
    want = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    want = list(want) if isinstance(want, (list, tuple)) else [want]
    return got, [np.asarray(w) for w in want]


@pytest.fixture
def check_export():
    """``check(model, make_inputs)``: random weights, export once, then compare onnxruntime with
    ``predict`` at two batch sizes (the batch axis is dynamic); max |Δ| ≤ 1e-5."""
    from profond.onnx import to_onnx

    def check(model, make_inputs, atol=1e-5, seed=0):
        _randomize(model, seed)
        proto = to_onnx(model)
        for batch in (2, 5):
            got, want = _run_both(model, make_inputs(batch), proto)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert g.shape == w.shape
                np.testing.assert_allclose(g, w, rtol=0, atol=atol)
        return proto

    return check


@pytest.fixture
def randomize():
    """``randomize(model, seed=0)``: every weight of ``model`` drawn at random; returns it."""
    return _randomize


@pytest.fixture
def ort_session():
    """``ort_session(proto or path)``: an onnxruntime session on the CPU."""
    return _session


@pytest.fixture
def run_both():
    """``run_both(model, inputs, proto=None)``: (onnxruntime's outputs, predict's outputs)."""
    return _run_both
