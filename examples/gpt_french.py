"""A small GPT that invents French words, and the same model in PyTorch beside it.

A decoder-only transformer (Radford et al. 2018) reads a word one character at a time and
predicts the next one; each word ends with an end token "." (id 0), which is also what the model
reads first. For a word c₁…cₙ the model gives p(c₁ | .) p(c₂ | . c₁) … p(. | . c₁…cₙ), and we
report the test negative log-likelihood per character (the end token counts as one):

    NLL = −1/N Σ_words Σ_t log p(c_t | c_<t)      (nats; e^NLL is the perplexity)

The model, made of profond's layers (``import profond as tf``, the Keras way):

    h⁰ = E[x_t] + P[t]                                   TokenAndPositionEmbedding
    hˡ = hˡ⁻¹ + MHA(LN(hˡ⁻¹))  with the causal mask      position t reads positions ≤ t
    hˡ = hˡ + W₂ GELU(W₁ LN(hˡ) + b₁) + b₂               (pre-LayerNorm, as GPT-2)
    logits = LN(hᴸ) Eᵀ  (tied weights)  or  LN(hᴸ) W + b

Then ``torch_nll`` trains the same network written in PyTorch, from the same initial weights
(copied), on the same batches with the same Adam: both test NLLs are printed side by side.
Words are sampled with a temperature τ (logits / τ) and top-k (only the k likeliest characters).

    python examples/gpt_french.py            # ~10 minutes on one core, both frameworks
    python examples/gpt_french.py --width 128 --depth 4   # the GPT of bench/language.py
    python examples/gpt_french.py --quick    # a small run for the tests
"""

import argparse
import time

import numpy as np

import profond as tf

keras = tf.keras
layers = keras.layers

END = "."


# --- the data: French words, one character a token ----------------------------------------------


def load_words(seed=0):
    """The French words (Debian's ``wfrench``) split by ``seed``: (train, test) lists of str
    (``profond.datasets.french_words``; its validation part is not used here)."""
    train, _, test = tf.datasets.french_words.load_data(seed=seed)
    return train, test


class Characters:
    """Character ↔ id, id 0 being the end token (also read before the first character)."""

    def __init__(self, words):
        self.chars = [END] + sorted(set("".join(words)) - {END})
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def batch(self, words):
        """x, y, mask of shape (n, T), T = longest word + 1: x = . c₁ … cₙ, y = c₁ … cₙ .,
        mask = 1 on the n + 1 predictions of each word, 0 on the padding."""
        length = max(len(w) for w in words) + 1
        x = np.zeros((len(words), length), "int64")
        y = np.zeros((len(words), length), "int64")
        mask = np.zeros((len(words), length), "float32")
        for i, word in enumerate(words):
            ids = [self.index.get(c, 0) for c in word]
            x[i, 1:len(ids) + 1] = ids
            y[i, :len(ids)] = ids
            mask[i, :len(ids) + 1] = 1.0
        return x, y, mask


def batches(n_words, batch_size, steps, seed):
    """The word indices of each training step: epochs of a shuffled order (shared by both
    frameworks so they see the same batches)."""
    rng = np.random.default_rng(seed)
    order = np.empty(0, "int64")
    for _ in range(steps):
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(n_words)])
        yield order[:batch_size]
        order = order[batch_size:]


