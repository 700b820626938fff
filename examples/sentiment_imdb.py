"""Sentiment analysis of IMDB movie reviews three ways, each printing its test accuracy.

1. bag of words: which of the V most frequent words a review contains (``CategoryEncoding``,
   multi-hot) → Dense(16, relu) → Dense(1, sigmoid). Word order is ignored.
2. BiLSTM: ``Embedding(V, 32, mask_zero=True)`` → ``Bidirectional(LSTM(32))`` → Dense(1); the
   padding (index 0) is masked, so the LSTMs read only the words.
3. transformer encoder: ``TokenAndPositionEmbedding`` (tokens + learned positions, padding masked)
   → one ``TransformerEncoder`` block (``transformer_blocks.py``: self-attention + feed-forward,
   residuals, LayerNorm) → mean over the words → Dense(1).

Figures known for these architectures on IMDB: about 0.85–0.89 test accuracy.

    python examples/sentiment_imdb.py            # Keras's IMDB (25,000 + 25,000 reviews)
    python examples/sentiment_imdb.py --quick    # generated reviews in IMDB's format (~1 min)

The full run reads ``imdb.npz`` from ``~/.profond/datasets/`` (downloaded once and checked by its
SHA-256; offline, the error says where to put a copy). ``--quick`` makes reviews in the same
format as ``imdb.load_data()`` (start mark 1, out-of-vocabulary 2, word of rank r at index r + 3)
from a made-up vocabulary where a few words carry the sentiment, some of them negated ("not
good"), and checks that every model learns it.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

import profond as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from transformer_blocks import TransformerEncoder  # noqa: E402

keras = tf.keras
layers = keras.layers
QUICK_BOUND = 0.7  # --quick: every model must reach this test accuracy (chance: 0.5)


def generated_reviews(n, num_words, seed, index_from=3):
    """``(x, y)`` like ``imdb.load_data``: object array of word-index lists, int64 labels.

    Ranks 1–9 are frequent neutral words, 10–19 positive words, 20–29 negative ones, 30 "not"
    (it flips the next sentiment word), the rest neutral with a Zipf-like frequency. Each review
    has 15–60 words, 4–8 of them sentiment words (85 % on its label's side, 15 % negated);
    5 % of the labels are flipped (noise), so no model can be perfect: counting the sentiment
    words with their negations scores 0.93 on the test reviews, a bag of words (blind to "not")
    about 0.77."""
    rng = np.random.default_rng(seed)
    neutral = np.arange(31, num_words - index_from)
    weights = 1.0 / np.arange(1, len(neutral) + 1)
    weights /= weights.sum()
    x, y = [], rng.integers(0, 2, n)
    for label in y:
        words = list(rng.choice(neutral, size=rng.integers(15, 60), p=weights))
        words += list(rng.integers(1, 10, size=len(words) // 4))
        for _ in range(rng.integers(4, 9)):
            positive = bool(label) if rng.random() < 0.85 else not label
            negated = rng.random() < 0.15
            word = rng.integers(10, 20) if positive != negated else rng.integers(20, 30)
            spot = rng.integers(0, len(words) + 1)
            words[spot:spot] = [30, word] if negated else [word]
        x.append([1] + [w + index_from for w in words])
    flip = rng.random(n) < 0.05
    y = np.where(flip, 1 - y, y).astype("int64")
    out = np.empty(n, dtype=object)
    out[:] = x
    return out, y


def bag_of_words(num_words, maxlen):
    return keras.Sequential([
        layers.Input((maxlen,), dtype="int64"),
        layers.CategoryEncoding(num_tokens=num_words, output_mode="multi_hot"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def bilstm(num_words, maxlen):
    return keras.Sequential([
        layers.Input((maxlen,), dtype="int64"),
        layers.Embedding(num_words, 32, mask_zero=True),
        layers.Bidirectional(layers.LSTM(32)),
        layers.Dense(1, activation="sigmoid"),
    ])


def transformer(num_words, maxlen):
    inputs = layers.Input((maxlen,), dtype="int64")
    x = layers.TokenAndPositionEmbedding(num_words, maxlen, 32, mask_zero=True)(inputs)
    x = TransformerEncoder(32, num_heads=2, ff_dim=64, dropout=0.1)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="generated reviews, small models")
    parser.add_argument("--num-words", type=int, default=20000)
    parser.add_argument("--maxlen", type=int, default=200)
    args = parser.parse_args(argv)

    tf.set_seed(0)
    if args.quick:
        num_words, maxlen, epochs = 1000, 64, {"bag of words": 10, "BiLSTM": 4, "transformer": 6}
        (x_train, y_train) = generated_reviews(2000, num_words, seed=0)
        (x_test, y_test) = generated_reviews(1000, num_words, seed=1)
    else:
        num_words, maxlen, epochs = args.num_words, args.maxlen, {
            "bag of words": 4, "BiLSTM": 2, "transformer": 3}
        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(
                num_words=num_words)
        except OSError as error:  # offline: the message says where to put the file
            sys.exit(f"{error}\nOr run `python examples/sentiment_imdb.py --quick` (generated "
                     "reviews).")
    # keep the last maxlen words of longer reviews, pad shorter ones with 0 in front
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
    y_train, y_test = y_train.astype("float32"), y_test.astype("float32")
    print(f"{len(x_train)} training and {len(x_test)} test reviews, vocabulary {num_words}, "
          f"{maxlen} words at most")

    results = {}
    for name, build in (("bag of words", bag_of_words), ("BiLSTM", bilstm),
                        ("transformer", transformer)):
        tf.set_seed(0)
        model = build(num_words, maxlen)
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss="binary_crossentropy", metrics=["accuracy"])
        start = time.perf_counter()
        model.fit(x_train, y_train, epochs=epochs[name], batch_size=64, verbose=0,
                  validation_split=0.1)
        _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
        results[name] = accuracy
        print(f"{name:>12}: test accuracy {accuracy:.4f}  ({epochs[name]} epochs, "
              f"{time.perf_counter() - start:.0f} s)")
    if args.quick:
        weak = {name: acc for name, acc in results.items() if acc < QUICK_BOUND}
        if weak:
            sys.exit(f"below the bound {QUICK_BOUND} on the generated reviews: {weak}")
    return results


if __name__ == "__main__":
    main()
