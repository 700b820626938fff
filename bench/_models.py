"""The networks the benchmarks train, written once for profond and once for PyTorch.

Initial weights come from NumPy (``weights``), in profond's layout (kernels HWIO, Dense (in, out));
``to_torch`` maps them onto a torch module, so both frameworks start from the same point. Nothing
here imports a framework at the top: each builder imports its own, inside the worker process.
"""

import numpy as np

# Each model: a list of (kind, shape) in profond's get_weights() order.
SPECS = {
    "mlp": [("glorot", (784, 256)), ("zeros", (256,)), ("glorot", (256, 128)),
            ("zeros", (128,)), ("glorot", (128, 10)), ("zeros", (10,))],
    "cnn": [("glorot", (3, 3, 1, 32)), ("zeros", (32,)), ("glorot", (3, 3, 32, 64)),
            ("zeros", (64,)), ("glorot", (1600, 128)), ("zeros", (128,)),
            ("glorot", (128, 10)), ("zeros", (10,))],
    "lstm": [("glorot", (28, 512)), ("glorot", (128, 512)), ("zeros", (512,)),
             ("glorot", (128, 10)), ("zeros", (10,))],
    "text": [("uniform", (10000, 64)), ("glorot", (64, 256)), ("glorot", (64, 256)),
             ("zeros", (256,)), ("glorot", (64, 1)), ("zeros", (1,))],
    "bn_cnn": [("glorot", (3, 3, 1, 32)), ("zeros", (32,)), ("ones", (32,)), ("zeros", (32,)),
               ("zeros", (32,)), ("ones", (32,)), ("glorot", (3, 3, 32, 64)), ("zeros", (64,)),
               ("ones", (64,)), ("zeros", (64,)), ("zeros", (64,)), ("ones", (64,)),
               ("glorot", (1600, 10)), ("zeros", (10,))],
}


def weights(name, seed=0):
    """The initial weights of model ``name`` (float32 NumPy arrays, profond's layout)."""
    rng = np.random.default_rng(seed)
    out = []
    for kind, shape in SPECS[name]:
        if kind == "glorot":
            fan_in = int(np.prod(shape[:-1]))
            fan_out = shape[-1] * (int(np.prod(shape[:-2])) if len(shape) > 2 else 1)
            limit = np.sqrt(6 / (fan_in + fan_out))
            out.append(rng.uniform(-limit, limit, shape))
        elif kind == "uniform":
            out.append(rng.uniform(-0.05, 0.05, shape))
        else:
            out.append(np.full(shape, 1.0 if kind == "ones" else 0.0))
    return [w.astype(np.float32) for w in out]


def classification_data(n, shape, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, classes, n)


def text_data(n, length=100, vocab=10000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, vocab, (n, length)), rng.integers(0, 2, n).astype(np.float32)


# ---------------------------------------------------------------- profond


def profond_model(name):
    """The Keras-style model, compiled with Adam and its loss, starting from ``weights(name)``."""
    import profond as pf

    L = pf.keras.layers
    pf.set_seed(0)
    if name == "mlp":
        layers = [L.Input((784,)), L.Dense(256, activation="relu"),
                  L.Dense(128, activation="relu"), L.Dense(10)]
    elif name == "cnn":
        layers = [L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                  L.Dense(128, activation="relu"), L.Dense(10)]
    elif name == "lstm":
        layers = [L.Input((28, 28)), L.LSTM(128), L.Dense(10)]
    elif name == "text":
        layers = [L.Input((100,), dtype="int64"), L.Embedding(10000, 64), L.LSTM(64), L.Dense(1)]
    elif name == "bn_cnn":
        layers = [L.Input((28, 28, 1)), L.Conv2D(32, 3), L.BatchNormalization(),
                  L.ReLU(), L.MaxPooling2D(), L.Conv2D(64, 3), L.BatchNormalization(),
                  L.ReLU(), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    model = pf.keras.Sequential(layers)
    model.set_weights(weights(name))
    loss = (pf.keras.losses.BinaryCrossentropy(from_logits=True) if name == "text" else
            pf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(optimizer=pf.keras.optimizers.Adam(1e-3), loss=loss)
    return model


# ---------------------------------------------------------------- PyTorch


def torch_model(name):
    """The same network in torch.nn (NCHW inside), with ``weights(name)`` copied in."""
    import torch

    nn = torch.nn
    ws = weights(name)
    if name == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        tensors = [w.T if w.ndim == 2 else w for w in ws]
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
        k1, b1, k2, b2, w3, b3, w4, b4 = ws
        tensors = [k1.transpose(3, 2, 0, 1), b1, k2.transpose(3, 2, 0, 1), b2,
                   _nhwc_rows(w3, 5, 5, 64).T, b3, w4.T, b4]
    elif name == "lstm":
        model = _LastStep(nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10))
        k, r, b, w, wb = ws
        tensors = [k.T, r.T, b, np.zeros_like(b), w.T, wb]
    elif name == "text":
        model = _LastStep(nn.LSTM(64, 64, batch_first=True), nn.Linear(64, 1),
                          embedding=nn.Embedding(10000, 64))
        e, k, r, b, w, wb = ws
        tensors = [e, k.T, r.T, b, np.zeros_like(b), w.T, wb]
    elif name == "bn_cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.BatchNorm2d(32, 1e-3, 0.01), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                              nn.BatchNorm2d(64, 1e-3, 0.01), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1600, 10))
        (k1, b1, g1, be1, m1, v1, k2, b2, g2, be2, m2, v2, w3, b3) = ws
        tensors = [k1.transpose(3, 2, 0, 1), b1, g1, be1, k2.transpose(3, 2, 0, 1), b2, g2, be2,
                   _nhwc_rows(w3, 5, 5, 64).T, b3]
    params = list(model.parameters())
    assert [tuple(p.shape) for p in params] == [t.shape for t in tensors], name
    with torch.no_grad():
        for p, t in zip(params, tensors):
            p.copy_(torch.from_numpy(np.ascontiguousarray(t)))
    return model


def _nhwc_rows(w, h, wd, c):
    """A Dense kernel after an NHWC Flatten, its rows reordered for an NCHW Flatten."""
    return w.reshape(h, wd, c, -1).transpose(2, 0, 1, 3).reshape(h * wd * c, -1)


def _LastStep(rnn, head, embedding=None):
    """[Embedding →] LSTM → its last output → Linear, as a torch module."""
    import torch

    class LastStep(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if embedding is not None:
                self.embedding = embedding
            self.rnn, self.head = rnn, head

        def forward(self, x):
            if embedding is not None:
                x = self.embedding(x)
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    return LastStep()


def torch_fit_epoch(model, x, y, batch_size, binary=False):
    """One epoch the way a PyTorch user writes it: shuffle, batches, Adam, loss read each step."""
    import torch

    if not hasattr(model, "_bench_opt"):
        model._bench_opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)
    opt = model._bench_opt
    loss_fn = (torch.nn.functional.binary_cross_entropy_with_logits if binary else
               torch.nn.functional.cross_entropy)
    model.train()
    order = torch.randperm(len(x))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad()
        out = model(x[idx])
        loss = loss_fn(out[:, 0] if binary else out, y[idx])
        loss.backward()
        opt.step()
        total += loss.item()
    return total
