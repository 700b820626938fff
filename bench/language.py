"""Language models: one training step of the small GPT of ``examples/gpt_french.py`` and of a
BiLSTM sentiment classifier shaped like IMDB, in profond against the same network in PyTorch.

GPT: batch 64, context 32, 4 blocks, 4 heads, width 128, tied output layer, 44 tokens; one
GradientTape step of Adam on the NLL against the PyTorch twin of the example (same initial
weights; ``F.scaled_dot_product_attention``, causal). BiLSTM: Embedding(10000, 64),
Bidirectional(LSTM(64)), Dense(1), 200 tokens, batch 64, binary cross-entropy from logits,
Adam; ``train_on_batch`` against the loop a PyTorch user writes.
"""

import os
import sys

import numpy as np
from _harness import Case, Work

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
GPT = dict(vocab_size=44, context=32, width=128, depth=4, heads=4, tie_weights=True)
BATCH = 64
IMDB = dict(length=200, vocab=10000, embed=64, units=64)


def _gpt_batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, GPT["vocab_size"], (BATCH, GPT["context"]))
    y = rng.integers(0, GPT["vocab_size"], (BATCH, GPT["context"]))
    return x, y, np.ones(x.shape, np.float32)


def _gpt_model():
    """The example's model (built, seeded) and its initial weights."""
    sys.path.insert(0, EXAMPLES)
    import gpt_french

    import profond as pf

    pf.set_seed(0)
    model = gpt_french.GPT(**GPT)
    model(np.zeros((1, GPT["context"]), np.int64))
    return gpt_french, model, [w.numpy().copy() for w in model.trainable_weights]


def profond_gpt():
    import profond as pf

    gpt_french, model, _ = _gpt_model()
    optimizer = pf.keras.optimizers.Adam(1e-3, epsilon=1e-8)
    x, y, mask = _gpt_batch()
    return Work(lambda: gpt_french.train_step(model, optimizer, x, y, mask), items=BATCH)


def torch_gpt():
    import torch

    gpt_french, _, initial = _gpt_model()
    forward, params = gpt_french.torch_twin(initial, GPT)
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-8)
    x, y, mask = (torch.from_numpy(a) for a in _gpt_batch())
    return Work(lambda: gpt_french.torch_step(forward, optimizer, x, y, mask), items=BATCH)


def _imdb_batch():
    rng = np.random.default_rng(0)
    return (rng.integers(1, IMDB["vocab"], (BATCH, IMDB["length"])),
            rng.integers(0, 2, (BATCH, 1)).astype(np.float32))


def profond_bilstm():
    import profond as pf

    pf.set_seed(0)
    L = pf.keras.layers
    model = pf.keras.Sequential([
        L.Input((IMDB["length"],), dtype="int64"), L.Embedding(IMDB["vocab"], IMDB["embed"]),
        L.Bidirectional(L.LSTM(IMDB["units"])), L.Dense(1)])
    model.compile(optimizer=pf.keras.optimizers.Adam(1e-3),
                  loss=pf.keras.losses.BinaryCrossentropy(from_logits=True))
    x, y = _imdb_batch()
    return Work(lambda: model.train_on_batch(x, y), items=BATCH)


def torch_bilstm():
    import torch

    torch.manual_seed(0)

    class BiLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(IMDB["vocab"], IMDB["embed"])
            self.lstm = torch.nn.LSTM(IMDB["embed"], IMDB["units"], batch_first=True,
                                      bidirectional=True)
            self.out = torch.nn.Linear(2 * IMDB["units"], 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.embedding(x))  # h: (2, batch, units), both directions
            return self.out(torch.cat([h[0], h[1]], -1))

    model = BiLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = (torch.from_numpy(a) for a in _imdb_batch())

    def step():
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return Work(step, items=BATCH)


CASES = {
    "gpt_step": Case("small GPT (4 blocks, 4 heads, width 128, context 32) training step, "
                     "batch 64", {"profond": "profond_gpt", "pytorch": "torch_gpt"},
                     goal="≤ 1.2×", calls=10),
    "bilstm_step": Case("Embedding(10000, 64)-Bidirectional(LSTM(64))-Dense(1) on 200 tokens, "
                        "training step, batch 64",
                        {"profond": "profond_bilstm", "pytorch": "torch_bilstm"},
                        goal="≤ 1.0×", calls=10),
}
