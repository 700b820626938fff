"""Where the Keras-format dataset files come from: ``profond.utils.get_file`` (cached under
``$PROFOND_HOME/datasets``), with ``$PROFOND_DATASETS_URL`` as a mirror.

Every dataset file has a known SHA-256, so its download (``profond.utils.file_utils.download``)
is:

- bounded in time: an overall deadline (``$PROFOND_DOWNLOAD_DEADLINE`` seconds, one hour by
  default), not only a timeout per network read, so a server that trickles bytes cannot hang
  ``load_data()``;
- resumable: the bytes go to ``<file>.part``; when the connection is cut (or the deadline
  passes) the part is kept and the next ``load_data()`` asks only for the rest (an HTTP
  ``Range`` request), or for the whole file from a server that does not support ranges;
- verified: the SHA-256 is checked before the file takes its name (``os.replace``, atomic); a
  file that does not match is removed and a ``ValueError`` raised;
- clear offline: the error names the file, its address and where to put a copy fetched by hand.
"""

import os

from profond.utils.file_utils import get_file

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def fetch(path, origin, file_hash, extract=False):
    """The local path of the dataset file ``path`` (relative to the cache, or absolute).

    ``$PROFOND_DATASETS_URL`` (a folder URL, e.g. ``file:///srv/mirror/``) replaces the
    origin's folder, for machines without Internet access.
    """
    mirror = os.environ.get("PROFOND_DATASETS_URL")
    if mirror:
        origin = mirror.rstrip("/") + "/" + origin.rsplit("/", 1)[-1]
    return get_file(os.fspath(path), origin=origin, file_hash=file_hash, extract=extract,
                    cache_subdir="datasets")


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"Expected `test_split` in [0, 1). Received: test_split={test_split}")


def shuffle_split(x, y, test_split, seed):
    """Shuffle ``x, y`` with ``numpy.random.RandomState(seed)`` (as Keras, so the same seed gives
    the same split) and cut them: the first ``int(n · (1 − test_split))`` rows train."""
    import numpy

    order = numpy.arange(len(x))
    numpy.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (numpy.array(x[:cut]), numpy.array(y[:cut])), (numpy.array(x[cut:]),
                                                          numpy.array(y[cut:]))


__all__ = ["KERAS_URL", "check_test_split", "fetch", "shuffle_split"]
