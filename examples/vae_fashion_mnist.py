"""A variational autoencoder on Fashion-MNIST, and the same network in PyTorch beside it.

The encoder gives q(z|x) = N(μ(x), diag σ²(x)) over a 2-D code z, the decoder an image x̂(z) of
pixel probabilities; ``profond.generative.VAE`` trains both by maximising, per image,

    ELBO(x) = −Σ_pixels BCE(x, x̂(z)) − KL(q(z|x) ‖ N(0, I)),   z = μ + σ ⊙ ε   (reparameterised)

``--arch dense``: 784 → 512 → (μ, log σ²) and 2 → 512 → 784; ``--arch conv``: Conv2D(32, 3, s2) →
Conv2D(64, 3, s2) → Dense(16) → (μ, log σ²) and Dense(7·7·64) → two Conv2DTranspose(s2) →
Conv2DTranspose(1) (the Keras guide's VAE). Both frameworks start from the same initial weights
and train with Adam(10⁻³), batch 128, on the same images; we report the test ELBO (nats per
image, z sampled 4 times) of each, which should agree within 2%.

Saves the 2-D latent space (test images coloured by class) and the decoded grid with
``profond.viz``.

    python examples/vae_fashion_mnist.py                  # full run: 60,000 images, 20 epochs
    python examples/vae_fashion_mnist.py --quick          # 5,000 images, 2 epochs (CI)

Measured on the project's 2-core CPU (dense, seed 0): full run, test ELBO −263.99 (profond,
228 s) vs −264.33 (PyTorch, 294 s), a gap of 0.13%; 5 epochs: −270.50 vs −270.32 (0.07%);
``--quick``: −311.41 vs −316.79 (1.7%).
"""

import argparse
import time

import numpy as np

import profond as tf
from profond.generative import VAE

L = tf.keras.layers
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Boot"]


def build_encoder(arch, latent_dim):
    x = L.Input((28, 28, 1))
    if arch == "dense":
        h = L.Dense(512, activation="relu")(L.Flatten()(x))
    else:
        h = L.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
        h = L.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
        h = L.Dense(16, activation="relu")(L.Flatten()(h))
    z_mean = L.Dense(latent_dim, name="z_mean")(h)
    z_log_var = L.Dense(latent_dim, name="z_log_var")(h)
    return tf.keras.Model(x, [z_mean, z_log_var], name="encoder")


def build_decoder(arch, latent_dim):
    z = L.Input((latent_dim,))
    if arch == "dense":
        h = L.Dense(512, activation="relu")(z)
        out = L.Reshape((28, 28, 1))(L.Dense(784, activation="sigmoid")(h))
    else:
        h = L.Reshape((7, 7, 64))(L.Dense(7 * 7 * 64, activation="relu")(z))
        h = L.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(h)
        h = L.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
        out = L.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(h)
    return tf.keras.Model(z, out, name="decoder")


# ------------------------------------------------------------------ PyTorch, the same network


def torch_vae(arch, encoder, decoder):
    """torch.nn modules equal to ``encoder`` and ``decoder``, holding their (current) weights."""
    import torch

    nn = torch.nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            if arch == "dense":
                self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU())
                width = 512
            else:
                # NOTE: Keras's "same" padding with stride 2 pads 28 → 29 at the end only
                # (0 before, 1 after), not 1 on each side as torch's padding=1 would.
                self.body = nn.Sequential(
                    nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(1, 32, 3, stride=2), nn.ReLU(),
                    nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(32, 64, 3, stride=2), nn.ReLU(),
                    _NhwcFlatten(), nn.Linear(7 * 7 * 64, 16), nn.ReLU())
                width = 16
            self.mean, self.log_var = nn.Linear(width, 2), nn.Linear(width, 2)

        def forward(self, x):
            h = self.body(x)
            return self.mean(h), self.log_var(h)

    if arch == "dense":
        dec = nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, 784), nn.Sigmoid(),
                            nn.Unflatten(1, (1, 28, 28)))
    else:
        # NOTE: Keras's "same" transposed convolution (stride 2, kernel 3) is torch's unpadded
        # one (2n + 1 pixels) with its last row and column cropped.
        dec = nn.Sequential(
            nn.Linear(2, 7 * 7 * 64), nn.ReLU(), _NhwcUnflatten(7, 7, 64),
            nn.ConvTranspose2d(64, 64, 3, stride=2), _CropLast(), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 3, stride=2), _CropLast(), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 3, padding=1), nn.Sigmoid())
    enc = Encoder()
    _copy(encoder, enc)
    _copy(decoder, dec)
    return enc, dec


class _NhwcFlatten:
    """Flatten NCHW in NHWC order, so that the Dense kernels are shared as they are."""

    def __new__(cls):
        import torch

        class F(torch.nn.Module):
            def forward(self, x):
                return x.permute(0, 2, 3, 1).flatten(1)
        return F()