# --- the model -----------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="gpt_french")
class GPTBlock(layers.Layer):
    """h ← h + MHA(LN(h)) (causal), then h ← h + W₂ GELU(W₁ LN(h) + b₁) + b₂."""

    def __init__(self, width, heads, **kwargs):
        super().__init__(**kwargs)
        if width % heads:
            raise ValueError(f"GPTBlock: expected heads to divide width. Received: "
                             f"width={width}, heads={heads}")
        self.width, self.heads = width, heads
        self.ln1 = layers.LayerNormalization(epsilon=1e-5)
        self.attention = layers.MultiHeadAttention(heads, width // heads)
        self.ln2 = layers.LayerNormalization(epsilon=1e-5)
        self.fc1 = layers.Dense(4 * width, activation="gelu")
        self.fc2 = layers.Dense(width)

    def call(self, h):
        a = self.ln1(h)
        h = h + self.attention(a, a, use_causal_mask=True)
        return h + self.fc2(self.fc1(self.ln2(h)))

    def get_config(self):
        return {**super().get_config(), "width": self.width, "heads": self.heads}


@keras.saving.register_keras_serializable(package="gpt_french")
class GPT(keras.Model):
    """Token + position embedding, ``depth`` blocks, a final LayerNorm, logits per position."""

    def __init__(self, vocab_size, context=32, width=128, depth=4, heads=4, tie_weights=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.context, self.width = vocab_size, context, width
        self.depth, self.heads, self.tie_weights = depth, heads, tie_weights
        self.embedding = layers.TokenAndPositionEmbedding(
            vocab_size, context, width,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02))
        self.blocks = [GPTBlock(width, heads) for _ in range(depth)]
        self.ln_f = layers.LayerNormalization(epsilon=1e-5)
        self.head = None if tie_weights else layers.Dense(vocab_size)

    def call(self, tokens):
        h = self.embedding(tokens)
        for block in self.blocks:
            h = block(h)
        h = self.ln_f(h)
        if self.head is not None:
            return self.head(h)
        return tf.matmul(h, tf.transpose(self.embedding.token_embedding.embeddings))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "context": self.context,
                "width": self.width, "depth": self.depth, "heads": self.heads,
                "tie_weights": self.tie_weights}


def masked_nll(logits, y, mask):
    """Σ mask · (−log softmax(logits)[y]) / Σ mask: the mean NLL over the real characters."""
    per_token = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
    return tf.reduce_sum(per_token * mask) / float(mask.sum())


def train_step(model, optimizer, x, y, mask):
    """One step of Adam on the masked NLL, with a tape (the course's training step)."""
    with tf.GradientTape() as tape:
        loss = masked_nll(model(x, training=True), y, mask)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    return loss


