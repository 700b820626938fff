"""Sequences of word indices: ``pad_sequences`` (lists of different lengths to one rectangular
array), and TF-Keras 2's word2vec helpers ``make_sampling_table`` and ``skipgrams``."""

import random

import numpy


def _check_choice(name, value):
    if value not in ("pre", "post"):
        raise ValueError(
            f"pad_sequences: expected `{name}` to be 'pre' or 'post'. Received: {name}={value!r}"
        )


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (or cut) each sequence to ``maxlen`` items, giving an array of shape
    ``(len(sequences), maxlen) + item_shape``.

    ``maxlen`` defaults to the longest sequence. A shorter sequence is filled with ``value`` before
    it (``padding="pre"``, the default, so that the last items of a sequence sit next to the end
    where a recurrent layer reads last) or after it (``"post"``); a longer one loses its first
    items (``truncating="pre"``) or its last ones (``"post"``). Items may be numbers or arrays of
    one shape (``item_shape``); strings need ``dtype=object`` or a string dtype.

    >>> pad_sequences([[1, 2, 3], [4, 5], [6]])
    array([[1, 2, 3],
           [0, 4, 5],
           [0, 0, 6]], dtype=int32)
    >>> pad_sequences([[1, 2, 3], [6]], maxlen=2, padding="post", truncating="post", value=-1)
    array([[ 1,  2],
           [ 6, -1]], dtype=int32)
    """
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise ValueError(
            f"pad_sequences: expected `sequences` to be a list of sequences. "
            f"Received: {type(sequences).__name__}"
        )
    _check_choice("padding", padding)
    _check_choice("truncating", truncating)
    lengths = []
    item_shape = None
    for i, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                f"pad_sequences: expected every element of `sequences` to be a sequence. "
                f"Received: {sequence!r} (a {type(sequence).__name__}) at index {i}"
            )
        lengths.append(len(sequence))
        if item_shape is None and len(sequence):
            item_shape = numpy.asarray(sequence).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, numpy.integer)) or maxlen < 0:
        raise ValueError(
            f"pad_sequences: expected `maxlen` to be None or a non-negative integer. "
            f"Received: maxlen={maxlen!r}"
        )
    dtype = numpy.dtype(dtype)
    text_dtype = dtype.kind in "OUS"
    if isinstance(value, str) and not text_dtype:
        raise ValueError(
            f"pad_sequences: a string `value` needs dtype=object or a string dtype. "
            f"Received: dtype={dtype}, value={value!r}"
        )
    padded = numpy.full((len(lengths), int(maxlen)) + (item_shape or ()), value, dtype=dtype)
    if maxlen == 0:
        return padded
    for i, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = numpy.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"pad_sequences: the items of sequence {i} have shape {kept.shape[1:]}, "
                f"unlike the first non-empty sequence's {item_shape}."
            )
        if padding == "post":
            padded[i, : len(kept)] = kept
        else:
            padded[i, maxlen - len(kept) :] = kept
    return padded


def make_sampling_table(size, sampling_factor=1e-5):
    """For each word rank r < ``size``: the probability of keeping that word when sampling
    skip-grams, min(1, √(s · f(r)⁻¹)) with f the Zipf frequency of rank r and s =
    ``sampling_factor`` (word2vec's subsampling of frequent words).

    The inverse frequency of rank r is approximated by r (ln r + γ) + ½ − 1/(12 r)
    (γ = 0.577, Euler's constant); rank 0 (padding) is counted as rank 1.

    >>> make_sampling_table(3).round(5).tolist()
    [0.00315, 0.00315, 0.00548]
    """
    rank = numpy.arange(size, dtype=numpy.float64)
    rank[0] = 1
    inverse_frequency = rank * (numpy.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inverse_frequency
    return numpy.minimum(1.0, f / numpy.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Skip-gram pairs of a sequence of word indices, with labels: ``(couples, labels)``.

    Each word wᵢ (index 0 skipped) is paired with every word within ``window_size`` of it
    (label 1, or ``[0, 1]`` when ``categorical``); ``negative_samples`` × as many pairs get a
    random word of the vocabulary instead (label 0, or ``[1, 0]``). With ``sampling_table``
    word wᵢ is kept with probability ``sampling_table[wᵢ]``. Random draws use Python's
    ``random`` module, as Keras does (``set_random_seed`` makes them reproducible); ``seed``
    fixes the final shuffle.
    """
    couples, labels = [], []
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append(positive)
    if negative_samples > 0 and couples:
        count = int(len(labels) * negative_samples)
        words = [couple[0] for couple in couples]
        random.shuffle(words)
        couples += [[words[k % len(words)], random.randint(1, vocabulary_size - 1)]
                    for k in range(count)]
        labels += [negative] * count
    if shuffle:
        seed = random.randint(0, 10**7) if seed is None else seed
        order = list(range(len(couples)))
        random.Random(seed).shuffle(order)
        couples, labels = [couples[k] for k in order], [labels[k] for k in order]
    return couples, labels


__all__ = ["make_sampling_table", "pad_sequences", "skipgrams"]
