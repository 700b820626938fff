"""ONNX: export a profond model (``model.export("m.onnx", format="onnx")``) and run an ONNX file
in profond (``profond.onnx.load("m.onnx")``).

Both use the ``onnx`` package (``pip install 'profond[onnx]'``); ``onnxruntime`` checks the
exported files in the tests.
"""

from profond.onnx.export import export, to_onnx
from profond.onnx.load import OnnxFileError, OnnxModel, load

__all__ = ["OnnxFileError", "OnnxModel", "export", "load", "to_onnx"]
