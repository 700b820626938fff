"""``keras.preprocessing.text`` (TF-Keras 2's legacy text helpers): re-exports ``Tokenizer``,
``text_to_word_sequence``, ``one_hot`` and ``hashing_trick`` from ``profond.utils.text_utils``.
New code should prefer the ``TextVectorization`` layer."""

from profond.utils.text_utils import (  # noqa: F401
    Tokenizer,
    hashing_trick,
    one_hot,
    text_to_word_sequence,
    tokenizer_from_json,
)

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence",
           "tokenizer_from_json"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
