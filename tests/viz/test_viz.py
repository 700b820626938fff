"""profond.viz: every plot renders to a PNG and shows what it should (axes, labels, artists)."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

import profond as pf  # noqa: E402
from profond import layers, models, viz  # noqa: E402
from profond.viz._common import class_colors, lighten  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh():
    import matplotlib.pyplot as plt

    layers.clear_session()
    pf.set_seed(0)
    yield
    plt.close("all")


def save(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.exists() and path.stat().st_size > 1000
    return path


def images_of(ax):
    return [a for a in ax.get_children() if isinstance(a, AxesImage)]


def vline_x(ax):
    """The x position of the dashed vertical marker (a LineCollection) of ``ax``."""
    (marker,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    (segment,) = marker.get_segments()
    assert segment[0][0] == segment[1][0]
    return segment[0][0]


def test_viz_import_does_not_import_matplotlib():
    code = "import sys, profond.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_plots_never_call_show_unless_asked(monkeypatch):
    import matplotlib.pyplot as plt

    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    viz.plot_history({"loss": [1.0, 0.5]})
    assert calls == []
    viz.plot_history({"loss": [1.0, 0.5]}, show=True)
    assert calls == [1]


# --- plot_history -------------------------------------------------------------------------------


def test_plot_history_train_vs_validation(tmp_path):
    logs = {"loss": [1.0, 0.6, 0.4, 0.3, 0.25], "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9],
            "val_loss": [1.1, 0.7, 0.5, 0.55, 0.7], "val_accuracy": [0.4, 0.6, 0.7, 0.7, 0.68]}
    fig = viz.plot_history(logs)
    save(fig, tmp_path, "history")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert [loss_ax.get_title(), acc_ax.get_title()] == ["Loss", "Accuracy"]
    assert loss_ax.get_xlabel() == acc_ax.get_xlabel() == "epoch"
    assert [loss_ax.get_ylabel(), acc_ax.get_ylabel()] == ["loss", "accuracy"]
    for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        train, val = ax.lines  # two curves per quantity
        assert list(train.get_xdata()) == [1, 2, 3, 4, 5]
        assert list(train.get_ydata()) == logs[key]
        assert list(val.get_ydata()) == logs["val_" + key]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == \
            ["training", "validation", "best epoch (3)"]
        assert vline_x(ax) == 3  # lowest val_loss (0.5) at the third epoch
    assert viz.best_epoch(logs) == 3


def test_plot_history_from_fit_without_validation(tmp_path):
    x, y = pf.datasets.gaussians(64, n_classes=2, seed=0)
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(2,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    fig = viz.plot_history(history, metrics=["accuracy"])
    save(fig, tmp_path, "history_fit")
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    assert [len(ax.lines) for ax in fig.axes] == [1, 1]  # no validation curve
    best = int(np.argmin(history.history["loss"])) + 1
    assert vline_x(fig.axes[0]) == best == viz.best_epoch(history)
    only_loss = viz.plot_history(history, metrics=[])
    assert len(only_loss.axes) == 1
    with pytest.raises(ValueError, match="No 'precision'"):
        viz.plot_history(history, metrics=["precision"])


# --- plot_decision_boundary ---------------------------------------------------------------------


def sign_of_x0_model():
    """A hand-set softmax layer: logits (−5x₀, 5x₀), so class 1 exactly where x₀ > 0."""
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(2,))])
    model.layers[0].set_weights([np.array([[-5.0, 5.0], [0.0, 0.0]]), np.zeros(2)])
    return model


def test_decision_boundary_colours_follow_a_known_boundary(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (100, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    fig = viz.plot_decision_boundary(sign_of_x0_model(), x, y, resolution=50)
    save(fig, tmp_path, "decision")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "x₀" and ax.get_ylabel() == "x₁"
    assert ax.get_title() == "Decision regions (accuracy 1.00)"
    (image,) = images_of(ax)
    regions = np.asarray(image.get_array())
    assert regions.shape == (50, 50)
    left, right, _, _ = image.get_extent()
    columns_x0 = np.linspace(left, right, 50)
    np.testing.assert_array_equal(regions, np.broadcast_to(columns_x0 > 0, (50, 50)))
    # one scatter per class, in the class's colour; each region painted a light version of it
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    assert [len(s.get_offsets()) for s in scatters] == [int((y == 0).sum()), int((y == 1).sum())]
    rgba = image.to_rgba(regions)
    for k, scatter in enumerate(scatters):
        point_colour = scatter.get_facecolor()[0]
        np.testing.assert_allclose(point_colour, class_colors(2)[k])
        pixel = rgba[25, 0] if k == 0 else rgba[25, -1]
        np.testing.assert_allclose(pixel, lighten(point_colour), atol=1 / 255)


@pytest.mark.parametrize("output", ["sigmoid", "logit", "two_logits"])
def test_decision_boundary_of_any_callable(tmp_path, output):
    def classifier(points):
        z = 4.0 * points[:, :1]  # positive where x₀ > 0
        if output == "sigmoid":
            return 1 / (1 + np.exp(-z))
        if output == "logit":
            return z
        return np.concatenate([-z, z], axis=1)

    x = np.array([[-1.0, 0.0], [-0.5, 1.0], [0.5, -1.0], [1.0, 0.5]])
    y = np.array([0, 0, 1, 1])
    fig = viz.plot_decision_boundary(classifier, x, y, resolution=20)
    save(fig, tmp_path, f"decision_{output}")
    (image,) = images_of(fig.axes[0])
    regions = np.asarray(image.get_array())
    assert (regions[:, :10] == 0).all() and (regions[:, 10:] == 1).all()
    assert fig.axes[0].get_title().endswith("(accuracy 1.00)")


def test_decision_boundary_draws_on_given_axes_with_three_classes(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot(1, 2, 2)
    x, y = pf.datasets.spiral(90, n_classes=3, seed=0)
    one_hot = np.eye(3)[y]
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(2,))])
    out = viz.plot_decision_boundary(model, x, one_hot, resolution=30, ax=ax)
    assert out is fig
    save(fig, tmp_path, "decision_ax")
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]


# --- plot_confusion_matrix ----------------------------------------------------------------------


def cell_texts(ax):
    """The annotation in each cell, as a {(row, column): text} dict."""
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
            for t in ax.texts}


def test_confusion_matrix_numbers(tmp_path):
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 2, 2, 0, 2]
    expected = np.array([[2, 1, 0], [0, 2, 0], [1, 0, 3]])
    np.testing.assert_array_equal(viz.confusion_matrix(y_true, y_pred), expected)
    fig = viz.plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog", "bird"])
    save(fig, tmp_path, "confusion")
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the matrix and its colour bar
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert ax.get_title() == "Confusion matrix, accuracy 0.78"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    texts = cell_texts(ax)
    assert texts == {(i, j): str(expected[i, j]) for i in range(3) for j in range(3)}
    (image,) = images_of(ax)
    np.testing.assert_array_equal(image.get_array(), expected)


def test_confusion_matrix_from_probabilities_normalized(tmp_path):
    y_true = np.array([0, 0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.4, 0.6]])
    fig = viz.plot_confusion_matrix(y_true, probabilities, normalize=True)
    save(fig, tmp_path, "confusion_normalized")
    ax = fig.axes[0]
    assert cell_texts(ax) == {(0, 0): "0.50", (0, 1): "0.50", (1, 0): "0.00", (1, 1): "1.00"}
    assert "(normalized)" in ax.get_title()
    binary = viz.confusion_matrix(y_true, np.array([[0.2], [0.9], [0.7], [0.6]]))
    np.testing.assert_array_equal(binary, [[1, 1], [0, 2]])
    with pytest.raises(ValueError, match="as many predictions"):
        viz.confusion_matrix([0, 1], [0])


# --- show_images ----------------------------------------------------------------------------------


def test_show_images_titles_and_wrong_predictions_in_red(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (10, 8, 8))
    labels = np.arange(10) % 3
    predictions = labels.copy()
    predictions[[2, 7]] = (predictions[[2, 7]] + 1) % 3
    names = ["zero", "one", "two"]
    fig = viz.show_images(images, labels, predictions, class_names=names, ncols=4)
    save(fig, tmp_path, "images")
    assert len(fig.axes) == 10  # 3 rows of 4 axes, the 2 unused ones removed
    for i, ax in enumerate(fig.axes):
        (image,) = images_of(ax)
        assert image.get_array().shape == (8, 8)
        title = ax.title
        assert title.get_text() == f"{names[labels[i]]}/{names[predictions[i]]}"
        expected = "red" if i in (2, 7) else "black"
        assert to_rgba(title.get_color()) == to_rgba(expected)
    assert "2 wrong out of 10" in fig._suptitle.get_text()


def test_show_images_grayscale_channel_rgb_and_probabilities(tmp_path):
    gray = np.zeros((3, 6, 6, 1), dtype=np.uint8)
    fig = viz.show_images(gray, labels=[0, 1, 2])
    save(fig, tmp_path, "images_gray")
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "2"]
    assert images_of(fig.axes[0])[0].get_cmap().name == "gray"

    rgb = np.random.default_rng(0).normal(size=(5, 6, 6, 3))  # outside [0, 1]: rescaled
    probabilities = np.eye(4)[[0, 1, 2, 3, 0]]
    fig = viz.show_images(rgb, predictions=probabilities, ncols=8)
    save(fig, tmp_path, "images_rgb")
    assert len(fig.axes) == 5
    shown = images_of(fig.axes[0])[0].get_array()
    assert shown.shape == (6, 6, 3) and shown.min() >= 0 and shown.max() <= 1
    assert [ax.get_title() for ax in fig.axes] == ["pred: 0", "pred: 1", "pred: 2", "pred: 3",
                                                   "pred: 0"]
    flat = viz.show_images(np.zeros((2, 784)))
    assert images_of(flat.axes[0])[0].get_array().shape == (28, 28)
    with pytest.raises(ValueError, match="one of `labels` per image"):
        viz.show_images(gray, labels=[0, 1])


# --- show_filters ---------------------------------------------------------------------------------


def test_show_filters_of_conv_kernels(tmp_path):
    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 6))
    fig = viz.show_filters(kernel, ncols=4)
    save(fig, tmp_path, "filters_conv")
    assert len(fig.axes) == 6
    for i, ax in enumerate(fig.axes):
        (image,) = images_of(ax)
        np.testing.assert_allclose(image.get_array(), kernel[:, :, 0, i])  # first input channel
        assert ax.get_title() == str(i)
    rgb = viz.show_filters(np.random.default_rng(1).normal(size=(5, 5, 3, 4)))
    assert len(rgb.axes) == 4
    shown = images_of(rgb.axes[0])[0].get_array()
    assert shown.shape == (5, 5, 3) and shown.min() == 0 and shown.max() == 1


def test_show_filters_of_layers(tmp_path):
    conv = layers.Conv2D(5, 3)
    conv.build((None, 8, 8, 1))
    fig = viz.show_filters(conv)
    save(fig, tmp_path, "filters_conv_layer")
    assert len(fig.axes) == 5
    assert "Conv2D filters (3×3)" == fig._suptitle.get_text()

    dense = layers.Dense(12)
    with pytest.raises(ValueError, match="no weights yet"):
        viz.show_filters(dense)
    dense.build((None, 64))
    fig = viz.show_filters(dense)
    save(fig, tmp_path, "filters_dense")
    assert len(fig.axes) == 12
    kernel = dense.kernel.numpy()
    np.testing.assert_allclose(images_of(fig.axes[3])[0].get_array(), kernel[:, 3].reshape(8, 8))
    wide = layers.Dense(3)
    wide.build((None, 12))
    with pytest.raises(ValueError, match="image_shape"):
        viz.show_filters(wide)
    fig = viz.show_filters(wide, image_shape=(3, 4))
    assert images_of(fig.axes[0])[0].get_array().shape == (3, 4)


# --- find_learning_rate / plot_lr_finder ----------------------------------------------------------


def test_find_learning_rate_restores_the_model_and_suggests_a_sensible_rate(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.5).astype(np.float32)
    model = models.Sequential([layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer=pf.optimizers.SGD(learning_rate=1e-3, momentum=0.9), loss="mse")
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)  # the optimizer has a momentum
    weights = [w.numpy().copy() for w in model.weights]
    optimizer = model.optimizer
    state = [v.numpy().copy() for v in optimizer.variables]

    lrs, losses, suggestion = viz.find_learning_rate(model, x, y, start_lr=1e-5, end_lr=10,
                                                     steps=80, batch_size=32)
    assert model.optimizer is optimizer
    for w, before in zip(model.weights, weights):
        np.testing.assert_array_equal(w.numpy(), before)
    for v, before in zip(optimizer.variables, state):
        np.testing.assert_array_equal(v.numpy(), before)
    assert optimizer.learning_rate == pytest.approx(1e-3)

    assert 10 <= len(lrs) == len(losses) <= 80
    assert lrs[0] == pytest.approx(1e-5)
    np.testing.assert_allclose(np.diff(np.log(lrs)), np.log(10 / 1e-5) / 79, rtol=1e-6)
    assert np.all(np.isfinite(losses))
    assert losses.min() < 0.5 * losses[0]  # the loss fell before it exploded
    assert 1e-3 <= suggestion <= 1.0
    assert lrs[0] <= suggestion <= lrs[-1]

    fig = viz.plot_lr_finder(lrs, losses, suggestion)
    save(fig, tmp_path, "lr_finder")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "learning rate η (log scale)"
    assert ax.get_ylabel() == "loss (smoothed)"
    assert ax.get_title() == "Learning-rate range test"
    assert len(ax.lines) == 1
    assert vline_x(ax) == pytest.approx(suggestion)
    (point,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert point.get_offsets()[0][0] == pytest.approx(suggestion)


def test_find_learning_rate_needs_a_compiled_model():
    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="compile"):
        viz.find_learning_rate(model, np.zeros((4, 2)), np.zeros((4, 1)))


def test_suggest_learning_rate_picks_the_steepest_descent():
    lrs = np.logspace(-6, 0, 61)
    losses = 1 / (1 + np.exp(4 * (np.log10(lrs) + 3)))  # falls fastest at 1e-3
    losses[-5:] = [2, 3, 4, 5, 6]
    assert viz.suggest_learning_rate(lrs, losses) == pytest.approx(1e-3)


# --- plot_model -----------------------------------------------------------------------------------


def boxes_and_arrows(fig):
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    return ax, boxes, arrows


def test_plot_model_sequential(tmp_path):
    model = models.Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                               layers.Dense(3, activation="softmax", name="probabilities")])
    fig = viz.plot_model(model)
    save(fig, tmp_path, "model_sequential")
    ax, boxes, arrows = boxes_and_arrows(fig)
    assert len(boxes) == 3 and len(arrows) == 2
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("input_layer") and "(InputLayer)" in texts[0]
    assert texts[1] == "dense (Dense)\noutput: (None, 8)\n40 parameters"
    assert texts[2] == "probabilities (Dense)\noutput: (None, 3)\n27 parameters"
    tops = [box.get_y() for box in boxes]
    assert tops == sorted(tops, reverse=True)  # from the input at the top, downwards


def test_plot_model_functional_branches(tmp_path):
    inputs = layers.Input(shape=(6,), name="features")
    a = layers.Dense(4, name="branch_a")(inputs)
    b = layers.Dense(5, name="branch_b")(inputs)
    out_a = layers.Dense(1, name="out_a")(a)
    out_b = layers.Dense(2, name="out_b")(b)
    model = models.Model(inputs, [out_a, out_b])
    fig = viz.plot_model(model)
    save(fig, tmp_path, "model_functional")
    ax, boxes, arrows = boxes_and_arrows(fig)
    assert len(boxes) == 5 and len(arrows) == 4
    names = [t.get_text().split(" ")[0] for t in ax.texts]
    assert sorted(names) == ["branch_a", "branch_b", "features", "out_a", "out_b"]
    x = {name: box.get_x() for name, box in zip(names, boxes)}
    y = {name: box.get_y() for name, box in zip(names, boxes)}
    assert y["branch_a"] == y["branch_b"] < y["features"]  # side by side, below the input
    assert y["out_a"] == y["out_b"] < y["branch_a"]
    assert x["branch_a"] == x["out_a"] < x["branch_b"] == x["out_b"]
    graph_layers, edges, connected = viz.layer_graph(model)
    index = {layer.name: i for i, layer in enumerate(graph_layers)}
    assert connected and sorted(edges) == sorted(
        (index[a], index[b]) for a, b in [("features", "branch_a"), ("features", "branch_b"),
                                          ("branch_a", "out_a"), ("branch_b", "out_b")])


def test_plot_model_draws_recorded_ops(tmp_path):
    a, b = layers.Input(shape=(3,), name="a"), layers.Input(shape=(3,), name="b")
    model = models.Model([a, b], layers.Dense(2, name="out")(a + b))
    graph_layers, edges, connected = viz.layer_graph(model)
    names = [layer.name for layer in graph_layers]
    assert len(names) == 4 and {"a", "b", "out"} < set(names)
    add = next(i for i, n in enumerate(names) if n not in ("a", "b", "out"))
    assert sorted(edges) == sorted([(names.index("a"), add), (names.index("b"), add),
                                    (add, names.index("out"))])
    save(viz.plot_model(model), tmp_path, "model_ops")


def test_plot_model_subclassed_draws_layers_without_arrows(tmp_path):
    class TwoLayers(models.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(4)
            self.out = layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    model = TwoLayers()
    model(np.zeros((1, 3), dtype=np.float32))
    fig = viz.plot_model(model, show_shapes=False)
    save(fig, tmp_path, "model_subclassed")
    _, boxes, arrows = boxes_and_arrows(fig)
    assert len(boxes) == 2 and arrows == []



# --- the README's pictures ------------------------------------------------------------------------


@pytest.mark.slow
def test_make_readme_images_writes_every_plot(tmp_path):
    pytest.importorskip("sklearn")  # the digits data set
    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "make_readme_images.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=300)
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == ["confusion_matrix.png", "decision_boundary.png", "filters_conv.png",
                       "filters_dense.png", "history.png", "images.png", "lr_finder.png",
                       "model_cnn.png", "model_functional.png"]
    assert all((tmp_path / name).stat().st_size > 5000 for name in written)
