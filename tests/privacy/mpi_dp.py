"""DP-SGD on MPI ranks (``mpiexec -n 2 … --mpi``) or in one process, in float64: ``fit`` with
shuffled batches (a weight penalty too), ``fit`` on Poisson batches, or a custom loop with
``strategy.run`` and ``minimize``. Rank 0 saves the weights and the losses."""

import argparse
import json

import numpy as np

import profond as tf
from profond.privacy import DPKerasSGDOptimizer, PrivacyAccountant, poisson_batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--mode", choices=["fit", "poisson", "loop"], default="fit")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tf.backend.set_floatx("float64")
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if args.mpi else \
        tf.distribute.get_strategy()
    rank = getattr(strategy, "rank", 0)
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 129  # batches of 64: the last has one row, rank 1 steps on a copy weighted 0
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    with strategy.scope():
        model = tf.keras.Sequential([
            tf.keras.Input((6,)),
            tf.keras.layers.Dense(8, "tanh", kernel_regularizer=tf.keras.regularizers.L2(0.01)),
            tf.keras.layers.Dense(2)])
        optimizer = DPKerasSGDOptimizer(
            0.5, 1.1, learning_rate=0.2,
            expected_batch_size=0.3 * n if args.mode == "poisson" else None)
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                reduction="none")
    losses = []
    if args.mode == "loop":
        if args.mpi:  # the same starting weights everywhere
            strategy.broadcast_arrays([v.data for v in model.variables])
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(43)  # 22 + 21 rows

        def step(xb, yb):
            with tf.GradientTape() as tape:
                per_example = loss_fn(yb, model(xb, training=True))
            optimizer.minimize(per_example, model.trainable_variables, tape=tape)
            return tf.reduce_sum(per_example)

        for _ in range(2):
            total = 0.0
            for xb, yb in strategy.experimental_distribute_dataset(dataset):
                total += float(strategy.reduce("SUM", strategy.run(step, args=(xb, yb)),
                                               axis=None))
            losses.append(total / n)
    else:
        model.compile(optimizer, loss_fn)
        if args.mode == "poisson":
            data = dict(x=poisson_batches(x, y, sampling_rate=0.3, seed=5))
            accountant = PrivacyAccountant(n, 0.3 * n, sampling="poisson")
        else:
            data = dict(x=x, y=y, batch_size=64, shuffle=True)
            accountant = PrivacyAccountant(n, 64)
        history = model.fit(**data, epochs=3, verbose=0, callbacks=[accountant])
        losses = history.history["loss"] + history.history["epsilon"]
    if rank == 0:
        np.savez(args.out, *[np.asarray(w) for w in model.get_weights()])
        with open(f"{args.out}.json", "w") as f:
            json.dump(dict(losses=losses, steps=int(optimizer.iterations)), f)


if __name__ == "__main__":
    main()
