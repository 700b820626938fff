"""The engine alone: one MLP training step written by hand on tensors (``GradientTape`` and Adam
as formulas), and the overhead of one small op.

MLP 784-256-128-10, ReLU, batch 128, softmax cross-entropy; Adam written out in every framework
(PyTorch with its in-place ops), plus the same step in plain NumPy as the floor. The op overhead
is microseconds per op on a 16×16 float32 array: what it measures is the Python wrapper and the
graph node (recording on: ``_grad`` contenders), since the arithmetic itself is tiny.
"""

import numpy as np
from _harness import Case, Work
from _models import weights

BATCH = 128
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def _data():
    rng = np.random.default_rng(0)
    return rng.random((BATCH, 784), dtype=np.float32), rng.integers(0, 10, BATCH)


def profond_mlp_step():
    import profond as pf

    x, y = _data()
    x, params = pf.constant(x), [pf.Variable(w) for w in weights("mlp")]
    m = [pf.Variable(np.zeros_like(p.numpy()), trainable=False) for p in params]
    v = [pf.Variable(np.zeros_like(p.numpy()), trainable=False) for p in params]
    t = [0]

    def step():
        W1, b1, W2, b2, W3, b3 = params
        with pf.GradientTape() as tape:
            h = pf.dense(x, W1, b1, "relu")
            h = pf.dense(h, W2, b2, "relu")
            logits = pf.dense(h, W3, b3)
            loss = pf.reduce_mean(pf.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, params)
        t[0] += 1
        alpha = LR * np.sqrt(1 - B2 ** t[0]) / (1 - B1 ** t[0])
        with pf.no_grad():
            for p, g, mi, vi in zip(params, grads, m, v):
                mi.assign(mi * B1 + g * (1 - B1))
                vi.assign(vi * B2 + g * g * (1 - B2))
                p.assign_sub(mi * alpha / (pf.sqrt(vi) + EPS))

    return Work(step, items=BATCH)


def torch_mlp_step():
    import torch

    x, y = (torch.from_numpy(a) for a in _data())
    params = [torch.tensor(w, requires_grad=True) for w in weights("mlp")]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    t = [0]

    def step():
        W1, b1, W2, b2, W3, b3 = params
        h = torch.relu(x @ W1 + b1)
        h = torch.relu(h @ W2 + b2)
        loss = torch.nn.functional.cross_entropy(h @ W3 + b3, y)
        grads = torch.autograd.grad(loss, params)
        t[0] += 1
        alpha = LR * np.sqrt(1 - B2 ** t[0]) / (1 - B1 ** t[0])
        with torch.no_grad():
            for p, g, mi, vi in zip(params, grads, m, v):
                mi.mul_(B1).add_(g, alpha=1 - B1)
                vi.mul_(B2).addcmul_(g, g, value=1 - B2)
                p.sub_(alpha * mi / (vi.sqrt() + EPS))

    return Work(step, items=BATCH)


def numpy_mlp_step():
    x, y = _data()
    ws = weights("mlp")
    m, v = [np.zeros_like(w) for w in ws], [np.zeros_like(w) for w in ws]
    rows, t = np.arange(BATCH), [0]

    def step():
        W1, b1, W2, b2, W3, b3 = ws
        a1 = np.maximum(x @ W1 + b1, 0)
        a2 = np.maximum(a1 @ W2 + b2, 0)
        z = a2 @ W3 + b3
        z -= z.max(1, keepdims=True)
        g3 = np.exp(z)
        g3 /= g3.sum(1, keepdims=True)
        g3[rows, y] -= 1
        g3 /= BATCH
        g2 = (g3 @ W3.T) * (a2 > 0)
        g1 = (g2 @ W2.T) * (a1 > 0)
        grads = [x.T @ g1, g1.sum(0), a1.T @ g2, g2.sum(0), a2.T @ g3, g3.sum(0)]
        t[0] += 1
        alpha = LR * np.sqrt(1 - B2 ** t[0]) / (1 - B1 ** t[0])
        for w, g, mi, vi in zip(ws, grads, m, v):
            mi *= B1
            mi += (1 - B1) * g
            vi *= B2
            vi += (1 - B2) * g * g
            w -= alpha * mi / (np.sqrt(vi) + EPS)

    return Work(step, items=BATCH)


# ---------------------------------------------------------------- op overhead

OPS = ("add", "matmul", "sum")
REPEAT = 2000


def _pair():
    a = np.random.default_rng(0).random((16, 16), dtype=np.float32)
    return a, a + 1


def _loop(f, a, b):
    def step():
        for _ in range(REPEAT):
            f(a, b)
    return Work(step, steps=REPEAT)


def _op_factories(op):
    np_ops = {"add": np.add, "matmul": np.matmul, "sum": lambda a, b: np.sum(a)}

    def numpy_():
        return _loop(np_ops[op], *_pair())

    def profond_(record=False):
        import profond as pf

        make = pf.Variable if record else pf.constant
        fn = {"add": lambda a, b: a + b, "matmul": lambda a, b: a @ b,
              "sum": lambda a, b: pf.reduce_sum(a)}[op]
        a, b = (make(t) for t in _pair())
        work = _loop(fn, a, b)
        if not record:
            return work

        def recorded():  # one tape records the whole loop, as torch's graph does
            with pf.GradientTape():
                loop()
        loop, work.step = work.step, recorded
        return work

    def torch_(record=False):
        import torch

        fn = {"add": torch.add, "matmul": torch.matmul, "sum": lambda a, b: torch.sum(a)}[op]
        a, b = (torch.from_numpy(t.copy()).requires_grad_(record) for t in _pair())
        if record:
            return _loop(fn, a, b)

        def no_grad(a, b):
            with torch.no_grad():
                fn(a, b)
        return _loop(no_grad, a, b)

    return {f"numpy_{op}": numpy_, f"profond_{op}": profond_,
            f"profond_grad_{op}": lambda: profond_(True), f"torch_{op}": torch_,
            f"torch_grad_{op}": lambda: torch_(True)}


for _op in OPS:
    globals().update(_op_factories(_op))

CASES = {
    "mlp_step": Case("MLP step by hand: GradientTape + Adam as formulas, batch 128",
                     {"profond": "profond_mlp_step", "pytorch": "torch_mlp_step",
                      "numpy": "numpy_mlp_step"}, calls=50, inner=5),
}
for _op in OPS:
    CASES[f"op_{_op}"] = Case(
        f"one `{_op}` on 16×16 float32 (µs per op; `_grad`: recording a graph node)",
        {"profond": f"profond_{_op}", "pytorch": f"torch_{_op}", "numpy": f"numpy_{_op}",
         "profond_grad": f"profond_grad_{_op}", "pytorch_grad": f"torch_grad_{_op}"},
        unit="us", warmup=1, calls=5)
