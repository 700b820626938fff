"""Chapter — learning without labels: autoencoder codes, k-means, DEC, anomaly detection."""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, roc_auc_score

import profond as tf
from profond.datasets import digits
from profond.unsupervised import DEC, dense_autoencoder, reconstruction_errors

# %% data
(x_train, y_train), (x_test, y_test) = digits.load_data()
x = (np.concatenate([x_train, x_test]).reshape(-1, 64) / 16).astype("float32")  # 1,797 × 64
y = np.concatenate([y_train, y_test])  # kept aside: only to score the groups at the end
print("images to group:", x.shape)


def scores(name, labels):
    nmi, ari = normalized_mutual_info_score(y, labels), adjusted_rand_score(y, labels)
    print(f"{name:32s} NMI {nmi:.3f}   ARI {ari:.3f}")


# %% kmeans
groups = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(x)
scores("k-means on the 64 pixels", groups)
print("sizes of the 10 groups:", np.bincount(groups))

# %% autoencoder
tf.keras.utils.set_random_seed(0)
autoencoder = dense_autoencoder((64,), latent_dim=10, hidden=(128, 64),
                                output_activation="sigmoid")
autoencoder.compile(optimizer="adam", loss="mse")
history = autoencoder.fit(x, x, epochs=60, batch_size=64, verbose=0)  # the input is the target
encoder = autoencoder.get_layer("encoder")
codes = encoder.predict(x, verbose=0)
print(f"reconstruction error (MSE) {history.history['loss'][0]:.4f} → "
      f"{history.history['loss'][-1]:.4f};  code of an image: {codes.shape[1]} numbers")
rebuilt = autoencoder.predict(x[:8], verbose=0)
fig, axes = plt.subplots(2, 8, figsize=(8, 2.2))
for k in range(8):
    axes[0, k].imshow(x[k].reshape(8, 8), cmap="gray")
    axes[1, k].imshow(rebuilt[k].reshape(8, 8), cmap="gray")
    axes[0, k].axis("off")
    axes[1, k].axis("off")
axes[0, 0].set_title("images", loc="left", fontsize=9)
axes[1, 0].set_title("rebuilt from 10 numbers", loc="left", fontsize=9)

# %% codes_kmeans
scores("k-means on the autoencoder codes", KMeans(10, n_init=10, random_state=0).fit_predict(codes))

# %% dec
dec = DEC(encoder, n_clusters=10)
dec.initialize(x, seed=0)                   # centroids μⱼ: k-means on the codes
result = dec.fit(x, max_iter=1000, batch_size=256, update_interval=50, seed=0, verbose=0)
print(f"DEC: {result['iterations']} batches, last share of samples that changed group "
      f"{result['delta_label'][-1]:.4f}")
scores("DEC (encoder refined by KL(P‖Q))", dec.predict(x))

# %% anomaly
# Normal data: the digit 8 only. Anomalies: every other digit, never seen in training.
normal_train = x[:1437][y[:1437] == 8]
tf.keras.utils.set_random_seed(0)
detector = dense_autoencoder((64,), latent_dim=4, hidden=(32,), output_activation="sigmoid")
detector.compile(optimizer="adam", loss="mse")
detector.fit(normal_train, normal_train, epochs=150, batch_size=16, verbose=0)
errors = reconstruction_errors(detector, x[1437:])   # the 360 test images
is_anomaly = y[1437:] != 8
print(f"{len(normal_train)} eights to learn from; test set: {np.sum(~is_anomaly)} eights, "
      f"{np.sum(is_anomaly)} other digits")
print(f"mean reconstruction error: eights {errors[~is_anomaly].mean():.4f}, "
      f"other digits {errors[is_anomaly].mean():.4f}")
print(f"ROC-AUC of the error as an anomaly score: {roc_auc_score(is_anomaly, errors):.3f}")
threshold = np.quantile(reconstruction_errors(detector, normal_train), 0.95)
flagged = errors > threshold
print(f"threshold at the 95th percentile of the training errors, {threshold:.4f}: "
      f"{flagged[is_anomaly].mean():.1%} of the anomalies flagged, "
      f"{flagged[~is_anomaly].mean():.1%} of the eights (false alarms)")
fig, ax = plt.subplots(figsize=(6, 2.8))
bins = np.linspace(0, errors.max(), 40)
ax.hist(errors[~is_anomaly], bins, alpha=0.7, label="eights (normal)")
ax.hist(errors[is_anomaly], bins, alpha=0.7, label="other digits (anomalies)")
ax.axvline(threshold, color="k", linestyle="--", label="threshold")
ax.set(xlabel="reconstruction error", ylabel="test images")
ax.legend()
