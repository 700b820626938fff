"""Preprocessing layers: feature normalization and encodings, text vectorization, sub-word
tokenizers and vocabulary lookups, image resizing and cropping, and data augmentation (active
only while training)."""

from profond.layers.preprocessing.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from profond.layers.preprocessing.image import CenterCrop, RandomCrop, Resizing
from profond.layers.preprocessing.lookup import IntegerLookup, StringLookup
from profond.layers.preprocessing.normalization import (
    CategoryEncoding,
    Discretization,
    Hashing,
    Normalization,
    Rescaling,
)
from profond.layers.preprocessing.subword import SubwordTokenizer
from profond.layers.preprocessing.text import TextVectorization

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]
__all__ += ["IntegerLookup", "StringLookup", "TextVectorization"]  # issue 17
__all__ += ["SubwordTokenizer"]  # issue 17: sub-words through Hugging Face tokenizers
