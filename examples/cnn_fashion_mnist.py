"""A convolutional network on Fashion-MNIST (issue 4 target: test accuracy ≥ 0.92).

Three conv blocks with dropout, as the dataset's benchmark table (0.926):

    Conv(32, 3)-BN-ReLU-MaxPool → Conv(64, 3)-BN-ReLU-MaxPool → Conv(128, 3)-ReLU
    → Flatten → Dropout(0.4) → Dense(128, ReLU) → Dropout(0.3) → Dense(10)

trained with Adam, its learning rate decaying from 10⁻³ to 0 along a cosine.

    python examples/cnn_fashion_mnist.py            # full run (15 epochs)
    python examples/cnn_fashion_mnist.py --quick    # 5,000 images, 1 epoch (a smoke test)
"""

import argparse
import time

import numpy as np

import profond as tf

L = tf.keras.layers


def build_model():
    return tf.keras.Sequential([
        L.Input(shape=(28, 28, 1)),
        L.Conv2D(32, 3, padding="same", use_bias=False), L.BatchNormalization(),
        L.Activation("relu"), L.MaxPooling2D(),
        L.Conv2D(64, 3, padding="same", use_bias=False), L.BatchNormalization(),
        L.Activation("relu"), L.MaxPooling2D(),
        L.Conv2D(128, 3, activation="relu"),
        L.Flatten(), L.Dropout(0.4),
        L.Dense(128, activation="relu"), L.Dropout(0.3),
        L.Dense(10),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5,000 images, 1 epoch")
    args = parser.parse_args(argv)

    tf.set_seed(0)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    x_train = (x_train[..., None] / 255.0).astype("float32")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    epochs = args.epochs
    if args.quick:
        x_train, y_train, epochs = x_train[:5000], y_train[:5000], 1
        x_test, y_test = x_test[:2000], y_test[:2000]

    model = build_model()
    steps = epochs * -(-len(x_train) // 128)  # the learning rate decays to 0 along a cosine
    schedule = tf.keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps)
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.summary()
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=2)
    seconds = time.perf_counter() - t0
    _, acc = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"trained {epochs} epoch(s) in {seconds:.0f} s; test accuracy = {acc:.4f}")
    return acc


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
