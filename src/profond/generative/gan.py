"""Checks shared by GAN code: the generator and the discriminator must fit together.

A GAN is a generator G: z ↦ x̃ (noise to image) and a discriminator D: x ↦ logit ("real?"),
trained against each other. Their shapes must agree — G's output is D's input, and G takes codes
of size ``latent_dim`` — and a mistake there otherwise surfaces deep inside the first
``train_step``. ``check_gan`` says it at once, naming what was expected and what was received.
"""


def _shape(model, attr, role):
    try:
        shape = getattr(model, attr)
    except (AttributeError, ValueError) as e:
        raise ValueError(f"check_gan: the {role} has no known {attr} yet: build it (give it an "
                         "Input) before pairing it.") from e
    if isinstance(shape, list):
        raise ValueError(f"check_gan: Expected a {role} with a single {attr.split('_')[0]}. "
                         f"Received: {attr}={shape}")
    return tuple(shape)


def check_gan(generator, discriminator, latent_dim):
    """Raise ``ValueError`` unless ``generator`` takes (batch, latent_dim) codes, its output
    shape is the discriminator's input shape, and the discriminator gives one logit per image.

    >>> import profond as pf
    >>> L = pf.layers
    >>> g = pf.keras.Sequential([L.Input((8,)), L.Dense(16), L.Reshape((4, 4, 1))])
    >>> d = pf.keras.Sequential([L.Input((4, 4, 1)), L.Flatten(), L.Dense(1)])
    >>> check_gan(g, d, latent_dim=8)
    >>> check_gan(g, pf.keras.Sequential([L.Input((28, 28, 1)), L.Flatten(), L.Dense(1)]), 8)
    Traceback (most recent call last):
    ...
    ValueError: check_gan: Expected the generator's output shape to be the discriminator's input shape (None, 28, 28, 1). Received: generator output shape (None, 4, 4, 1)
    """  # noqa: E501
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise ValueError("check_gan: Expected a latent size of at least 1. "
                         f"Received: latent_dim={latent_dim!r}")
    g_in = _shape(generator, "input_shape", "generator")
    if g_in[1:] != (latent_dim,):
        raise ValueError(f"check_gan: Expected a generator taking codes of shape (None, "
                         f"{latent_dim}). Received: generator input shape {g_in}")
    g_out = _shape(generator, "output_shape", "generator")
    d_in = _shape(discriminator, "input_shape", "discriminator")
    if g_out[1:] != d_in[1:]:
        raise ValueError("check_gan: Expected the generator's output shape to be the "
                         f"discriminator's input shape {d_in}. Received: generator output "
                         f"shape {g_out}")
    d_out = _shape(discriminator, "output_shape", "discriminator")
    if d_out[1:] not in ((1,), ()):
        raise ValueError("check_gan: Expected a discriminator giving one logit per image, "
                         f"shape (None, 1). Received: discriminator output shape {d_out}")
