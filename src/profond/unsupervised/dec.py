"""Deep Embedded Clustering (DEC, Xie, Girshick & Farhadi 2016): group unlabeled data by
refining an encoder with a clustering loss.

1. Pretrain an autoencoder (``profond.unsupervised.dense_autoencoder``) and keep its encoder
   z = f(x).
2. Run k-means (scikit-learn's ``KMeans``) on the codes: its centres are the first centroids μⱼ.
3. Soft assignment of sample i to cluster j, a Student-t kernel with α degrees of freedom::

       q_ij = (1 + ‖zᵢ − μⱼ‖² / α)^(−(α+1)/2) / Σⱼ' (1 + ‖zᵢ − μⱼ'‖² / α)^(−(α+1)/2)

4. Target distribution, which sharpens q and divides by the cluster sizes f_j = Σᵢ q_ij so that
   big clusters do not swallow the others::

       p_ij = (q_ij² / f_j) / Σⱼ' (q_ij'² / f_j')

5. Minimise KL(P‖Q) = Σᵢ Σⱼ p_ij log(p_ij / q_ij) over the encoder's weights and the centroids,
   P held fixed and recomputed on all the data every ``update_interval`` batches; stop when fewer
   than ``tol`` of the samples changed cluster between two updates.

>>> import numpy as np
>>> from profond.unsupervised import DEC, dense_autoencoder
>>> x = np.random.default_rng(0).normal(size=(60, 4)).astype("float32")
>>> ae = dense_autoencoder((4,), latent_dim=2, hidden=(8,))
>>> dec = DEC(ae.get_layer("encoder"), n_clusters=3)
>>> dec.initialize(x, seed=0).shape
(60,)
>>> dec.fit(x, max_iter=20, batch_size=20, update_interval=5, verbose=0)["iterations"] <= 20
True
"""

import numpy as np

from profond import _validation as check
from profond import initializers, ops
from profond.layers import Layer
from profond.layers.core import _serialize
from profond.models import Model
from profond.registry import register_serializable

__all__ = ["DEC", "ClusteringLayer", "soft_assignments", "target_distribution"]


def soft_assignments(z, centroids, alpha=1.0):
    """q_ij ∝ (1 + ‖zᵢ − μⱼ‖²/α)^(−(α+1)/2), each row normalised to sum 1 (profond ops, so it is
    differentiable in z and in the centroids). z: (n, d), centroids: (k, d) → q: (n, k).

    >>> import profond as pf
    >>> z, centroids = pf.constant([[0.0, 0.0]]), pf.constant([[0.0, 0.0], [1.0, 0.0]])
    >>> soft_assignments(z, centroids).numpy().round(4)
    array([[0.6667, 0.3333]], dtype=float32)
    """
    diff = ops.expand_dims(z, 1) - ops.expand_dims(centroids, 0)    # (n, k, d)
    distance2 = ops.reduce_sum(ops.square(diff), axis=-1)           # (n, k)
    kernel = ops.pow(1.0 + distance2 / alpha, -(alpha + 1.0) / 2.0)
    return kernel / ops.reduce_sum(kernel, axis=-1, keepdims=True)


