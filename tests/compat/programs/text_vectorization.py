"""Text preprocessing (issue 17): TextVectorization in every output mode, n-grams, sequence
length, StringLookup / IntegerLookup (masks, several OOV indices, invert), then a small
bag-of-embeddings classifier trained on the vectorized texts."""

import numpy as np
from _common import emit, keras, set_fixed_weights

L = keras.layers
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?", "",
         "  spaces   everywhere  ", "Dogs and cats and birds", "the THE The", "zebra",
         "Ça va? Très bien.", "mat mat mat", "on the go", "bird"]
LABELS = np.array([1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0], dtype="float32")
NEW = ["the cat and the unicorn", "zebra zebra mat", "Très", ""]


def text(values):
    """Strings as str (TensorFlow returns bytes)."""
    values = values.numpy() if hasattr(values, "numpy") else np.asarray(values)
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.ravel()]


def vectorizer(**kwargs):
    layer = L.TextVectorization(**kwargs)
    layer.adapt(TEXTS)
    return layer


results = {}
for name, kwargs in [
    ("int", {}),
    ("int_length", {"output_sequence_length": 4, "max_tokens": 12}),
    ("multi_hot", {"output_mode": "multi_hot", "max_tokens": 10}),
    ("count_padded", {"output_mode": "count", "max_tokens": 25, "pad_to_max_tokens": True}),
    ("tf_idf_bigrams", {"output_mode": "tf_idf", "ngrams": 2}),
    ("characters", {"split": "character", "standardize": "lower"}),
    ("no_standardize", {"standardize": None, "ngrams": (1, 3)}),
    ("strip_trigrams", {"standardize": "strip_punctuation", "ngrams": 3, "max_tokens": 20}),
    ("tf_idf_padded", {"output_mode": "tf_idf", "max_tokens": 40, "pad_to_max_tokens": True}),
]:
    layer = vectorizer(**kwargs)
    results[name] = {"vocabulary": text(np.array(layer.get_vocabulary())),
                     "size": layer.vocabulary_size(),
                     "texts": layer(np.array(TEXTS)), "new": layer(np.array(NEW))}

given = L.TextVectorization(output_mode="tf_idf", vocabulary=["the", "cat", "dog"],
                            idf_weights=[0.5, 1.0, 2.0])
results["given_idf"] = given(np.array(NEW))

lookup = L.StringLookup(mask_token="", num_oov_indices=1)
lookup.adapt(np.array([["a", "b", "a"], ["c", "", "b"]]))
results["string_lookup"] = {"vocabulary": text(np.array(lookup.get_vocabulary())),
                            "int": lookup(np.array([["a", "z", ""], ["c", "b", "a"]]))}
for mode in ["one_hot", "multi_hot", "count"]:
    encoded = L.StringLookup(vocabulary=["a", "b", "c"], output_mode=mode)
    results[f"string_{mode}"] = encoded(np.array([["a", "c", "a"], ["z", "b", "b"]]))
column = vectorizer(output_mode="count")
results["column_input"] = column(np.array(TEXTS[:4])[:, None])
documents = L.StringLookup(output_mode="tf_idf")
documents.adapt(np.array([["a", "b", "a"], ["c", "a", "c"], ["b", "b", "d"]]))
results["string_tf_idf"] = documents(np.array([["a", "d", "q"], ["c", "c", "b"]]))
inverse = L.StringLookup(vocabulary=["a", "b", "c"], mask_token="", invert=True)
results["string_invert"] = text(inverse(np.array([[0, 1, 2, 4, 9]])))

integers = L.IntegerLookup()
integers.adapt(np.array([5, 5, 7, 9, 9, 9, 0, 12]))
results["integer_lookup"] = {"vocabulary": [int(v) for v in integers.get_vocabulary()],
                             "int": integers(np.array([5, 9, 0, -1, 42]))}
results["integer_multi_hot"] = L.IntegerLookup(vocabulary=[3, 1], output_mode="multi_hot")(
    np.array([[3, 3, 7], [1, 1, 1]]))
inverse = L.IntegerLookup(vocabulary=[12, 36], mask_token=0, invert=True)
results["integer_invert"] = inverse(np.array([0, 1, 2, 3]))

# a classifier on the vectorized texts: same weights, same batches, same history
ids = np.asarray(vectorizer(output_sequence_length=6)(np.array(TEXTS)))
model = keras.Sequential([keras.Input((6,), dtype="int64"),
                          L.Embedding(int(ids.max()) + 1, 4),
                          L.GlobalAveragePooling1D(), L.Dense(1, activation="sigmoid")])
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy",
              metrics=["accuracy"])
results["fit"] = model.fit(ids, LABELS, batch_size=4, epochs=3, shuffle=False,
                           verbose=0).history
bags = np.asarray(vectorizer(output_mode="count")(np.array(TEXTS)), dtype="float32")
model = keras.Sequential([keras.Input((bags.shape[1],)), L.Dense(1, activation="sigmoid")])
set_fixed_weights(model)
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
results["bag_of_words_fit"] = model.fit(bags, LABELS, batch_size=6, epochs=2, shuffle=False,
                                        verbose=0).history
emit(results)
