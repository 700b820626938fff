"""FedProx with client sampling on a small MLP with dropout: each MPI rank one client
(``--mpi``, run by mpiexec) or the same clients simulated in one process. Rank 0 (or the one
process) saves the final weights (.npz) and the History (.json). Used by test_fedavg.py."""

import argparse
import json

import numpy as np

import profond as tf
from profond.federated import FedProx, iid_split

L = tf.keras.layers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--out", required=True)
    parser.add_argument("--fail-rank", type=int, default=None)
    parser.add_argument("--strategy", action="store_true",
                        help="make a MultiWorkerMirroredStrategy first (fit_mpi uses its comm)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("int64")
    clients = iid_split(y, args.clients, seed=1)
    rank = 0
    if args.mpi:
        from mpi4py import MPI

        rank = MPI.COMM_WORLD.Get_rank()
        if args.strategy:  # clients must still train alone, not data-parallel
            tf.distribute.MultiWorkerMirroredStrategy()
    tf.set_seed(rank)  # different initial weights on each rank: fit_mpi must send rank 0's
    model = tf.keras.Sequential([L.Input((6,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
                                 L.Dense(2)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    fed = FedProx(model, mu=0.1, clients_per_round=args.clients - 1 if args.clients > 2 else None,
                  local_epochs=2, batch_size=8, seed=5)
    if args.mpi:
        own = clients[rank]
        if rank == args.fail_rank:  # data of the wrong width: this client's training fails
            x = np.concatenate([x, x], axis=1)
        history = fed.fit_mpi(x[own], y[own], rounds=3, validation_data=(x, y))
    else:
        history = fed.fit(x, y, clients, rounds=3, validation_data=(x, y))
    if rank == 0:
        np.savez(args.out, *model.get_weights())
        with open(args.out + ".json", "w") as f:
            json.dump(history.history, f)


if __name__ == "__main__":
    main()