def target_distribution(q):
    """DEC's target p_ij = (q_ij² / f_j) / Σⱼ' (q_ij'² / f_j'), f_j = Σᵢ q_ij (a NumPy array, held
    fixed while training).

    >>> target_distribution(np.array([[0.5, 0.5], [0.9, 0.1]])).round(4)
    array([[0.3  , 0.7  ],
           [0.972, 0.028]])
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2:
        raise check.fail("q", q.shape, "soft assignments of shape (samples, clusters)",
                         "target_distribution")
    weight = q ** 2 / q.sum(axis=0)
    return weight / weight.sum(axis=1, keepdims=True)


@register_serializable()
class ClusteringLayer(Layer):
    """Soft cluster assignments of codes z (batch, d): q (batch, ``n_clusters``), the Student-t
    kernel of DEC (see ``soft_assignments``), with trainable centroids μ (``n_clusters``, d)
    stored in the weight ``clusters``. Set them from k-means with ``set_weights([centres])``.

    >>> import profond as pf
    >>> ClusteringLayer(3)(pf.ones((4, 2))).shape
    (4, 3)
    """

    def __init__(self, n_clusters, alpha=1.0, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.n_clusters = check.positive_int("n_clusters", n_clusters, self)
        self.alpha = check.positive_float("alpha", alpha, self)
        self.initializer = initializers.get(initializer)
        self.clusters = None

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"`ClusteringLayer` {self.name!r}: expected codes of shape (batch, "
                             f"features) with known features. Received: "
                             f"input_shape={tuple(input_shape)}")
        self.clusters = self.add_weight(shape=(self.n_clusters, input_shape[-1]),
                                        initializer=self.initializer, name="clusters")

    def call(self, inputs):
        return soft_assignments(inputs, self.clusters, self.alpha)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_clusters)

    def get_config(self):
        config = super().get_config()
        config.update(n_clusters=self.n_clusters, alpha=self.alpha,
                      initializer=_serialize(self.initializer, initializers))
        return config


class DEC:
    """Deep Embedded Clustering around a pretrained ``encoder`` (a model with one input and
    codes (batch, d) as output).

    ``model`` is a functional ``Model`` x → q (the encoder followed by a ``ClusteringLayer``
    named ``"clustering"``): it saves and loads like any model. ``initialize(x)`` sets the
    centroids by k-means; ``fit(x)`` minimises KL(P‖Q) with SGD (lr 0.01, momentum 0.9, as in
    the paper) unless ``optimizer`` is given; ``predict(x)`` returns the cluster of each sample
    (argmax_j q_ij).
    """

    def __init__(self, encoder, n_clusters, alpha=1.0, optimizer=None):
        self.n_clusters = check.positive_int("n_clusters", n_clusters, "DEC")
        if not getattr(encoder, "outputs", None) or len(encoder.outputs) != 1:
            raise check.fail("encoder", encoder, "a built model with one output (the codes)",
                             "DEC")
        self.encoder = encoder
        self.clustering = ClusteringLayer(self.n_clusters, alpha=alpha, name="clustering")
        self.model = Model(encoder.inputs, self.clustering(encoder.outputs[0]), name="dec")
        if optimizer is None:
            from profond.optimizers import SGD

            optimizer = SGD(learning_rate=0.01, momentum=0.9)
        self.model.compile(optimizer=optimizer, loss="kl_divergence")

    def _check_samples(self, x):
        x = np.asarray(x)
        if x.ndim == 0 or len(x) < self.n_clusters:
            raise ValueError(
                f"`DEC`: expected at least n_clusters={self.n_clusters} samples to cluster. "
                f"Received: x with shape {x.shape}")
        return x

    def initialize(self, x, n_init=20, seed=None, batch_size=256, labels=None):
        """Centroids ← scikit-learn ``KMeans(n_clusters, n_init)`` centres of the codes of x;
        returns the k-means labels. With ``labels`` (a first grouping of x by another method,
        spectral clustering say, in 0..n_clusters−1), the centroids are instead the mean code
        of each group."""
        x = self._check_samples(x)
        codes = self.encoder.predict(x, batch_size=batch_size, verbose=0)
        if labels is None:
            from sklearn.cluster import KMeans

            kmeans = KMeans(self.n_clusters, n_init=n_init, random_state=seed).fit(codes)
            centres, labels = kmeans.cluster_centers_, kmeans.labels_
        else:
            labels = np.asarray(labels)
            if labels.shape != (len(x),) or set(np.unique(labels).tolist()) != set(
                    range(self.n_clusters)):
                raise ValueError(
                    f"`DEC.initialize`: expected one label per sample, each of 0.."
                    f"{self.n_clusters - 1} used at least once. Received: labels of shape "
                    f"{labels.shape} with values {np.unique(labels)[:20].tolist()}")
            centres = np.stack([codes[labels == j].mean(axis=0) for j in range(self.n_clusters)])
        self.clustering.set_weights([centres.astype(self.clustering.dtype)])
        return labels

    def predict_proba(self, x, batch_size=256):
        """q: the soft assignments (samples, n_clusters)."""
        return self.model.predict(np.asarray(x), batch_size=batch_size, verbose=0)

    def predict(self, x, batch_size=256):
        """The cluster of each sample, argmax_j q_ij."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def fit(self, x, max_iter=8000, batch_size=256, update_interval=140, tol=0.001, seed=None,
            verbose=1):
        """Self-training: every ``update_interval`` batches, P ← ``target_distribution(q)`` on
        all of x and the labels are compared with the previous ones; stops after ``max_iter``
        batches or when the fraction of changed labels drops below ``tol``. Call
        ``initialize`` first. Returns ``{"iterations", "loss", "delta_label"}`` (the last two
        one entry per update)."""
        x = self._check_samples(x)
        max_iter = check.positive_int("max_iter", max_iter, "DEC.fit")
        batch_size = check.positive_int("batch_size", batch_size, "DEC.fit")
        update_interval = check.positive_int("update_interval", update_interval, "DEC.fit")
        tol = check.real("tol", tol, "DEC.fit", low=0.0)
        rng = np.random.default_rng(seed)
        history = {"iterations": 0, "loss": [], "delta_label": []}
        order, start, labels, losses = rng.permutation(len(x)), 0, None, []
        for it in range(max_iter):
            if it % update_interval == 0:
                q = self.predict_proba(x)
                p = target_distribution(q).astype(q.dtype)
                new = q.argmax(axis=1)
                if labels is not None:
                    delta = float(np.mean(new != labels))
                    history["delta_label"].append(delta)
                    history["loss"].append(float(np.mean(losses)) if losses else float("nan"))
                    losses = []
                    if verbose:
                        print(f"DEC iteration {it}: loss {history['loss'][-1]:.5f}, "
                              f"labels changed {delta:.4f}")
                    if delta < tol:
                        break
                labels = new
            if start >= len(x):
                order, start = rng.permutation(len(x)), 0
            batch = order[start:start + batch_size]
            start += batch_size
            losses.append(float(self.model.train_on_batch(x[batch], p[batch])))
            history["iterations"] = it + 1
        return history
