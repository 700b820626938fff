"""``keras.models``: re-exports ``profond.models`` and the model-level saving functions
(``profond.saving``) under Keras's import path."""

from profond.models import *  # noqa: F403
from profond.models import __all__ as _models_all
from profond.saving import (
    clone_model,
    model_from_config,
    model_from_json,
    save_model,
)

__all__ = [*_models_all, "clone_model", "model_from_config", "model_from_json", "save_model"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
