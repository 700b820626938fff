"""Trains one epoch of a small MLP or CNN on Fashion-MNIST (or, without the data set, random
images with learnable labels), under MultiWorkerMirroredStrategy when run with ``--mpi`` by
mpiexec, or in one process; rank 0 saves the final weights (.npz) and the History (.json).
Used by test_mpi.py."""

import argparse
import json

import numpy as np

import profond as tf

L = tf.keras.layers


def data(n):
    try:
        (x, y), _ = tf.keras.datasets.fashion_mnist.load_data()
        x, y = x[:n], y[:n]
    except Exception:  # no data set installed: random images, learnable labels
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (n, 28, 28)).astype("uint8")
        y = (x[:, :14].mean(axis=(1, 2)) > x[:, 14:].mean(axis=(1, 2))).astype("int64")
    return (x / 255).astype("float32")[..., None], y


def model(kind):
    if kind == "mlp":
        layers = [L.Input((28, 28, 1)), L.Flatten(), L.Dense(64, activation="relu"),
                  L.Dense(10)]
    else:
        layers = [L.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    return tf.keras.Sequential(layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="mlp")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if args.mpi else None
    # Each rank seeds differently: the strategy must make rank 0's initial weights and random
    # stream (the shuffle) everyone's.
    tf.keras.utils.set_random_seed(0 if strategy is None else strategy.rank)
    x, y = data(args.n)
    net = model(args.kind)
    net.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    history = net.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
    evaluation = net.evaluate(x[:500], y[:500], verbose=0, return_dict=True)
    if strategy is None or strategy.is_chief:
        np.savez(args.out, *[np.asarray(w) for w in net.get_weights()])
        with open(args.out + ".json", "w") as f:
            json.dump({"history": history.history, "evaluation": evaluation,
                       "ranks": 1 if strategy is None else strategy.size}, f)


if __name__ == "__main__":
    main()
