"""``profond.viz``: the plots a learner wants to see, drawn with matplotlib (``pip install
'profond[viz]'``).

- ``plot_history(history)``: loss and metrics per epoch, training vs validation, best epoch marked;
- ``plot_decision_boundary(model, x, y)``: the class regions of a 2-D classifier, with the points;
- ``plot_confusion_matrix(y_true, y_pred)``: which classes are mistaken for which;
- ``show_images(images, labels, predictions)``: a grid of samples, wrong predictions in red;
- ``show_filters(layer)``: Conv2D kernels and Dense weights drawn as images;
- ``find_learning_rate(model, x, y)`` and ``plot_lr_finder(lrs, losses, suggestion)``: the
  learning-rate range test;
- ``plot_model(model)``: the layer graph (no graphviz needed);
- ``show_attributions(images, maps)``: ``profond.explain``'s maps over their images.
- ``plot_latent_space``, ``plot_latent_grid``, ``plot_interpolation``: a VAE's latent space.
- ``plot_episode_returns(agent)``: an RL agent's return per episode, smoothed.

Every function returns the matplotlib ``Figure`` (save it with ``fig.savefig("plot.png")``) and
shows it only with ``show=True``; matplotlib is imported at the first plot, and works without a
display (its Agg backend), e.g. on a server.
"""

from profond.viz.confusion import confusion_matrix, plot_confusion_matrix
from profond.viz.decision import plot_decision_boundary, predict_classes
from profond.viz.explain import show_attributions
from profond.viz.generative import (
    interpolate,
    plot_interpolation,
    plot_latent_grid,
    plot_latent_space,
)
from profond.viz.history import best_epoch, plot_history
from profond.viz.images import show_filters, show_images
from profond.viz.lr_finder import find_learning_rate, plot_lr_finder, suggest_learning_rate
from profond.viz.model_graph import layer_graph, plot_model
from profond.viz.rl import plot_episode_returns

__all__ = [
    "best_epoch",
    "confusion_matrix",
    "find_learning_rate",
    "interpolate",
    "layer_graph",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_episode_returns",
    "plot_history",
    "plot_interpolation",
    "plot_latent_grid",
    "plot_latent_space",
    "plot_lr_finder",
    "plot_model",
    "predict_classes",
    "show_attributions",
    "show_filters",
    "show_images",
    "suggest_learning_rate",
]
