"""MNIST-1D (Greydanus, 2020): a 1-D CNN and a GRU (issue 4 targets: CNN ≥ 0.94, GRU ≥ 0.91;
the paper's table: CNN 0.94, GRU 0.91).

The data set is *generated* locally with ``mnist1d.data.make_dataset`` (``pip install mnist1d``):
4,000 training and 1,000 test sequences of 40 values, 10 classes. (Never its download path,
which unpickles a remote file.)

    python examples/mnist1d.py                 # both models, full runs
    python examples/mnist1d.py --quick         # a few epochs each (a smoke test)
    python examples/mnist1d.py --model gru
"""

import argparse
import os
import sys
import time

import profond as tf

L = tf.keras.layers


def load():
    # This file is itself called mnist1d.py: import the package, not this script.
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.modules.pop("mnist1d", None)
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        sys.exit("examples/mnist1d.py needs the mnist1d package, which `make demo` does not "
                 "install: run `.venv/bin/pip install 'profond[examples]'` (or `pip install "
                 "mnist1d`), then run the example again.")
    finally:
        sys.path[:] = saved

    data = make_dataset(get_dataset_args())  # generated here; nothing downloaded
    x_train = data["x"].astype("float32")[..., None]  # (4000, 40, 1)
    x_test = data["x_test"].astype("float32")[..., None]
    return (x_train, data["y"]), (x_test, data["y_test"])


def cnn():
    return tf.keras.Sequential([
        L.Input(shape=(40, 1)),
        L.Conv1D(32, 5, padding="same", activation="relu"),
        L.Conv1D(32, 3, padding="same", activation="relu"), L.MaxPooling1D(),
        L.Conv1D(64, 3, padding="same", activation="relu"), L.MaxPooling1D(),
        L.Conv1D(64, 3, padding="same", activation="relu"),
        L.GlobalAveragePooling1D(),
        L.Dense(64, activation="relu"), L.Dense(10),
    ])


def gru():
    return tf.keras.Sequential([
        L.Input(shape=(40, 1)),
        L.GRU(64, return_sequences=True), L.GRU(64),
        L.Dense(10),
    ])


def train(name, build, data, epochs, lr):
    (x_train, y_train), (x_test, y_test) = data
    tf.set_seed(0)
    model = build()
    model.compile(optimizer=tf.keras.optimizers.Adam(lr),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    _, acc = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"{name}: {epochs} epochs in {time.perf_counter() - t0:.0f} s; "
          f"test accuracy = {acc:.4f}")
    return acc


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["cnn", "gru", "both"], default="both")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    data = load()
    results = {}
    if args.model in ("cnn", "both"):
        results["cnn"] = train("1-D CNN", cnn, data, 3 if args.quick else 60, 2e-3)
    if args.model in ("gru", "both"):
        results["gru"] = train("GRU", gru, data, 2 if args.quick else 60, 3e-3)
    return results


if __name__ == "__main__":
    main()
