"""The TensorBoard callback writes event files that TensorBoard itself reads back: the epoch
curves in ``train/`` and ``validation/`` (Keras's tags), weight histograms, the model summary."""

import numpy as np
import pytest

import profond as pf
from profond.callbacks import TensorBoard

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="the tensorboard extra is not installed")
from tensorboard.util.tensor_util import make_ndarray  # noqa: E402


def make_model():
    pf.layers.clear_session()
    pf.random.set_seed(0)
    model = pf.models.Sequential([
        pf.layers.Input(shape=(4,)),
        pf.layers.Dense(8, activation="relu", name="hidden"),
        pf.layers.Dense(3, activation="softmax", name="out"),
    ])
    model.compile(optimizer=pf.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)


def load(directory):
    acc = event_accumulator.EventAccumulator(str(directory), size_guidance={
        event_accumulator.TENSORS: 0, event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    """``[(step, value)]`` of a scalar written in TF2 style (a tensor with the scalars
    plugin)."""
    return [(e.step, float(np.asarray(make_ndarray(e.tensor_proto))))
            for e in acc.Tensors(tag)]


def test_epoch_scalars_histograms_and_summary(tmp_path, data):
    model = make_model()
    x, y = data
    history = model.fit(x, y, batch_size=10, epochs=3, validation_data=(x[:20], y[:20]),
                        verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=2)])
    train = load(tmp_path / "train")
    tags = set(train.Tags()["tensors"])
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "model_summary"} <= tags
    loss = scalars(train, "epoch_loss")
    assert [s for s, _ in loss] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in loss], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars(train, "epoch_learning_rate")], 0.1)
    assert train.summary_metadata["epoch_loss"].plugin_data.plugin_name == "scalars"

    validation = load(tmp_path / "validation")
    val_loss = scalars(validation, "epoch_loss")
    np.testing.assert_allclose([v for _, v in val_loss], history.history["val_loss"], rtol=1e-6)
    steps = [s for s, _ in scalars(validation, "evaluation_loss_vs_iterations")]
    assert steps == [4, 8, 12]  # the optimizer's iterations (4 batches an epoch)

    # histograms: every weight, at epochs 0 and 2 (histogram_freq=2), with every value counted
    kernel = next(w for w in model.weights if w.shape == (4, 8))
    tag = f"{kernel.path}/histogram"
    assert tag in tags and train.summary_metadata[tag].plugin_data.plugin_name == "histograms"
    events = train.Tensors(tag)
    assert [e.step for e in events] == [0, 2]
    table = make_ndarray(events[-1].tensor_proto)
    assert table.shape == (30, 3)
    assert table[:, 2].sum() == kernel.numpy().size
    assert table[0, 0] == pytest.approx(kernel.numpy().min(), rel=1e-6)
    assert table[-1, 1] == pytest.approx(kernel.numpy().max(), rel=1e-6)

    text = make_ndarray(
        train.Tensors("model_summary")[0].tensor_proto)
    text = np.asarray(text).item().decode()
    assert "hidden" in text and "Total params" in text
    assert train.summary_metadata["model_summary"].plugin_data.plugin_name == "text"


def test_batch_logs_with_update_freq(tmp_path, data):
    model = make_model()
    x, y = data
    model.fit(x, y, batch_size=10, epochs=2, verbose=0,
              callbacks=[TensorBoard(tmp_path, update_freq=3, write_graph=False,
                                     write_steps_per_second=True)])
    train = load(tmp_path / "train")
    assert [s for s, _ in scalars(train, "batch_loss")] == [3, 6]
    assert all(v > 0 for _, v in scalars(train, "epoch_steps_per_second"))
    assert "model_summary" not in train.Tags()["tensors"]
    assert not (tmp_path / "validation").exists()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="histogram_freq.*Received: histogram_freq=-1"):
        TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="update_freq.*Received: update_freq=0"):
        TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="write_images.*not supported"):
        TensorBoard(write_images=True)
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(profile_batch=(2, 4))


def test_histogram_of_a_constant_weight(tmp_path):
    callback = TensorBoard(tmp_path)
    summary = callback._histogram("bias/histogram", np.zeros(5))
    table = make_ndarray(summary.value[0].tensor)
    assert table[:, 2].tolist() == [0] * 29 + [5]
