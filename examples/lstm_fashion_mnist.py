"""An LSTM reading Fashion-MNIST images row by row (issue 4 target: test accuracy ≥ 0.87).

Each 28×28 image is a sequence of 28 steps of 28 pixels: LSTM(128) → Dense(10).

    python examples/lstm_fashion_mnist.py            # full run (10 epochs)
    python examples/lstm_fashion_mnist.py --quick    # 5,000 images, 1 epoch
"""

import argparse
import time

import profond as tf

L = tf.keras.layers


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5,000 images, 1 epoch")
    args = parser.parse_args(argv)

    tf.set_seed(0)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    x_train = (x_train / 255.0).astype("float32")  # (60000, 28, 28): 28 steps of 28 features
    x_test = (x_test / 255.0).astype("float32")
    epochs = args.epochs
    if args.quick:
        x_train, y_train, epochs = x_train[:5000], y_train[:5000], 1
        x_test, y_test = x_test[:2000], y_test[:2000]

    model = tf.keras.Sequential([L.Input(shape=(28, 28)), L.LSTM(128), L.Dense(10)])
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=2)
    seconds = time.perf_counter() - t0
    _, acc = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"trained {epochs} epoch(s) in {seconds:.0f} s; test accuracy = {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
