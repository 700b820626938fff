"""One CNN training step, profond against PyTorch, on Fashion-MNIST shapes (batch 128).

Conv(32, 3)-ReLU-MaxPool-Conv(64, 3)-ReLU-MaxPool-Flatten-Dense(128, ReLU)-Dense(10), softmax
cross-entropy, Adam: profond's layers + GradientTape + optimizer against torch.nn + torch.optim,
same initial weights. Prints seconds per 100 steps (medians, contenders alternating), the ratio,
and each framework's peak memory during training (peak RSS growth, each in a fresh process).
"""


import numpy as np
import torch
from _timing import alternate, machine, peak_memory_mb

import profond as pf

BATCH = 128


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    return x, y


def profond_model():
    L = pf.layers
    pf.set_seed(0)
    model = pf.models.Sequential([
        L.Input(shape=(28, 28, 1)),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(),
        L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10),
    ])
    return model


def torch_model(weights):
    """The same network in torch.nn, with profond's initial weights copied in (NCHW inside)."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    k1, b1, k2, b2, w3, b3, w4, b4 = weights
    # Flatten order differs (NHWC vs NCHW): permute Dense(128)'s rows to match.
    w3 = w3.reshape(5, 5, 64, 128).transpose(2, 0, 1, 3).reshape(-1, 128)
    with torch.no_grad():
        for p, w in zip(model.parameters(), [k1.transpose(3, 2, 0, 1), b1,
                                             k2.transpose(3, 2, 0, 1), b2, w3.T, b3, w4.T, b4]):
            p.copy_(torch.from_numpy(np.ascontiguousarray(w)))
    return model


def profond_step_fn():
    x, y = data()
    model = profond_model()
    opt = pf.optimizers.Adam(1e-3)
    x = pf.constant(x)

    def step():
        with pf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = pf.reduce_mean(pf.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def torch_step_fn():
    x, y = data()
    model = torch_model(profond_model().get_weights())
    opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)
    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def check_same_start():
    """Both models compute the same logits from the same weights (the comparison is fair)."""
    x, _ = data()
    model = profond_model()
    ref = torch_model(model.get_weights())(torch.from_numpy(x).permute(0, 3, 1, 2)).detach()
    np.testing.assert_allclose(model(x).numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


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
    print(f"CNN step profond/pytorch = {ratio:.2f}x")
    mem = {name: peak_memory_mb("cnn_step", {"pytorch": "torch"}.get(name, name))
           for name in contenders}
    print(f"peak memory growth while training: profond {mem['profond']:.0f} MB, "
          f"pytorch {mem['pytorch']:.0f} MB")
    return ratio


if __name__ == "__main__":
    main()
