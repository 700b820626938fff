"""``tf.saved_model``: not available — profond cannot write or read TensorFlow's SavedModel.

A SavedModel is a TensorFlow graph (protocol buffers and TF checkpoints); profond has no graphs.
Save a profond model to one file instead, and load it back:

    model.save("model.profond")                       # architecture, weights, optimizer state
    model = profond.keras.models.load_model("model.profond")

(An ONNX export for serving elsewhere is planned as ``profond.onnx``; it does not exist yet.)
"""

from profond._names import missing_name

_HOW = ("profond cannot write or read TensorFlow SavedModels (TensorFlow graphs). Use "
        "model.save('model.profond') and profond.keras.models.load_model('model.profond').")


def save(obj, export_dir, signatures=None, options=None):
    """Refused with the way to save a profond model (see the module)."""
    raise NotImplementedError(f"tf.saved_model.save: {_HOW} Received: export_dir={export_dir!r}")


def load(export_dir, tags=None, options=None):
    """Refused with the way to load a profond model (see the module)."""
    raise NotImplementedError(f"tf.saved_model.load: {_HOW} Received: export_dir={export_dir!r}")


def __getattr__(name):
    raise missing_name(__name__, name)
