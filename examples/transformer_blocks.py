"""Transformer building blocks made of profond's layers, the Keras way (``import profond as tf``).

- Positions come from profond's layers (KerasHub's names): ``TokenAndPositionEmbedding`` (token
  embedding + a learned position table) or ``Embedding`` + ``SinePositionEncoding`` (Vaswani et
  al. 2017, fixed): PE(p, 2i) = sin(p / 10000^{2i/d}),  PE(p, 2i+1) = cos(p / 10000^{2i/d}).
  With ``mask_zero=True`` token 0 is padding and the mask travels to the attention layers.
- ``TransformerEncoder``: x ← LayerNorm(x + MHA(x, x)), x ← LayerNorm(x + FFN(x)) (post-norm,
  as in the paper), FFN(x) = W₂ relu(W₁ x + b₁) + b₂.
- ``TransformerDecoder``: causal self-attention, then attention to the encoder's outputs, then FFN.

Run it: a small encoder learns which of two tokens comes first in a sequence (a task where
the order matters, so the positions must be used), and the decoder is shown to be causal.
Import it to use the blocks: ``from transformer_blocks import TransformerEncoder``.
"""

import numpy as np

import profond as tf

keras = tf.keras
layers = keras.layers


def _check_heads(name, embed_dim, num_heads):
    if embed_dim % num_heads:
        raise ValueError(f"{name}: expected num_heads to divide embed_dim. Received: "
                         f"embed_dim={embed_dim}, num_heads={num_heads}")


@keras.saving.register_keras_serializable(package="transformer_blocks")
class TransformerEncoder(layers.Layer):
    """One encoder block on (batch, T, embed_dim); padding (the input's mask) is not attended."""

    supports_masking = True  # the output keeps the input's mask

    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        _check_heads("TransformerEncoder", embed_dim, num_heads)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, \
            dropout
        self.attention = layers.MultiHeadAttention(num_heads, embed_dim // num_heads,
                                                   dropout=dropout)
        self.ff1, self.ff2 = layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)
        self.norm1, self.norm2 = layers.LayerNormalization(), layers.LayerNormalization()
        self.drop = layers.Dropout(dropout)

    def call(self, inputs, mask=None, training=None):
        h = self.attention(inputs, inputs, query_mask=mask, value_mask=mask, training=training)
        x = self.norm1(inputs + self.drop(h, training=training))
        return self.norm2(x + self.drop(self.ff2(self.ff1(x)), training=training))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim,
                "num_heads": self.num_heads, "ff_dim": self.ff_dim, "dropout": self.rate}


@keras.saving.register_keras_serializable(package="transformer_blocks")
class TransformerDecoder(TransformerEncoder):
    """One decoder block: causal self-attention (position t reads positions ≤ t), then
    attention to the encoder's outputs, then the feed-forward network."""

    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(embed_dim, num_heads, ff_dim, dropout, **kwargs)
        self.cross = layers.MultiHeadAttention(num_heads, embed_dim // num_heads,
                                               dropout=dropout)
        self.norm3 = layers.LayerNormalization()

    def call(self, inputs, encoder_outputs, mask=None, training=None):
        h = self.attention(inputs, inputs, query_mask=mask, value_mask=mask,
                           use_causal_mask=True, training=training)
        x = self.norm1(inputs + self.drop(h, training=training))
        h = self.cross(x, encoder_outputs, training=training)
        x = self.norm3(x + self.drop(h, training=training))
        return self.norm2(x + self.drop(self.ff2(self.ff1(x)), training=training))


def order_task(n, length=12, vocab=10, seed=0):
    """Sequences holding tokens 1 and 2 once each; the label says whether 1 comes first."""
    rng = np.random.default_rng(seed)
    x = rng.integers(3, vocab, size=(n, length))
    for row in x:
        i, j = rng.choice(length, 2, replace=False)
        row[i], row[j] = 1, 2
    return x, (np.argmax(x == 1, 1) < np.argmax(x == 2, 1)).astype("float32")


def main():
    tf.set_seed(0)
    (x_train, y_train), (x_test, y_test) = order_task(3000), order_task(500, seed=1)
    inputs = keras.Input((12,), dtype="int32")
    tokens = layers.Embedding(10, 32)(inputs)
    x = tokens + layers.SinePositionEncoding()(tokens)
    x = TransformerEncoder(32, num_heads=4, ff_dim=64, dropout=0.0)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"encoder, which token comes first: test accuracy {accuracy:.3f}")

    decoder = TransformerDecoder(16, num_heads=2, ff_dim=32, dropout=0.0)
    embed = layers.TokenAndPositionEmbedding(10, 8, 16)
    memory = np.random.default_rng(2).standard_normal((2, 5, 16)).astype("float32")
    target = np.array([[3, 4, 5, 6, 7, 8], [5, 5, 6, 6, 7, 7]])
    changed = target.copy()
    changed[:, 4:] = 9  # change the last two target tokens
    a = decoder(embed(target), memory).numpy()
    b = decoder(embed(changed), memory).numpy()
    print(f"decoder is causal: outputs 0-3 unchanged: {np.allclose(a[:, :4], b[:, :4])}, "
          f"outputs 4-5 changed: {not np.allclose(a[:, 4:], b[:, 4:])}")


if __name__ == "__main__":
    main()
