"""Per-op overhead: microseconds for one small op (a 16×16 float32 array), NumPy vs profond
(recording off, recording on) vs PyTorch (no_grad, requires_grad). What it measures is the cost of
the Python wrapper and the graph node, since the arithmetic itself is tiny."""

import numpy as np
import torch
from _timing import alternate, machine

import profond as pf

N = 2000


def cases():
    a = np.random.default_rng(0).random((16, 16), dtype=np.float32)
    b = a + 1
    pa, pb = pf.constant(a), pf.constant(b)
    va, vb = pf.Variable(a), pf.Variable(b)
    ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    ga, gb = ta.clone().requires_grad_(), tb.clone().requires_grad_()
    ops = {
        "add": (lambda x, y: x + y, np.add),
        "mul": (lambda x, y: x * y, np.multiply),
        "matmul": (lambda x, y: x @ y, np.matmul),
        "exp": (lambda x, y: pf.exp(x), lambda x, y: np.exp(x)),
        "sum": (lambda x, y: pf.reduce_sum(x), lambda x, y: np.sum(x)),
    }
    torch_ops = {"add": torch.add, "mul": torch.mul, "matmul": torch.matmul,
                 "exp": lambda x, y: torch.exp(x), "sum": lambda x, y: torch.sum(x)}
    for name, (pf_op, np_op) in ops.items():
        t_op = torch_ops[name]

        def loop(f, x, y):
            def run():
                for _ in range(N):
                    f(x, y)
            return run

        def nograd_torch(x=ta, y=tb, t_op=t_op):
            with torch.no_grad():
                for _ in range(N):
                    t_op(x, y)

        yield name, {
            "numpy": loop(np_op, a, b),
            "profond": loop(pf_op, pa, pb),
            "profond+grad": loop(pf_op, va, vb),
            "torch": nograd_torch,
            "torch+grad": loop(t_op, ga, gb),
        }


def main():
    torch.set_num_threads(1)
    print(f"machine: {machine()}")
    print(f"{'op':8s}" + "".join(f"{k:>14s}" for k in
                                 ("numpy", "profond", "profond+grad", "torch", "torch+grad")))
    for name, contenders in cases():
        med = alternate(contenders, repeats=5)
        print(f"{name:8s}" + "".join(f"{med[k] / N * 1e6:12.2f}us" for k in contenders))


if __name__ == "__main__":
    main()
