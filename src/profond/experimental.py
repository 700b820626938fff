"""``tf.experimental``: TensorFlow's experimental APIs (``tf.experimental.numpy``, extension types,
dispatch hooks, DLPack …) are TensorFlow internals that profond does not implement; asking for
one raises an ``AttributeError`` that says so. For NumPy on tensors, call NumPy directly:
``numpy.mean(t)`` works on a profond tensor and returns a NumPy result.
"""

from profond._names import missing_name


def __getattr__(name):
    raise missing_name(__name__, name)
