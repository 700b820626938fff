"""Training speed: ``model.fit`` in profond against the loop a PyTorch user writes.

Each call of a contender trains one epoch (shuffled, batch 128) from the same initial weights;
the harness reports the time per step. The DCGAN case times one custom training step with two
``GradientTape``s (discriminator then generator), batch 64, as in the courses' GAN chapter.
"""

import numpy as np
from _harness import Case, Work
from _models import classification_data, profond_model, text_data, torch_fit_epoch, torch_model

BATCH = 128
SHAPES = {"mlp": (784,), "cnn": (28, 28, 1), "bn_cnn": (28, 28, 1), "lstm": (28, 28)}
STEPS = {"mlp": 40, "cnn": 10, "bn_cnn": 10, "lstm": 10, "text": 10}


def _data(name):
    n = BATCH * STEPS[name]
    if name == "text":
        return text_data(n)
    return classification_data(n, SHAPES[name])


def _profond_fit(name):
    def factory():
        model = profond_model(name)
        x, y = _data(name)
        return Work(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0),
                    items=len(x), steps=STEPS[name])
    return factory


def _torch_fit(name):
    def factory():
        import torch

        model = torch_model(name)
        x, y = _data(name)
        if len(SHAPES.get(name, ())) == 3:          # NHWC → NCHW once, outside the timing
            x = x.transpose(0, 3, 1, 2)
        x, y = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)
        return Work(lambda: torch_fit_epoch(model, x, y, BATCH, binary=name == "text"),
                    items=len(x), steps=STEPS[name])
    return factory


profond_mlp, torch_mlp = _profond_fit("mlp"), _torch_fit("mlp")
profond_cnn, torch_cnn = _profond_fit("cnn"), _torch_fit("cnn")
profond_bn_cnn, torch_bn_cnn = _profond_fit("bn_cnn"), _torch_fit("bn_cnn")
profond_lstm, torch_lstm = _profond_fit("lstm"), _torch_fit("lstm")
profond_text, torch_text = _profond_fit("text"), _torch_fit("text")


def numpy_mlp():
    """The GEMM floor of one MLP step: the 3 forward and 5 backward matrix products alone, into
    arrays allocated once. NOTE: with fresh output arrays each step, a plain NumPy process took
    1.2-1.8 ms here against 0.8 ms in a process whose allocator keeps freed memory (as profond's
    ``fit`` sets it, ``backend.memory``): the page faults of new arrays are not GEMM time."""
    x, _ = classification_data(BATCH, (784,))
    ws = [np.ones(s, np.float32) * 0.01 for s in [(784, 256), (256, 128), (128, 10)]]
    a1, a2, g3 = np.ones((BATCH, 256), np.float32), np.ones((BATCH, 128), np.float32), \
        np.ones((BATCH, 10), np.float32)
    g1, g2 = np.empty_like(a1), np.empty_like(a2)
    outs = [np.empty_like(a1), np.empty_like(a2), np.empty_like(g3)]
    grads = [np.empty_like(w) for w in ws]

    def step():
        for a, w, out in zip((x, a1, a2), ws, outs):
            np.matmul(a, w, out=out)
        np.matmul(g3, ws[2].T, out=g2)
        np.matmul(g2, ws[1].T, out=g1)
        for a, g, out in zip((x, a1, a2), (g1, g2, g3), grads):
            np.matmul(a.T, g, out=out)

    return Work(step, items=BATCH)


# ---------------------------------------------------------------- DCGAN step

LATENT, GAN_BATCH = 100, 64


def profond_dcgan():
    import profond as pf

    L = pf.keras.layers
    pf.set_seed(0)
    gen = pf.keras.Sequential([
        L.Input((LATENT,)), L.Dense(7 * 7 * 128), L.LeakyReLU(0.2), L.Reshape((7, 7, 128)),
        L.Conv2DTranspose(128, 4, strides=2, padding="same"), L.LeakyReLU(0.2),
        L.Conv2DTranspose(128, 4, strides=2, padding="same"), L.LeakyReLU(0.2),
        L.Conv2D(1, 7, padding="same", activation="sigmoid")])
    disc = pf.keras.Sequential([
        L.Input((28, 28, 1)), L.Conv2D(64, 4, strides=2, padding="same"), L.LeakyReLU(0.2),
        L.Conv2D(128, 4, strides=2, padding="same"), L.LeakyReLU(0.2), L.Flatten(),
        L.Dropout(0.2), L.Dense(1)])
    bce = pf.keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt = pf.keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = pf.keras.optimizers.Adam(2e-4, beta_1=0.5)
    real, _ = classification_data(GAN_BATCH, (28, 28, 1))
    ones, zeros = np.ones((GAN_BATCH, 1), np.float32), np.zeros((GAN_BATCH, 1), np.float32)

    def step():
        noise = pf.random.normal((GAN_BATCH, LATENT))
        with pf.GradientTape() as g_tape, pf.GradientTape() as d_tape:
            fake = gen(noise, training=True)
            real_out, fake_out = disc(real, training=True), disc(fake, training=True)
            d_loss = bce(ones, real_out) + bce(zeros, fake_out)
            g_loss = bce(ones, fake_out)
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, disc.trainable_variables),
                                  disc.trainable_variables))
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, gen.trainable_variables),
                                  gen.trainable_variables))

    return Work(step, items=GAN_BATCH)


