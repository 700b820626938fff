"""The ladder of character-level language models, on the same French words and the same split.

Each rung predicts the next character of a word from what came before and is scored by the same
number, the test negative log-likelihood per character (the end token "." included), in nats:

1. bigram counts: p(c | b) = (N(b, c) + 1) / (N(b) + V), no training, one previous character;
2. MLP (Bengio et al. 2003): the embeddings of the 3 previous characters, concatenated, a tanh
   hidden layer, a softmax: p(c_t | c_{t−3} c_{t−2} c_{t−1});
3. LSTM: the whole prefix through a recurrent state hₜ = LSTM(hₜ₋₁, E[c_t]);
4. transformer (the small GPT of gpt_french.py): the whole prefix through causal attention.

The last three are trained by the same loop (Adam on the masked NLL, the same batches).

    python examples/char_ladder.py            # a few minutes per rung on one core
    python examples/char_ladder.py --quick    # a small run for the tests
"""

import argparse
import time

import numpy as np
from gpt_french import GPT, Characters, load_words, test_nll, train

import profond as tf

keras = tf.keras
layers = keras.layers


def bigram_logits(chars, words, smoothing=1.0):
    """log p(c | b) as a (V, V) table from the counts of pairs (b, c) in ``words``."""
    counts = np.full((len(chars), len(chars)), smoothing)
    for word in words:
        ids = [0] + [chars.index[c] for c in word] + [0]
        np.add.at(counts, (ids[:-1], ids[1:]), 1)
    return np.log(counts / counts.sum(1, keepdims=True))


@keras.saving.register_keras_serializable(package="char_ladder")
class Bengio(keras.Model):
    """h = tanh(W [E[c_{t−k}], …, E[c_{t−1}]] + b), logits = U h + d, for every position t
    of a (batch, T) sequence at once (the k previous tokens, 0 before the start)."""

    def __init__(self, vocab_size, block=3, embed=16, hidden=128, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.block, self.embed, self.hidden = vocab_size, block, embed, hidden
        self.embedding = layers.Embedding(vocab_size, embed)
        self.hidden_layer = layers.Dense(hidden, activation="tanh")
        self.output_layer = layers.Dense(vocab_size)

    def call(self, tokens):
        tokens = np.asarray(tokens)
        n, t = tokens.shape
        padded = np.concatenate([np.zeros((n, self.block - 1), tokens.dtype), tokens], 1)
        windows = np.stack([padded[:, j:j + t] for j in range(self.block)], -1)  # (n, T, k)
        e = tf.reshape(self.embedding(windows), (n, t, self.block * self.embed))
        return self.output_layer(self.hidden_layer(e))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "block": self.block,
                "embed": self.embed, "hidden": self.hidden}


def recurrent(vocab_size, embed=32, units=128):
    return keras.Sequential([layers.Embedding(vocab_size, embed),
                             layers.LSTM(units, return_sequences=True),
                             layers.Dense(vocab_size)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (for the tests)")
    parser.add_argument("--steps", type=int, default=1500, help="training steps per rung")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    train_words, test_words = load_words()
    if args.quick:
        train_words, test_words = train_words[:4000], test_words[:1000]
        args.steps = 300
    chars = Characters(train_words)
    context = max(len(w) for w in train_words + test_words) + 1
    print(f"{len(train_words)} training words, {len(test_words)} test words, {len(chars)} "
          f"tokens")

    table = bigram_logits(chars, train_words)
    results = {"bigram counts": test_nll(lambda x: table[x], chars, test_words)}
    width = 32 if args.quick else 64
    rungs = {
        "MLP (Bengio 2003)": lambda: Bengio(len(chars)),
        "LSTM": lambda: recurrent(len(chars)),
        "transformer": lambda: GPT(len(chars), context, width=width, depth=2, heads=4),
    }
    print(f"bigram counts: test NLL {results['bigram counts']:.4f}")
    for name, make in rungs.items():
        tf.set_seed(0)
        model = make()
        start = time.perf_counter()
        train(model, chars, train_words, args.steps, args.batch_size, 3e-3, seed=1)

        def logits_of(x, model=model):
            with tf.no_grad():
                return model(x).numpy()

        results[name] = test_nll(logits_of, chars, test_words)
        print(f"{name}: test NLL {results[name]:.4f} ({time.perf_counter() - start:.0f} s)")
    print("\nthe ladder, test NLL per character (nats):")
    for name, nll in results.items():
        print(f"  {name:20s} {nll:.4f}")
    if args.quick:
        for name in rungs:
            assert results[name] < results["bigram counts"], (name, results)


if __name__ == "__main__":
    main()
