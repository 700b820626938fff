"""One MLP training step, profond against PyTorch, on Fashion-MNIST shapes.

784-256-128-10, ReLU, batch 128, softmax cross-entropy, Adam written by hand on tensors in both
frameworks (PyTorch with its in-place ops). Also a hand-written pure-NumPy step as the floor.
Prints milliseconds per step (medians) and the ratio profond / PyTorch.
"""

import numpy as np
import torch
from _timing import alternate, machine

import profond as pf

BATCH, SIZES = 128, (784, 256, 128, 10)
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    ws = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6 / (n_in + n_out))
        ws += [rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32),
               np.zeros(n_out, np.float32)]
    return x, y, ws


def profond_step_fn():
    x, y, ws = data()
    x, params = pf.constant(x), [pf.Variable(w) for w in ws]
    m = [pf.Variable(np.zeros_like(w), trainable=False) for w in ws]
    v = [pf.Variable(np.zeros_like(w), trainable=False) for w in ws]
    state = {"t": 0}

    def step():
        W1, b1, W2, b2, W3, b3 = params
        with pf.GradientTape() as tape:
            h = pf.dense(x, W1, b1, "relu")
            h = pf.dense(h, W2, b2, "relu")
            logits = pf.dense(h, W3, b3)
            loss = pf.reduce_mean(pf.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, params)
        state["t"] += 1
        t = state["t"]
        alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
        with pf.no_grad():
            for p, g, mi, vi in zip(params, grads, m, v):
                mi.assign(mi * B1 + g * (1 - B1))
                vi.assign(vi * B2 + g * g * (1 - B2))
                p.assign_sub(mi * alpha / (pf.sqrt(vi) + EPS))
        return loss

    return step


def torch_step_fn():
    x, y, ws = data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.tensor(w, requires_grad=True) for w in ws]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    state = {"t": 0}

    def step():
        W1, b1, W2, b2, W3, b3 = params
        h = torch.relu(x @ W1 + b1)
        h = torch.relu(h @ W2 + b2)
        logits = h @ W3 + b3
        loss = torch.nn.functional.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, params)
        state["t"] += 1
        t = state["t"]
        alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
        with torch.no_grad():
            for p, g, mi, vi in zip(params, grads, m, v):
                mi.mul_(B1).add_(g, alpha=1 - B1)
                vi.mul_(B2).addcmul_(g, g, value=1 - B2)
                p.sub_(alpha * mi / (vi.sqrt() + EPS))
        return loss

    return step


def numpy_step_fn():
    x, y, ws = data()
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    state = {"t": 0}
    rows = np.arange(BATCH)

    def step():
        W1, b1, W2, b2, W3, b3 = ws
        a1 = np.maximum(x @ W1 + b1, 0)
        a2 = np.maximum(a1 @ W2 + b2, 0)
        z = a2 @ W3 + b3
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g3 = p
        g3[rows, y] -= 1
        g3 /= BATCH
        g2 = (g3 @ W3.T) * (a2 > 0)
        g1 = (g2 @ W2.T) * (a1 > 0)
        grads = [x.T @ g1, g1.sum(0), a1.T @ g2, g2.sum(0), a2.T @ g3, g3.sum(0)]
        state["t"] += 1
        t = state["t"]
        alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
        for w, g, mi, vi in zip(ws, grads, m, v):
            mi *= B1
            mi += (1 - B1) * g
            vi *= B2
            vi += (1 - B2) * g * g
            w -= alpha * mi / (np.sqrt(vi) + EPS)

    return step


def main(repeats=15, inner=20):
    torch.set_num_threads(pf.config.get_num_threads() or 1)
    contenders = {"profond": profond_step_fn(), "pytorch": torch_step_fn(),
                  "numpy": numpy_step_fn()}
    for fn in contenders.values():  # warm up
        for _ in range(5):
            fn()
    med = alternate(contenders, repeats=repeats, inner=inner)
    print(f"machine: {machine()}; BLAS threads {pf.config.get_num_threads()}, "
          f"torch threads {torch.get_num_threads()}")
    for name, t in med.items():
        print(f"{name:8s} {t * 1e3:7.3f} ms/step")
    ratio = med["profond"] / med["pytorch"]
    print(f"MLP step profond/pytorch = {ratio:.2f}x   numpy/pytorch = "
          f"{med['numpy'] / med['pytorch']:.2f}x")
    return ratio


if __name__ == "__main__":
    main()
