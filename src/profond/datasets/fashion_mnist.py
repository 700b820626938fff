"""Fashion-MNIST: 70,000 grayscale 28×28 images of clothes in 10 classes (Zalando, 2017).

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot.

The files are read from Debian's package ``dataset-fashion-mnist`` when installed
(``apt-get install dataset-fashion-mnist``), else from the cache folder, else downloaded (see
``profond.datasets._idx`` for the details and the integrity checks).
"""

from profond.datasets import _idx

NAME = "fashion-mnist"
SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")

# SHA-256 of each file's IDX content (after gunzip), computed from Debian's package and matching
# the upstream release; the published .gz files themselves hash to 3aede38d…, a04f1713…,
# 346e55b9…, 67da17c7… (Debian recompressed them, hence hashing the content).
FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def load_data(data_dir=None, base_url=None):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    ``x_train``: uint8 array of shape (60000, 28, 28), ``y_train``: uint8 labels 0–9 of shape
    (60000,); the test set has 10,000 of each. ``data_dir`` reads (and downloads) the files in that
    folder only; ``base_url`` overrides the download address.
    """
    return _idx.load_image_classification(NAME, FILES, SYSTEM_DIRS, BASE_URL, base_url, data_dir)