def train(model, chars, train_words, steps, batch_size, learning_rate, seed):
    """``steps`` training steps on the batches of ``batches(..., seed)``."""
    optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
    for step, idx in enumerate(batches(len(train_words), batch_size, steps, seed)):
        loss = train_step(model, optimizer, *chars.batch([train_words[i] for i in idx]))
        if step % max(1, steps // 5) == 0:
            print(f"  profond step {step:5d}: train NLL {float(loss):.4f}")


def test_nll(logits_of, chars, words, batch_size=500):
    """The NLL per character over ``words``, ``logits_of(x)`` giving NumPy logits."""
    total = count = 0.0
    for i in range(0, len(words), batch_size):
        x, y, mask = chars.batch(words[i:i + batch_size])
        logits = logits_of(x).astype("float64")
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
        total -= (picked * mask).sum()
        count += mask.sum()
    return total / count


def sample(logits_of, chars, n, temperature=1.0, top_k=None, max_length=30, seed=0):
    """n words drawn one character at a time: p ∝ exp(logits / τ), restricted to the top k."""
    rng = np.random.default_rng(seed)
    words = []
    for _ in range(n):
        ids = [0]
        while len(ids) < max_length:
            logits = logits_of(np.array([ids]))[0, -1].astype("float64") / temperature
            if top_k is not None:
                logits[logits < np.sort(logits)[-top_k]] = -np.inf
            p = np.exp(logits - logits.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            if nxt == 0:
                break
            ids.append(nxt)
        words.append("".join(chars.chars[i] for i in ids[1:]))
    return words


# --- the same network in PyTorch, from the same initial weights --------------------------------


def torch_twin(initial, config):
    """The GPT written in PyTorch: ``(forward, params)``, the parameters made from ``initial``
    (the profond model's weights, in ``model.trainable_weights`` order)."""
    import torch
    import torch.nn.functional as F

    width, depth = config["width"], config["depth"]
    params = [torch.tensor(w, requires_grad=True) for w in initial]
    it = iter(params)
    tok, pos = next(it), next(it)
    blocks = [[next(it) for _ in range(16)] for _ in range(depth)]
    ln_g, ln_b = next(it), next(it)
    head = None if config["tie_weights"] else (next(it), next(it))

    def forward(x):
        h = tok[x] + pos[:x.shape[1]]
        for (g1, b1, wq, bq, wk, bk, wv, bv, wo, bo, g2, b2, w1, c1, w2, c2) in blocks:
            a = F.layer_norm(h, (width,), g1, b1, 1e-5)

            def split(w, b, a=a):  # (n, t, d) @ (d, heads, kd) → (n, heads, t, kd)
                return (torch.einsum("ntd,dhk->nhtk", a, w) + b[:, None]).contiguous()

            o = F.scaled_dot_product_attention(split(wq, bq), split(wk, bk), split(wv, bv),
                                               is_causal=True)
            h = h + torch.einsum("nhtk,hkd->ntd", o, wo) + bo
            m = F.gelu(F.layer_norm(h, (width,), g2, b2, 1e-5) @ w1 + c1)
            h = h + m @ w2 + c2
        h = F.layer_norm(h, (width,), ln_g, ln_b, 1e-5)
        return h @ tok.T if head is None else h @ head[0] + head[1]

    return forward, params


def torch_step(forward, optimizer, x, y, mask):
    """One PyTorch training step on the masked NLL; x, y, mask as torch tensors."""
    import torch.nn.functional as F

    logits = forward(x)
    per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                reduction="none")
    loss = (per_token * mask.reshape(-1)).sum() / mask.sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def torch_nll(initial, config, chars, train_words, test_words, steps, batch_size,
              learning_rate, seed):
    """Train the PyTorch twin from ``initial`` on the same batches; return its test NLL."""
    import torch

    forward, params = torch_twin(initial, config)
    optimizer = torch.optim.Adam(params, lr=learning_rate, eps=1e-8)
    for idx in batches(len(train_words), batch_size, steps, seed):
        x, y, mask = (torch.from_numpy(a) for a in chars.batch([train_words[i] for i in idx]))
        torch_step(forward, optimizer, x, y, mask)
    with torch.no_grad():
        return test_nll(lambda x: forward(torch.from_numpy(x)).numpy(), chars, test_words)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (for the tests)")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--untied", action="store_true", help="a separate output layer")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch twin")
    args = parser.parse_args(argv)
    train_words, test_words = load_words()
    if args.quick:
        train_words, test_words = train_words[:4000], test_words[:1000]
        args.steps, args.width, args.depth = 300, 32, 2
    chars = Characters(train_words)
    context = max(len(w) for w in train_words + test_words) + 1
    config = dict(vocab_size=len(chars), context=context, width=args.width, depth=args.depth,
                  heads=args.heads, tie_weights=not args.untied)
    print(f"{len(train_words)} training words, {len(test_words)} test words, {len(chars)} "
          f"tokens, context {context}; GPT {config}")

    tf.set_seed(0)
    model = GPT(**config)
    model(np.zeros((1, context), "int64"))  # build, to read the initial weights
    initial = [w.numpy().copy() for w in model.trainable_weights]
    start = time.perf_counter()
    train(model, chars, train_words, args.steps, args.batch_size, args.learning_rate, seed=1)
    seconds = time.perf_counter() - start

    def logits_of(x):
        with tf.no_grad():
            return model(x).numpy()

    nll = test_nll(logits_of, chars, test_words)
    print(f"profond: test NLL {nll:.4f} nats per character ({seconds:.0f} s of training)")
    known = set(train_words)
    for temperature, top_k in ((1.0, None), (0.8, 10), (0.5, 5)):
        words = sample(logits_of, chars, 8, temperature, top_k, seed=2)
        new = sum(w not in known for w in words)
        print(f"  τ = {temperature}, top-k = {top_k}: {' '.join(words)} ({new}/8 not in the "
              f"training words)")
    try:
        import torch
    except ImportError:
        return
    if args.no_torch:
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)
    start = time.perf_counter()
    reference = torch_nll(initial, config, chars, train_words, test_words, args.steps,
                          args.batch_size, args.learning_rate, seed=1)
    seconds = time.perf_counter() - start
    print(f"PyTorch: test NLL {reference:.4f} nats per character ({seconds:.0f} s of training)")
    print(f"profond / PyTorch: {nll / reference:.4f}")


if __name__ == "__main__":
    main()