class _NhwcUnflatten:
    def __new__(cls, h, w, c):
        import torch

        class U(torch.nn.Module):
            def forward(self, x):
                return x.reshape(-1, h, w, c).permute(0, 3, 1, 2)
        return U()


class _CropLast:
    def __new__(cls):
        import torch

        class C(torch.nn.Module):
            def forward(self, x):
                return x[:, :, :-1, :-1]
        return C()


def _copy(model, module):
    """profond's weights (Dense (in, out), Conv2D HWIO, Conv2DTranspose HWOI) into torch's."""
    import torch

    arrays = []
    for layer in model.layers:
        for w in layer.get_weights():
            if w.ndim == 2:
                w = w.T
            elif w.ndim == 4 and isinstance(layer, L.Conv2DTranspose):
                w = w.transpose(3, 2, 0, 1)  # (h, w, out, in) → torch (in, out, h, w)
            elif w.ndim == 4:
                w = w.transpose(3, 2, 0, 1)  # (h, w, in, out) → torch (out, in, h, w)
            arrays.append(w)
    params = list(module.parameters())
    if [tuple(p.shape) for p in params] != [a.shape for a in arrays]:
        raise AssertionError("torch twin of a different shape: "
                             f"{[tuple(p.shape) for p in params]} vs {[a.shape for a in arrays]}")
    with torch.no_grad():
        for p, a in zip(params, arrays):
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)))


def torch_losses(enc, dec, x, torch):
    mean, log_var = enc(x)
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    x_hat = dec(z)
    rec = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + log_var - mean ** 2 - log_var.exp()).sum(1)
    return rec, kl


def train_torch(enc, dec, x, x_test, epochs, batch_size, samples=4, seed=0):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    params = list(enc.parameters()) + list(dec.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3)
    x_t = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x)), -(-len(x) // batch_size)):
            rec, kl = torch_losses(enc, dec, x_t[idx], torch)
            loss = (rec + kl).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    x_test_t = torch.from_numpy(x_test.transpose(0, 3, 1, 2).copy())
    total = 0.0
    with torch.no_grad():
        for _ in range(samples):
            rec, kl = torch_losses(enc, dec, x_test_t, torch)
            total = total + (rec + kl).double()
    return float(-(total / samples).mean())


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=["dense", "conv"], default="dense")
    parser.add_argument("--epochs", type=int, default=None, help="20 (full), 2 (quick)")
    parser.add_argument("--quick", action="store_true", help="5,000 images, 2 epochs")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch twin")
    parser.add_argument("--plots", default="vae", help="prefix of the saved plots")
    args = parser.parse_args(argv)

    tf.set_seed(0)
    (x_train, _), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    x_train = (x_train[..., None] / 255.0).astype("float32")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    epochs = args.epochs or 20
    if args.quick:
        epochs = args.epochs or 2
        x_train, x_test, y_test = x_train[:5000], x_test[:1000], y_test[:1000]

    encoder, decoder = build_encoder(args.arch, 2), build_decoder(args.arch, 2)
    twin = None
    if not args.no_torch:
        try:
            twin = torch_vae(args.arch, encoder, decoder)  # the same starting weights
        except ImportError:
            print("PyTorch is not installed: no comparison (`pip install torch` to compare)")
    vae = VAE(encoder, decoder, seed=0)
    vae.compile(optimizer=tf.keras.optimizers.Adam(1e-3))
    t0 = time.perf_counter()
    history = vae.fit(x_train, epochs=epochs, batch_size=128, verbose=2)
    seconds = time.perf_counter() - t0
    elbo = float(vae.elbo(x_test, samples=4).mean())
    print(f"profond {args.arch} VAE: {epochs} epoch(s) in {seconds:.0f} s, last loss "
          f"{history.history['loss'][-1]:.2f}; test ELBO {elbo:.2f} nats per image")
    result = {"elbo": elbo, "loss": history.history["loss"]}
    if twin is not None:
        import torch

        torch.set_num_threads(1)
        t0 = time.perf_counter()
        torch_elbo = train_torch(*twin, x_train, x_test, epochs, batch_size=128)
        print(f"PyTorch {args.arch} VAE: test ELBO {torch_elbo:.2f} nats per image "
              f"({time.perf_counter() - t0:.0f} s); relative gap "
              f"{abs(elbo - torch_elbo) / abs(torch_elbo):.2%}")
        result["torch_elbo"] = torch_elbo

    try:
        from profond import viz

        viz.plot_latent_space(encoder, x_test, y_test, class_names=CLASSES).savefig(
            f"{args.plots}_latent_space.png")
        viz.plot_latent_grid(decoder, n=15).savefig(f"{args.plots}_latent_grid.png")
        print(f"plots saved to {args.plots}_latent_space.png and {args.plots}_latent_grid.png")
    except ImportError:  # matplotlib is the viz extra
        print("matplotlib missing: no plots")
    return result


if __name__ == "__main__":
    main()
