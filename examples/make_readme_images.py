"""Make the README's pictures of ``profond.viz``: train small models, save each plot as a PNG.

    python examples/make_readme_images.py            # writes docs/images/*.png
    python examples/make_readme_images.py --out DIR  # somewhere else

Everything is seeded, so the pictures are the same at every run; it takes well under a minute on
a laptop. Needs matplotlib and scikit-learn (``pip install 'profond[viz,datasets]'``).
"""

import argparse
import pathlib
import time

import numpy as np

import profond as pf
from profond import layers, models, viz

ROOT = pathlib.Path(__file__).resolve().parents[1]


def save(fig, out, name):
    path = out / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def over_fitting_history(out):
    """Too big a network on too few noisy points: the validation loss turns back up."""
    layers.clear_session()  # layer names start again from "dense"
    pf.set_seed(0)
    x, y = pf.datasets.moons(120, noise=0.35, seed=0)
    model = models.Sequential([
        layers.Input(shape=(2,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=150, batch_size=16, validation_split=0.4, verbose=0)
    save(viz.plot_history(history), out, "history.png")


def spiral_regions(out):
    """A 2-hidden-layer network separating the three arms of a spiral."""
    layers.clear_session()
    pf.set_seed(0)
    x, y = pf.datasets.spiral(300, n_classes=3, seed=0)
    model = models.Sequential([
        layers.Input(shape=(2,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=pf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=80, batch_size=32, verbose=0)
    save(viz.plot_decision_boundary(model, x, y), out, "decision_boundary.png")


def digits(out):
    """The 8×8 digits: learning-rate test, then an MLP, its errors, its weights; then a CNN."""
    (x_train, y_train), (x_test, y_test) = pf.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16
    x_test = x_test.reshape(-1, 64).astype("float32") / 16

    def mlp():
        layers.clear_session()
        pf.set_seed(0)
        model = models.Sequential([layers.Input(shape=(64,)),
                                   layers.Dense(32, activation="relu", name="hidden"),
                                   layers.Dense(10, activation="softmax", name="probabilities")])
        model.compile(optimizer=pf.optimizers.SGD(0.01, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    model = mlp()
    lrs, losses, suggestion = viz.find_learning_rate(model, x_train, y_train, start_lr=1e-5,
                                                     end_lr=10, steps=100)
    print(f"suggested learning rate: {suggestion:.3g}")
    save(viz.plot_lr_finder(lrs, losses, suggestion), out, "lr_finder.png")

    model.optimizer.learning_rate = suggestion
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    probabilities = model.predict(x_test, verbose=0)
    save(viz.plot_confusion_matrix(y_test, probabilities), out, "confusion_matrix.png")
    right = probabilities.argmax(axis=1) == y_test
    shown = np.sort(np.concatenate([np.flatnonzero(~right)[:8], np.flatnonzero(right)[:16]]))
    save(viz.show_images(x_test[shown].reshape(-1, 8, 8), y_test[shown], probabilities[shown]),
         out, "images.png")
    save(viz.show_filters(model.get_layer("hidden"), ncols=8), out, "filters_dense.png")

    layers.clear_session()
    pf.set_seed(0)
    cnn = models.Sequential([
        layers.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cnn.fit(x_train.reshape(-1, 8, 8, 1), y_train, epochs=5, batch_size=32, verbose=0)
    save(viz.show_filters(cnn.layers[0]), out, "filters_conv.png")
    save(viz.plot_model(cnn), out, "model_cnn.png")


def functional_graph(out):
    """A functional model with two branches and two outputs."""
    layers.clear_session()
    inputs = layers.Input(shape=(16,), name="features")
    shared = layers.Dense(32, activation="relu", name="shared")(inputs)
    kind = layers.Dense(16, activation="relu", name="kind_hidden")(shared)
    price = layers.Dense(8, activation="relu", name="price_hidden")(shared)
    model = models.Model(inputs, [layers.Dense(5, activation="softmax", name="kind")(kind),
                                  layers.Dense(1, name="price")(price)])
    save(viz.plot_model(model), out, "model_functional.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    over_fitting_history(args.out)
    spiral_regions(args.out)
    digits(args.out)
    functional_graph(args.out)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
