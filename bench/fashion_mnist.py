"""Real data: Fashion-MNIST, MLP 784-256-128-10 (softmax), Adam, batch 128, 10 epochs per seed,
Keras defaults (``Sequential.fit`` with the accuracy metric) against a PyTorch loop
(``CrossEntropyLoss``, a random permutation per epoch). Each repetition is one seed (0, 1, 2),
in a fresh process per framework; it reports the median epoch and the test accuracy after
10 epochs."""

import os

from _harness import Case, Work

EPOCHS, BATCH = 10, 128


def _seed():
    return int(os.environ.get("BENCH_REP", "0"))


def _load():
    import profond as pf

    (x, y), (xt, yt) = pf.datasets.fashion_mnist.load_data()
    flat = lambda a: a.reshape(len(a), -1).astype("float32") / 255  # noqa: E731
    return flat(x), y.astype("int64"), flat(xt), yt.astype("int64")


def _missing():
    try:
        _load()
    except Exception as err:  # noqa: BLE001 - any failure means: no data set here
        return f"Fashion-MNIST not available: {err}"
    return None


def profond_fit():
    import profond as pf

    x, y, xt, yt = _load()
    pf.set_seed(_seed())
    L = pf.keras.layers
    model = pf.keras.Sequential([L.Input((784,)), L.Dense(256, activation="relu"),
                                 L.Dense(128, activation="relu"),
                                 L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epoch = [0]

    def step():
        model.fit(x, y, batch_size=BATCH, epochs=epoch[0] + 1, initial_epoch=epoch[0], verbose=0)
        epoch[0] += 1

    def report():
        return {"test_accuracy": round(model.evaluate(xt, yt, batch_size=1000, verbose=0)[1], 4)}

    return Work(step, items=len(x), report=report)


def torch_fit():
    import torch

    x, y, xt, yt = (torch.from_numpy(a) for a in _load())
    torch.manual_seed(_seed())
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        perm = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()

    def report():
        with torch.no_grad():
            return {"test_accuracy": round((model(xt).argmax(1) == yt).float().mean().item(), 4)}

    return Work(step, items=len(x), report=report)


CASES = {
    "fashion_mnist_mlp": Case(
        "Fashion-MNIST MLP, 10 epochs per seed: median epoch, test accuracy",
        {"profond": "profond_fit", "pytorch": "torch_fit"}, goal="accuracy ≥ 0.885",
        warmup=0, calls=EPOCHS, unit="s", needs=_missing),
}
