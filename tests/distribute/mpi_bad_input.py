"""Bad input to data-parallel training, run by mpiexec with 2 ranks (``--case``):
``batch``: a global batch smaller than the number of ranks; ``shapes``: rank 1 builds a wider
layer than rank 0; ``unbuilt``: a model without an Input. Each must stop every rank with a
clear error. Used by test_mpi.py."""

import argparse

import numpy as np

import profond as tf

L = tf.keras.layers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True)
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--out", default=None, help="a folder for each rank's error message")
    args = parser.parse_args()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 4)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    units = 8 + (strategy.rank if args.case == "shapes" else 0)
    layers = [L.Dense(units, activation="relu"), L.Dense(1)]
    if args.case != "unbuilt":
        layers.insert(0, L.Input((4,)))
    model = tf.keras.Sequential(layers)
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(x, y, batch_size=1 if args.case == "batch" else 8, epochs=1, verbose=0)
    except Exception as error:  # the ranks' tracebacks interleave in one pipe: keep each whole
        if args.out:
            with open(f"{args.out}/rank{strategy.rank}.txt", "w") as f:
                f.write(str(error))
        raise
    print(f"rank {strategy.rank}: trained")


if __name__ == "__main__":
    main()
