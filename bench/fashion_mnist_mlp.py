"""Fashion-MNIST MLP 784-256-128-10, Adam, batch 128, 10 epochs: ``Sequential.fit`` vs a PyTorch
loop on the same work, epochs alternating in one process; then peak memory of each, each in a
fresh subprocess (peak RSS growth during training, over the process's RSS once data is loaded).

Prints median epoch times and their ratio, and mean test accuracy over 3 seeds (issue goal:
profond ≥ 0.885; ratio ≤ 0.75).
"""

import json
import resource
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import torch
from _timing import machine

import profond as pf

EPOCHS, BATCH, SEEDS = 10, 128, (0, 1, 2)


def load():
    (x, y), (xt, yt) = pf.datasets.fashion_mnist.load_data()
    f = lambda a: a.reshape(len(a), -1).astype("float32") / 255  # noqa: E731
    return f(x), y.astype("int64"), f(xt), yt.astype("int64")


def profond_trainer(seed, data):
    x, y, xt, yt = data
    pf.set_seed(seed)
    pf.keras.backend.clear_session()
    model = pf.keras.Sequential([pf.keras.Input((784,)),
                                 pf.keras.layers.Dense(256, activation="relu"),
                                 pf.keras.layers.Dense(128, activation="relu"),
                                 pf.keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def epoch(k):
        model.fit(x, y, batch_size=BATCH, epochs=k + 1, initial_epoch=k, verbose=0)

    def accuracy():
        return model.evaluate(xt, yt, batch_size=1000, verbose=0)[1]

    return epoch, accuracy


def torch_trainer(seed, data):
    x, y, xt, yt = (torch.from_numpy(a) for a in data)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(k):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    def accuracy():
        with torch.no_grad():
            return (model(xt).argmax(1) == yt).float().mean().item()

    return epoch, accuracy


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def memory_worker(name):
    """Run in a subprocess: train 2 epochs while a thread samples the resident memory every
    2 ms; report the peak over the resident memory once data and model are in place."""
    data = load()
    make = profond_trainer if name == "profond" else torch_trainer
    epoch, _ = make(0, data)
    epoch(0)  # warm-up: first-use allocations of both libraries are not training memory
    base, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    epoch(1)
    done.set()
    sampler.join()
    print(json.dumps({"peak_growth_mb": peak[0] - base, "base_mb": base}))


def main():
    threads = pf.config.get_num_threads() or 1
    torch.set_num_threads(threads)
    data = load()
    times = {"profond": [], "pytorch": []}
    accs = {"profond": [], "pytorch": []}
    for seed in SEEDS:
        trainers = {"profond": profond_trainer(seed, data), "pytorch": torch_trainer(seed, data)}
        for k in range(EPOCHS):
            for name, (epoch, _) in trainers.items():
                t0 = time.perf_counter()
                epoch(k)
                times[name].append(time.perf_counter() - t0)
        for name, (_, accuracy) in trainers.items():
            accs[name].append(accuracy())
        print(f"seed {seed}: test accuracy profond {accs['profond'][-1]:.4f}, "
              f"pytorch {accs['pytorch'][-1]:.4f}", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"machine: {machine()}; BLAS threads {threads}, torch threads {torch.get_num_threads()}")
    for name in times:
        print(f"{name:8s} median epoch {med[name]:.3f} s   mean test accuracy "
              f"{np.mean(accs[name]):.4f} ({', '.join(f'{a:.4f}' for a in accs[name])})")
    print(f"Sequential.fit epoch / PyTorch loop epoch = {med['profond'] / med['pytorch']:.2f}x")
    for name in ("profond", "pytorch"):
        out = subprocess.run([sys.executable, __file__, "--memory", name], capture_output=True,
                             text=True, check=True).stdout
        mem = json.loads(out)
        print(f"{name:8s} peak memory during an epoch: +{mem['peak_growth_mb']:.1f} MB over "
              f"{mem['base_mb']:.0f} MB resident (data, model, library)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        memory_worker(sys.argv[2])
    else:
        main()
