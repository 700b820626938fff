"""Trains a small MLP, CNN or CNN with BatchNormalization (``--kind bn``, synchronized with
``--sync-bn``) on Fashion-MNIST (or, without the data set, random images with learnable labels),
under MultiWorkerMirroredStrategy when run with ``--mpi`` by mpiexec, or in one process; rank 0
saves the final weights (.npz) and the History (.json). With ``--backup DIR`` it trains with
``BackupAndRestore``; ``--interrupt-at K`` raises at the start of epoch K, ``--die-saving K``
kills rank 0 midway through writing the backup of epoch K. Used by test_mpi.py."""

import argparse
import json
import os
import zipfile

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


def model(kind, sync_bn=False):
    if kind == "bn":
        layers = [L.Input((28, 28, 1)), L.Conv2D(8, 3, use_bias=False),
                  L.BatchNormalization(synchronized=sync_bn), L.Activation("relu"),
                  L.MaxPooling2D(), L.Flatten(), L.Dense(32, use_bias=False),
                  L.BatchNormalization(synchronized=sync_bn), L.Activation("relu"), L.Dense(10)]
    elif kind == "mlp":
        layers = [L.Input((28, 28, 1)), L.Flatten(), L.Dense(64, activation="relu"),
                  L.Dense(10)]
    else:
        layers = [L.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    return tf.keras.Sequential(layers)


class Interrupt(tf.keras.callbacks.Callback):
    """Raises at the start of epoch ``--interrupt-at`` (on every rank); at the end of epoch
    ``--die-saving``, rank 0 dies (``os._exit``) once the first member of the backup is
    written, as if killed midway (it runs before BackupAndRestore)."""

    def __init__(self, args, strategy):
        super().__init__()
        self.args, self.rank = args, 0 if strategy is None else strategy.rank

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.args.interrupt_at:
            raise RuntimeError(f"interrupted at epoch {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.args.die_saving and self.rank == 0:
            write = zipfile.ZipFile.writestr

            def dying(archive, name, data, *rest, **options):
                write(archive, name, data, *rest, **options)
                archive.fp.flush()
                os._exit(3)

            zipfile.ZipFile.writestr = dying


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="mlp")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sync-bn", action="store_true")
    parser.add_argument("--float64", action="store_true")
    parser.add_argument("--backup")
    parser.add_argument("--interrupt-at", type=int, default=-1)
    parser.add_argument("--die-saving", type=int, default=-1)
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if args.mpi else None
    # Each rank seeds differently: the strategy must make rank 0's initial weights and random
    # stream (the shuffle) everyone's.
    tf.keras.utils.set_random_seed(0 if strategy is None else strategy.rank)
    if args.float64:
        tf.keras.backend.set_floatx("float64")
    x, y = data(args.n)
    net = model(args.kind, args.sync_bn)
    # NOTE: SGD for the BatchNormalization model: a layer just before BN gets gradients that
    # are nearly 0 (BN removes the batch mean), and Adam's g/√v turns their rounding noise into
    # full steps, so two runs agreeing to 1e-7 in gradients would differ by 1e-4 in weights.
    optimizer = tf.keras.optimizers.SGD(0.05, momentum=0.9) if args.kind == "bn" else \
        tf.keras.optimizers.Adam(1e-3)
    net.compile(optimizer=optimizer,
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    callbacks = [Interrupt(args, strategy)]
    if args.backup:
        callbacks.append(tf.keras.callbacks.BackupAndRestore(args.backup))
    history = net.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0,
                      callbacks=callbacks)
    evaluation = net.evaluate(x[:500], y[:500], verbose=0, return_dict=True)
    if strategy is None or strategy.is_chief:
        np.savez(args.out, *[np.asarray(w) for w in net.get_weights()])
        with open(args.out + ".json", "w") as f:
            json.dump({"history": history.history, "evaluation": evaluation,
                       "ranks": 1 if strategy is None else strategy.size}, f)


if __name__ == "__main__":
    main()
