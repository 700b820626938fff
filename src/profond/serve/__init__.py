"""``profond.serve``: a model behind TensorFlow Serving's REST API, on Starlette and uvicorn
(the ``playground`` extra).

    profond serve mnist.profond --port 8501 --name mnist

    POST /v1/models/mnist:predict   {"instances": [[...784 numbers...], ...]}
                                 →  {"predictions": [[...10 probabilities...], ...]}
    POST /v1/models/mnist:predict   {"inputs": {"pixels": [[...], ...]}}  →  {"outputs": ...}
    GET  /v1/models/mnist            the version status
    GET  /v1/models/mnist/metadata   the signature: input and output names, dtypes, shapes

Requests that arrive together are predicted together (``batching.Batcher``): one forward pass
for many clients. The server listens on 127.0.0.1 unless told otherwise; bodies are bounded
(``max_body_bytes``), and a bad request gets a 400 answer ``{"error": "..."}`` naming what was
expected and what was received, while the server goes on serving the others.
"""

from profond.serve.app import create_app, serve
from profond.serve.batching import Batcher

__all__ = ["Batcher", "create_app", "serve"]
