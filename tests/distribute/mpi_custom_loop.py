"""A custom training loop in TensorFlow's multi-worker style: ``strategy.run`` on each rank's
slice of the global batch, the loss scaled by the global batch size, ``strategy.reduce`` of the
loss; with ``--fail-rank R`` that rank raises mid-training. Rank 0 saves the weights."""

import argparse

import numpy as np

import profond as tf


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--fail-rank", type=int, default=-1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if args.mpi else \
        tf.distribute.get_strategy()
    rank = getattr(strategy, "rank", 0)
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) > 0).astype("float32")
    global_batch = 32
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(16, "tanh"),
                                     tf.keras.layers.Dense(1)])
        optimizer = tf.keras.optimizers.SGD(0.1)
        loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=True, reduction="none")
    if args.mpi:  # the same starting weights everywhere
        strategy.broadcast_arrays([v.data for v in model.variables])
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for epoch in range(3):
        total = 0.0
        for i, (xb, yb) in enumerate(strategy.experimental_distribute_dataset(dataset)):
            if rank == args.fail_rank and epoch == 1 and i == 2:
                raise RuntimeError(f"rank {rank} fails on purpose")
            per_replica = strategy.run(step, args=(xb, yb))
            total += float(strategy.reduce("SUM", per_replica, axis=None))
        if rank == 0:
            print(f"epoch {epoch}: loss {total / (len(x) // global_batch):.6f}")
    if rank == 0:
        np.savez(args.out, *[np.asarray(w) for w in model.get_weights()])


if __name__ == "__main__":
    main()
