"""``profond.explain``: why did the network decide what it did? Attribution maps that say how much
each input feature (pixel) counts for one output (a class score).

- ``saliency``: the gradient ∂f_c/∂x (Simonyan et al. 2014), its absolute value by default;
- ``smooth_grad``: the gradient averaged over noisy copies of x (Smilkov et al. 2017);
- ``integrated_gradients``: (x − x') · ∫₀¹ ∂f_c(x' + α(x − x'))/∂x dα (Sundararajan et al. 2017),
  whose attributions add up to f_c(x) − f_c(x') (completeness);
- ``grad_cam``: ReLU(Σ_k α_k A_k), a convolutional layer's feature maps A_k weighted by their mean
  gradient α_k (Selvaraju et al. 2017), resized to the input;
- ``occlusion``: how much the score drops when a window of the input is blanked (Zeiler & Fergus
  2014).

``target`` is the output index to explain: one int for all samples, one per sample, or None for
each sample's predicted class. The model is called in inference mode (``training=False``). Give
the model's scores as you want them explained: the softmax probabilities of a classifier, or the
logits of a model without its last activation. ``profond.viz.show_attributions`` draws the maps
over the images. The results match PyTorch's Captum on the same weights
(``tests/explain/test_against_captum.py``).

>>> import profond as tf                                                   # doctest: +SKIP
>>> maps = tf.explain.integrated_gradients(model, x_test[:8], steps=64)    # doctest: +SKIP
>>> tf.viz.show_attributions(x_test[:8], maps)                             # doctest: +SKIP
"""

from profond.explain.cam import grad_cam
from profond.explain.gradients import integrated_gradients, saliency, smooth_grad
from profond.explain.occlusion import occlusion

__all__ = ["grad_cam", "integrated_gradients", "occlusion", "saliency", "smooth_grad"]
