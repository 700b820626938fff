"""A small convolutional network on the embedded 8×8 digits (issue 4 target: test accuracy ≥ 0.99).

    python examples/cnn_digits.py
"""

import argparse

import profond as tf

L = tf.keras.layers


def build_model():
    return tf.keras.Sequential([
        L.Input(shape=(8, 8, 1)),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Flatten(), L.Dropout(0.3),
        L.Dense(128, activation="relu"), L.Dropout(0.3),
        L.Dense(10, activation="softmax"),
    ])


def main(epochs=40, seed=0, verbose=2):
    (x, y), (x_test, y_test) = tf.datasets.digits.load_data()
    x, x_test = (a.reshape(-1, 8, 8, 1).astype("float32") / 16 for a in (x, x_test))
    tf.set_seed(seed)
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=verbose)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"digits CNN test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
