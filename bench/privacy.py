"""DP-SGD's cost: a private training step against a plain one (issue 19: at most 3×).

The model is the end-to-end CNN of ``examples/dp_fashion_mnist.py`` (Tramèr & Boneh's, 26,010
weights), batches of 256 (their physical batch), plain SGD with momentum. Each call trains one
epoch of 4 batches; times are per step. Contenders: profond's DP step (per-example gradients in
one backward pass, clipped, noised: ``DPKerasSGDOptimizer``), Opacus's (``GradSampleModule`` +
``DPOptimizer``: PyTorch's hooks), and profond's plain step (``sgd``) — the goal is the ratio of
the first to the last.
"""

import numpy as np
from _harness import Case, Work
from _models import classification_data

BATCH, STEPS = 256, 4


def _profond(private):
    def factory():
        import runpy

        import profond as pf
        from profond.privacy import DPKerasSGDOptimizer

        build = runpy.run_path(str(_example()))["build_model"]
        pf.set_seed(0)
        model = build()
        if private:
            opt = DPKerasSGDOptimizer(0.1, 2.15, learning_rate=4.0, momentum=0.9)
        else:
            opt = pf.keras.optimizers.SGD(0.4, momentum=0.9)
        model.compile(optimizer=opt, loss=pf.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="none" if private else "sum_over_batch_size"))
        x, y = classification_data(BATCH * STEPS, (28, 28, 1))
        return Work(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0),
                    items=len(x), steps=STEPS)
    return factory


def _example():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[1] / "examples" / "dp_fashion_mnist.py"


def opacus_dp():
    import torch
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    torch.manual_seed(0)
    nn = torch.nn
    net = GradSampleModule(nn.Sequential(
        nn.Conv2d(1, 16, 8, stride=2, padding=2), nn.Tanh(), nn.MaxPool2d(2, 1),
        nn.Conv2d(16, 32, 4, stride=2), nn.Tanh(), nn.MaxPool2d(2, 1), nn.Flatten(),
        nn.Linear(512, 32), nn.Tanh(), nn.Linear(32, 10)))
    opt = DPOptimizer(torch.optim.SGD(net.parameters(), lr=4.0, momentum=0.9),
                      noise_multiplier=2.15, max_grad_norm=0.1, expected_batch_size=BATCH)
    x, y = classification_data(BATCH * STEPS, (28, 28, 1))
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    y = torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()

    return Work(epoch, items=len(x), steps=STEPS)


def _needs_opacus():
    try:
        import opacus  # noqa: F401
    except ImportError:
        return "opacus is not installed"
    return None


profond_dp, profond_sgd = _profond(True), _profond(False)

CASES = {
    "dp_cnn_step": Case(
        "DP-SGD step, Fashion-MNIST CNN (Tramèr & Boneh), batch 256",
        {"profond": "profond_dp", "pytorch": "opacus_dp", "sgd": "profond_sgd"},
        goal="DP step ≤ 3× profond's plain step (column 'other': sgd)", warmup=2, calls=8,
        needs=_needs_opacus),
}
