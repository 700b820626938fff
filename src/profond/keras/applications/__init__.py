"""``keras.applications``: the model builders raise ``NotImplementedError`` (profond has neither
the architectures nor a reader for their pretrained weights); each family's module
(``resnet50``, ``mobilenet_v2`` …) has a working ``preprocess_input``. See
``profond.applications``.
"""

from profond.applications import APPLICATIONS, UnavailableApplication

globals().update({name: UnavailableApplication(name) for name in APPLICATIONS})

from profond.keras.applications import (  # noqa: E402 - the families import the builders above
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)

__all__ = list(APPLICATIONS) + [
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
    "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet",
    "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