def torch_dcgan():
    import torch

    nn = torch.nn
    torch.manual_seed(0)

    class Reshape(nn.Module):
        def forward(self, x):
            return x.view(-1, 128, 7, 7)

    gen = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 128), nn.LeakyReLU(0.2), Reshape(),
        nn.ConvTranspose2d(128, 128, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, padding=3), nn.Sigmoid())
    disc = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
        nn.LeakyReLU(0.2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(128 * 7 * 7, 1))
    bce = nn.BCEWithLogitsLoss()
    g_opt = torch.optim.Adam(gen.parameters(), 2e-4, betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(disc.parameters(), 2e-4, betas=(0.5, 0.999), eps=1e-7)
    real, _ = classification_data(GAN_BATCH, (1, 28, 28))
    real = torch.from_numpy(real)
    ones, zeros = torch.ones(GAN_BATCH, 1), torch.zeros(GAN_BATCH, 1)

    def step():
        # The same work as profond's step: one generator forward, the discriminator on real and
        # fake, each network's gradient of its own loss (the fake batch's graph used by both).
        fake = gen(torch.randn(GAN_BATCH, LATENT))
        real_out, fake_out = disc(real), disc(fake)
        d_loss = bce(real_out, ones) + bce(fake_out, zeros)
        g_loss = bce(fake_out, ones)
        d_grads = torch.autograd.grad(d_loss, list(disc.parameters()), retain_graph=True)
        g_grads = torch.autograd.grad(g_loss, list(gen.parameters()))
        for p, g in zip(disc.parameters(), d_grads):
            p.grad = g
        for p, g in zip(gen.parameters(), g_grads):
            p.grad = g
        d_opt.step()
        g_opt.step()

    return Work(step, items=GAN_BATCH)


CASES = {
    "mlp_fit": Case("MLP 784-256-128-10 `fit`, batch 128, Adam (per step)",
                    {"profond": "profond_mlp", "pytorch": "torch_mlp", "numpy": "numpy_mlp"},
                    goal="≤ 0.5×, and within 1.3× of the GEMM floor", calls=10),
    "cnn_fit": Case("CNN Conv(32,3)-Pool-Conv(64,3)-Pool-Dense(128)-Dense(10) `fit`, batch 128",
                    {"profond": "profond_cnn", "pytorch": "torch_cnn"}, goal="≤ 1.0×", calls=6),
    "cnn_fit_busy": Case("same CNN `fit` while another process keeps one core busy",
                         {"profond": "profond_cnn", "pytorch": "torch_cnn"}, goal="≤ 1.2×",
                         calls=6, busy_core=True),
    "bn_cnn_fit": Case("CNN with BatchNormalization after each Conv, `fit`, batch 128",
                       {"profond": "profond_bn_cnn", "pytorch": "torch_bn_cnn"}, calls=6),
    "lstm_fit": Case("LSTM(128) over 28 rows, Dense(10), `fit`, batch 128",
                     {"profond": "profond_lstm", "pytorch": "torch_lstm"}, goal="≤ 1.0×", calls=6),
    "text_fit": Case("Embedding(10000, 64)-LSTM(64)-Dense(1) on 100 tokens, `fit`, batch 128",
                     {"profond": "profond_text", "pytorch": "torch_text"}, calls=6),
    "dcgan_step": Case("DCGAN step (two Conv2DTranspose(128,4,s2)), batch 64, both nets",
                       {"profond": "profond_dcgan", "pytorch": "torch_dcgan"}, goal="≤ 1.5×",
                       calls=10),
}
