"""``profond.generative``: the pieces generative models need beyond layers.

- ``Sampling`` (the reparameterisation trick) and ``VAE`` (a ``Model`` whose ``train_step``
  maximises the ELBO: reconstruction + KL), ``kl_divergence``, ``reconstruction_loss``;
- ``frechet_distance``: how far generated samples lie from real ones in a feature space (FID);
- ``check_gan``: the generator's output fits the discriminator's input, with a clear error.

The GAN itself is user code, written the two Keras ways: see ``examples/dcgan_fashion_mnist.py``.
"""

from profond.generative.frechet import frechet_distance, gaussian_statistics
from profond.generative.gan import check_gan
from profond.generative.vae import VAE, Sampling, kl_divergence, reconstruction_loss

__all__ = [
    "VAE",
    "Sampling",
    "check_gan",
    "frechet_distance",
    "gaussian_statistics",
    "kl_divergence",
    "reconstruction_loss",
]
