"""One LSTM training step, profond against PyTorch: LSTM(128) on Fashion-MNIST rows (28 steps of
28 pixels), batch 128, then Dense(10), softmax cross-entropy, Adam; same initial weights.

Prints seconds per 100 steps (medians, contenders alternating), the ratio, and each framework's
peak memory growth while training (each in a fresh process).
"""


import numpy as np
import torch
from _timing import alternate, machine, peak_memory_mb

import profond as pf

BATCH, STEPS, FEATURES, UNITS = 128, 28, 28, 128


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, STEPS, FEATURES), dtype=np.float32), rng.integers(0, 10, BATCH)


def profond_model():
    pf.set_seed(0)
    return pf.models.Sequential([pf.layers.Input(shape=(STEPS, FEATURES)),
                                 pf.layers.LSTM(UNITS), pf.layers.Dense(10)])


class TorchLSTM(torch.nn.Module):
    def __init__(self, weights):
        super().__init__()
        self.lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
        self.dense = torch.nn.Linear(UNITS, 10)
        k, rk, b, w, bd = weights  # Keras gates (i, f, c, o) = torch's (i, f, g, o)
        with torch.no_grad():
            for p, v in zip(self.parameters(), [k.T, rk.T, b, np.zeros_like(b), w.T, bd]):
                p.copy_(torch.from_numpy(np.ascontiguousarray(v)))

    def forward(self, x):
        return self.dense(self.lstm(x)[0][:, -1])


def profond_step_fn():
    x, y = data()
    model, opt, x = profond_model(), pf.optimizers.Adam(1e-3), pf.constant(x)

    def step():
        with pf.GradientTape() as tape:
            loss = pf.reduce_mean(pf.sparse_softmax_cross_entropy_with_logits(y, model(x)))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def torch_step_fn():
    x, y = data()
    model = TorchLSTM(profond_model().get_weights())
    opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def check_same_start():
    x, _ = data()
    model = profond_model()
    ref = TorchLSTM(model.get_weights())(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x).numpy(), ref, rtol=1e-4, atol=1e-5)


def main(repeats=5, inner=10):
    torch.set_num_threads(pf.config.get_num_threads() or 1)
    check_same_start()
    contenders = {"profond": profond_step_fn(), "pytorch": torch_step_fn()}
    for fn in contenders.values():  # warm up
        for _ in range(3):
            fn()
    med = alternate(contenders, repeats=repeats, inner=inner)
    print(f"machine: {machine()}; BLAS threads {pf.config.get_num_threads()}, "
          f"torch threads {torch.get_num_threads()}")
    for name, t in med.items():
        print(f"{name:8s} {t * 100:7.3f} s / 100 steps")
    ratio = med["profond"] / med["pytorch"]
    print(f"LSTM step profond/pytorch = {ratio:.2f}x")
    mem = {name: peak_memory_mb("lstm_step", {"pytorch": "torch"}.get(name, name))
           for name in contenders}
    print(f"peak memory growth while training: profond {mem['profond']:.0f} MB, "
          f"pytorch {mem['pytorch']:.0f} MB")
    return ratio


if __name__ == "__main__":
    main()
