"""Why did the network say "7"? Attribution maps for a small CNN trained on the digits.

Trains a CNN on scikit-learn's 8×8 digits (a few seconds), then explains its test predictions
with each method of ``profond.explain`` and checks Integrated Gradients' completeness
(Σ attributions = f_c(x) − f_c(black image)). Saves the maps over the images in
``explain_digits.png``.

    python examples/explain_digits.py            # prints accuracy, completeness, saves the plot
    python examples/explain_digits.py --quick    # fewer epochs (the test's version)
"""

import argparse

import numpy as np

import profond as tf
from profond.datasets import digits

L = tf.keras.layers


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default="explain_digits.png")
    args = parser.parse_args(argv)
    tf.keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train / 16).astype("float32")[..., None]
    x_test = (x_test / 16).astype("float32")[..., None]
    model = tf.keras.Sequential([
        L.Input((8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
        L.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
        L.MaxPooling2D(), L.Flatten(), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3 if args.quick else 15, batch_size=32, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"test accuracy: {accuracy:.4f}")

    x = x_test[:8]
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    ig, delta = tf.explain.integrated_gradients(model, x, steps=64,
                                                return_convergence_delta=True)
    gap = ig.reshape(len(x), -1).sum(axis=1) - delta  # f_c(x) − f_c(baseline)
    print(f"Integrated Gradients completeness: largest |Σ IG − (f(x) − f(x'))| / |f(x) − f(x')| "
          f"= {np.max(np.abs(delta) / np.abs(gap)):.2e}")
    maps = {
        "saliency": tf.explain.saliency(model, x),
        "SmoothGrad": tf.explain.smooth_grad(model, x, samples=25, seed=0),
        "Grad-CAM (conv2)": tf.explain.grad_cam(model, x, "conv2"),
        "occlusion 2×2": tf.explain.occlusion(model, x, window=(2, 2)),
    }
    for name, values in maps.items():
        print(f"{name}: maps of shape {values.shape}")
    try:
        from profond import viz
    except ImportError:
        return
    titles = [f"{c} (true {t})" for c, t in zip(predicted, y_test[:8])]
    viz.show_attributions(x, ig, titles=titles).savefig(args.output, dpi=80)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
