"""``keras.utils``: re-exports ``profond.utils``, with ``Progbar`` (``profond.callbacks``),
``plot_model`` / ``model_to_dot`` (``profond.viz``) and the backend helpers Keras also lists here,
under Keras's import path."""

from profond.callbacks.progbar import Progbar
from profond.keras.backend import clear_session, is_keras_tensor, standardize_dtype
from profond.utils import *  # noqa: F403
from profond.utils import __all__ as _utils_all
from profond.viz.keras_plot import model_to_dot, plot_model

__all__ = [*_utils_all, "Progbar", "clear_session", "is_keras_tensor", "model_to_dot",
           "plot_model", "standardize_dtype"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
