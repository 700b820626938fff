"""Chapter — distributed and private training: MPI data parallelism, federated averaging, DP-SGD."""

import pathlib
import shutil
import subprocess
import sys

import numpy as np

import profond as tf
from profond.datasets import digits
from profond.federated import FedAvg, client_label_counts, dirichlet_split, iid_split
from profond.privacy import (
    DPKerasSGDOptimizer,
    PrivacyAccountant,
    compute_epsilon,
)

# %% script
SCRIPT = '''
import sys
import numpy as np
import profond as tf
from profond.datasets import digits

mpi = "--mpi" in sys.argv
strategy = tf.distribute.MultiWorkerMirroredStrategy() if mpi else None
rank = strategy.rank if mpi else 0
tf.keras.utils.set_random_seed(rank)  # different on each rank: fit sends rank 0's weights to all
(x, y), _ = digits.load_data()
x = (x.reshape(-1, 64) / 16).astype("float32")
model = tf.keras.Sequential([tf.keras.Input((64,)), tf.keras.layers.Dense(32, activation="relu"),
                             tf.keras.layers.Dense(10)])
model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), metrics=["accuracy"],
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)  # 64: the global batch
with open(f"rank{rank}{'-mpi' if mpi else ''}.txt", "w") as f:  # one file per rank
    print(f"rank {rank} of {strategy.size if mpi else 1}: holds {len(x)} images,",
          f"loss {history.history['loss'][-1]:.5f}", file=f)
np.savez(f"weights{'-mpi' if mpi else ''}-{rank}.npz", *model.get_weights())
'''
pathlib.Path("train_digits.py").write_text(SCRIPT)

# %% launch
bin_dir = str(pathlib.Path(sys.executable).parent)  # the environment's commands
mpiexec = shutil.which("mpiexec", path=bin_dir) or shutil.which("mpiexec")
profond = shutil.which("profond", path=bin_dir) or shutil.which("profond")
if mpiexec is None or profond is None:
    print("mpiexec or the profond command is missing here (pip install 'profond[mpi]'): the "
          "2-process run is skipped.")
else:
    subprocess.run([profond, "launch", "-n", "2", "train_digits.py", "--mpi"], check=True,
                   timeout=300)
    subprocess.run([sys.executable, "train_digits.py"], check=True, timeout=300)  # 1 process
    for name in ("rank0-mpi.txt", "rank1-mpi.txt", "rank0.txt"):
        print(pathlib.Path(name).read_text().strip())
    two = np.load("weights-mpi-0.npz")
    one = np.load("weights-0.npz")
    gap = max(float(np.abs(two[k] - one[k]).max()) for k in one.files)
    print(f"largest gap between the weights of 2 processes and of 1: {gap:.1e}")

# %% costs
# Ring all-reduce: each of N ranks sends (and receives) 2(N − 1)/N times the gradient's bytes.
params = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10   # the Fashion-MNIST MLP
megabytes = 4 * params / 1e6                                  # float32
for link_gbit in (1, 10):
    for ranks in (2, 8, 64):
        sent = 2 * (ranks - 1) / ranks * megabytes
        print(f"{link_gbit:2d} Gbit/s, {ranks:2d} ranks: {sent:.2f} MB per rank and step, "
              f"{sent * 8 / link_gbit:.2f} ms at best")

# %% federated_data
(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = (x_train.reshape(-1, 64) / 16).astype("float32")
x_test = (x_test.reshape(-1, 64) / 16).astype("float32")
splits = {"IID": iid_split(y_train, 10, seed=0),
          "non-IID (α = 0.1)": dirichlet_split(y_train, 10, alpha=0.1, seed=0)}
for name, clients in splits.items():
    counts = client_label_counts(y_train, clients)
    print(f"{name:18s} client sizes {counts.sum(axis=1).tolist()}")
    print(f"{'':18s} share of each client's largest class "
          f"{np.round(counts.max(axis=1) / counts.sum(axis=1), 2).tolist()}")


# %% federated
def fresh_model():
    tf.keras.utils.set_random_seed(0)  # the same initial weights for every run
    model = tf.keras.Sequential([tf.keras.Input((64,)),
                                 tf.keras.layers.Dense(32, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


rounds = 15
central = fresh_model()
central.fit(x_train, y_train, epochs=rounds, batch_size=16, verbose=0)
print(f"centralized, {rounds} epochs:   test accuracy "
      f"{central.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
for name, clients in splits.items():
    model = fresh_model()
    FedAvg(model, local_epochs=1, batch_size=16, seed=0).fit(x_train, y_train, clients, rounds)
    print(f"FedAvg {name}, {rounds} rounds: test accuracy "
          f"{model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")

# %% accountant
n, batch, delta = 60000, 256, 1e-5
q = batch / n
print(f"n = {n:,}, batches of {batch}: sampling rate q = {q:.5f}, δ = {delta:g}")
for sigma in (0.7, 1.1, 2.0):
    epsilons = [compute_epsilon(q, sigma, steps=epochs * n // batch, delta=delta)
                for epochs in (1, 10, 60)]
    print(f"σ = {sigma}: ε after 1, 10, 60 epochs = " + ", ".join(f"{e:.2f}" for e in epsilons))
rdp = compute_epsilon(q, 1.1, 60 * n // batch, delta)
pld = compute_epsilon(q, 1.1, 60 * n // batch, delta, accountant="pld")
print(f"σ = 1.1, 60 epochs: RDP ε = {rdp:.3f}, PLD ε = {pld:.3f} (tighter)")

# %% dp_sgd
def classifier():
    tf.keras.utils.set_random_seed(0)
    return tf.keras.Sequential([tf.keras.Input((64,)),
                                tf.keras.layers.Dense(32, activation="tanh"),
                                tf.keras.layers.Dense(10)])


batch, epochs = 64, 15
private = classifier()
private.compile(
    optimizer=DPKerasSGDOptimizer(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.5),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none"),
    metrics=["accuracy"])
accountant = PrivacyAccountant(num_examples=len(x_train), batch_size=batch, delta=1e-4)
history = private.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=0,
                      callbacks=[accountant]).history
print("ε after each 5 epochs:", [round(e, 2) for e in history["epsilon"][4::5]])
public = classifier()
public.compile(optimizer=tf.keras.optimizers.SGD(0.5), metrics=["accuracy"],
               loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
public.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=0)
print(f"test accuracy: DP-SGD {private.evaluate(x_test, y_test, verbose=0)[1]:.4f} at "
      f"ε = {history['epsilon'][-1]:.2f}, δ = 1e-4;  plain SGD "
      f"{public.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
